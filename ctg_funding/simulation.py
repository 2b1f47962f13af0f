"""Running a scenario: structure-years -> rules -> allocation, year by year. No I/O here."""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

from .allocation import Envelope, Line, Released, YearResult, allocate_year
from .engine import Evaluation, evaluate
from .engine.facts import StructureYear
from .new_places import RULE as NEW_PLACES_RULE
from .new_places import new_places_lines, reference_year
from .scenario import Scenario, structure_years, weight_fields

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
        commune = self.scenario.dataset.collectivites.get(sy.structure.commune_id)
        values = {
            "units": Fraction(sy.units),
            "open_days": Fraction(sy.open_days),
            "year_days": Fraction(sy.year_days),
            "qpv_zrr": Fraction(int(bool(commune and commune.qpv_zrr))),
        }
        if commune and commune.tranche is not None:
            values["tranche"] = Fraction(commune.tranche)
        values.update({k: Fraction(v) for k, v in sy.structure.extra.items()})
        return values


@dataclass
class SimulationResult:
    scenario: Scenario
    years: list[int]
    structure_years: dict[str, StructureYear]
    evaluations: dict[str, Evaluation]
    lines: list[Line] = field(default_factory=list)
    released: list[Released] = field(default_factory=list)
    envelopes: list[Envelope] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def rules_version(self) -> str:
        return self.scenario.rulebook.version

    @property
    def dataset_sha256(self) -> str:
        return self.scenario.dataset.sha256

    def line(self, structure_id: str, year: int, line: str | None = None) -> Line | None:
        """The structure's envelope line (bonus_territoire or pilotage) in `year`, or the named line."""
        return next((ln for ln in self.lines if ln.structure_id == structure_id and ln.year == year
                     and (ln.line == line if line else ln.line != "bonus_places_nouvelles")), None)


def simulate(scenario: Scenario, years: list[int] | None = None, engine: str = "durable",
             progress: Callable[[int, int], None] | None = None) -> SimulationResult:
    """Allocate every year of the scenario (or the `years` given)."""
    if engine != "vector":
        return _simulate(scenario, years, engine, progress)
    # At national scale the run creates millions of small objects and no reference cycle: the cyclic garbage
    # collector would scan them again and again for nothing (about a third of the run, measured).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _simulate(scenario, years, engine, progress)
    finally:
        if enabled:
            gc.enable()


def _simulate(scenario: Scenario, years: list[int] | None, engine: str,
              progress: Callable[[int, int], None] | None) -> SimulationResult:
    years = years or scenario.year_list
    sys_ = structure_years(scenario, years)
    evaluations = evaluate(sys_, scenario.rulebook, scenario.dataset.territory, engine=engine)
    result = SimulationResult(scenario=scenario, years=years, structure_years={sy.id: sy for sy in sys_},
                              evaluations=evaluations)
    weights = WeightValues(weight_fields(scenario.dataset, scenario.new_structures), scenario)
    by_year: dict[int, list[StructureYear]] = {}
    for sy in sys_:
        by_year.setdefault(sy.year, []).append(sy)
    multi = scenario.dataset.multi_territory
    vector_years: dict[int, YearResult] = {}
    if engine == "vector":
        from .allocation_vector import allocate_vector

        vector_years = allocate_vector(sys_, evaluations, scenario.dataset.cej, scenario.rulebook, weights,
                                       scenario.dataset.territory.id, multi)
    ds = scenario.dataset
    n1 = reference_year([a.last_year for a in ds.cej], ds.territory.start.year - 1)
    # N-1 places, for the structures the new-places rule (R5) applies to only.
    r5 = {ev.structure_id for ev in evaluations.values() if NEW_PLACES_RULE in ev.formulas}
    places_n1 = {sy.structure.id: Fraction(sy.unit_days) / sy.year_days
                 for sy in structure_years(scenario, [n1], only=r5)}
    for index, year in enumerate(years):
        yr = vector_years.get(year) or _allocate_year(year, by_year.get(year, []), evaluations, ds, scenario, weights,
                                                      multi, engine)
        result.lines.extend(yr.lines)
        rates = {t: Fraction(scenario.rulebook.value(f"new_places.rate.tranche_{t}", year) or 0) for t in (1, 2, 3)}
        candidates = [sy for sy in by_year.get(year, []) if sy.structure.id in r5]
        result.lines.extend(new_places_lines(year, candidates, evaluations, places_n1, n1, ds.collectivites, rates))
        result.released.extend(yr.released)
        result.envelopes.extend(yr.envelopes)
        result.warnings.extend(yr.warnings)
        if progress:
            progress(index + 1, len(years))
    return result


def _allocate_year(year: int, sys_: list[StructureYear], evaluations: dict[str, Evaluation], ds, scenario: Scenario,
                   weights: WeightValues, multi: bool, engine: str) -> YearResult:
    """One year's envelopes, per territory (the territory id goes on every envelope and released amount)."""
    groups: dict[str, list[StructureYear]] = {}
    for sy in sys_:
        groups.setdefault(sy.territory_id, []).append(sy)
    if not multi:
        groups = {next(iter(groups), ds.territory.id): sys_}
    out = YearResult([], [], [], [])
    for tid in sorted(groups):
        members = groups[tid]
        ids = {sy.structure.id for sy in members}
        cej = ds.cej if not multi else [a for a in ds.cej if a.structure_id in ids]
        out.merge(allocate_year(year, members, evaluations, cej, scenario.rulebook, weights), tid, multi)
    return out
