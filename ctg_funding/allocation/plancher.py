"""R8: the national floor per hour of the accueils de loisirs, on its own line, outside the envelope.

From 2023 every eligible ALSH receives at least `alsh.floor_per_hour` times its attendance hours of the year (pro
rata temporis). What its bonus territoire (its envelope line, as rounded and paid) falls short of that is paid on
the `plancher_alsh` line: national money, rounded to the cent on its own, taken from no other structure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar

from ..money import ZERO, round_cents
from ..rulebook import required
from .policy import NO_SHARE_ZERO_WEIGHT
from .results import Line

LINE = "plancher_alsh"


@dataclass(slots=True)
class PlancherLine(Line):
    """A line of R8, with what decided it: the floor per hour, the floor times the hours, the bonus territoire."""

    floor: Fraction = Fraction(0)  # EUR per hour (the line's rate)
    target: Fraction = Fraction(0)  # floor x hours (pro rata temporis)
    bonus: Decimal = ZERO  # its bonus territoire that year, as rounded and paid

    PARAMETERS: ClassVar[tuple[str, ...]] = (required.ALSH_FLOOR,)

    def parameters(self) -> tuple[str, ...]:
        return self.PARAMETERS


def below_floor(floor_num: Any, floor_den: Any, cents: Any, units_num: Any, units_den: Any) -> Any:
    """Whether a bonus of `cents` is under the floor (floor_num / floor_den EUR per hour) times its hours
    (units_num / units_den), in integers: one line's figures, or arrays of them (most lines are at or above
    the floor at national scale, and are not read one by one)."""
    return floor_num * 100 * units_num > cents * floor_den * units_den


def plancher_lines(year: int, lines: Iterable[Any], evaluations: Mapping[str, Any],
                   floor_of: Callable[[str], Fraction | None]) -> list[PlancherLine]:
    """One line per eligible structure R8 applies to whose bonus territoire is below the floor times its hours.
    `lines` are the year's envelope lines; `floor_of(structure id)` the floor in force in its territory. An ALSH
    that the rules find eligible but the scenario's weight leaves without a share (ZERO_WEIGHT) is still eligible
    to the national floor."""
    out: list[PlancherLine] = []
    for ln in lines:
        if not ln.eligible and ln.reason != NO_SHARE_ZERO_WEIGHT:
            continue
        floor = floor_of(ln.structure_id)
        if not floor or not below_floor(floor.numerator, floor.denominator, ln.cents, ln.units_num, ln.units_den):
            continue
        ev = evaluations[f"{ln.structure_id}|{year}"]
        if required.PLANCHER_ALSH not in ev.formulas:
            continue
        hours = ln.units
        target = floor * hours
        exact = target - Fraction(ln.amount)
        if exact <= 0 or not (amount := round_cents(exact)):
            continue
        share = ln.share
        rules = [required.PLANCHER_ALSH, ev.classify_rule, *([required.PRO_RATA_TEMPORIS] if share < 1 else [])]
        out.append(PlancherLine(year=year, structure_id=ln.structure_id, family=ln.family, line=LINE,
                                unit=ln.unit, units=hours, eligible=True, reason=None, rules=rules,
                                method="plancher_alsh", share=share, rate=floor, base=exact, exact=exact,
                                amount=amount, floor=floor, target=target, bonus=ln.amount))
    return out
