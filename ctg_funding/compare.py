"""Two allocations side by side: amounts of A and B by a key, with the difference B - A."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from .simulation import SimulationResult

VIEWS = ("structure", "commune", "manager", "family", "year", "line")
ZERO = Decimal("0.00")


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
        return float((self.difference * 100 / self.a).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))


@dataclass
class Comparison:
    a: SimulationResult
    b: SimulationResult
    by: str
    years: list[int]
    rows: list[Row]

    @property
    def total_a(self) -> Decimal:
        return sum((r.a for r in self.rows), ZERO)

    @property
    def total_b(self) -> Decimal:
        return sum((r.b for r in self.rows), ZERO)


def _key(result: SimulationResult, line, by: str) -> tuple[str, str]:
    structures = result.scenario.structures
    s = structures[line.structure_id]
    if by == "structure":
        return s.id, s.name
    if by == "commune":
        commune = result.scenario.dataset.collectivites.get(s.commune_id)
        return s.commune_id, commune.name if commune else s.commune_id
    if by == "manager":
        manager_id = result.structure_years[f"{s.id}|{line.year}"].structure.manager_id
        manager = result.scenario.dataset.collectivites.get(manager_id)
        return manager_id, manager.name if manager else manager_id
    if by == "family":
        return line.family, line.family
    if by == "year":
        return str(line.year), str(line.year)
    if by == "line":
        return line.line, line.line
    raise ValueError(f"unknown view {by!r}")


def totals(result: SimulationResult, by: str, years: list[int]) -> dict[str, tuple[str, Decimal]]:
    sums: dict[str, Decimal] = defaultdict(lambda: ZERO)
    labels: dict[str, str] = {}
    wanted = set(years)
    for line in result.lines:
        if line.year in wanted:
            key, label = _key(result, line, by)
            sums[key] += line.amount
            labels[key] = label
    return {k: (labels[k], v) for k, v in sums.items()}


def compare(a: SimulationResult, b: SimulationResult, by: str, years: list[int],
            only_changed: bool = False) -> Comparison:
    """Every key of either side, sorted by the largest absolute difference, then by key."""
    ta, tb = totals(a, by, years), totals(b, by, years)
    rows = []
    for key in set(ta) | set(tb):
        label = (tb.get(key) or ta.get(key))[0]
        rows.append(Row(key, label, ta.get(key, ("", ZERO))[1], tb.get(key, ("", ZERO))[1]))
    if only_changed:
        rows = [r for r in rows if r.difference]
    rows.sort(key=lambda r: (-abs(r.difference), r.key))
    return Comparison(a=a, b=b, by=by, years=years, rows=rows)


def envelope_totals(result: SimulationResult, years: list[int]) -> dict[str, Decimal]:
    """What a redistribution moves: envelope, allocated and released over the years compared."""
    envs = [e for e in result.envelopes if e.year in set(years)]
    return {
        "envelope": sum((e.envelope for e in envs), ZERO),
        "allocated": sum((e.allocated for e in envs), ZERO),
        "released": sum((e.released for e in envs), ZERO),
        "outside_envelope": sum((ln.amount for ln in result.lines
                                 if ln.year in set(years) and ln.line == "bonus_places_nouvelles"), ZERO),
    }
