"""Explanations are rebuilt from what the allocators recorded, so both engines explain every amount alike; the
recorded arithmetic of known CAB amounts is checked against figures worked out by hand."""

import datetime as dt
import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.case_runner import write_case

from ctg_funding.analysis.explain import explanation
from ctg_funding.cli import main
from ctg_funding.output.explain import explain_json
from ctg_funding.output.writers import to_json
from ctg_funding.rulebook import load_rulebook
from ctg_funding.scenario.file import load_scenario
from ctg_funding.simulation import simulate

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("cab-*.yaml"))
RULEBOOK = load_rulebook()


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_both_engines_explain_every_cab_amount_alike(path):
    scenario = load_scenario(path, RULEBOOK)
    years = [2024, 2026]
    durable = simulate(scenario, years, engine="durable")
    vector = simulate(scenario, years, engine="vector")
    for year in years:
        for sid in scenario.structures:
            a = to_json(explain_json(explanation(durable, sid, year)))
            b = to_json(explain_json(explanation(vector, sid, year)))
            assert a == b, (sid, year)


def test_the_cli_explains_alike_with_either_engine():
    args = ["explain", str(ROOT / "scenarios" / "cab-per-unit-floor.yaml"), "EAJE-BSM-CELESTINE", "--year", "2026",
            "--format", "json"]
    durable = CliRunner().invoke(main, [*args, "--engine", "durable"])
    vector = CliRunner().invoke(main, [*args, "--engine", "vector"])
    assert durable.exit_code == vector.exit_code == 0
    assert durable.output == vector.output
    assert json.loads(vector.output)["steps"]  # the vector engine explains the arithmetic too


@pytest.mark.parametrize("engine", ["durable", "vector"])
def test_a_capped_post_records_its_cap(engine):
    # Saint-Léonard's post, 1.3 ETP, chargé de coopération since 2024, N-1 amount 41,500.00 (cej.csv), all of it
    # allocated in 2025 (the deadline year). 2026 is in the renewed CTG: its N-1 amount is that 2025 allocation
    # (R7). After the 2025 deadline its funding is capped at 30,200 EUR per ETP (pilotage.cap_per_etp):
    # 30,200 x 1.3 = 39,260.00; 41,500.00 - 39,260.00 = 2,240.00 released as POST_CAPPED.
    result = simulate(load_scenario(ROOT / "scenarios" / "cab-historical.yaml", RULEBOOK), [2026], engine=engine)
    trace = explanation(result, "COORD-SAINT-LEONARD", 2026)["trace"]
    assert [s.kind for s in trace] == ["renewed", "capped"]
    assert trace[0].figures == {"n1": Fraction(41500), "base_year": 2025}
    capped = trace[1].figures
    assert (capped["cap"], capped["units"], capped["ceiling"], capped["released"], capped["reason"]) == (
        Fraction(30200), Fraction(13, 10), Fraction(39260), Fraction(2240), "POST_CAPPED")


@pytest.mark.parametrize("engine", ["durable", "vector"])
def test_a_crèche_closing_mid_year_records_its_share_of_the_year(engine):
    # Casablanca (N-1 96,367.41) closes on 2024-07-01: open 182 of the 366 days of 2024.
    # 96,367.41 x 182 / 366 = 17,538,868.62 / 366 = 47,920.406065...; rounded to the cent: 47,920.41.
    result = simulate(load_scenario(ROOT / "scenarios" / "cab-closure.yaml", RULEBOOK), [2024], engine=engine)
    data = explanation(result, "EAJE-BSM-CASABLANCA", 2024)
    kinds = [s.kind for s in data["trace"]]
    assert kinds == ["pro_rata", "historical_part_year", "rounded"]
    part = data["trace"][1].figures
    assert part["share"] == Fraction(182, 366)
    assert part["amount"] == Fraction("96367.41") * 182 / 366
    assert str(data["amount"]) == "47920.41"
    sentences = explain_json(data)["steps"]
    assert sentences[1] == ("N-1 CEJ amount €96,367.41 x 91/183 of the year = €47,920.406066; the rest is "
                            "released (CLOSED)")


RENEWAL = {  # docs/funding-rules.md R7, worked example: historical until 2025, per_unit in the renewed CTG
    "name": "renewal", "years": [2025, 2026],
    "parameters": {"redistribution.method": {dt.date(2021, 1, 1): "historical", dt.date(2026, 1, 1): "per_unit"},
                   "redistribution.method.RPE": {dt.date(2021, 1, 1): "per_unit",
                                                 dt.date(2026, 1, 1): "historical"},
                   "ctg.renewed_until": "2030-12-31"},
    "structures": [{"id": "E1", "type": "EAJE", "units": 20}, {"id": "E2", "type": "EAJE", "units": 40},
                   {"id": "E3", "type": "EAJE", "units": 10},
                   {"id": "E5", "type": "EAJE", "units": 10, "supported_by": ["NONSIG"]},
                   {"id": "R1", "type": "RPE", "units": 3}, {"id": "R2", "type": "RPE", "units": 1}],
    "cej": {"E1": "30000", "E2": "50000", "E5": "8000", "R1": "9000"},
}


