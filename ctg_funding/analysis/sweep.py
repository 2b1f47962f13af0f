"""Scenario sweeps, as data: a sweep file names a base scenario and the parameters to vary; every combination of
their values (the grid) is the base scenario with those parameters overridden. Each run is reduced to a summary:
envelope, allocated, released and paid outside the envelope; the spread of the amount per unit in each family;
how many structures lose more than 5% and 10% against the base scenario run as it is. The runs themselves are
tasks on Dask (`sweep_dask`); this module reads and checks the file and summarises a run, without I/O beyond the
sweep file and the base scenario's."""

from __future__ import annotations

import itertools
import statistics
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..allocation.results import Warning
from ..errors import InputError, Problem
from ..i18n import _
from ..inputs.model import ENVELOPE_LINES
from ..money import ZERO, round_cents, to_cents
from ..rulebook import Rulebook
from ..scenario.file import Scenario, ScenarioFile, build_scenario, load_scenario, read_scenario_file
from ..simulation import SimulationResult
from ..strict_yaml import load_model_file
from .compare import envelope_totals

# A structure "loses more than 5%" when (base - scenario) > 5% of base, exactly (amounts in cents, no float).
LOSS_THRESHOLDS = (Fraction(5, 100), Fraction(10, 100))
MAX_SCENARIOS = 10_000  # a grid beyond this is a typo more often than a plan
BASE = "base"


class SweepFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    base: str
    vary: dict[str, list[Any]]


@dataclass(frozen=True)
class Point:
    """One scenario of the grid: its name and the value of each varied parameter (as the sweep file gives it)."""

    name: str
    values: dict[str, Any]


@dataclass
class Sweep:
    """A sweep file checked: its base scenario loaded, every value of the grid accepted by the scenario checks."""

    name: str
    description: str
    path: Path
    base_path: Path
    base_file: ScenarioFile
    base: Scenario
    rulebook: Rulebook
    varied: list[str]
    points: list[Point]

    def scenario_file(self, point: Point) -> ScenarioFile:
        return with_values(self.base_file, point)

    @property
    def base_point(self) -> Point:
        """The base scenario as it is: nothing overridden."""
        return Point(BASE, {})

    def shown_values(self, point: Point) -> dict[str, Any]:
        """The value of each varied parameter in a scenario: the point's, else (the base) the base file's (None:
        the file does not set it, the rules' own values apply)."""
        return {k: point.values.get(k, self.base_file.parameters.get(k)) for k in self.varied}


def with_values(base_file: ScenarioFile, point: Point) -> ScenarioFile:
    """The base scenario file with the point's values replacing its own values of those parameters."""
    return base_file.model_copy(update={"parameters": {**base_file.parameters, **point.values}})


def load_sweep(path: Path, rulebook: Rulebook) -> Sweep:
    """Read a sweep file, its base scenario and dataset, and check every value of the grid as a scenario's
    parameter would be checked; raise InputError naming the file and key of every problem, before anything
    runs."""
    name = path.name
    sf = _read(path)
    problems = _shape_problems(sf, name)
    base_path = path.parent / sf.base
    if not base_path.is_file():
        problems.append(Problem(name, None, "base", _("no such scenario file: {path}").format(path=base_path)))
        raise InputError(problems)
    try:
        base_file = read_scenario_file(base_path)
        base = load_scenario(base_path, rulebook)
    except InputError as exc:  # the base scenario's own problems, named by its file, with the sweep file's
        raise InputError(problems + exc.problems) from None
    sweep = Sweep(sf.name, sf.description, path, base_path, base_file, base, rulebook, list(sf.vary), [])
    for key, values in sf.vary.items():
        if key not in rulebook.parameters:
            problems.append(Problem(name, None, f"vary.{key}", _("unknown parameter (see `ctg rules`)")))
            continue
        for index, value in enumerate(values):
            problems.extend(_value_problems(sweep, Point("", {key: value}), name, f"vary.{key}[{index}]"))
    if problems:
        raise InputError(problems)
    combos = list(itertools.product(*sf.vary.values()))
    width = len(str(len(combos)))
    sweep.points = [Point(f"S{i:0{width}d}", dict(zip(sweep.varied, combo, strict=True)))
                    for i, combo in enumerate(combos, start=1)]
    for point in sweep.points:  # each value passed alone; a combination is checked too, at no real cost
        problems.extend(_value_problems(sweep, point, name, "vary"))
    if problems:
        raise InputError(problems)
    return sweep


def _read(path: Path) -> SweepFile:
    return load_model_file(path, SweepFile, _("no such sweep file"),
                           _("a sweep file is a mapping with the keys name, base and vary: see docs/sweeps.md"))


def _shape_problems(sf: SweepFile, name: str) -> list[Problem]:
    """What pydantic cannot say: nothing to vary, a parameter without values, a value given twice, a grid too
    large."""
    out = []
    if not sf.vary:
        out.append(Problem(name, None, "vary", _("give at least one parameter and its values, such as "
                                                 "redistribution.method: [historical, per_unit]")))
    for key, values in sf.vary.items():
        if not values:
            out.append(Problem(name, None, f"vary.{key}", _("give at least one value")))
        for index, value in enumerate(values):
            if value in values[:index]:
                out.append(Problem(name, None, f"vary.{key}[{index}]", _("{value!r} is given twice").format(
                    value=value)))
    size = 1
    for values in sf.vary.values():
        size *= max(len(values), 1)
    if size > MAX_SCENARIOS:
        out.append(Problem(name, None, "vary", _("the grid has {n} scenarios; at most {max} are run").format(
            n=f"{size:,}", max=f"{MAX_SCENARIOS:,}")))
    return out


