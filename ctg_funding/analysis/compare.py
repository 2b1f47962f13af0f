"""Two allocations side by side: amounts of A and B by a key, with the difference B - A."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from ..inputs.model import OUTSIDE_ENVELOPE_LINES
from ..money import CENT, ZERO, money
from ..simulation import SimulationResult

VIEWS = ("structure", "commune", "manager", "family", "year", "line")


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    a: Decimal
    b: Decimal

    @property
    def difference(self) -> Decimal:
        return self.b - self.a

    @property
    def difference_pct(self) -> float | None:
        """B - A as a percentage of A (None where A is zero)."""
        if not self.a:
            return None
        return float((self.difference * 100 / self.a).quantize(CENT, rounding=ROUND_HALF_EVEN))


@dataclass
class Comparison:
    a: SimulationResult
    b: SimulationResult
    by: str
    years: list[int]
    rows: list[Row]  # the rows shown (all of them, or those that changed)
    total_a: Decimal  # over every row, shown or not
    total_b: Decimal
    hidden: int = 0  # rows left out by only_changed (no difference)


def _keyer(result: SimulationResult, by: str):
    """A function line -> (key, label) for one view; lookups are read once, not once per line."""
    structures = result.scenario.structures  # a property that merges two dicts: once per view
    collectivites = result.scenario.dataset.collectivites

    def name_of(cid: str) -> str:
        c = collectivites.get(cid)
        return c.name if c else cid

    if by == "structure":
        return lambda line: (line.structure_id, structures[line.structure_id].name)
    if by == "commune":
        communes = {sid: (s.commune_id, name_of(s.commune_id)) for sid, s in structures.items()}
        return lambda line: communes[line.structure_id]
    if by == "manager":
        def manager(line) -> tuple[str, str]:  # the manager in force that year (a change of gestionnaire)
            mid = result.managers([line.structure_id], line.year)[0]
            return mid, name_of(mid)
        return manager
    if by == "family":
        return lambda line: (line.family, line.family)
    if by == "year":
        return lambda line: (str(line.year), str(line.year))
    if by == "line":
        return lambda line: (line.line, line.line)
    raise ValueError(f"unknown view {by!r}")


def totals(result: SimulationResult, by: str, years: list[int]) -> dict[str, tuple[str, Decimal]]:
    """Amounts per key of the view, over the years asked (summed in cents, exactly)."""
    cents: dict[tuple[str, str], int] = defaultdict(int)
    wanted = set(years)
    key_of = _keyer(result, by)
    for line in result.lines:
        if line.year in wanted:
            cents[key_of(line)] += int(line.amount * 100)
    return {key: (label, money(c)) for (key, label), c in cents.items()}


def compare(a: SimulationResult, b: SimulationResult, by: str, years: list[int],
            only_changed: bool = False) -> Comparison:
    """Every key of either side (or only those that changed), sorted by the largest absolute difference, then by
    key (by year: in year order); the totals are over every key."""
    ta, tb = totals(a, by, years), totals(b, by, years)
    rows = []
    for key in set(ta) | set(tb):
        label = (tb.get(key) or ta.get(key))[0]
        rows.append(Row(key, label, ta.get(key, ("", ZERO))[1], tb.get(key, ("", ZERO))[1]))
    total_a, total_b = sum((r.a for r in rows), ZERO), sum((r.b for r in rows), ZERO)
    shown = [r for r in rows if r.difference] if only_changed else rows
    if by == "year":
        shown.sort(key=lambda r: r.key)
    else:
        shown.sort(key=lambda r: (-abs(r.difference), r.key))
    return Comparison(a=a, b=b, by=by, years=years, rows=shown, total_a=total_a, total_b=total_b,
                      hidden=len(rows) - len(shown))


def envelope_totals(result: SimulationResult, years: list[int]) -> dict[str, Decimal]:
    """What a redistribution moves: envelope, allocated and released over the years compared."""
    envs = [e for e in result.envelopes if e.year in set(years)]
    return {
        "envelope": sum((e.envelope for e in envs), ZERO),
        "allocated": sum((e.allocated for e in envs), ZERO),
        "released": sum((e.released for e in envs), ZERO),
        "outside_envelope": sum((ln.amount for ln in result.lines
                                 if ln.year in set(years) and ln.line in OUTSIDE_ENVELOPE_LINES), ZERO),
    }


def compare_views(a: SimulationResult, b: SimulationResult, years: list[int],
                  only_changed: bool = False) -> dict[str, Comparison]:
    """The comparison by every view (structure, commune, manager, family, year, line)."""
    return {v: compare(a, b, v, years, only_changed) for v in VIEWS}
