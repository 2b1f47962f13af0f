"""Structure-years: what the engine knows of each structure in each year, after the scenario's changes.

A change applies from its date on. Within a year, a structure's state is constant between change dates; the
structure-year adds up, over those stretches, the days it is open and its units times those days (pro rata
temporis). Whether it is supported by a signatory or receives its prestation de service is judged on its open
days: true if true on at least one of them. Each structure belongs to one territory (its CTG).
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..inputs.dataset import Dataset
from ..inputs.model import PostStatus, Structure, Territory
from .file import Change, Scenario


@dataclass(slots=True)  # not frozen: a frozen init costs twice as much, and there are 600,000 at national scale
class StructureYear:
    """One structure in one year, after the scenario's changes.

    `unit_days` is the sum over the days the structure is open of its units that day, so that its units
    pro rata temporis are unit_days / year_days. `units` is its units on its first open day of the year (or on
    1 January if closed all year), which is what thresholds such as a post's minimum ETP test. `territory_id`,
    `ctg_start` and `ctg_end` are its territory, the first day of that territory's first CTG and the last day of
    its last one (its last renewal in the dataset, if any: the renewals follow each other without a gap).
    """

    structure: Structure
    year: int
    open_days: int
    unit_days: Decimal
    units: Decimal
    in_territory: bool
    signatory_support: bool
    ps_funded: bool
    has_cej: bool
    territory_id: str
    ctg_start: dt.date
    ctg_end: dt.date

    # Derived once at creation: at national scale they are read millions of times.
    id: str = field(init=False, repr=False, compare=False)
    year_days: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.id = f"{self.structure.id}|{self.year}"
        self.year_days = 366 if calendar.isleap(self.year) else 365


def _apply(structure: Structure, change: Change) -> Structure:
    if change.close:
        return structure.model_copy(update={"closed": change.on})
    if change.units is not None:
        return structure.model_copy(update={"units": change.units})
    if change.supported_by is not None:
        return structure.model_copy(update={"supported_by": tuple(change.supported_by)})
    if change.convert_to:
        return structure.model_copy(update={"post_status": PostStatus.CHARGE_COOPERATION,
                                            "converted_on": change.on})
    if change.ps_funded is not None:
        return structure.model_copy(update={"ps_funded": change.ps_funded})
    if change.manager is not None:
        return structure.model_copy(update={"manager_id": change.manager})
    return structure


def _units_overrides(scenario: Scenario) -> dict[tuple[str, int], Decimal]:
    return {(a.structure_id, a.year): a.units for a in scenario.dataset.activity}


@dataclass
class _Context:
    """What every structure-year of a scenario is read against, gathered once."""

    territory: set[str]  # the communes of some CTG of the dataset
    territories: dict[str, Territory]
    territory_of: dict[str, str]
    activity: dict[tuple[str, int], Decimal]
    by_structure: dict[str, list[Change]]
    first_cej: dict[str, int]
    signatories: set[str]

    def where(self, sid: str) -> dict[str, Any]:
        tid = self.territory_of[sid]
        own = self.territories[tid]
        return {"territory_id": tid, "ctg_start": own.start, "ctg_end": own.periods[-1].end}


def _context(scenario: Scenario) -> _Context:
    ds = scenario.dataset
    by_structure: dict[str, list[Change]] = {}
    for change in scenario.changes:
        if change.open is None:
            by_structure.setdefault(change.structure, []).append(change)
    cej_years: dict[str, list[int]] = {}
    for action in ds.cej:
        cej_years.setdefault(action.structure_id, []).append(action.last_year)
    return _Context(territory={c for t in ds.territories for c in t.communes},
                    territories={t.id: t for t in ds.territories}, territory_of=scenario.territory_of,
                    activity=_units_overrides(scenario), by_structure=by_structure,
                    first_cej={sid: min(ys) for sid, ys in cej_years.items()},
                    signatories={cid for cid, c in ds.collectivites.items() if c.signatory})


def structure_years(scenario: Scenario, years: list[int] | None = None,
                    only: set[str] | None = None) -> list[StructureYear]:
    """Every structure of the scenario (or those in `only`) in every year asked, in id order then year order."""
    ds = scenario.dataset
    ctx = _context(scenario)
    out: list[StructureYear] = []
    structures = scenario.structures  # a property that merges two dicts: once, not once per structure
    year_list = years or scenario.year_list
    for sid in sorted(structures if only is None else only & structures.keys()):
        base = structures[sid]
        changes = ctx.by_structure.get(sid, [])
        where = ctx.where(sid)
        cej_from = ctx.first_cej.get(sid)
        if not changes:  # the common case: one state all along, so each year is a few date subtractions
            out.extend(_steady_years(base, year_list, ctx.territory, ctx.signatories, ctx.activity, cej_from,
                                     where))
            continue
        for year in year_list:
            out.append(_structure_year(base, changes, year, ctx.territory, ds, ctx.activity.get((sid, year)),
                                       cej_from is not None and cej_from < year, where))
    return out


def first_days(scenario: Scenario, years: list[int], only: set[str] | None = None) -> list[StructureYear]:
    """Each structure (or those in `only`) as it stands on 1 January of each year asked: a structure-year of one
    day (open_days 1 or 0, its units that day; support and prestation de service judged on that day), for rules
    that count what is there on a date (R9's places on 1 January). Keyed like the structure-years of its year."""
    ds = scenario.dataset
    ctx = _context(scenario)
    structures = scenario.structures
    out: list[StructureYear] = []
    for sid in sorted(structures if only is None else only & structures.keys()):
        base, changes, where = structures[sid], ctx.by_structure.get(sid, []), ctx.where(sid)
        cej_from = ctx.first_cej.get(sid)
        for year in years:
            day, has_cej = dt.date(year, 1, 1), cej_from is not None and cej_from < year
            if changes:
                out.append(_structure_year(base, changes, year, ctx.territory, ds, ctx.activity.get((sid, year)),
                                           has_cej, where, (day, day + dt.timedelta(days=1))))
            else:
                out.append(_steady_day(base, day, ctx, has_cej, where))
    return out


def _steady_day(base: Structure, day: dt.date, ctx: _Context, has_cej: bool, where: dict[str, Any]) -> StructureYear:
    """A structure no change touches, on one day (same result as _structure_year over that day)."""
    is_open = base.opened <= day and (base.closed is None or day < base.closed)
    units = ctx.activity.get((base.id, day.year), base.units)
    return StructureYear(structure=base, year=day.year, open_days=int(is_open),
                         unit_days=units if is_open else Decimal(0), units=units,
                         in_territory=base.commune_id in ctx.territory,
                         signatory_support=any(c in ctx.signatories for c in base.supported_by),
                         ps_funded=base.ps_funded, has_cej=has_cej, **where)


@functools.lru_cache(maxsize=64)
def _bounds(years: tuple[int, ...]) -> tuple[tuple[int, dt.date, dt.date], ...]:
    """Each year with its first day and the first day of the next (asked once per structure)."""
    return tuple((y, dt.date(y, 1, 1), dt.date(y + 1, 1, 1)) for y in years)


def _steady_years(base: Structure, years: list[int], territory: set[str], signatories: set[str],
                  activity: dict[tuple[str, int], Decimal], cej_from: int | None,
                  where: dict[str, Any]) -> list[StructureYear]:
    """Structure-years of a structure that no scenario change touches (same result as _structure_year)."""
    supported = any(c in signatories for c in base.supported_by)
    in_territory = base.commune_id in territory
    out = []
    for year, start, end in _bounds(tuple(years)):
        lo = max(start, base.opened)
        hi = min(end, base.closed) if base.closed else end
        days = max((hi - lo).days, 0)
        units = activity.get((base.id, year), base.units)
        out.append(StructureYear(structure=base, year=year, open_days=days, unit_days=units * days, units=units,
                                 in_territory=in_territory, signatory_support=supported, ps_funded=base.ps_funded,
                                 has_cej=cej_from is not None and cej_from < year, **where))
    return out


def _structure_year(base: Structure, changes: list[Change], year: int, territory: set[str], ds: Dataset,
                    activity_units: Decimal | None, has_cej: bool, where: dict[str, Any],
                    span: tuple[dt.date, dt.date] | None = None) -> StructureYear:
    """The structure over `year` (or over the days `span` of that year: first day, day after the last)."""
    start, end = span or (dt.date(year, 1, 1), dt.date(year + 1, 1, 1))
    cuts = sorted({start, end, *(c.on for c in changes if start < c.on < end)})
    # The dataset's yearly units (activity.csv) hold until a scenario change sets the units.
    state, units_changed = base, False
    for change in changes:
        if change.on <= start:
            state = _apply(state, change)
            units_changed = units_changed or change.units is not None
    pending = [c for c in changes if start < c.on < end]
    open_days = 0
    unit_days = Decimal(0)
    first_units: Decimal | None = None
    supported = ps = False
    # For a structure open on no day of the year, support and PS are judged on its state during the year, so
    # that its reason is CLOSED rather than a consequence of having no open day.
    supported_any = ps_any = False
    for a, b in zip(cuts, cuts[1:], strict=False):
        for change in pending:
            if change.on == a:
                state = _apply(state, change)
                units_changed = units_changed or change.units is not None
        lo = max(a, state.opened)
        hi = min(b, state.closed) if state.closed else b
        days = max((hi - lo).days, 0)
        units = state.units if units_changed or activity_units is None else activity_units
        signatory = any(ds.collectivites[c].signatory for c in state.supported_by)
        supported_any, ps_any = supported_any or signatory, ps_any or state.ps_funded
        if days:
            open_days += days
            unit_days += units * days
            if first_units is None:
                first_units = units
            supported = supported or signatory
            ps = ps or state.ps_funded
    if not open_days:
        supported, ps = supported_any, ps_any
    if first_units is None:
        first_units = state.units if units_changed or activity_units is None else activity_units
    return StructureYear(structure=state, year=year, open_days=open_days, unit_days=unit_days,
                         units=first_units, in_territory=state.commune_id in territory,
                         signatory_support=supported, ps_funded=ps, has_cej=has_cej, **where)
