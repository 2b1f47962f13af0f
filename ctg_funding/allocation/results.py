"""What an allocation produces, for each year: one line per structure and line of payment, the amounts released,
the envelopes, and warnings. Each carries the figures the allocator read and computed (its record), from which
`allocation.trace` rebuilds the arithmetic of any amount, whichever allocator ran."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ..money import ZERO


@dataclass(slots=True)  # slots: there are 600,000 of them at national scale
class Line:
    """One structure's result in one year on one line of payment, with the figures that decided it."""

    year: int
    structure_id: str
    family: str
    line: str
    unit: str
    units: Fraction  # pro rata temporis
    eligible: bool
    reason: str | None
    rules: list[str]
    method: str
    n1_amount: Fraction = Fraction(0)  # N-1 amount: its CEJ's (R1), or in a renewed CTG what it got then (R7)
    share: Fraction = Fraction(0)  # open days / days in the year
    weight: Fraction | None = None
    rate: Fraction | None = None
    base: Fraction = Fraction(0)  # the method's exact amount, before the floor and redistribution
    extra: Fraction = Fraction(0)  # received from released amounts (released.destination = redistribute)
    exact: Fraction = Fraction(0)  # the exact amount before rounding
    amount: Decimal = ZERO
    capped: bool = False  # the cap cut its amount
    cap: Fraction | None = None  # R4: the cap per unit that applied to it (after the deadline), if any
    renewed_from: int | None = None  # R7: the year its N-1 amount was allocated in (None: from the CEJ)

    # As the vector allocator's lines give them, for integer tests over many lines (R8).
    @property
    def cents(self) -> int:
        return int(self.amount * 100)

    @property
    def units_num(self) -> int:
        return self.units.numerator

    @property
    def units_den(self) -> int:
        return self.units.denominator


@dataclass
class Released:
    """An amount of a family's envelope that no structure takes, with why and where it goes."""

    year: int
    family: str
    structure_id: str | None
    reason: str
    exact: Fraction
    destination: str = "caf"
    rules: list[str] = field(default_factory=list)
    amount: Decimal = ZERO
    territory: str = ""


@dataclass
class Envelope:
    """A family's envelope in a year and territory, what became of it, and the figures of its redistribution."""

    year: int
    family: str
    envelope: Decimal
    allocated: Decimal = ZERO
    released: Decimal = ZERO
    redistributed: Decimal = ZERO
    method: str = ""
    rate: Fraction | None = None
    floor: Decimal | None = None
    territory: str = ""
    parameters: tuple[str, ...] = ()  # the parameters read to decide its method, floor and destination
    units_total: Fraction | None = None  # eligible (weighted) units that share it (per_unit, weighted)
    floor_deficit: Fraction = Fraction(0)  # what lifting every structure to the floor costs
    floor_excess: Fraction = Fraction(0)  # what the structures above the floor have above it
    moved: Fraction = Fraction(0)  # exact released amount redistributed within the family
    renewed_from: int | None = None  # R7: the year whose allocation to the family it is (None: the CEJ's)

    @property
    def balanced(self) -> bool:
        return self.allocated + self.released == self.envelope

    @property
    def floor_met(self) -> bool:
        """The floor could be paid for by the structures above it (or cost nothing)."""
        return self.floor_deficit <= self.floor_excess


@dataclass(frozen=True, order=True)
class Warning:
    """Something a finance officer must know about a year, a territory or a family-year: a floor that cannot be
    met (`floor_unmet`), an envelope that nobody could share and was released whole (`released_whole`), a year
    that no CTG of a territory covers (`ctg_not_in_force`)."""

    year: int
    family: str  # "" for a whole territory-year
    territory: str
    kind: str
    floor: Decimal = ZERO
    deficit: Fraction = Fraction(0)
    excess: Fraction = Fraction(0)
    amount: Decimal = ZERO
    reason: str = ""


class Lines(Sequence[Any]):
    """A run's lines in order, as one sequence: line objects, and blocks of lines held as columns (the vector
    allocator's `LineBlock`, which makes a line object only when one is read). Outputs that can read columns
    (the CSV) take the blocks' columns through `parts`; everything else iterates."""

    def __init__(self, items: Iterable[Any] = ()) -> None:
        self._parts: list[Any] = []  # lists of line objects and column blocks, in order
        self.extend(items)

    def parts(self) -> list[Any]:
        """The lists of line objects and the column blocks, in order."""
        return list(self._parts)

    def append(self, line: Any) -> None:
        if not self._parts or not isinstance(self._parts[-1], list):
            self._parts.append([])
        self._parts[-1].append(line)

    def extend(self, items: Iterable[Any]) -> None:
        if isinstance(items, Lines):
            for part in items._parts:
                self.extend(part)
        elif hasattr(items, "column"):  # a block of columns: kept as it is
            if len(items):
                self._parts.append(items)
        else:
            for line in items:
                self.append(line)

    def __iter__(self) -> Iterator[Any]:
        return itertools.chain.from_iterable(self._parts)

    def __len__(self) -> int:
        return sum(len(part) for part in self._parts)

    def __getitem__(self, index: int) -> Any:  # type: ignore[override]
        if index < 0:
            index += len(self)
        for part in self._parts:
            if 0 <= index < len(part):
                return part[index]
            index -= len(part)
        raise IndexError("line index out of range")


@dataclass
class YearResult:
    lines: Lines = field(default_factory=Lines)
    released: list[Released] = field(default_factory=list)
    envelopes: list[Envelope] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)

    def extend(self, other: YearResult) -> None:
        self.lines.extend(other.lines)
        self.released.extend(other.released)
        self.envelopes.extend(other.envelopes)
        self.warnings.extend(other.warnings)
