"""Scenario sweeps (`analysis.sweep`, `analysis.sweep_dask`): the figures of each scenario of a sweep are those
of the same scenario run alone, and the losses against the base and the spread of amount per unit are counted
as worked out by hand. The runs are tasks of an in-process Dask cluster of two workers (threads: a process
cluster takes seconds to start, which tests/cli/test_sweep.py pays once)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import yaml
from support.case_runner import write_case

from ctg_funding.analysis.sweep import Losses, Spread, load_sweep, spread
from ctg_funding.analysis.sweep_dask import run_sweep
from ctg_funding.inputs.model import ENVELOPE_LINES
from ctg_funding.output.simulate import simulate_json
from ctg_funding.rulebook import load_rulebook
from ctg_funding.scenario.file import load_scenario
from ctg_funding.simulation import simulate

ROOT = Path(__file__).resolve().parents[2]
RULEBOOK = load_rulebook()


@pytest.fixture(scope="module")
def client():
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as c:
        yield c


def write_sweep(folder: Path, base: Path, vary: dict) -> Path:
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump({"name": "test sweep", "base": str(base), "vary": vary}, sort_keys=False),
                    encoding="utf-8")
    return path


def alone(base: Path, values: dict, folder: Path) -> Path:
    """The base scenario file with the values written in its parameters, as a person would edit a copy of it."""
    data = yaml.safe_load(base.read_text(encoding="utf-8"))
    data["dataset"] = str((base.parent / data["dataset"]).resolve())
    data["parameters"] = {**data.get("parameters", {}), **values}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# -------------------------------------------------------------------------------- a sweep = separate runs


def test_a_sweep_of_cab_scenarios_gives_what_each_scenario_gives_alone(client, tmp_path):
    base = ROOT / "scenarios" / "cab-per-unit.yaml"
    # The base sets the method, not the floor nor the deadline (the dataset's 2025 applies): its own run must
    # leave them as they are.
    vary = {"redistribution.method": ["historical", "per_unit"], "redistribution.floor_per_unit.EAJE": [0, 2300],
            "pilotage.deadline_year": [2025, 2027]}
    sweep = load_sweep(write_sweep(tmp_path, base, vary), RULEBOOK)
    years = [2025, 2026, 2027]
    report = run_sweep(client, sweep, years, "vector", keep_amounts=True)
    assert [o.point.name for o in report.outcomes] == [f"S{i}" for i in range(1, 9)]
    assert [o.point.values for o in report.outcomes] == [
        {"redistribution.method": m, "redistribution.floor_per_unit.EAJE": f, "pilotage.deadline_year": d}
        for m in ("historical", "per_unit") for f in (0, 2300) for d in (2025, 2027)]
    assert sweep.shown_values(report.base.point) == {"redistribution.method": "per_unit",
                                                     "redistribution.floor_per_unit.EAJE": None,
                                                     "pilotage.deadline_year": None}
    for outcome in [report.base, *report.outcomes]:
        values = {} if outcome is report.base else outcome.point.values
        result = simulate(load_scenario(alone(base, values, tmp_path / outcome.point.name), RULEBOOK), years,
                          engine="vector")
        data = simulate_json(result)
        for key in ("envelope", "allocated", "released"):
            assert getattr(outcome.totals, key) == sum(Decimal(e[key]) for e in data["envelopes"]), key
            for year in years:
                assert getattr(outcome.by_year[year], key) == sum(
                    Decimal(e[key]) for e in data["envelopes"] if e["year"] == year), (key, year)
        outside = [a for a in data["allocations"] if a["line"] not in ENVELOPE_LINES]
        assert outcome.totals.outside_envelope == sum((a["amount"] for a in outside), Decimal(0))
        paid: dict[tuple[str, int], Decimal] = {}
        for a in data["allocations"]:
            key = (a["structure_id"], a["year"])
            paid[key] = paid.get(key, Decimal(0)) + a["amount"]
        assert {k: Decimal(c) / 100 for k, c in outcome.amounts.items()} == paid
        _spreads_are_those_of_the_separate_run(outcome.per_unit, data)


def _spreads_are_those_of_the_separate_run(spreads: dict[str, Spread], data: dict) -> None:
    """Min and max are the separate run's extreme `amount_per_unit` (simulate rounds it to the cent); the
    quartiles are numpy's (linear interpolation, in floating point) of its exact amount / units, to the cent."""
    by_family: dict[str, list[dict]] = {}
    for a in data["allocations"]:
        if a["line"] in ENVELOPE_LINES and a["eligible"] and Fraction(a["units"]) > 0:
            by_family.setdefault(a["family"], []).append(a)
    assert set(spreads) == set(by_family)
    for family, rows in by_family.items():
        s = spreads[family]
        per_unit = sorted(Decimal(a["amount_per_unit"]) for a in rows)
        assert (s.n, s.min, s.max) == (len(rows), per_unit[0], per_unit[-1]), family
        exact = [float(a["amount"]) / float(Fraction(a["units"])) for a in rows]
        # units are written to 4 decimals in the JSON: enough for a cent here (CAB units are whole or 0.x ETP)
        for got, want in zip((s.q1, s.median, s.q3), np.percentile(exact, [25, 50, 75]), strict=True):
            assert abs(float(got) - want) <= 0.005 + 1e-9, (family, got, want)


