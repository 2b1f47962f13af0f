"""Scenarios: a dataset, a range of years, parameter overrides and dated changes, turned into structure-years.

A change applies from its date on. Within a year, a structure's state is constant between change dates; the
structure-year adds up, over those stretches, the days it is open and its units times those days (pro rata
temporis). Whether it is supported by a signatory or receives its prestation de service is judged on its open
days: true if true on at least one of them.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from . import cells
from .dataset import Checker, Dataset, Schema, Table, _read_structures, load_dataset
from .engine.facts import StructureYear
from .errors import InputError, Problem
from .model import PostStatus, Structure
from .rulebook import Parameter, Rulebook, coerce_value, load_yaml
from .weights import WeightError, parse_weight

ACTIONS = ("close", "open", "units", "supported_by", "convert_to", "ps_funded", "manager")


class Change(BaseModel):
    """One dated event of a scenario; exactly one action per entry."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    on: dt.date
    structure: str
    close: Literal[True] | None = None
    open: dict[str, Any] | None = None
    units: Decimal | None = Field(default=None, ge=0)
    supported_by: list[str] | None = None
    convert_to: Literal["charge_cooperation"] | None = None
    ps_funded: bool | None = None
    manager: str | None = None

    @field_validator("supported_by", mode="before")
    @classmethod
    def _ids(cls, value: Any) -> Any:
        return list(cells.parse_id_list(value)) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_action(self) -> Change:
        given = [a for a in ACTIONS if getattr(self, a) is not None]
        if len(given) != 1:
            raise ValueError(f"each change needs exactly one of {', '.join(ACTIONS)}; got {given or 'none'}")
        return self

    @property
    def action(self) -> str:
        return next(a for a in ACTIONS if getattr(self, a) is not None)


class ScenarioFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    dataset: str
    years: tuple[int, int]
    parameters: dict[str, Any] = Field(default_factory=dict)
    changes: list[Change] = Field(default_factory=list)

    @field_validator("years")
    @classmethod
    def _years(cls, value: tuple[int, int]) -> tuple[int, int]:
        if value[0] > value[1]:
            raise ValueError(f"first year {value[0]} is after last year {value[1]}")
        if value[0] < 2000 or value[1] > 2100:
            raise ValueError("years must lie between 2000 and 2100")
        return value


@dataclass
class Scenario:
    name: str
    path: Path | None
    dataset: Dataset
    years: tuple[int, int]
    rulebook: Rulebook  # with the territory's and the scenario's overrides applied
    changes: list[Change] = field(default_factory=list)
    new_structures: dict[str, Structure] = field(default_factory=dict)
    description: str = ""
    # Multi-territory datasets: the parameters each territory fixes (its pilotage deadline) that the scenario
    # does not override, by territory id.
    territory_params: dict[str, tuple[tuple[str, Any], ...]] = field(default_factory=dict)

    @property
    def year_list(self) -> list[int]:
        return list(range(self.years[0], self.years[1] + 1))

    @functools.cached_property
    def structures(self) -> dict[str, Structure]:
        """The dataset's structures and those the scenario opens (merged once)."""
        return {**self.dataset.structures, **self.new_structures}


def schema_of(rulebook: Rulebook) -> Schema:
    return Schema(types=rulebook.types, post_types=rulebook.post_types)


def weight_fields(dataset: Dataset, new: dict[str, Structure] | None = None) -> set[str]:
    """The names a weight expression may use."""
    names = {"units", "open_days", "year_days", "qpv_zrr", "tranche"}
    for s in [*dataset.structures.values(), *(new or {}).values()]:
        names |= set(s.extra)
    return names


def _override(name: str, raw: Any, base: Parameter, file: str) -> Parameter:
    """A scenario value: a plain value for all dates, or dated values {2027-01-01: x} replacing the rulebook's."""
    where = f"parameters.{name}"
    try:
        if isinstance(raw, dict):
            values = []
            for start, value in raw.items():
                if not isinstance(start, dt.date):
                    raise ValueError(f"dated values need dates as keys, got {start!r}")
                values.append((start, coerce_value(base.type, value, base.choices)))
            values.sort()
        else:
            values = [(dt.date(1900, 1, 1), coerce_value(base.type, raw, base.choices))]
    except ValueError as exc:
        raise InputError([Problem(file, None, where, str(exc))]) from None
    return Parameter(name=name, label=base.label, unit=base.unit, type=base.type,
                     source=type(base.source)(text=f"scenario {file}", status="assumed"),
                     values=tuple(values), file=file, choices=base.choices)


