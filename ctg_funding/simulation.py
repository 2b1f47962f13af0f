"""Running a scenario: structure-years -> rules -> allocation, year by year. No I/O here."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from .allocation import policy, renewal
from .allocation.exact import allocate_year
from .allocation.new_places import new_places_lines, paid_rows, reference_year
from .allocation.plancher import PlancherLine, below_floor, plancher_lines
from .allocation.renewal import Base
from .allocation.results import Envelope, Line, Lines, Released, Warning, YearResult
from .allocation.trajectoire import Growth, eligible_places, growth_of, payment_year, trajectoire_lines
from .collector import gc_paused
from .engine import Evaluation, evaluate
from .engine.coded import CodedEvaluations
from .engine.compile import compile_rulebook, params_used
from .engine.facts import territory_years
from .errors import InputError, Problem
from .inputs.model import ENVELOPE_LINES
from .money import ZERO
from .rulebook import Rulebook, required
from .rulebook.weights import YEAR_FIELDS, WeightError
from .scenario.file import Scenario, weight_fields
from .scenario.frame import YearFrame, day_frame, year_frame
from .scenario.structure_years import StructureYear, structure_years

# Above this many structure-years the vector engine is the default (measured: see README, "National scale").
VECTOR_THRESHOLD = 10_000


def choose_engine(scenario: Scenario, years: list[int] | None = None, engine: str | None = None) -> str:
    """The engine asked, else durable (the reference) up to VECTOR_THRESHOLD structure-years, vector above."""
    if engine:
        return engine
    n = len(scenario.structures) * len(years or scenario.year_list)
    return "vector" if n > VECTOR_THRESHOLD else "durable"


@dataclass
class WeightValues:
    """The numeric fields a weight expression can read for a structure-year."""

    fields: set[str]
    scenario: Scenario

    def of(self, sy: StructureYear) -> dict[str, Fraction]:
        values = {name: Fraction(getattr(sy, name)) for name in YEAR_FIELDS}
        values.update(self.of_structure(sy.structure))
        return values

    def of_structure(self, structure: Any) -> dict[str, Fraction]:
        """The fields that depend on the structure alone (its commune's, its extra columns): over the fields of the
        year (YEAR_FIELDS) when they share a name."""
        commune = self.scenario.dataset.collectivites.get(structure.commune_id)
        values = {"qpv_zrr": Fraction(int(bool(commune and commune.qpv_zrr)))}
        if commune and commune.tranche is not None:
            values["tranche"] = Fraction(commune.tranche)
        values.update({k: Fraction(v) for k, v in structure.extra.items()})
        return values


@dataclass
class SimulationResult:
    """Everything a run computed: the structure-years, their evaluations, and the allocation's records."""

    scenario: Scenario
    years: list[int]
    engine: str
    structure_years: Mapping[str, StructureYear]
    evaluations: Mapping[str, Evaluation]
    condition_parameters: tuple[str, ...]  # the parameters the rules' conditions read
    lines: Lines = field(default_factory=Lines)
    released: list[Released] = field(default_factory=list)
    envelopes: list[Envelope] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)

    @property
    def rules_version(self) -> str:
        return self.scenario.rulebook.version

    @property
    def dataset_sha256(self) -> str:
        return self.scenario.dataset.sha256

    def provenance(self) -> dict[str, Any]:
        """What a result needs to be reproduced: scenario, rules version, dataset hash, years."""
        sc = self.scenario
        return {"scenario": sc.name, "scenario_file": str(sc.path) if sc.path else None,
                "rules_version": self.rules_version, "dataset_sha256": self.dataset_sha256, "years": self.years}

    @functools.cached_property
    def _lines_by_key(self) -> dict[tuple[str, int], list[Line]]:
        out: dict[tuple[str, int], list[Line]] = {}
        for ln in self.lines:
            out.setdefault((ln.structure_id, ln.year), []).append(ln)
        return out

    @functools.cached_property
    def _changed(self) -> set[str]:
        return {change.structure for change in self.scenario.changes}

    def managers(self, structure_ids: Sequence[str], year: int) -> list[str]:
        """The manager (gestionnaire) of each structure in `year`: its own, or, for a structure that a scenario
        change touches, the one in force that year (its structure-year's)."""
        structures = self.scenario.structures
        out = [structures[sid].manager_id for sid in structure_ids]
        if self._changed:
            for i, sid in enumerate(structure_ids):
                if sid in self._changed:
                    out[i] = self.structure_years[f"{sid}|{year}"].structure.manager_id
        return out

    def line_columns(self, names: Sequence[str]) -> dict[str, np.ndarray]:
        """Fields of every line, in the lines' order, as arrays (integers int64, or Python ints in an object array
        when one does not fit; texts as objects): the vector engine's blocks are read as columns, line objects
        (the other engine; R5, R8, R9) attribute by attribute. For sums over 600,000 lines."""
        parts = self.lines.parts() if isinstance(self.lines, Lines) else [list(self.lines)]
        out = {}
        for name in names:
            pieces = [_column(part.column(name)) if hasattr(part, "column") else
                      _objects([getattr(line, name) for line in part]) for part in parts]
            column = np.concatenate(pieces) if pieces else np.zeros(0, dtype=object)
            if column.dtype == object and column.size and all(type(v) is int for v in column.tolist()):
                column = _integers(column)
            out[name] = column
        return out

    def lines_of(self, structure_id: str, year: int) -> list[Line]:
        """Every line of a structure in a year (its envelope line first)."""
        return self._lines_by_key.get((structure_id, year), [])

    def line(self, structure_id: str, year: int, line: str | None = None) -> Line | None:
        """The structure's envelope line (bonus_territoire or pilotage) in `year`, or the named line."""
        return next((ln for ln in self.lines_of(structure_id, year)
                     if (ln.line == line if line else ln.line in ENVELOPE_LINES)), None)

    def envelope_of(self, structure_id: str, year: int, family: str) -> Envelope | None:
        """The envelope a structure's line was shared from (its territory's, that year)."""
        territory = self.structure_years[f"{structure_id}|{year}"].territory_id
        return next((e for e in self.envelopes if (e.year, e.family, e.territory) == (year, family, territory)),
                    None)

    @functools.cached_property
    def _cej_actions(self) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {}
        for action in self.scenario.dataset.cej:
            out.setdefault(action.structure_id, []).append(action)
        return out

    def cej_amount(self, structure_id: str, year: int) -> Fraction:
        """A structure's N-1 CEJ amount in `year`: its CEJ actions that ended before it (R1)."""
        return sum((Fraction(a.amount) for a in self._cej_actions.get(structure_id, []) if a.last_year < year),
                   Fraction(0))

    def rulebook_for(self, structure_id: str, year: int) -> Rulebook:
        """The rulebook a structure-year was evaluated and allocated with (its territory's)."""
        return self.scenario.rulebook_for(self.structure_years[f"{structure_id}|{year}"].territory_id)


