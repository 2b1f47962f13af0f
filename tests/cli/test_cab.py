"""The CAB scenarios end to end: what the issue asks to see on the real territory."""

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from ctg_funding.cli import main
from ctg_funding.inputs.model import ENVELOPE_LINES

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"


def cej_amounts() -> dict[str, Decimal]:
    """N-1 amounts per structure, read straight from the dataset file."""
    out: dict[str, Decimal] = {}
    with (ROOT / "data/cab/cej.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out[row["structure_id"]] = out.get(row["structure_id"], Decimal(0)) + Decimal(row["amount"])
    return out


def run_json(*args: str) -> dict:
    result = CliRunner().invoke(main, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture(scope="module")
def historical() -> dict:
    return run_json("simulate", str(SCENARIOS / "cab-historical.yaml"))


def allocation(data: dict, sid: str, year: int) -> dict:
    return next(a for a in data["allocations"] if a["structure_id"] == sid and a["year"] == year)


def test_unconverted_posts_get_nothing_in_2026_and_their_amounts_are_released(historical):
    # Saint-Martin-Boulogne, Neufchâtel-Hardelot, Wimille and La Capelle are still coordinateur_cej posts
    # (structures.csv): from 2026 (deadline 2025) they get nothing; each one's N-1 amount is released with
    # POST_NOT_CONVERTED.
    cej = cej_amounts()
    for sid in ("COORD-SMB", "COORD-NEUFCHATEL", "COORD-WIMILLE", "COORD-LA-CAPELLE"):
        row = allocation(historical, sid, 2026)
        assert (row["amount"], row["eligible"], row["reason"]) == ("0.00", False, "POST_NOT_CONVERTED")
        released = [r for r in historical["released"] if r["structure_id"] == sid and r["year"] == 2026]
        assert [(r["amount"], r["reason"]) for r in released] == [(f"{cej[sid]:.2f}", "POST_NOT_CONVERTED")]
        # In 2025, the deadline year, the same post still keeps its whole N-1 amount.
        assert allocation(historical, sid, 2025)["amount"] == f"{cej[sid]:.2f}"


def test_converted_posts_after_the_deadline(historical):
    # Saint-Léonard: converted 2024-01-01, 1.3 ETP, N-1 41,500.00; cap 30,200 x 1.3 = 39,260.00, so 2,240.00
    # is released as POST_CAPPED. Le Portel: converted but 0.30 ETP < 0.5 -> POST_BELOW_MIN_ETP from 2026.
    leonard = allocation(historical, "COORD-SAINT-LEONARD", 2026)
    assert (leonard["amount"], leonard["line"]) == ("39260.00", "pilotage")
    capped = [r for r in historical["released"] if r["structure_id"] == "COORD-SAINT-LEONARD" and r["year"] == 2026]
    assert [(r["amount"], r["reason"]) for r in capped] == [("2240.00", "POST_CAPPED")]
    assert allocation(historical, "COORD-LE-PORTEL", 2026)["reason"] == "POST_BELOW_MIN_ETP"
    assert allocation(historical, "COORD-LE-PORTEL", 2025)["eligible"] is True


def test_micro_creches_paje_and_mam_are_not_ps_funded(historical):
    rows = [a for a in historical["allocations"] if a["type"] in ("MICRO_CRECHE_PAJE", "MAM")]
    assert len(rows) == 7 * 9  # 3 micro-crèches PAJE + 4 MAM (Annex 1), 2022..2030
    assert {(a["reason"], a["amount"], a["family"]) for a in rows} == {("NOT_PS_FUNDED", "0.00", "EAJE")}


def test_historical_keeps_every_eligible_structure_at_its_cej_amount_in_2022(historical):
    cej = cej_amounts()
    for a in historical["allocations"]:
        if a["year"] == 2022 and a["eligible"]:
            assert Decimal(a["amount"]) == cej.get(a["structure_id"], Decimal(0)), a["structure_id"]


@pytest.mark.parametrize("name", ["cab-historical", "cab-per-unit", "cab-per-unit-floor"])
def test_envelopes_balance_to_the_cent_every_year(name):
    data = run_json("simulate", str(SCENARIOS / f"{name}.yaml"))
    cej = cej_amounts()
    total_cej = sum(cej.values())
    assert {e["year"] for e in data["envelopes"]} == set(range(2022, 2031))
    for year in range(2022, 2031):
        envs = [e for e in data["envelopes"] if e["year"] == year]
        # R1: the year's envelopes add up to the whole N-1 CEJ (1,920,528.00 EUR in data/cab/cej.csv).
        assert sum(Decimal(e["envelope"]) for e in envs) == total_cej == Decimal("1920528.00")
        for e in envs:
            assert Decimal(e["allocated"]) + Decimal(e["released"]) == Decimal(e["envelope"])
            allocated = sum(Decimal(a["amount"]) for a in data["allocations"] if a["year"] == year
                            and a["family"] == e["family"] and a["line"] in ENVELOPE_LINES)
            assert allocated == Decimal(e["allocated"])


def test_json_has_the_contract_fields(historical):
    assert set(historical) >= {"scenario", "rules_version", "dataset_sha256", "allocations", "released", "envelopes"}
    row = allocation(historical, "EAJE-BSM-CELESTINE", 2026)
    assert set(row) >= {"year", "structure_id", "line", "family", "units", "rate", "amount", "eligible", "reason",
                        "rules"}
    assert row["rules"][:1] == ["R2.eaje"] and "R3.historical" in row["rules"]
    for a in historical["allocations"]:
        whole, cents = a["amount"].split(".")
        assert len(cents) == 2 and whole.lstrip("-").isdigit()
    assert len(historical["dataset_sha256"]) == 64


def test_per_unit_gives_one_rate_per_place():
    data = run_json("simulate", str(SCENARIOS / "cab-per-unit.yaml"), "--year", "2026")
    eaje = [a for a in data["allocations"] if a["family"] == "EAJE" and a["eligible"]]
    env = next(e for e in data["envelopes"] if e["family"] == "EAJE")
    # 14 eligible EAJE and crèche familiale rows (Annex 2) with 472 places: 230 + 60 + 55 + 50 + 35 + 22 + 20.
    assert len(eaje) == 14
    assert sum(Decimal(a["units"]) for a in eaje) == 472
    rates = {a["rate"] for a in eaje}
    assert len(rates) == 1
    # The EAJE envelope is the N-1 CEJ of the EAJE family, 1,122,004.94 (docs/funding-rules.md R1, worked example):
    # rate = 1,122,004.94 / 472 places = 2,377.129110169... EUR per place.
    assert env["envelope"] == "1122004.94"
    assert Decimal(rates.pop()).quantize(Decimal("0.000001")) == Decimal("2377.129110")
    # Rounded down to the cent, the 14 amounts leave 7 cents, which go to the 7 largest remainders (in cents: 45 places
    # 0.996, 35 places 0.886, 25 places 0.775 twice, 60 places 0.661 twice, 40 places 0.441; then 30 places 0.330):
    #   60 places: 60 x 2,377.129110 = 142,627.7466 -> 142,627.74 + 1 cent = 142,627.75
    #   40 places: 95,085.1644 -> 95,085.17;  30 places: 71,313.8733 -> 71,313.87 (no cent)
    #   22 places: 52,296.8404 -> 52,296.84 (no cent)
    amounts = {a["structure_id"]: a["amount"] for a in eaje}
    assert amounts["EAJE-BSM-CELESTINE"] == amounts["EAJE-OUTREAU-LACORRE"] == "142627.75"
    assert amounts["EAJE-BSM-PETITS-MARGATS"] == "95085.17"
    assert amounts["EAJE-BSM-ARC-EN-CIEL"] == "71313.87"
    assert amounts["EAJE-NEUFCHATEL-PETIT-PRINCE"] == "52296.84"


def test_year_option_restricts_and_refuses_years_outside_the_scenario():
    data = run_json("simulate", str(SCENARIOS / "cab-historical.yaml"), "--year", "2024..2025")
    assert {a["year"] for a in data["allocations"]} == {2024, 2025}
    result = CliRunner().invoke(main, ["simulate", str(SCENARIOS / "cab-historical.yaml"), "--year", "2031"])
    assert result.exit_code == 2
    assert "outside the scenario's years" in result.output


def test_csv_and_xlsx_outputs(tmp_path):
    out = tmp_path / "alloc.csv"
    result = CliRunner().invoke(main, ["simulate", str(SCENARIOS / "cab-historical.yaml"), "--year", "2022",
                                       "--format", "csv", "--output", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert sum(Decimal(r["amount"]) for r in rows) == Decimal("1920528.00")
    xlsx = tmp_path / "alloc.xlsx"
    result = CliRunner().invoke(main, ["simulate", str(SCENARIOS / "cab-historical.yaml"), "--year", "2022",
                                       "--format", "xlsx", "--output", str(xlsx)])
    assert result.exit_code == 0, result.output
    from openpyxl import load_workbook

    book = load_workbook(xlsx)
    assert {"envelopes", "by_family", "by_commune", "released", "allocations"} <= set(book.sheetnames)
    sheet = book["allocations"]
    headers = [c.value for c in sheet[1]]
    amount = sheet.cell(row=2, column=headers.index("amount") + 1)
    assert isinstance(amount.value, float) and "€" in amount.number_format


def test_xlsx_needs_an_output_file():
    result = CliRunner().invoke(main, ["simulate", str(SCENARIOS / "cab-historical.yaml"), "--format", "xlsx"])
    assert result.exit_code == 2 and "--output" in result.output


def test_explain_shows_rules_sources_parameters_and_arithmetic():
    result = CliRunner().invoke(main, ["explain", str(SCENARIOS / "cab-historical.yaml"), "COORD-SAINT-LEONARD",
                                       "--year", "2026"])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "R4.post_capped" in text and "Caf de la Loire" in text
    assert "pilotage.cap_per_etp = 30,200 EUR/ETP" in text
    # 30,200 EUR per ETP x 1.3 ETP = 39,260.00; 41,500.00 - 39,260.00 = 2,240.00 released (POST_CAPPED)
    assert "€39,260.00" in text and "€2,240.00" in text
    data = run_json("explain", str(SCENARIOS / "cab-historical.yaml"), "COORD-WIMILLE", "--year", "2026")
    assert (data["eligible"], data["reason"], data["amount"]) == (False, "POST_NOT_CONVERTED", "0.00")
    assert any(r["id"] == "R4.post_not_converted" and r["status"] == "seed" for r in data["rules"])


def test_explain_unknown_structure_is_exit_2():
    result = CliRunner().invoke(main, ["explain", str(SCENARIOS / "cab-historical.yaml"), "NOPE", "--year", "2026"])
    assert result.exit_code == 2 and "NOPE" in result.output


def test_rules_lists_rules_and_parameters_in_force():
    data = run_json("rules", "--at", "2026-01-01")
    ids = {r["id"] for r in data["rules"]}
    assert {"R1.envelope", "R3.per_unit", "R4.post_not_converted", "R2.not_psu_type"} <= ids
    cap = next(p for p in data["parameters"] if p["name"] == "pilotage.cap_per_etp")
    assert (cap["value"], cap["status"], cap["in_force_since"]) == ("30200", "assumed", "2021-01-01")


def test_late_conversion_scenario():
    # SMB converts 2027-01-01 -> funded from 2027; Neufchâtel 2027-03-01 and La Capelle 2027-09-01 -> from 2028;
    # Wimille never. Each keeps its whole N-1 amount when funded (all under their caps: 30,200 x ETP).
    data = run_json("simulate", str(SCENARIOS / "cab-late-conversion.yaml"), "--year", "2026..2028")
    cej = cej_amounts()
    funded = {sid: {y for y in (2026, 2027, 2028) if allocation(data, sid, y)["eligible"]}
              for sid in ("COORD-SMB", "COORD-NEUFCHATEL", "COORD-LA-CAPELLE", "COORD-WIMILLE")}
    assert funded == {"COORD-SMB": {2027, 2028}, "COORD-NEUFCHATEL": {2028}, "COORD-LA-CAPELLE": {2028},
                      "COORD-WIMILLE": set()}
    assert allocation(data, "COORD-NEUFCHATEL", 2028)["amount"] == f"{cej['COORD-NEUFCHATEL']:.2f}"
    assert allocation(data, "COORD-NEUFCHATEL", 2027)["reason"] == "POST_NOT_CONVERTED"


def test_an_output_that_cannot_be_written_is_exit_2_without_traceback(tmp_path):
    target = tmp_path / "no-such-folder" / "out.csv"
    result = CliRunner().invoke(main, ["simulate", str(SCENARIOS / "cab-historical.yaml"), "--year", "2026",
                                       "--format", "csv", "--output", str(target)])
    assert result.exit_code == 2
    assert f"{target}: cannot write it: the folder {target.parent} does not exist" in result.output
    assert "Traceback" not in result.output


def test_floor_per_occupied_place_lifts_the_low_occupancy_creches():
    # cab-per-unit-floor, 2026: EAJE envelope 1,122,004.94 over places weighted by occupancy (305.5287 weighted
    # places) gives 3,672.34 per weighted place. Boulogne (61.04%) and Outreau (60.80%) then get about 2,241 and
    # 2,233 per place, under the 2,300 floor: they are lifted to exactly 2,300 x places (Célestine 60 places =
    # 138,000.00; Outreau 60 = 138,000.00; Chemin Vert 25 = 57,500.00). The others pay for it and stay above it.
    data = run_json("simulate", str(SCENARIOS / "cab-per-unit-floor.yaml"), "--year", "2026")
    eaje = {a["structure_id"]: a for a in data["allocations"] if a["family"] == "EAJE" and a["eligible"]}
    assert eaje["EAJE-BSM-CELESTINE"]["amount"] == "138000.00"
    assert eaje["EAJE-OUTREAU-LACORRE"]["amount"] == "138000.00"
    assert eaje["EAJE-BSM-CHEMIN-VERT"]["amount"] == "57500.00"
    assert all(Decimal(a["amount"]) >= 2300 * Decimal(a["units"]) for a in eaje.values())
    assert "R3.floor" in eaje["EAJE-BSM-CELESTINE"]["rules"]
    env = next(e for e in data["envelopes"] if e["family"] == "EAJE")
    assert sum(Decimal(a["amount"]) for a in eaje.values()) == Decimal(env["envelope"]) == Decimal("1122004.94")


def test_renewal_historical_2026_envelopes_are_what_2025_allocated():
    # R7 on the CAB: each family's envelope of the renewed CTG (2026-2030) is what the family allocated in 2025.
    # Casablanca (N-1 96,367.41) closes 2025-07-01: 96,367.41 x 181/365 = 47,787.674547... -> 47,787.67 kept,
    # 48,579.74 released in 2025; so the EAJE envelope of 2026 is 1,122,004.94 - 48,579.74 = 1,073,425.20.
    data = run_json("simulate", str(SCENARIOS / "cab-renewal-historical.yaml"))
    envelopes = {(e["year"], e["family"]): e for e in data["envelopes"]}
    for year in range(2026, 2031):
        for family in ("EAJE", "RPE", "LAEP", "ALSH", "JEUNESSE_FORFAIT", "PILOTAGE"):
            env = envelopes[(year, family)]
            assert env["envelope"] == envelopes[(2025, family)]["allocated"], (year, family)
            assert env["renewed_from"] == 2025
    assert envelopes[(2025, "EAJE")]["renewed_from"] is None
    assert envelopes[(2026, "EAJE")]["envelope"] == "1073425.20"
    assert allocation(data, "EAJE-BSM-CASABLANCA", 2025)["amount"] == "47787.67"
    released = [r for r in data["released"] if r["structure_id"] == "EAJE-BSM-CASABLANCA" and r["year"] == 2026]
    assert [(r["amount"], r["reason"]) for r in released] == [("47787.67", "CLOSED")]
    # The new Outreau crèche (24 places, 2026) had nothing in 2025: nothing of the envelope under historical.
    assert allocation(data, "EAJE-OUTREAU-NOUVEAU", 2026)["amount"] == "0.00"


def test_the_two_renewal_scenarios_share_their_envelopes():
    # Same 2025 (historical in both), so the same renewed envelopes; per_unit from 2026 shares them otherwise.
    data = run_json("compare", str(SCENARIOS / "cab-renewal-historical.yaml"),
                    str(SCENARIOS / "cab-renewal-per-unit.yaml"), "--by", "family")
    assert data["envelopes"]["a"]["envelope"] == data["envelopes"]["b"]["envelope"] == "11280269.30"
    per_unit = run_json("simulate", str(SCENARIOS / "cab-renewal-per-unit.yaml"), "--year", "2026")
    eaje = {a["structure_id"]: a for a in per_unit["allocations"] if a["family"] == "EAJE" and a["eligible"]
            and a["line"] == "bonus_territoire"}
    # 2026 eligible places: 472 - Casablanca's 45 + the new crèche's 24 = 451; rate = 1,073,425.20 / 451.
    assert sum(Decimal(a["units"]) for a in eaje.values()) == 451
    assert Decimal(eaje["EAJE-OUTREAU-NOUVEAU"]["rate"]) == (Decimal("1073425.20") / 451).quantize(Decimal("1e-6"))


def test_trajectoire_scenario_reaches_tier_1_then_tier_2():
    # 472 eligible EAJE places on 1 January 2023; 502 on 1 January 2025 (a 30-place crèche opened 2024-09-01):
    # +6.36%, tier 1, 100 EUR x 502 = 50,200.00; 514 on 1 January 2026 and 2027 (Outreau 60 -> 72): +8.90%,
    # tier 2, 200 EUR x 514 = 102,800.00 each year; nothing after 2027 (trajectoire.last_year).
    data = run_json("simulate", str(SCENARIOS / "cab-trajectoire.yaml"))
    totals = {}
    for a in data["allocations"]:
        if a["line"] == "bonus_trajectoire":
            totals[a["year"]] = totals.get(a["year"], Decimal(0)) + Decimal(a["amount"])
    assert totals == {2025: Decimal("50200.00"), 2026: Decimal("102800.00"), 2027: Decimal("102800.00")}
    text = CliRunner().invoke(main, ["explain", str(SCENARIOS / "cab-trajectoire.yaml"), "EAJE-OUTREAU-LACORRE",
                                     "--year", "2026", "--engine", "vector"]).output
    assert "eligible EAJE places of CTG-CAB-2021 on 1 January 2026: 514, on 1 January 2023: 472" in text
    assert "72 places (pro rata temporis) x €200.00 = €14,400.00, rounded to €14,400.00" in text
