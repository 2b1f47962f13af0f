"""Running a scenario: structure-years -> rules -> allocation, year by year. No I/O here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

from .allocation import Envelope, Line, Released, allocate_year
from .engine import Evaluation, evaluate
from .engine.facts import StructureYear
from .new_places import new_places_lines, reference_year
from .scenario import Scenario, structure_years, weight_fields


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
    years = years or scenario.year_list
    sys_ = structure_years(scenario, years)
    evaluations = evaluate(sys_, scenario.rulebook, scenario.dataset.territory, engine=engine)
    result = SimulationResult(scenario=scenario, years=years, structure_years={sy.id: sy for sy in sys_},
                              evaluations=evaluations)
    weights = WeightValues(weight_fields(scenario.dataset, scenario.new_structures), scenario)
    by_year: dict[int, list[StructureYear]] = {}
    for sy in sys_:
        by_year.setdefault(sy.year, []).append(sy)
    ds = scenario.dataset
    n1 = reference_year([a.last_year for a in ds.cej], ds.territory.start.year - 1)
    places_n1 = {sy.structure.id: Fraction(sy.unit_days) / sy.year_days for sy in structure_years(scenario, [n1])}
    for index, year in enumerate(years):
        yr = allocate_year(year, by_year.get(year, []), evaluations, ds.cej, scenario.rulebook, weights)
        result.lines.extend(yr.lines)
        rates = {t: Fraction(scenario.rulebook.value(f"new_places.rate.tranche_{t}", year) or 0) for t in (1, 2, 3)}
        result.lines.extend(new_places_lines(year, by_year.get(year, []), evaluations, places_n1, n1,
                                             ds.collectivites, rates))
        result.released.extend(yr.released)
        result.envelopes.extend(yr.envelopes)
        result.warnings.extend(yr.warnings)
        if progress:
            progress(index + 1, len(years))
    return result