def _objects(values: list[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _column(values: Any) -> np.ndarray:
    """A block's column as an array: its own array, or its list (the rules: one list per line) as objects."""
    return values if isinstance(values, np.ndarray) else _objects(list(values))


def _integers(values: np.ndarray) -> np.ndarray:
    """Python ints as int64 when they all fit, else as they are (exact either way)."""
    try:
        return values.astype(np.int64)
    except OverflowError:
        return values


def simulate(scenario: Scenario, years: list[int] | None = None, engine: str = "durable",
             progress: Callable[[int, int], None] | None = None) -> SimulationResult:
    """Allocate every year of the scenario (or the `years` given)."""
    try:
        return _simulate_gc(scenario, years, engine, progress)
    except WeightError as exc:  # the scenario's weight expression failed on a structure: say which file
        name = scenario.path.name if scenario.path else "scenario"
        raise InputError([Problem(name, None, f"parameters.{required.WEIGHT}", str(exc))]) from None


def _simulate_gc(scenario: Scenario, years: list[int] | None, engine: str,
                 progress: Callable[[int, int], None] | None) -> SimulationResult:
    with gc_paused(engine == "vector"):
        return _simulate(scenario, years, engine, progress)


def _simulate(scenario: Scenario, years: list[int] | None, engine: str,
              progress: Callable[[int, int], None] | None) -> SimulationResult:
    years = years or scenario.year_list
    ds = scenario.dataset
    # R7: a renewed CTG's years need the last year of the CTG before it, allocated first (even if not asked).
    bases = renewal.plan([t.id for t in ds.territories], years, lambda tid, year: policy.envelope_base(
        scenario.rulebook_for(tid), year, scenario.ctg_periods(tid)))
    every_year = sorted({year for _tid, year in bases})
    frame = year_frame(scenario, every_year)
    evaluations = evaluate(frame, scenario.rulebook, engine, scenario.rulebook_for)
    weights = WeightValues(weight_fields(ds, scenario.new_structures), scenario)
    allocated = _allocate(scenario, frame, evaluations, bases, engine, weights, progress)
    if len(every_year) > len(years):  # keep the years asked only
        keep = np.flatnonzero(np.isin(frame.year, years))
        frame = frame.take(keep)
        evaluations = evaluations.take(keep, frame)
    result = SimulationResult(scenario=scenario, years=years, engine=engine,
                              structure_years=StructureYearsById(frame), evaluations=evaluations,
                              condition_parameters=tuple(sorted(params_used(compile_rulebook(scenario.rulebook)))))
    n1 = reference_year([a.last_year for a in ds.cej], min(t.start.year for t in ds.territories) - 1)
    # The structures the outside-envelope rules apply to (their formula rule fired): R5, R8, R9.
    r5 = evaluations.codes_where(lambda ev: required.NEW_PLACES in ev.formulas)
    r8 = set(frame.structure_id[evaluations.codes_where(lambda ev: required.PLANCHER_ALSH in ev.formulas)].tolist())
    r9 = evaluations.codes_where(lambda ev: required.BONUS_TRAJECTOIRE in ev.formulas)
    # N-1 places, for the structures the new-places rule (R5) applies to only.
    places_n1 = {sy.structure.id: Fraction(sy.unit_days) / sy.year_days
                 for sy in structure_years(scenario, [n1], only=set(frame.structure_id[r5].tolist()))}
    growths = _growths(scenario, years, engine, set(frame.structure_id[r9].tolist()))
    off = evaluations.codes_where(lambda ev: required.CTG_NOT_IN_FORCE in ev.fired)
    eligible = evaluations.column("eligible")
    paid_r5 = paid_rows(frame, evaluations, places_n1, n1)
    territory_code, territories = pd.factorize(frame.territory_id)  # R9 reads, per year, the territories' tiers
    territories = pd.Index(territories)
    for year in years:
        yr = allocated.get(year, YearResult())
        in_year = frame.year == year
        result.lines.extend(yr.lines)
        rates = {t: Fraction(scenario.rulebook.value(required.NEW_PLACES_RATE.format(t), year) or 0)
                 for t in required.TRANCHES}
        rows = np.flatnonzero(in_year & paid_r5)
        result.lines.extend(new_places_lines(year, [frame[i] for i in rows.tolist()], _of_rows(evaluations, rows),
                                             places_n1, n1, ds.collectivites, rates))
        result.lines.extend(_plancher(year, yr.lines, evaluations, scenario.territory_of, scenario, r8))
        reached = territories.isin([tid for (tid, y), g in growths.items() if y == year and g.tier])[territory_code]
        rows = np.flatnonzero(in_year & r9 & eligible & reached)
        result.lines.extend(trajectoire_lines(year, [frame[i] for i in rows.tolist()], _of_rows(evaluations, rows),
                                              growths))
        result.released.extend(yr.released)
        result.envelopes.extend(yr.envelopes)
        result.warnings.extend(_uncovered(year, frame.territory_id[in_year], off[in_year], yr.envelopes))
        result.warnings.extend(yr.warnings)
    return result


class StructureYearsById(Mapping[str, StructureYear]):
    """A frame's structure-years by id (`structure_id|year`), each made when asked (scenario/frame.py)."""

    def __init__(self, frame: YearFrame) -> None:
        self.frame = frame

    def __getitem__(self, key: str) -> StructureYear:
        return self.frame[self.frame.row_of(key)]

    def __iter__(self) -> Iterator[str]:
        return iter(self.frame.ids().tolist())

    def __len__(self) -> int:
        return len(self.frame)


def _of_rows(evaluations: CodedEvaluations, rows: np.ndarray) -> dict[str, Evaluation]:
    """The evaluations of a few rows, by id."""
    out = {}
    for i in rows.tolist():
        ev = evaluations.at(i)
        out[f"{ev.structure_id}|{ev.year}"] = ev
    return out


def _uncovered(year: int, territories: np.ndarray, off: np.ndarray, envelopes: list[Envelope]) -> list[Warning]:
    """A territory-year that no CTG covers (R1 fired on every structure: `off` of each row, `territories` its
    territory): one warning with its whole envelope, so that the output says why nobody receives anything."""
    covered = set(territories[~off].tolist())  # one structure that R1 let through is enough
    out = []
    for tid in sorted(set(territories.tolist()) - covered):
        total = sum((e.envelope for e in envelopes if e.territory == tid), ZERO)
        out.append(Warning(year, "", tid, policy.CTG_OFF, amount=total))
    return out


def _plancher(year: int, lines: Lines, evaluations: Mapping[str, Evaluation], territory_of: dict[str, str],
              scenario: Scenario, r8: set[str]) -> list[PlancherLine]:
    """R8's lines of a year, from its envelope lines (of the structures R8 applies to), each at the floor of its
    territory. A block of lines held as columns is read as columns: only the lines under their floor are made."""
    floors = {t.id: Fraction(scenario.rulebook_for(t.id).value(required.ALSH_FLOOR, year) or 0)
              for t in scenario.dataset.territories}
    if not any(floors.values()):
        return []
    candidates: list[Any] = []
    for part in lines.parts():
        if not hasattr(part, "column"):
            candidates.extend(ln for ln in part if ln.structure_id in r8)
            continue
        sids = part.column("structure_id")
        floor = [floors[territory_of[sid]] for sid in sids.tolist()]
        under = below_floor(np.array([f.numerator for f in floor] + [0], dtype=object)[:-1],
                            np.array([f.denominator for f in floor] + [1], dtype=object)[:-1],
                            part.column("cents").astype(object), part.column("units_num").astype(object),
                            part.column("units_den").astype(object))
        keep = np.asarray(under, dtype=bool) & pd.Index(sids).isin(list(r8))
        candidates.extend(part.take(np.flatnonzero(keep)))
    return plancher_lines(year, candidates, evaluations, lambda sid: floors[territory_of[sid]])


def _growths(scenario: Scenario, years: list[int], engine: str, r9: set[str]) -> dict[tuple[str, int], Growth]:
    """R9: each territory's growth in each year asked that the bonus trajectoire may be paid in, from the places
    of its eligible EAJE on 1 January (evaluated by the rules, with the same engine, on those days)."""
    wanted: dict[tuple[str, int], int] = {}  # (territory, year) -> reference year
    for territory in scenario.dataset.territories:
        rulebook = scenario.rulebook_for(territory.id)
        for year in years:
            reference = payment_year(rulebook, year)
            if reference is not None:
                wanted[(territory.id, year)] = reference
    if not wanted or not r9:
        return {}
    days = day_frame(scenario, sorted({y for _t, y in wanted} | set(wanted.values())), only=r9)
    places = eligible_places(days, evaluate(days, scenario.rulebook, engine, scenario.rulebook_for))
    return {(tid, year): growth_of(scenario.rulebook_for(tid), year, reference,
                                   places.get((tid, reference), Fraction(0)), places.get((tid, year), Fraction(0)))
            for (tid, year), reference in wanted.items()}


def _allocate(scenario: Scenario, frame: YearFrame, evaluations: CodedEvaluations,
              bases: dict[tuple[str, int], Base], engine: str, weights: WeightValues,
              progress: Callable[[int, int], None] | None) -> dict[int, YearResult]:
    """Every territory-year of `bases`, by year, round after round (R7: a renewal after its base year): each
    round's N-1 amounts from the CEJ or from the rounds before it (`renewal.n1_cents`), for either allocator."""
    order = renewal.rounds(bases)
    round_of = {key: r for r, keys in enumerate(order) for key in keys}
    keys, pair = territory_years(frame.territory_id, frame.year)
    round_of_row = np.array([round_of[key] for key in keys], dtype=np.int64)[pair]
    base_years = {b.year for b in bases.values() if b.year is not None}
    out: dict[int, YearResult] = {}
    allocated: list[pd.DataFrame] = []  # what the base years allocated: (structure id, year, cents)
    steps = sum(len({year for _tid, year in keys}) for keys in order)
    done = 0

    def step(year_result: tuple[int, YearResult]) -> None:
        nonlocal done
        year, yr = year_result
        out.setdefault(year, YearResult()).extend(yr)
        if year in base_years:
            allocated.append(renewal.allocated_cents(yr.lines))
        done += 1
        if progress:
            progress(done, steps)

    for r in range(len(order)):
        rows = np.flatnonzero(round_of_row == r)
        part = frame.take(rows)
        cents = renewal.n1_cents(part.structure_id, part.year, part.territory_id, scenario.dataset.cej, bases,
                                 pd.concat(allocated) if allocated else None)
        if engine == "vector":
            from .allocation.vector import allocate_vector

            for item in sorted(allocate_vector(part, evaluations.take(rows, part), cents, bases,
                                               scenario.rulebook_for, weights).items()):
                step(item)
        else:
            for item in _allocate_exact(list(part), cents, _of_rows(evaluations, rows), bases, scenario, weights):
                step(item)
    return out


def _allocate_exact(rows: list[StructureYear], cents: Any, evaluations: dict[str, Evaluation],
                    bases: dict[tuple[str, int], Base], scenario: Scenario,
                    weights: WeightValues) -> Iterator[tuple[int, YearResult]]:
    """Each year's envelopes with the exact allocator, territory by territory, one year at a time."""
    groups: dict[int, dict[str, list[int]]] = {}
    for i, sy in enumerate(rows):
        groups.setdefault(sy.year, {}).setdefault(sy.territory_id, []).append(i)
    for year in sorted(groups):
        out = YearResult()
        for tid, index in sorted(groups[year].items()):
            members = [rows[i] for i in index]
            amounts = {rows[i].structure.id: Fraction(int(cents[i]), 100) for i in index if cents[i]}
            out.extend(allocate_year(year, members, evaluations, amounts, bases[(tid, year)],
                                     scenario.rulebook_for(tid), weights, tid))
        yield year, out
