"""The two evaluators agree: durable-rules (the reference) and the vector masks give the same family, unit,
eligibility, reason and fired rules on every structure-year, and the simulation with either engine gives the
same allocations (every line, those outside the envelope included), released amounts and envelopes (and what
each renews, R7), to the cent, on random datasets (renewed CTGs included) and on every CAB scenario."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.case_runner import write_case
from support.strategies import cases, examples

from ctg_funding.engine import evaluate
from ctg_funding.rulebook import load_rulebook
from ctg_funding.scenario.file import load_scenario
from ctg_funding.scenario.structure_years import structure_years
from ctg_funding.simulation import simulate

ROOT = Path(__file__).resolve().parents[2]
RULEBOOK = load_rulebook()
CAB_SCENARIOS = sorted((ROOT / "scenarios").glob("cab-*.yaml"))

change_dates = st.sampled_from(["2022-01-01", "2023-04-15", "2024-02-29", "2026-01-01", "2027-07-01"])


@st.composite
def cases_with_changes(draw):
    """The property tests' random cases, with dated changes on top (closures, units, support, conversions)."""
    case = draw(cases())
    changes = []
    for s in case["structures"]:
        if draw(st.integers(0, 3)):
            continue
        action = draw(st.sampled_from(["units", "supported_by", "ps_funded", "convert_to", "close"]))
        on = draw(change_dates)
        if action == "units":
            changes.append({"on": on, "structure": s["id"], "units": draw(st.sampled_from([0, 0.4, 3, 55]))})
        elif action == "supported_by":
            changes.append({"on": on, "structure": s["id"], "supported_by": draw(st.sampled_from([[], ["COM-B"]]))})
        elif action == "ps_funded":
            changes.append({"on": on, "structure": s["id"], "ps_funded": draw(st.booleans())})
        elif action == "convert_to" and s["type"] == "COORDINATION" and "converted_on" not in s:
            changes.append({"on": on, "structure": s["id"], "convert_to": "charge_cooperation"})
        elif action == "close" and "closed" not in s and on > "2019-01-01":
            changes.append({"on": on, "structure": s["id"], "close": True})
    case["changes"] = changes
    if draw(st.integers(0, 3)) == 0:  # a renewed CTG in the dataset, 2026 only (then ctg.renewed_until, if set)
        case["territory"] = {"renewals": ["2026-12-31"]}
    return case


def _outcome(result) -> dict:
    """Everything a reader of the simulation sees, amounts as exact Decimals."""
    lines = sorted((ln.year, ln.structure_id, ln.line, ln.family, ln.unit, ln.units, ln.amount, ln.eligible,
                    ln.reason, tuple(ln.rules), ln.method, ln.rate, ln.n1_amount, ln.renewed_from)
                   for ln in result.lines)
    released = sorted((r.year, r.family, r.structure_id or "", r.reason, r.amount, r.destination, tuple(r.rules))
                      for r in result.released)
    envelopes = sorted((getattr(e, "territory", ""), e.year, e.family, e.envelope, e.allocated, e.released,
                        e.redistributed, e.method, e.rate, e.floor, e.renewed_from) for e in result.envelopes)
    return {"lines": lines, "released": released, "envelopes": envelopes, "warnings": sorted(result.warnings)}


def assert_same(scenario) -> None:
    sys_ = structure_years(scenario)
    durable = evaluate(sys_, scenario.rulebook, "durable", scenario.rulebook_for)
    vector = evaluate(sys_, scenario.rulebook, "vector", scenario.rulebook_for)
    assert vector == durable
    a = _outcome(simulate(scenario, engine="durable"))
    b = _outcome(simulate(scenario, engine="vector"))
    for key in a:
        assert b[key] == a[key], key


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases_with_changes())
def test_engines_agree_on_random_datasets(case):
    with tempfile.TemporaryDirectory() as tmp:
        scenario = load_scenario(write_case(case, Path(tmp)), RULEBOOK)
    assert_same(scenario)


@pytest.mark.parametrize("path", CAB_SCENARIOS, ids=lambda p: p.stem)
def test_engines_agree_on_the_cab(path):
    assert_same(load_scenario(path, RULEBOOK))


