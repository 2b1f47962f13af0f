"""Structure-years as columns: the rows of `structure_years`, built as NumPy arrays rather than 600,000 objects.

A structure no scenario change touches (the common case) has one state all along: its rows are per-structure
values broadcast against the years, with its open days and unit-days computed as day numbers. The rare structures
that a change touches are built by the object code (`_structure_year`), whose values are then written into the
arrays. A row's `StructureYear` object is made only when asked (the engine asks for a few at national scale), by
the same code that `structure_years` runs, so that the objects are those of the reference path.

Unit-days (units x days) are Decimals; the frame holds them exactly as integers, unit_days x `scale`, where
`scale` is the power of ten that the units with the most decimal places need: int64 while every row's is below
LIMIT, else Python ints.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Iterator, Sequence
from decimal import Decimal
from itertools import repeat
from operator import attrgetter
from typing import Any

import numpy as np

from ..rulebook.facts import EPOCH, FIELD_BY_NAME, NEVER, day_number
from .file import Scenario
from .structure_years import StructureYear, _context, _steady_day, _steady_years, _structure_year

LIMIT = 2**62  # unit-days x scale below this (every row) are kept as int64: room to add a few without overflow
NO_CEJ = np.iinfo(np.int64).max  # the first CEJ year of a structure with none: after every year
_EPOCH_ORDINAL = EPOCH.toordinal()

# What the frame reads of each Structure, in one call per structure.
_ATTRIBUTES = attrgetter("type", "commune_id", "manager_id", "supported_by", "ps_funded", "post_status",
                         "converted_on", "opened", "closed", "units")


def _places(value: Decimal) -> int:
    """How many decimal places a Decimal is written with (0 for an integer, even 1E+1)."""
    return max(-int(value.as_tuple().exponent), 0)


def _scaled(value: Decimal, power: int) -> int:
    """value x 10**power as an integer (in Decimal's context, as structure_years computes unit-days); AssertionError
    if it is not whole."""
    shifted = value.scaleb(power)
    assert shifted == shifted.to_integral_value(), (value, power)
    return int(shifted)


def _day_numbers(dates: Sequence[dt.date | None]) -> np.ndarray:
    """day_number of each date (NEVER for None), without a function call per date."""
    return np.array([NEVER if d is None else d.toordinal() - _EPOCH_ORDINAL for d in dates], dtype=np.int64)


def _narrowed(values: np.ndarray) -> np.ndarray:
    """Python ints as int64 when every one is below LIMIT, else as they are."""
    if values.dtype == object and (len(values) == 0 or values.max() < LIMIT):
        return values.astype(np.int64)
    return values


def _column_array(values: Sequence[Any], dtype: Any) -> np.ndarray:
    """Python values as one array (one dimension even when the values are themselves sequences)."""
    out = np.empty(len(values), dtype=dtype)
    out[:] = values
    return out


class _Grid:
    """Every selected structure in every year asked: row s * len(years) + y is structure s in years[y].

    Holds the per-structure values, the rows built by objects (structures a change touches), the columns once
    computed and the objects once made; the frames over it (the whole grid, or rows of it) share them.
    """

    def __init__(self, scenario: Scenario, years: list[int], only: set[str] | None, day: bool = False) -> None:
        self.scenario = scenario
        self.years = list(years)
        self.day = day  # rows of 1 January only (first_days), not of whole years
        structures = scenario.structures
        self.sids = sorted(structures if only is None else only & structures.keys())
        self.bases = [structures[sid] for sid in self.sids]
        self.ctx = _context(scenario)
        n_s, n_y = len(self.sids), len(years)
        self.n_years = n_y
        self.sidx = np.repeat(np.arange(n_s), n_y)
        self.ypos = np.tile(np.arange(n_y), n_s)
        self.index = {sid: s for s, sid in enumerate(self.sids)}  # structure id -> its position
        positions: dict[int, list[int]] = {}  # year -> its positions in `years` (one, unless asked twice)
        for y, year in enumerate(years):
            positions.setdefault(year, []).append(y)
        self.positions = {str(year): ys for year, ys in positions.items()}  # keyed as in a structure-year's id

        # Per year: its first day and the first day of the next, as day numbers.
        self.first_day = np.array([day_number(dt.date(y, 1, 1)) for y in years], dtype=np.int64)
        self.next_day = np.array([day_number(dt.date(y + 1, 1, 1)) for y in years], dtype=np.int64)
        self.year_arr = np.array(years, dtype=np.int64)
        self.span_end = self.first_day + 1 if day else self.next_day  # the day after the span the rows cover

        opened, closed, units = self._read_structures()
        # The yearly units of activity.csv that fall on the grid: (structure, year position, units).
        activity = [(self.index[sid], y, u) for (sid, year), u in self.ctx.activity.items() if sid in self.index
                    for y in positions.get(year, [])]
        self.act_s = np.array([a[0] for a in activity], dtype=np.intp)
        self.act_y = np.array([a[1] for a in activity], dtype=np.intp)
        self.act_units = [a[2] for a in activity]
        changed = sorted(self.index[sid] for sid in self.ctx.by_structure if sid in self.index)
        units_used = {*units, *self.act_units}
        units_used |= {c.units for s in changed for c in self.ctx.by_structure[self.sids[s]] if c.units is not None}
        power = max(map(_places, units_used), default=0)
        self.scale = 10**power
        self._steady_rows(opened, closed, units, {u: int(u.scaleb(power)) for u in units_used})
        self._changed_rows(changed, power)
        self.columns: dict[str, np.ndarray] = {}
        self._ids: np.ndarray | None = None

    def _read_structures(self) -> tuple[np.ndarray, np.ndarray, Sequence[Decimal]]:
        """The per-structure values (the fact fields that depend on the structure alone), each attribute of every
        Structure read in one pass; return the opening and closing days and the units the rows are computed from."""
        ctx, sids = self.ctx, self.sids
        (types, communes, managers, supporters, ps_funded, statuses, converted, opened, closed,
         units) = zip(*map(_ATTRIBUTES, self.bases), strict=True) if self.bases else ((),) * 10
        self.sid_arr = _column_array(sids, object)
        tids = list(map(ctx.territory_of.__getitem__, sids))
        self.territory_id = _column_array(tids, object)[self.sidx]
        ctg = {tid: (day_number(t.start), day_number(t.periods[-1].end)) for tid, t in ctx.territories.items()}
        self.per_structure: dict[str, np.ndarray] = {
            "type": _column_array(types, object),
            "commune_id": _column_array(communes, object),
            "manager_id": _column_array(managers, object),
            "in_territory": np.array(list(map(ctx.territory.__contains__, communes)), dtype=bool),
            "signatory_support": ~np.array(list(map(ctx.signatories.isdisjoint, supporters)), dtype=bool),
            "ps_funded": np.array(ps_funded, dtype=bool),
            "post_status": _column_array([status.value if status else "" for status in statuses], object),
            "converted_on_day": _day_numbers(converted),
            "ctg_start_day": np.array([ctg[tid][0] for tid in tids], dtype=np.int64),
            "ctg_end_day": np.array([ctg[tid][1] for tid in tids], dtype=np.int64),
        }
        self.cej_from = np.array(list(map(ctx.first_cej.get, sids, repeat(NO_CEJ))), dtype=np.int64)
        return _day_numbers(opened), _day_numbers(closed), units  # closed: NEVER when not closed

    def _steady_rows(self, opened: np.ndarray, closed: np.ndarray, units: Sequence[Decimal],
                     scaled: dict[Decimal, int]) -> None:
        """Every row's open days and unit-days x scale as if no change touched its structure."""
        # Open days: max(min(next year's first day, closed) - max(year's first day, opened), 0).
        hi = np.minimum(self.span_end[None, :], closed[:, None])
        lo = np.maximum(self.first_day[None, :], opened[:, None])
        open_grid = np.maximum(hi - lo, 0)
        # Units x scale: int64 when no product with a year's days can reach LIMIT, else Python ints (and int64
        # again in each frame whose values all fit: _narrowed).
        fits = max(scaled.values(), default=0) * 366 < LIMIT
        kind = np.int64 if fits else object
        units_grid = np.repeat(_column_array(list(map(scaled.__getitem__, units)), kind)[:, None], self.n_years,
                               axis=1)
        units_grid[self.act_s, self.act_y] = _column_array([scaled[u] for u in self.act_units], kind)
        self.open_days = open_grid.ravel()
        self.unit_days = (units_grid * open_grid).ravel()
        self.units = units_grid.ravel()  # a structure-year's `units` x scale (what weight expressions read)

    def _changed_rows(self, changed: list[int], power: int) -> None:
        """The rows of the structures a change touches, built by objects: their values written over the steady
        ones, the objects kept for __getitem__ and the columns."""
        ctx, ds, n_y = self.ctx, self.scenario.dataset, self.n_years
        self.objects: dict[int, StructureYear] = {}
        for s in changed:
            sid, base = self.sids[s], self.bases[s]
            changes, where, cej_from = ctx.by_structure[sid], ctx.where(sid), ctx.first_cej.get(sid)
            for y, year in enumerate(self.years):
                first = dt.date(year, 1, 1)
                sy = _structure_year(base, changes, year, ctx.territory, ds, ctx.activity.get((sid, year)),
                                     cej_from is not None and cej_from < year, where,
                                     (first, first + dt.timedelta(days=1)) if self.day else None)
                row = s * n_y + y
                self.objects[row] = sy
                self.open_days[row] = sy.open_days
                self.unit_days[row] = _scaled(sy.unit_days, power)
                self.units[row] = _scaled(sy.units, power)
        self.changed_rows = sorted(self.objects)

    def structure_year(self, row: int) -> StructureYear:
        """The object of a row (made by the code structure_years runs, then kept)."""
        sy = self.objects.get(row)
        if sy is None:
            ctx, s, year = self.ctx, int(self.sidx[row]), int(self.year_arr[self.ypos[row]])
            sid = self.sids[s]
            cej_from = ctx.first_cej.get(sid)
            if self.day:
                sy = _steady_day(self.bases[s], dt.date(year, 1, 1), ctx, cej_from is not None and cej_from < year,
                                 ctx.where(sid))
            else:
                sy = _steady_years(self.bases[s], [year], ctx.territory, ctx.signatories, ctx.activity, cej_from,
                                   ctx.where(sid))[0]
            self.objects[row] = sy
        return sy

    def structures(self, rows: np.ndarray) -> list[Any]:
        """The Structure of each of the grid's `rows` (a structure-year's `structure`), without making the rows'
        objects: a change-touched row's object's, else the structure as the dataset gives it."""
        objects, bases, sidx = self.objects, self.bases, self.sidx
        return [objects[row].structure if row in objects else bases[sidx[row]] for row in rows.tolist()]

    def ids(self) -> np.ndarray:
        if self._ids is None:
            grid = np.empty((len(self.sids), self.n_years), dtype=object)
            for y, year in enumerate(self.years):
                grid[:, y] = self.sid_arr + f"|{year}"
            self._ids = grid.ravel()
        return self._ids

    def column(self, name: str) -> np.ndarray:
        col = self.columns.get(name)
        if col is None:
            col = self.columns[name] = self._column(name)
        return col

    def _column(self, name: str) -> np.ndarray:
        spec = FIELD_BY_NAME[name]  # KeyError for a name that is no fact field
        if name in self.per_structure:
            col = self.per_structure[name][self.sidx]
        else:
            col = getattr(self, "_" + name)()
        if self.changed_rows:  # the rows a change touches: what their objects say
            objects = [self.objects[row] for row in self.changed_rows]
            col[self.changed_rows] = _column_array([spec.read(sy) for sy in objects], col.dtype)
        return col

    # The other fact fields' columns before the rows a change touches are written over (each a new array).

    def _id(self) -> np.ndarray:
        return self.ids().copy()

    def _structure_id(self) -> np.ndarray:
        return self.sid_arr[self.sidx]

    def _year(self) -> np.ndarray:
        return self.year_arr[self.ypos]

    def _open_days(self) -> np.ndarray:
        return self.open_days.copy()

    def _year_days(self) -> np.ndarray:
        return (self.next_day - self.first_day)[self.ypos]

    def _year_first_day(self) -> np.ndarray:
        return self.first_day[self.ypos]

    def _year_last_day(self) -> np.ndarray:
        return (self.next_day - 1)[self.ypos]

    def _units(self) -> np.ndarray:
        grid = np.repeat(np.array([float(s.units) for s in self.bases], dtype=np.float64)[:, None], self.n_years,
                         axis=1)
        grid[self.act_s, self.act_y] = [float(u) for u in self.act_units]
        return grid.ravel()

    def _has_cej(self) -> np.ndarray:
        return (self.cej_from[:, None] < self.year_arr[None, :]).ravel()


class YearFrame(Sequence[StructureYear]):
    """The structure-years of a scenario as columns (see year_frame); a sequence of StructureYear made on demand.

    Arrays are shared with the frame's cache: read them, do not write to them.
    """

    scenario: Scenario
    years: list[int]
    scale: int
    structure_id: np.ndarray
    year: np.ndarray
    territory_id: np.ndarray
    open_days: np.ndarray
    year_days: np.ndarray
    unit_days: np.ndarray

    def __init__(self, grid: _Grid, rows: np.ndarray | None) -> None:
        """The rows of `grid` (None: all of them, in grid order). Use year_frame() or take()."""
        self._grid, self._rows = grid, rows
        self._columns: dict[str, np.ndarray] = {}  # of a frame of some rows (the grid keeps those of all rows)
        self._index: tuple[np.ndarray, np.ndarray] | None = None  # made by row_of: the grid rows here, sorted,
        # and the first row here of each
        self.scenario, self.years, self.scale = grid.scenario, grid.years, grid.scale
        self.structure_id = self.column("structure_id")
        self.year = self.column("year")
        self.territory_id = self._pick(grid.territory_id)
        self.open_days = self.column("open_days")
        self.year_days = self.column("year_days")
        self.unit_days = _narrowed(self._pick(grid.unit_days))

    def _pick(self, whole: np.ndarray) -> np.ndarray:
        return whole if self._rows is None else whole[self._rows]

    def __len__(self) -> int:
        return len(self.year)

    def __getitem__(self, i: int) -> StructureYear:  # type: ignore[override]
        n = len(self)
        i = operator.index(i)
        if not -n <= i < n:
            raise IndexError(i)
        row = i % n
        return self._grid.structure_year(row if self._rows is None else int(self._rows[row]))

    def __iter__(self) -> Iterator[StructureYear]:
        return (self[i] for i in range(len(self)))

    def column(self, name: str) -> np.ndarray:
        """The fact field `name` (rulebook.facts.FIELDS) of every row, as fact_columns gives it."""
        if self._rows is None:
            return self._grid.column(name)
        col = self._columns.get(name)
        if col is None:
            col = self._columns[name] = self._grid.column(name)[self._rows]
        return col

    def units_scaled(self, rows: np.ndarray) -> np.ndarray:
        """Each of `rows`' `units` (StructureYear.units: on its first open day) x scale, exact integers."""
        return self._pick(self._grid.units)[rows]

    def structures(self, rows: np.ndarray) -> list[Any]:
        """Each of `rows`' Structure (StructureYear.structure), as the objects would give it."""
        return self._grid.structures(rows if self._rows is None else self._rows[rows])

    def ids(self) -> np.ndarray:
        """Each row's "structure_id|year" (StructureYear.id)."""
        return self._pick(self._grid.ids())

    def row_of(self, key: str) -> int:
        """The row of a "structure_id|year" key (the first, were rows repeated); KeyError if none."""
        grid = self._grid
        if self._index is None:
            self._index = np.unique(np.arange(len(grid.sidx)) if self._rows is None else self._rows,
                                    return_index=True)
        present, first = self._index
        sid, _bar, year = key.rpartition("|")
        s = grid.index.get(sid)
        grid_rows = [] if s is None else [s * grid.n_years + y for y in grid.positions.get(year, [])]
        at = np.searchsorted(present, grid_rows)
        found = [int(first[p]) for i, p in enumerate(at.tolist()) if p < len(present) and present[p] == grid_rows[i]]
        if not found:
            raise KeyError(key)
        return min(found)

    def take(self, rows: np.ndarray) -> YearFrame:
        """A frame of the given rows of this one, in that order (columns sliced, objects still made on demand)."""
        base = np.arange(len(self)) if self._rows is None else self._rows
        return YearFrame(self._grid, base[rows])


def year_frame(scenario: Scenario, years: list[int] | None = None, only: set[str] | None = None) -> YearFrame:
    """The rows of structure_years(scenario, years, only), in the same order (structure id, then year), as columns."""
    return YearFrame(_Grid(scenario, years or scenario.year_list, only), None)


def day_frame(scenario: Scenario, years: list[int], only: set[str] | None = None) -> YearFrame:
    """The rows of first_days(scenario, years, only): each structure as it stands on 1 January of each year (a
    structure-year of one day: open days 1 or 0, unit-days its units that day), as columns."""
    return YearFrame(_Grid(scenario, years, only, day=True), None)