# ------------------------------------------------------------------------------------- worked by hand

# Base: historical, 2022 (365 days, every structure open all year). Five EAJE of COM-A and one not PS-funded:
#   A 10 places, CEJ 1,000.00   B 10 places, CEJ 1,100.00   C 10 places, CEJ 1,050.00
#   F  9 places, CEJ   950.00   D 10 places, CEJ   555.00   E 10 places, no CEJ, not PS-funded (NOT_PS_FUNDED)
# Envelope EAJE = 1,000 + 1,100 + 1,050 + 950 + 555 = 4,655.00; eligible places 10 + 10 + 10 + 9 + 10 = 49.
# Under per_unit: 4,655 / 49 = 95.00 EUR per place: A, B, C, D 950.00; F 855.00; E 0.
# Against the base (historical = each its CEJ):
#   A 1,000 -> 950: loses 50 = exactly 5% of 1,000: not "more than 5%"
#   B 1,100 -> 950: loses 150 = 13.6%: more than 5% and more than 10%
#   C 1,050 -> 950: loses 100 = 9.5%: more than 5% only
#   F   950 -> 855: loses 95 = exactly 10% of 950: more than 5%, not more than 10%
#   D   555 -> 950: gains
#   E     0 ->   0: the base pays it nothing, it is not compared
# So: 5 structures compared, 3 lose more than 5% (B, C, F), 1 more than 10% (B).
HAND_CASE = {
    "name": "losses against the base",
    "parameters": {"redistribution.method": "historical"},
    "structures": [
        {"id": "A", "type": "EAJE", "units": 10}, {"id": "B", "type": "EAJE", "units": 10},
        {"id": "C", "type": "EAJE", "units": 10}, {"id": "F", "type": "EAJE", "units": 9},
        {"id": "D", "type": "EAJE", "units": 10}, {"id": "E", "type": "EAJE", "units": 10, "ps_funded": False},
    ],
    "cej": {"A": 1000, "B": 1100, "C": 1050, "F": 950, "D": 555},
}


def test_losses_against_the_base_are_counted_as_worked_out_by_hand(client, tmp_path):
    base = write_case(HAND_CASE, tmp_path / "case")
    sweep = load_sweep(write_sweep(tmp_path, base, {"redistribution.method": ["per_unit", "historical"]}), RULEBOOK)
    report = run_sweep(client, sweep, [2022], "vector", keep_amounts=True)
    per_unit, historical = report.outcomes
    assert per_unit.losses == Losses(compared=5, over_5=3, over_10=1)
    assert per_unit.losses_by_year == {2022: Losses(5, 3, 1)}
    assert historical.losses == Losses(5, 0, 0)  # the base itself: nobody loses
    assert report.base.losses is None
    assert {sid: c for (sid, _y), c in per_unit.amounts.items()} == {
        "A": 95000, "B": 95000, "C": 95000, "D": 95000, "F": 85500, "E": 0}
    # Amount per place under per_unit: 95.00 for the five eligible crèches (E, ineligible, is left out).
    assert per_unit.per_unit == {"EAJE": Spread(5, *[Decimal("95.00")] * 5)}
    # Under historical, per place: D 55.50, A 100.00, C 105.00, F 950 / 9 = 105.555..., B 110.00. Five values:
    # the quartiles fall on the 2nd, 3rd and 4th (positions (5 - 1) x 1/4, 2/4, 3/4 = 1, 2, 3 from 0).
    assert report.base.per_unit == {"EAJE": Spread(5, Decimal("55.50"), Decimal("100.00"), Decimal("105.00"),
                                                   Decimal("105.56"), Decimal("110.00"))}


