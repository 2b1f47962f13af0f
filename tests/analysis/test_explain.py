"""Explanations are rebuilt from what the allocators recorded, so both engines explain every amount alike; the
recorded arithmetic of known CAB amounts is checked against figures worked out by hand."""

import json
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

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
    # Saint-Léonard's post, 1.3 ETP, chargé de coopération since 2024, N-1 amount 41,500.00 (cej.csv).
    # After the 2025 deadline its funding is capped at 30,200 EUR per ETP (pilotage.cap_per_etp):
    # 30,200 x 1.3 = 39,260.00; 41,500.00 - 39,260.00 = 2,240.00 released as POST_CAPPED.
    result = simulate(load_scenario(ROOT / "scenarios" / "cab-historical.yaml", RULEBOOK), [2026], engine=engine)
    trace = explanation(result, "COORD-SAINT-LEONARD", 2026)["trace"]
    assert [s.kind for s in trace] == ["historical", "capped"]
    assert trace[0].figures == {"cej": Fraction(41500)}
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