def _case_result(case: dict, engine: str):
    with tempfile.TemporaryDirectory() as tmp:
        scenario = load_scenario(write_case(case, Path(tmp)), RULEBOOK)
    return scenario, simulate(scenario, engine=engine)


def test_rounding_ties_go_to_the_smallest_structure_id_in_both_engines():
    # 100.00 EUR over three equal crèches: 33.333... each, the one cent left goes to the smallest id (R3).
    case = {"name": "ties", "years": [2022, 2022], "parameters": {"redistribution.method": "per_unit"},
            "structures": [{"id": i, "type": "EAJE", "units": 10} for i in ("C", "A", "B")],
            "cej": {"A": "40.00", "B": "30.00", "C": "30.00"}}
    scenario, result = _case_result(case, "vector")
    assert {ln.structure_id: str(ln.amount) for ln in result.lines} == {"A": "33.34", "B": "33.33", "C": "33.33"}
    assert_same(scenario)


def test_a_tie_between_a_line_and_its_own_released_amount_goes_to_the_line():
    # 2024 has 366 days; closed on 2 July, the crèche is open 183 of them: 0.01 EUR splits into 0.005 kept and
    # 0.005 released (CLOSED), both under its id: the first of the two in the envelope's order (the line) wins.
    case = {"name": "half", "years": [2024, 2024], "parameters": {"redistribution.method": "historical"},
            "structures": [{"id": "A", "type": "EAJE", "units": 10, "closed": "2024-07-02"}],
            "cej": {"A": "0.01"}}
    scenario, result = _case_result(case, "vector")
    assert [str(ln.amount) for ln in result.lines if ln.line != "bonus_places_nouvelles"] == ["0.01"]
    assert [(r.reason, str(r.amount)) for r in result.released] == [("CLOSED", "0.00")]
    assert_same(scenario)


@pytest.mark.parametrize("seed", range(4))
def test_engines_agree_on_generated_multi_territory_datasets(tmp_path, seed):
    from ctg_funding.inputs.generate import generate

    path = generate(tmp_path / "national", territories=3, structures=80, seed=seed)
    assert_same(load_scenario(path, RULEBOOK))


def test_audit_finds_the_same_with_both_engines():
    # The CAB audit (planted anomalies, data/cab/README.md): same summary and same findings, code and amounts.
    from click.testing import CliRunner

    from ctg_funding.cli import main

    outputs = {}
    for engine in ("durable", "vector"):
        result = CliRunner().invoke(main, ["audit", str(ROOT / "scenarios" / "cab-audit.yaml"), "--year",
                                           "2022..2026", "--engine", engine, "--format", "json"])
        assert result.exit_code == 1, result.output
        outputs[engine] = json.loads(result.output)
    strip = [(f["year"], f["structure_id"], f["line"], f["code"], f["expected"], f["paid"], f["difference"])
             for f in outputs["durable"]["findings"]]
    assert strip == [(f["year"], f["structure_id"], f["line"], f["code"], f["expected"], f["paid"], f["difference"])
                     for f in outputs["vector"]["findings"]]
    assert len(strip) == 6
    assert outputs["durable"]["summary"] == outputs["vector"]["summary"]


@pytest.mark.parametrize("rules", [0, 1, 3, 64, 65, 130])
def test_the_vector_evaluator_groups_facts_by_the_exact_set_of_rules_they_fire(rules):
    # vector.patterns: one code per distinct row of the facts x rules matrix, and the first fact of each code. Rows
    # are built so that fact i fires rule j when (i * j) % 7 < 3: facts 0 and 7 fire the same rules, and so on.
    from ctg_funding.engine.vector import patterns

    matrix = np.array([[(i * j) % 7 < 3 for j in range(rules)] for i in range(20)], dtype=bool).reshape(20, rules)
    first, code = patterns(matrix)
    distinct = {tuple(row) for row in matrix.tolist()}
    assert (len(first), len(code)) == (len(distinct), 20)
    for i in range(20):
        for k in range(20):
            assert (code[i] == code[k]) == bool((matrix[i] == matrix[k]).all()), (i, k)
    assert sorted(first.tolist()) == sorted({min(k for k in range(20) if (matrix[k] == matrix[i]).all())
                                             for i in range(20)})
    assert all(code[f] == c for c, f in enumerate(first.tolist()))
