"""Scenario files: a dataset, a range of years, parameter overrides and dated changes, checked against the
dataset and the rulebook. What the changes do to each structure, year by year, is `structure_years`."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..errors import InputError, Problem
from ..i18n import _
from ..inputs import cells
from ..inputs.dataset import Dataset, load_dataset
from ..inputs.model import Period, Structure, Territory
from ..inputs.readers import Checker, Schema, read_structures
from ..inputs.tables import Table
from ..rulebook import Parameter, Rulebook, Source, coerce_value, required
from ..rulebook.weights import WeightError, parse_weight
from ..strict_yaml import load_model_file

ALWAYS = dt.date(1900, 1, 1)  # the date of a value that holds for every year
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
            raise ValueError(_("each change needs exactly one of {v0}; got {v1}").format(
                v0=', '.join(ACTIONS), v1=given or 'none'))
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
            raise ValueError(_("first year {v0} is after last year {v1}").format(v0=value[0], v1=value[1]))
        if value[0] < 2000 or value[1] > 2100:
            raise ValueError(_("years must lie between 2000 and 2100"))
        return value


@dataclass
class Scenario:
    """A scenario ready to run: its dataset, years, changes and the rulebook with its overrides. Each territory
    reads its parameters from its own rulebook (`rulebook_for`): the territory's own figures (its pilotage
    deadline), then the scenario's overrides on top."""

    name: str
    path: Path | None
    dataset: Dataset
    years: tuple[int, int]
    rulebook: Rulebook  # with the scenario's overrides applied
    territory_rulebooks: dict[str, Rulebook]
    changes: list[Change] = field(default_factory=list)
    new_structures: dict[str, Structure] = field(default_factory=dict)
    description: str = ""

    @property
    def year_list(self) -> list[int]:
        return list(range(self.years[0], self.years[1] + 1))

    @functools.cached_property
    def structures(self) -> dict[str, Structure]:
        """The dataset's structures and those the scenario opens (merged once)."""
        return {**self.dataset.structures, **self.new_structures}

    def rulebook_for(self, territory_id: str) -> Rulebook:
        """The rulebook a territory's structures are evaluated and allocated with."""
        return self.territory_rulebooks[territory_id]

    @functools.cached_property
    def territory_of(self) -> dict[str, str]:
        """Structure id -> the id of its territory: the one whose communes include its commune; outside every
        territory, the one holding the collectivité of its first CEJ action, else its manager, else a supporter,
        else the first territory (the only one, in a dataset of one territory)."""
        territories = self.dataset.territories
        by_commune = {c: t.id for t in territories for c in t.communes}
        cej_holder: dict[str, str] = {}
        for action in self.dataset.cej:
            cej_holder.setdefault(action.structure_id, action.collectivite_id)
        out = {}
        for sid, s in self.structures.items():
            candidates = [s.commune_id, cej_holder.get(sid, ""), s.manager_id, *s.supported_by]
            out[sid] = next((by_commune[c] for c in candidates if c in by_commune), territories[0].id)
        return out

    @functools.cached_property
    def _territories(self) -> dict[str, Territory]:
        return {t.id: t for t in self.dataset.territories}

    def ctg_periods(self, territory_id: str) -> tuple[Period, ...]:
        """The territory's successive CTGs (R7): those its dataset gives, then the renewal this scenario assumes
        (`ctg.renewed_until`, its value on the day after the last one's end) when it reaches beyond them."""
        periods = self._territories[territory_id].periods
        after = periods[-1].end + dt.timedelta(days=1)
        until = self.rulebook_for(territory_id).param(required.RENEWED_UNTIL).at(after)
        if until is not None and until >= after:
            periods += (Period(after, until),)
        return periods


def schema_of(rulebook: Rulebook) -> Schema:
    return Schema(types=rulebook.types, post_types=rulebook.post_types,
                  family_of={t: f for f, types in rulebook.families.items() for t in types})


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
                    raise ValueError(_("dated values need dates as keys, got {start!r}").format(start=start))
                values.append((start, coerce_value(base.type, value, base.choices)))
            values.sort()
        else:
            values = [(ALWAYS, coerce_value(base.type, raw, base.choices))]
    except ValueError as exc:
        raise InputError([Problem(file, None, where, str(exc))]) from None
    return base.overridden(tuple(values), Source(_("scenario {file}").format(file=file), "assumed"), file)


def territory_overrides(territory: Territory, territory_file: str, rulebook: Rulebook) -> dict[str, Parameter]:
    """Parameters that a territory's own row or file fixes (its pilotage deadline)."""
    base = rulebook.parameters[required.DEADLINE_YEAR]
    source = Source(_("{file} of {territory} (pilotage_deadline_year)").format(file=territory_file,
                                                                               territory=territory.id), "seed")
    return {base.name: base.overridden(((ALWAYS, territory.pilotage_deadline_year),), source, territory_file)}


def read_scenario_file(path: Path) -> ScenarioFile:
    """A scenario file's shape checked (its keys and their types), before its dataset is read; raise InputError
    naming the file and entry for any problem."""
    return load_model_file(path, ScenarioFile, _("no such scenario file"),
                           _("a scenario file is a mapping with the keys name, dataset and years (and parameters, "
                             "changes): see docs/scenarios.md"))


