"""Running a scenario: structure-years -> rules -> allocation, year by year. No I/O here."""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .allocation import policy
from .allocation.exact import allocate_year
from .allocation.new_places import new_places_lines, reference_year
from .allocation.results import Envelope, Line, Released, Warning, YearResult
from .engine import Evaluation, evaluate
from .engine.compile import compile_rulebook, params_used
from .errors import InputError, Problem
from .money import ZERO
from .rulebook import Rulebook, required
from .rulebook.weights import WeightError
from .scenario.file import Scenario, weight_fields
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
    """Everything a run computed: the structure-years, their evaluations, and the allocation's records."""

    scenario: Scenario
    years: list[int]
    engine: str
    structure_years: dict[str, StructureYear]
    evaluations: dict[str, Evaluation]
    condition_parameters: tuple[str, ...]  # the parameters the rules' conditions read
    lines: list[Line] = field(default_factory=list)
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

    def lines_of(self, structure_id: str, year: int) -> list[Line]:
        """Every line of a structure in a year (its envelope line first)."""
        return self._lines_by_key.get((structure_id, year), [])

    def line(self, structure_id: str, year: int, line: str | None = None) -> Line | None:
        """The structure's envelope line (bonus_territoire or pilotage) in `year`, or the named line."""
        return next((ln for ln in self.lines_of(structure_id, year)
                     if (ln.line == line if line else ln.line != "bonus_places_nouvelles")), None)

    def envelope_of(self, structure_id: str, year: int, family: str) -> Envelope | None:
        """The envelope a structure's line was shared from (its territory's, that year)."""
        territory = self.structure_years[f"{structure_id}|{year}"].territory_id
        return next((e for e in self.envelopes if (e.year, e.family, e.territory) == (year, family, territory)),
                    None)

    def rulebook_for(self, structure_id: str, year: int) -> Rulebook:
        """The rulebook a structure-year was evaluated and allocated with (its territory's)."""
        return self.scenario.rulebook_for(self.structure_years[f"{structure_id}|{year}"].territory_id)


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
    ds = scenario.dataset
    sys_ = structure_years(scenario, years)
    evaluations = evaluate(sys_, scenario.rulebook, engine, scenario.rulebook_for)
    result = SimulationResult(scenario=scenario, years=years, engine=engine,
                              structure_years={sy.id: sy for sy in sys_}, evaluations=evaluations,
                              condition_parameters=tuple(sorted(params_used(compile_rulebook(scenario.rulebook)))))
    weights = WeightValues(weight_fields(ds, scenario.new_structures), scenario)
    by_year: dict[int, list[StructureYear]] = {}
    for sy in sys_:
        by_year.setdefault(sy.year, []).append(sy)
    vector_years: dict[int, YearResult] = {}
    if engine == "vector":
        from .allocation.vector import allocate_vector

        vector_years = allocate_vector(sys_, evaluations, ds.cej, scenario.rulebook_for, weights)
    n1 = reference_year([a.last_year for a in ds.cej], min(t.start.year for t in ds.territories) - 1)
    # N-1 places, for the structures the new-places rule (R5) applies to only.
    r5 = {ev.structure_id for ev in evaluations.values() if required.NEW_PLACES in ev.formulas}
    places_n1 = {sy.structure.id: Fraction(sy.unit_days) / sy.year_days
                 for sy in structure_years(scenario, [n1], only=r5)}
    for index, year in enumerate(years):
        yr = vector_years.get(year) or _allocate_year(year, by_year.get(year, []), evaluations, scenario, weights)
        result.lines.extend(yr.lines)
        rates = {t: Fraction(scenario.rulebook.value(required.NEW_PLACES_RATE.format(t), year) or 0)
                 for t in required.TRANCHES}
        candidates = [sy for sy in by_year.get(year, []) if sy.structure.id in r5]
        result.lines.extend(new_places_lines(year, candidates, evaluations, places_n1, n1, ds.collectivites, rates))
        result.released.extend(yr.released)
        result.envelopes.extend(yr.envelopes)
        result.warnings.extend(_uncovered(year, by_year.get(year, []), evaluations, yr.envelopes))
        result.warnings.extend(yr.warnings)
        if progress:
            progress(index + 1, len(years))
    return result


def _uncovered(year: int, sys_: list[StructureYear], evaluations: dict[str, Evaluation],
               envelopes: list[Envelope]) -> list[Warning]:
    """A territory-year that no CTG covers (R1 fired on every structure): one warning with its whole envelope,
    so that the output says why nobody receives anything."""
    covered: dict[str, bool] = {}
    for sy in sys_:
        off = required.CTG_NOT_IN_FORCE in evaluations[sy.id].fired
        covered[sy.territory_id] = covered.get(sy.territory_id, False) or not off
    out = []
    for tid in sorted(t for t, c in covered.items() if not c):
        total = sum((e.envelope for e in envelopes if e.territory == tid), ZERO)
        out.append(Warning(year, "", tid, policy.CTG_OFF, amount=total))
    return out


def _allocate_year(year: int, sys_: list[StructureYear], evaluations: dict[str, Evaluation], scenario: Scenario,
                   weights: WeightValues) -> YearResult:
    """One year's envelopes, territory by territory."""
    groups: dict[str, list[StructureYear]] = {}
    for sy in sys_:
        groups.setdefault(sy.territory_id, []).append(sy)
    out = YearResult()
    for tid in sorted(groups):
        members = groups[tid]
        ids = {sy.structure.id for sy in members}
        cej = [a for a in scenario.dataset.cej if a.structure_id in ids]
        out.extend(allocate_year(year, members, evaluations, cej, scenario.rulebook_for(tid), weights, tid))
    return out