def _renewal_results(tmp_path):
    scenario = load_scenario(write_case(RENEWAL, tmp_path), RULEBOOK)
    return {e: simulate(scenario, [2026], engine=e) for e in ("durable", "vector")}


def test_a_renewed_amount_names_the_year_and_the_amount_it_comes_from(tmp_path):
    # 2026, renewed CTG (R7). E1, per_unit: the EAJE envelope is what 2025 allocated, 30,000 + 50,000 = 80,000
    # (E5's 8,000 was released), over 70 places: 22,857.142857 -> 22,857.14. R2, historical: its N-1 amount is
    # its 2025 per_unit allocation, 9,000 x 1/4 ETP = 2,250.00 (it had no CEJ). E5: allocated nothing in 2025.
    results = _renewal_results(tmp_path)
    for result in results.values():
        e1 = explanation(result, "E1", 2026)
        assert [s.kind for s in e1["trace"]] == ["renewed_envelope", "per_unit", "rounded"]
        assert e1["trace"][0].figures == {"family": "EAJE", "base_year": 2025, "envelope": Fraction(80000)}
        assert e1["envelope"]["renewed_from"] == 2025 and "R7.renewal" in [r["id"] for r in e1["rules"]]
        words = explain_json(e1)["steps"][0]
        assert words.startswith("family envelope €80,000.00 = what the EAJE structures of the territory were "
                                "allocated in 2025")
        r2 = explanation(result, "R2", 2026)
        assert [(s.kind, s.figures) for s in r2["trace"]] == [("renewed", {"n1": Fraction(2250),
                                                                           "base_year": 2025})]
        assert (r2["facts"]["cej_n_minus_1"], r2["facts"]["n_minus_1"]) == ("0.00", "2250.00")
        assert r2["facts"]["n_minus_1_renewed_from"] == 2025
        assert explain_json(r2)["steps"] == ["N-1 amount €2,250.00: what it was allocated in 2025, the last "
                                             "year of the previous CTG (renewal, R7.renewal); open all year"]
        e5 = explanation(result, "E5", 2026)
        assert (e5["amount"], e5["reason"]) == (Decimal("0.00"), "NO_SIGNATORY_SUPPORT")
    for sid in RENEWAL["cej"]:
        a, b = (to_json(explain_json(explanation(results[e], sid, 2026))) for e in ("durable", "vector"))
        assert a == b, sid


@pytest.mark.parametrize("engine", ["durable", "vector"])
def test_a_renewed_amount_sets_beside_it_the_cej_actions_ended_before_the_year(tmp_path, engine):
    # Two CTGs in one dataset (territories.csv): T1 (COM-A) 2021-2022, renewed to 2030; T2 (COM-OUT) 2021-2026, so
    # the reader takes CEJ actions ending up to 2025 (T2's end year - 1). S, in T1, historical: one action of
    # 1,000.00 ending in 2021 and one of 2,000.00 ending in 2024.
    # 2023 and 2024 are in T1's renewal (R7): S's N-1 amount is what it was allocated in 2022, the base year: its
    # CEJ amount then, the 2021 action only, 1,000.00.
    # Beside it, the explanation gives its CEJ amount (R1: "A CEJ ending in 2021 counts from 2022"): in 2024 the
    # action ending in 2024 does not count yet, 1,000.00; from 2025 it does, 1,000 + 2,000 = 3,000.00.
    case = {"name": "renewal beside the CEJ", "years": [2024, 2025],
            "parameters": {"redistribution.method": "historical"},
            "structures": [{"id": "S", "type": "EAJE", "units": 10},
                           {"id": "V", "type": "EAJE", "units": 10, "commune": "COM-OUT"}],
            "cej": {"S": [{"amount": 1000, "last_year": 2021}, {"amount": 2000, "last_year": 2024}], "V": 500}}
    scenario_path = write_case(case, tmp_path)
    data = tmp_path / "data"
    (data / "territory.yaml").unlink()
    (data / "territories.csv").write_text(
        "id,name,caf,start,end,pilotage_deadline_year,communes,renewals\n"
        "T1,CTG 1,Caf,2021-01-01,2022-12-31,2025,COM-A,2030-12-31\n"
        "T2,CTG 2,Caf,2021-01-01,2026-12-31,2025,COM-OUT,\n", encoding="utf-8")
    result = simulate(load_scenario(scenario_path, RULEBOOK), engine=engine)
    facts = {year: explanation(result, "S", year)["facts"] for year in (2024, 2025)}
    assert [(f["n_minus_1"], f["n_minus_1_renewed_from"], f["cej_n_minus_1"]) for f in facts.values()] == [
        ("1000.00", 2022, "1000.00"), ("1000.00", 2022, "3000.00")]