def load_scenario(path: str | Path, rulebook: Rulebook) -> Scenario:
    """Read a scenario file and its dataset; raise InputError naming the file and entry for any problem."""
    path = Path(path)
    sf = read_scenario_file(path)
    dataset_path = (path.parent / sf.dataset).resolve()
    dataset = load_dataset(dataset_path, schema_of(rulebook))
    return build_scenario(sf, dataset, rulebook, path)


def scenario_for_dataset(dataset: Dataset, rulebook: Rulebook, years: tuple[int, int]) -> Scenario:
    """A scenario with no overrides and no changes: the dataset under the rules as they stand."""
    name = _("{dataset} (rules as they stand)").format(dataset=dataset.label)
    sf = ScenarioFile(name=name, dataset=str(dataset.path), years=years)
    return build_scenario(sf, dataset, rulebook, None)


def build_scenario(sf: ScenarioFile, dataset: Dataset, rulebook: Rulebook, path: Path | None) -> Scenario:
    """Check a scenario file's parameters, weight expression and changes against its dataset and rulebook."""
    name = path.name if path else "scenario"
    problems: list[Problem] = []
    overrides: dict[str, Parameter] = {}
    for key, raw in sf.parameters.items():
        if key not in rulebook.parameters:
            problems.append(Problem(name, None, f"parameters.{key}", _("unknown parameter (see `ctg rules`)")))
            continue
        try:
            overrides[key] = _override(key, raw, rulebook.parameters[key], name)
        except InputError as exc:
            problems.extend(exc.problems)
    new_structures, change_problems = _check_changes(sf, dataset, rulebook, name)
    problems.extend(change_problems)
    rb = rulebook.with_overrides(overrides)
    fields = weight_fields(dataset, new_structures)
    for _start, text in rb.param(required.WEIGHT).values:
        try:
            parse_weight(str(text), fields)
        except WeightError as exc:
            problems.append(Problem(name, None, f"parameters.{required.WEIGHT}", str(exc)))
    if problems:
        raise InputError(problems)
    changes = sorted(sf.changes, key=lambda c: c.on)  # stable: same-day changes keep the file's order
    rulebooks = {t.id: rulebook.with_overrides({**territory_overrides(t, dataset.territory_file, rulebook),
                                                **overrides})
                 for t in dataset.territories}
    return Scenario(name=sf.name, path=path, dataset=dataset, years=sf.years, rulebook=rb,
                    territory_rulebooks=rulebooks, changes=changes, new_structures=new_structures,
                    description=sf.description)


def _check_changes(sf: ScenarioFile, dataset: Dataset, rulebook: Rulebook,
                   name: str) -> tuple[dict[str, Structure], list[Problem]]:
    problems: list[Problem] = []
    new: dict[str, Structure] = {}
    first, last = dt.date(sf.years[0], 1, 1), dt.date(sf.years[1], 12, 31)
    for index, change in enumerate(sf.changes):
        where = f"changes[{index}]"

        def bad(message: str, column: str = where, change: Change = change) -> None:
            problems.append(Problem(name, None, column, _("{message} ({structure}, {on})").format(
                message=message, structure=change.structure, on=change.on)))

        if not first <= change.on <= last:
            bad(_("date {on} is outside the scenario's years {v1}..{v2}").format(
                on=change.on, v1=sf.years[0], v2=sf.years[1]), f"{where}.on")
        if change.open is not None:
            if change.structure in dataset.structures or change.structure in new:
                bad(_("cannot open {structure!r}: a structure with this id already exists").format(
                    structure=change.structure),
                    f"{where}.structure")
                continue
            row = {k: "" if v is None else (";".join(v) if isinstance(v, list) else str(v))
                   for k, v in change.open.items()}
            row.setdefault("id", change.structure)
            row.setdefault("opened", change.on.isoformat())
            for optional in ("closed", "post_status", "converted_on"):  # may be left out when blank
                row.setdefault(optional, "")
            if row["id"] != change.structure:
                bad(_("the opened structure's id differs from the change's structure"), f"{where}.open.id")
                continue
            table = Table(f"{name} {where}.open", list(row), [(1, row)])
            checker = Checker()
            structures = read_structures(checker, table, dataset.collectivites, schema_of(rulebook))
            for p in checker.problems:
                problems.append(Problem(name, None, f"{where}.open.{p.column}", p.message))
            new.update(structures)
            continue
        known = {**dataset.structures, **new}
        structure = known.get(change.structure)
        if structure is None:
            bad(_("unknown structure {structure!r}").format(structure=change.structure), f"{where}.structure")
            continue
        if change.convert_to and structure.type not in rulebook.post_types:
            bad(_("{structure} is a {type}, not a coordination post: it cannot be converted").format(
                structure=change.structure, type=structure.type),
                f"{where}.convert_to")
        for cid in change.supported_by or []:
            if cid not in dataset.collectivites:
                bad(_("unknown collectivité {cid!r}").format(cid=cid), f"{where}.supported_by")
        if change.manager and change.manager not in dataset.collectivites:
            bad(_("unknown manager {manager!r}").format(manager=change.manager), f"{where}.manager")
        if change.close and change.on <= structure.opened:
            bad(_("closing date {on} is not after the structure's opening {opened}").format(
                on=change.on, opened=structure.opened),
                f"{where}.on")
    return new, problems
