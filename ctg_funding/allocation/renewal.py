"""R7, the CTG after the first one: which CTG each year of a territory belongs to, where its N-1 amounts come
from, the order in which years must be allocated, and each structure-year's N-1 amount, for both allocators.

A territory's CTGs follow one another (`Scenario.ctg_periods`); a year belongs to the CTG in force on its
1 January (the years before the first CTG, to the first). In the first CTG a structure's N-1 amount is its CEJ
amount (R1). In a renewed CTG, under `renewal.envelope_base: paid_last_year`, it is what the structure was
allocated on its envelope line in the last year of the previous CTG (the *base year*), so that each family's
envelope is what the family was allocated that year; under `first_envelope` it stays the CEJ amount. Which base a
territory-year has is decided by `policy.envelope_base`.

A year that renews another must be allocated after it: the territory-years go in rounds (`rounds`), the first
from the CEJ, each next one from the results of the rounds before it (`allocated_cents`, `n1_cents`). Both
allocators take their N-1 amounts from `n1_cents`, so they start from the same figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from ..engine.facts import territory_years
from ..inputs.model import ENVELOPE_LINES, Period

Key = tuple[str, int]  # territory id, year


@dataclass(frozen=True)
class Base:
    """Where a territory-year's N-1 amounts, and so its envelopes, come from."""

    period: int  # the CTG the year belongs to: 0 the first, 1 its first renewal, ...
    year: int | None  # the base year whose allocation it renews (R7); None: the CEJ (R1)


FIRST = Base(0, None)


def period_index(periods: Sequence[Period], year: int) -> int:
    """The CTG a year belongs to: the last one begun by its 1 January (the first, for years before it)."""
    first_day = dt.date(year, 1, 1)
    index = 0
    for i, period in enumerate(periods):
        if period.start <= first_day:
            index = i
    return index


def plan(territories: Iterable[str], years: Iterable[int], base_of: Callable[[str, int], Base]) -> dict[Key, Base]:
    """The base of every territory-year to allocate: the years asked, and every base year they need (a renewal
    needs its base year allocated, which may need its own), for every territory."""
    territories = list(territories)
    todo, bases = set(years), {}
    while todo:
        year = todo.pop()
        for tid in territories:
            base = bases[(tid, year)] = base_of(tid, year)
            if base.year is not None and (tid, base.year) not in bases:
                todo.add(base.year)
    return bases


def rounds(bases: Mapping[Key, Base]) -> list[set[Key]]:
    """The territory-years in the order they can be allocated: first those from the CEJ, then each renewal after
    the round that holds its base year."""
    depth: dict[Key, int] = {}

    def of(key: Key) -> int:
        if key not in depth:
            base = bases[key]
            depth[key] = 0 if base.year is None else of((key[0], base.year)) + 1
        return depth[key]

    out: list[set[Key]] = []
    for key in sorted(bases):
        d = of(key)
        out.extend(set() for _ in range(d + 1 - len(out)))
        out[d].add(key)
    return out


def allocated_cents(lines: Iterable[Any]) -> pd.DataFrame:
    """What each structure was allocated on its envelope line in a year, in cents: a table of (sid, year, cents).
    The amounts released to the Caf are in no line, so they are not carried into a renewal."""
    parts = lines.parts() if hasattr(lines, "parts") else [lines]
    tables = []
    for part in parts:
        if hasattr(part, "column"):  # a block of lines held as columns (allocation/vector.py)
            keep = pd.Index(part.column("line")).isin(list(ENVELOPE_LINES))
            tables.append(pd.DataFrame({"sid": part.column("structure_id")[keep], "year": part.column("year")[keep],
                                        "cents": part.column("cents")[keep]}))
        else:
            tables.append(pd.DataFrame([(ln.structure_id, ln.year, ln.cents) for ln in part
                                        if ln.line in ENVELOPE_LINES], columns=["sid", "year", "cents"]))
    return pd.concat(tables) if tables else pd.DataFrame(columns=["sid", "year", "cents"])


def n1_cents(structure_ids: Sequence[str], years: Sequence[int], territories: Sequence[str], cej: Sequence[Any],
             bases: Mapping[Key, Base], allocated: pd.DataFrame | None) -> np.ndarray:
    """Each structure-year's N-1 amount in cents (the rows given as columns: structure id, year, territory). From
    the CEJ (R1): its actions that ended before the year. In a renewed CTG from its base year (R7): what it was
    allocated that year (`allocated`: what the base years allocated, `allocated_cents`), 0 if nothing."""
    n = len(structure_ids)
    out = np.zeros(n, dtype=np.int64)
    if not n:
        return out
    rows = pd.DataFrame({"sid": np.asarray(structure_ids, dtype=object), "year": np.asarray(years, dtype=np.int64)})
    keys, pair = territory_years(territories, years)
    # Each territory-year's base year, -1 from the CEJ (renewal.plan gives every one a base: KeyError if not).
    base_years = np.array([-1 if bases[key].year is None else bases[key].year for key in keys], dtype=np.int64)[pair]
    from_cej = np.flatnonzero(base_years < 0)
    if len(from_cej) and cej:
        actions = pd.DataFrame({"sid": [a.structure_id for a in cej], "last_year": [a.last_year for a in cej],
                                "cents": [int(Fraction(a.amount) * 100) for a in cej]})
        frame = rows.iloc[from_cej].assign(index=from_cej)
        merged = frame.merge(actions, on="sid")
        merged = merged[merged["last_year"] < merged["year"]]
        summed = merged.groupby("index")["cents"].sum()
        out[summed.index.to_numpy()] = summed.to_numpy()
    renewed = np.flatnonzero(base_years >= 0)
    if len(renewed) and allocated is not None and len(allocated):
        wanted = pd.DataFrame({"sid": rows["sid"].to_numpy()[renewed], "year": base_years[renewed], "index": renewed})
        got = wanted.merge(allocated.astype({"year": np.int64}), on=["sid", "year"])
        out[got["index"].to_numpy()] = got["cents"].to_numpy()
    return out