def _value_problems(sweep: Sweep, point: Point, name: str, key: str) -> list[Problem]:
    """The scenario checks on the base scenario with the point's values: each problem they find in a varied
    parameter is named by its key in the sweep file."""
    try:
        build_scenario(sweep.scenario_file(point), sweep.base.dataset, sweep.rulebook, sweep.base_path)
    except InputError as exc:
        varied = {f"parameters.{k}" for k in point.values}
        prefix = f"{point.name}: " if point.name else ""
        return [Problem(name, None, key, prefix + p.message) if p.column in varied else p for p in exc.problems]
    return []


# ------------------------------------------------------------------------------------------------ summaries


@dataclass(frozen=True)
class Totals:
    """Euros over the years run: envelope, allocated and released (R1, R3), and paid outside the envelope (R5,
    R8, R9)."""

    envelope: Decimal = ZERO
    allocated: Decimal = ZERO
    released: Decimal = ZERO
    outside_envelope: Decimal = ZERO


@dataclass(frozen=True)
class Spread:
    """The amount per unit of a family's structure-years: how many, min, quartiles, max, in euros to the cent."""

    n: int
    min: Decimal
    q1: Decimal
    median: Decimal
    q3: Decimal
    max: Decimal


@dataclass(frozen=True)
class Losses:
    """How many structures lose more than 5% and more than 10% against the base, among those the base pays."""

    compared: int
    over_5: int
    over_10: int


@dataclass
class Outcome:
    """What one scenario's task returns: small. `amounts` (cents per structure and year, every line) only for the
    base and when the per-structure results are asked; `problems` when the run was refused."""

    point: Point
    totals: Totals = field(default_factory=Totals)
    by_year: dict[int, Totals] = field(default_factory=dict)
    per_unit: dict[str, Spread] = field(default_factory=dict)
    losses: Losses | None = None
    losses_by_year: dict[int, Losses] = field(default_factory=dict)
    balanced: bool = True
    warnings: list[Warning] = field(default_factory=list)
    amounts: dict[tuple[str, int], int] | None = None
    problems: list[Problem] = field(default_factory=list)


def amounts_of(result: SimulationResult) -> dict[tuple[str, int], int]:
    """Cents per (structure, year), every line of payment added (what the structure receives that year)."""
    out: dict[tuple[str, int], int] = {}
    for ln in result.lines:
        key = (ln.structure_id, ln.year)
        out[key] = out.get(key, 0) + to_cents(ln.amount)
    return out


def spread(values: list[Fraction]) -> Spread | None:
    """Min, quartiles and max of exact values, each rounded once to the cent (half to even). Quartiles by
    linear interpolation between the sorted values (Python's `statistics.quantiles`, method 'inclusive': the
    same as numpy's default and Excel's QUARTILE.INC), computed on the exact fractions."""
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        q1 = median = q3 = ordered[0]
    else:
        q1, median, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    return Spread(len(ordered), *(round_cents(Fraction(v)) for v in (ordered[0], q1, median, q3, ordered[-1])))


def per_unit_spreads(result: SimulationResult) -> dict[str, Spread]:
    """Each family's spread of amount per unit: every eligible structure-year with units on the family's envelope
    line (bonus_territoire, pilotage), its amount (rounded, as paid) divided by its units pro rata temporis."""
    values: dict[str, list[Fraction]] = {}
    for ln in result.lines:
        if ln.line in ENVELOPE_LINES and ln.eligible and ln.units > 0:
            values.setdefault(ln.family, []).append(Fraction(ln.amount) / ln.units)
    return {family: spread(v) for family, v in sorted(values.items())}


def losses(base: dict[str, int], scenario: dict[str, int]) -> Losses:
    """Count the structures the base pays (> 0) whose amount falls by more than each threshold of it."""
    paid = {sid: cents for sid, cents in base.items() if cents > 0}
    over = [sum(1 for sid, cents in paid.items() if cents - scenario.get(sid, 0) > t * cents)
            for t in LOSS_THRESHOLDS]
    return Losses(len(paid), *over)


def by_structure(amounts: dict[tuple[str, int], int]) -> dict[str, int]:
    """Cents per structure over every year."""
    out: dict[str, int] = {}
    for (sid, _y), cents in amounts.items():
        out[sid] = out.get(sid, 0) + cents
    return out


def by_year(amounts: dict[tuple[str, int], int]) -> dict[int, dict[str, int]]:
    """Cents per structure in each year, in one pass over the amounts."""
    out: dict[int, dict[str, int]] = {}
    for (sid, y), cents in amounts.items():
        out.setdefault(y, {})[sid] = cents
    return out


def summarise(point: Point, result: SimulationResult, base: dict[tuple[str, int], int] | None,
              keep_amounts: bool) -> Outcome:
    """A run reduced to its outcome; the losses against the base's amounts (none for the base itself)."""
    amounts = amounts_of(result)
    out = Outcome(point, totals=Totals(**envelope_totals(result, result.years)),
                  by_year={y: Totals(**envelope_totals(result, [y])) for y in result.years},
                  per_unit=per_unit_spreads(result), balanced=all(e.balanced for e in result.envelopes),
                  warnings=list(result.warnings), amounts=amounts if keep_amounts else None)
    if base is not None:
        out.losses = losses(by_structure(base), by_structure(amounts))
        base_years, mine = by_year(base), by_year(amounts)
        out.losses_by_year = {y: losses(base_years.get(y, {}), mine.get(y, {})) for y in result.years}
    return out


@dataclass
class SweepReport:
    """A sweep's results: the base scenario's outcome, then each scenario's in the grid's order."""

    sweep: Sweep
    years: list[int]
    engine: str
    base: Outcome
    outcomes: list[Outcome]