def test_the_spread_interpolates_between_values_and_rounds_once_to_the_cent():
    # 65, 100, 105, 110: q1 at position 3 x 1/4 = 0.75: 65 + 0.75 x 35 = 91.25; the median at 1.5: 102.50;
    # q3 at 2.25: 105 + 0.25 x 5 = 106.25.
    assert spread([Fraction(110), Fraction(65), Fraction(105), Fraction(100)]) == Spread(
        4, Decimal("65.00"), Decimal("91.25"), Decimal("102.50"), Decimal("106.25"), Decimal("110.00"))
    # 1/3 and 2/3: q1 = 1/3 + 1/4 x 1/3 = 5/12 = 0.41666... -> 0.42; median 1/2; q3 = 7/12 = 0.58333... -> 0.58.
    assert spread([Fraction(1, 3), Fraction(2, 3)]) == Spread(
        2, Decimal("0.33"), Decimal("0.42"), Decimal("0.50"), Decimal("0.58"), Decimal("0.67"))
    assert spread([Fraction(7, 2)]) == Spread(1, *[Decimal("3.50")] * 5)
    assert spread([]) is None


def test_a_base_refused_at_run_time_is_reported_with_its_scenario(client, tmp_path):
    # A weight dividing by a column that is 0 for one crèche: the scenario checks accept the expression, the run
    # refuses it (exit 2 in the CLI), and the sweep reports it under the name of the scenario that ran it.
    case = {**HAND_CASE, "parameters": {"redistribution.method": "weighted", "redistribution.weight": "1 / units"},
            "structures": [*HAND_CASE["structures"][:5], {"id": "Z", "type": "EAJE", "units": 0}]}
    base = write_case(case, tmp_path / "case")
    sweep = load_sweep(write_sweep(tmp_path, base, {"redistribution.floor_per_unit.EAJE": [0, 10]}), RULEBOOK)
    from ctg_funding.errors import InputError

    with pytest.raises(InputError) as exc:
        run_sweep(client, sweep, [2022], "vector")
    assert [p.message.split(":")[0] for p in exc.value.problems] == ["base"]
    assert exc.value.problems[0].column == "parameters.redistribution.weight"


def test_the_sweep_json_of_the_example_is_plain_json(client, tmp_path):
    from ctg_funding.output.sweep import sweep_json
    from ctg_funding.output.writers import to_json

    sweep = load_sweep(ROOT / "scenarios" / "sweep-cab.yaml", RULEBOOK)
    report = run_sweep(client, sweep, [2026], "vector")
    data = json.loads(to_json(sweep_json(report, by_year=True)))
    assert [s["name"] for s in data["scenarios"]][:2] == ["base", "S01"]
    assert data["scenarios"][0]["losses"] is None and data["scenarios"][1]["losses"] is not None


def test_dated_values_vary_like_a_scenarios_and_losses_are_counted_over_the_years_and_in_each(client, tmp_path):
    # The hand case over 2022-2023 (the CTG 2021-2025 covers both: the same envelope, 4,655.00, each year), the
    # varied method historical in 2022 and per_unit from 2023: 2022 as the base, 2023 as per_unit above.
    # In 2023: B, C and F lose more than 5%, B more than 10% (as above). Over the two years, against the base's
    # 2 x its CEJ: A 2,000 -> 1,950 (2.5%), B 2,200 -> 2,050 (6.8%: more than 5%), C 2,100 -> 2,000 (4.8%),
    # F 1,900 -> 1,805 (exactly 5%: not more), D gains: 1 structure loses more than 5%, none more than 10%.
    base = write_case({**HAND_CASE, "years": [2022, 2023]}, tmp_path / "case")
    dated = {dt.date(2022, 1, 1): "historical", dt.date(2023, 1, 1): "per_unit"}
    sweep = load_sweep(write_sweep(tmp_path, base, {"redistribution.method": [dated]}), RULEBOOK)
    (outcome,) = run_sweep(client, sweep, [2022, 2023], "vector").outcomes
    assert outcome.losses_by_year == {2022: Losses(5, 0, 0), 2023: Losses(5, 3, 1)}
    assert outcome.losses == Losses(5, 1, 0)
    from ctg_funding.output.sweep import value_text

    assert value_text(outcome.point.values["redistribution.method"]) == "2022-01-01: historical; 2023-01-01: per_unit"
