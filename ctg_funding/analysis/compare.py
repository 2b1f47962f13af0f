"""Two allocations side by side: amounts of A and B by a key, with the difference B - A."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np

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


def _keys(result: SimulationResult, by: str, cols: dict[str, np.ndarray]) -> tuple[list[str], dict[str, str]]:
    """Each line's key in one view, and each key's label; lookups made once per distinct structure, not per line."""
    structures = result.scenario.structures  # a property that merges two dicts: once per view
    collectivites = result.scenario.dataset.collectivites

    def name_of(cid: str) -> str:
        c = collectivites.get(cid)
        return c.name if c else cid

    sids = cols["structure_id"].tolist()
    if by == "structure":
        return sids, {sid: structures[sid].name for sid in set(sids)}
    if by == "commune":
        keys = [structures[sid].commune_id for sid in sids]
        return keys, {cid: name_of(cid) for cid in set(keys)}
    if by == "manager":  # the manager in force that year (a change of gestionnaire)
        years = cols["year"].tolist()
        of_year = {year: iter(result.managers([sid for sid, y in zip(sids, years, strict=True) if y == year], year))
                   for year in set(years)}  # each year's managers, in the order of its lines
        keys = [next(of_year[year]) for year in years]
        return keys, {mid: name_of(mid) for mid in set(keys)}
    if by in ("family", "line"):
        keys = cols[by].tolist()
        return keys, {k: k for k in set(keys)}
    if by == "year":
        keys = [str(y) for y in cols["year"].tolist()]
        return keys, {k: k for k in set(keys)}
    raise ValueError(f"unknown view {by!r}")


def totals(result: SimulationResult, by: str, years: list[int]) -> dict[str, tuple[str, Decimal]]:
    """Amounts per key of the view, over the years asked (summed in cents, exactly)."""
    cols = result.line_columns(("year", "structure_id", "family", "line", "cents"))
    keep = np.isin(cols["year"], years)
    cols = {name: column[keep] for name, column in cols.items()}
    keys, labels = _keys(result, by, cols)
    cents: dict[str, int] = defaultdict(int)
    for key, c in zip(keys, cols["cents"].tolist(), strict=True):
        cents[key] += c
    return {key: (labels[key], money(c)) for key, c in cents.items()}


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
        "outside_envelope": money(_outside_cents(result, years)),
    }


def _outside_cents(result: SimulationResult, years: list[int]) -> int:
    """What the lines outside the envelope (R5, R8, R9) pay over `years`, in cents."""
    cols = result.line_columns(("year", "line", "cents"))
    keep = np.isin(cols["year"], years) & np.isin(cols["line"], list(OUTSIDE_ENVELOPE_LINES))
    return sum(cols["cents"][keep].tolist())


def compare_views(a: SimulationResult, b: SimulationResult, years: list[int],
                  only_changed: bool = False) -> dict[str, Comparison]:
    """The comparison by every view (structure, commune, manager, family, year, line)."""
    return {v: compare(a, b, v, years, only_changed) for v in VIEWS}