def territory_overrides(dataset: Dataset, rulebook: Rulebook) -> dict[str, Parameter]:
    """Parameters that a dataset's territory.yaml fixes (its pilotage deadline)."""
    base = rulebook.parameters["pilotage.deadline_year"]
    return {"pilotage.deadline_year": Parameter(
        name=base.name, label=base.label, unit=base.unit, type=base.type,
        source=type(base.source)(text=f"territory.yaml of {dataset.territory.id} (pilotage_deadline_year)",
                                 status="seed"),
        values=((dt.date(1900, 1, 1), dataset.territory.pilotage_deadline_year),), file="territory.yaml")}


def load_scenario(path: str | Path, rulebook: Rulebook) -> Scenario:
    """Read a scenario file and its dataset; raise InputError naming the file and entry for any problem."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise InputError([Problem(str(path), None, None, "no such scenario file")])
    data = load_yaml(path.read_text(encoding="utf-8"), name)
    try:
        sf = ScenarioFile.model_validate(data)
    except ValidationError as exc:
        raise InputError([Problem(name, None, ".".join(str(x) for x in e["loc"]) or None, e["msg"])
                          for e in exc.errors()]) from None
    dataset_path = (path.parent / sf.dataset).resolve()
    dataset = load_dataset(dataset_path, schema_of(rulebook))
    return build_scenario(sf, dataset, rulebook, path)


def scenario_for_dataset(dataset: Dataset, rulebook: Rulebook, years: tuple[int, int]) -> Scenario:
    """A scenario with no overrides and no changes: the dataset under the rules as they stand."""
    sf = ScenarioFile(name=f"{dataset.territory.id} (rules as they stand)", dataset=str(dataset.path),
                      years=years)
    return build_scenario(sf, dataset, rulebook, None)


def build_scenario(sf: ScenarioFile, dataset: Dataset, rulebook: Rulebook, path: Path | None) -> Scenario:
    name = path.name if path else "scenario"
    problems: list[Problem] = []
    overrides = territory_overrides(dataset, rulebook)
    for key, raw in sf.parameters.items():
        if key not in rulebook.parameters:
            problems.append(Problem(name, None, f"parameters.{key}", "unknown parameter (see `ctg rules`)"))
            continue
        try:
            overrides[key] = _override(key, raw, rulebook.parameters[key], name)
        except InputError as exc:
            problems.extend(exc.problems)
    new_structures, change_problems = _check_changes(sf, dataset, rulebook, name)
    problems.extend(change_problems)
    rb = rulebook.with_overrides(overrides)
    fields = weight_fields(dataset, new_structures)
    weight_param = rb.param("redistribution.weight")
    for _start, text in weight_param.values:
        try:
            parse_weight(str(text), fields)
        except WeightError as exc:
            problems.append(Problem(name, None, "parameters.redistribution.weight", str(exc)))
    if problems:
        raise InputError(problems)
    changes = sorted(sf.changes, key=lambda c: c.on)  # stable: same-day changes keep the file's order
    territory_params = {}
    if len(dataset.territories) > 1 and "pilotage.deadline_year" not in sf.parameters:
        territory_params = {t.id: (("pilotage.deadline_year", t.pilotage_deadline_year),)
                            for t in dataset.territories}
    return Scenario(name=sf.name, path=path, dataset=dataset, years=sf.years, rulebook=rb, changes=changes,
                    new_structures=new_structures, description=sf.description, territory_params=territory_params)


def _check_changes(sf: ScenarioFile, dataset: Dataset, rulebook: Rulebook,
                   name: str) -> tuple[dict[str, Structure], list[Problem]]:
    problems: list[Problem] = []
    new: dict[str, Structure] = {}
    first, last = dt.date(sf.years[0], 1, 1), dt.date(sf.years[1], 12, 31)
    for index, change in enumerate(sf.changes):
        where = f"changes[{index}]"

        def bad(message: str, column: str = where, change: Change = change) -> None:
            problems.append(Problem(name, None, column, f"{message} ({change.structure}, {change.on})"))

        if not first <= change.on <= last:
            bad(f"date {change.on} is outside the scenario's years {sf.years[0]}..{sf.years[1]}", f"{where}.on")
        if change.open is not None:
            if change.structure in dataset.structures or change.structure in new:
                bad(f"cannot open {change.structure!r}: a structure with this id already exists",
                    f"{where}.structure")
                continue
            row = {k: "" if v is None else (";".join(v) if isinstance(v, list) else str(v))
                   for k, v in change.open.items()}
            row.setdefault("id", change.structure)
            row.setdefault("opened", change.on.isoformat())
            for optional in ("closed", "post_status", "converted_on"):  # may be left out when blank
                row.setdefault(optional, "")
            if row["id"] != change.structure:
                bad("the opened structure's id differs from the change's structure", f"{where}.open.id")
                continue
            table = Table(f"{name} {where}.open", list(row), [(1, row)])
            checker = Checker()
            structures = _read_structures(checker, table, dataset.collectivites, dataset.territory,
                                          schema_of(rulebook))
            for p in checker.problems:
                problems.append(Problem(name, None, f"{where}.open.{p.column}", p.message))
            new.update(structures)
            continue
        known = {**dataset.structures, **new}
        structure = known.get(change.structure)
        if structure is None:
            bad(f"unknown structure {change.structure!r}", f"{where}.structure")
            continue
        if change.convert_to and structure.type not in rulebook.post_types:
            bad(f"{change.structure} is a {structure.type}, not a coordination post: it cannot be converted",
                f"{where}.convert_to")
        for cid in change.supported_by or []:
            if cid not in dataset.collectivites:
                bad(f"unknown collectivité {cid!r}", f"{where}.supported_by")
        if change.manager and change.manager not in dataset.collectivites:
            bad(f"unknown manager {change.manager!r}", f"{where}.manager")
        if change.close and change.on <= structure.opened:
            bad(f"closing date {change.on} is not after the structure's opening {structure.opened}",
                f"{where}.on")
    return new, problems


# ------------------------------------------------------------------------------------------ structure-years


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


def territory_of_structures(scenario: Scenario) -> dict[str, str]:
    """Structure id -> the id of its territory: the one whose communes include its commune; outside every
    territory, the one holding the collectivité of its first CEJ action, else its manager, else a supporter,
    else the first territory (the only one, in a dataset of one territory)."""
    ds = scenario.dataset
    territories = ds.territories or [ds.territory]
    by_commune = {c: t.id for t in territories for c in t.communes}
    cej_holder: dict[str, str] = {}
    for action in ds.cej:
        cej_holder.setdefault(action.structure_id, action.collectivite_id)
    out = {}
    for sid, s in scenario.structures.items():
        candidates = [s.commune_id, cej_holder.get(sid, ""), s.manager_id, *s.supported_by]
        out[sid] = next((by_commune[c] for c in candidates if c in by_commune), territories[0].id)
    return out


def structure_years(scenario: Scenario, years: list[int] | None = None,
                    only: set[str] | None = None) -> list[StructureYear]:
    """Every structure of the scenario (or those in `only`) in every year asked, in id order then year order."""
    ds = scenario.dataset
    territory = set(ds.territory.communes)
    territories = {t.id: t for t in ds.territories or [ds.territory]}
    territory_of = territory_of_structures(scenario)
    multi = len(territories) > 1
    activity = _units_overrides(scenario)
    by_structure: dict[str, list[Change]] = {}
    for change in scenario.changes:
        if change.open is None:
            by_structure.setdefault(change.structure, []).append(change)
    cej_years: dict[str, list[int]] = {}
    for action in ds.cej:
        cej_years.setdefault(action.structure_id, []).append(action.last_year)
    first_cej = {sid: min(ys) for sid, ys in cej_years.items()}
    signatories = {cid for cid, c in ds.collectivites.items() if c.signatory}
    out: list[StructureYear] = []
    structures = scenario.structures  # a property that merges two dicts: once, not once per structure
    year_list = years or scenario.year_list
    for sid in sorted(structures if only is None else only & structures.keys()):
        base = structures[sid]
        changes = by_structure.get(sid, [])
        tid = territory_of[sid]
        own = territories[tid]
        where = {"territory_id": tid}
        if multi:
            where.update(ctg_start=own.start, ctg_end=own.end, territory_params=scenario.territory_params.get(tid, ()))
        cej_from = first_cej.get(sid)
        if not changes:  # the common case: one state all along, so each year is a few date subtractions
            out.extend(_steady_years(base, year_list, territory, signatories, activity, cej_from, where))
            continue
        for year in year_list:
            out.append(_structure_year(base, changes, year, territory, ds, activity.get((sid, year)),
                                       cej_from is not None and cej_from < year, where))
    return out


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
                    activity_units: Decimal | None, has_cej: bool,
                    where: dict[str, Any] | None = None) -> StructureYear:
    start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
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
                         signatory_support=supported, ps_funded=ps, has_cej=has_cej, **(where or {}))
