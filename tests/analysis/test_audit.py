"""R6, `ctg audit`: payments set beside the amounts the rules in force each year give; one test per finding code
on a small hand-built dataset (amounts worked out in the comments), the CAB's planted anomalies, parameters dated
in the middle of the audited years, and bad input.

The small case is tests/support/audit_case.py's CASE: three EAJE, historical, 2022, 4,500.00 of envelope, EAJE-A
1,000.00 and EAJE-B 3,000.00 due, EAJE-D closed (its 500.00 released); the arithmetic is written there.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.audit_case import BT, CASE, DUE, RENEWAL_CASE, RENEWAL_PAYMENTS, audit_json, build, run, write_payments
from support.case_runner import write_case

from ctg_funding.cli import main

ROOT = Path(__file__).resolve().parents[2]
CAB_AUDIT = ROOT / "scenarios" / "cab-audit.yaml"

# The same without EAJE-D: an envelope of 1,000.00 + 3,000.00 = 4,000.00, all allocated, nothing released.
WITHOUT_D = {**CASE, "structures": CASE["structures"][:2],
             "cej": {k: v for k, v in CASE["cej"].items() if k != "EAJE-D"}}


def short(data: dict) -> list[tuple]:
    """Findings as (year, structure_id, line, code, expected, paid, difference), in the audit's order."""
    return [(f["year"], f["structure_id"], f["line"], f["code"], f["expected"], f["paid"], f["difference"])
            for f in data["findings"]]


# ------------------------------------------------------------------------------------------ no finding


def test_payments_that_match_the_rules_give_no_finding_and_exit_0(tmp_path):
    # EAJE-B is paid in two instalments (2,000.00 + 1,000.00 = 3,000.00), and a 250.00 paid by mistake is
    # recovered in the same year (a negative amount with its note): the rows add up to what is due.
    payments = [(2022, "EAJE-A", BT, "1000.00"), (2022, "EAJE-B", BT, "2000.00"), (2022, "EAJE-B", BT, "1000.00"),
                (2022, "EAJE-A", BT, "250.00"), (2022, "EAJE-A", BT, "-250.00", "recovery of the March duplicate")]
    code, data = audit_json(build(tmp_path, payments))
    assert code == 0
    assert data["findings"] == []
    assert data["years"] == [2022]
    [summary] = data["summary"]
    # envelope 4,500.00; expected 1,000.00 + 3,000.00 + 0.00 = 4,000.00; paid the same; 5 rows
    assert (summary["envelope"], summary["expected"], summary["paid"], summary["difference"]) == \
        ("4500.00", "4000.00", "4000.00", "0.00")
    assert summary["payments"] == 5 and summary["findings"] == 0
    assert set(summary["by_code"].values()) == {0}
    text = run(tmp_path / "scenario.yaml", "--year", "2022")
    assert text.exit_code == 0 and "Summary per year" in text.output


def test_a_dataset_folder_is_audited_under_the_rules_as_they_stand(tmp_path):
    # No scenario: the rules' own parameters (method historical by default), years from --year.
    build(tmp_path, DUE)
    code, data = audit_json(tmp_path / "data")
    assert (code, data["findings"], data["years"]) == (0, [], [2022])


def test_a_difference_equal_to_the_tolerance_is_not_a_finding(tmp_path):
    # audit.tolerance = 0.01: EAJE-A paid 1,000.01 - 1,000.00 = 0.01 <= 0.01, no finding.
    code, data = audit_json(build(tmp_path, [(2022, "EAJE-A", BT, "1000.01"), DUE[1]]))
    assert (code, data["findings"]) == (0, [])
    # 1,000.02 - 1,000.00 = 0.02 > 0.01: OVERPAID.
    write_payments(tmp_path / "data", [(2022, "EAJE-A", BT, "1000.02"), DUE[1]])
    code, data = audit_json(tmp_path / "scenario.yaml")
    assert code == 1
    assert short(data) == [(2022, "EAJE-A", BT, "OVERPAID", "1000.00", "1000.02", "0.02")]


# ----------------------------------------------------------------------------------- one test per code


def test_overpaid(tmp_path):
    # EAJE-A paid 1,200.00, due 1,000.00: difference 1,200.00 - 1,000.00 = +200.00.
    # EAJE payments 1,200.00 + 3,000.00 = 4,200.00 stay within the 4,500.00 envelope: no ENVELOPE_EXCEEDED.
    code, data = audit_json(build(tmp_path, [(2022, "EAJE-A", BT, "1200.00"), DUE[1]]))
    assert code == 1
    assert short(data) == [(2022, "EAJE-A", BT, "OVERPAID", "1000.00", "1200.00", "200.00")]
    finding = data["findings"][0]
    assert (finding["family"], finding["reason"]) == ("EAJE", None)
    # The explanation is the chain of `ctg explain`: the N-1 amount kept under R3.historical.
    explanation = finding["explanation"]
    assert explanation["amount"] == "1000.00" and explanation["eligible"] is True
    assert [r["id"] for r in explanation["rules"]] == ["R2.eaje", "R3.historical"]
    assert any("N-1 CEJ amount €1,000.00" in step for step in explanation["steps"])
    assert data["summary"][0]["by_code"]["OVERPAID"] == 1


def test_underpaid(tmp_path):
    # EAJE-B paid 2,500.00, due 3,000.00: difference 2,500.00 - 3,000.00 = -500.00.
    code, data = audit_json(build(tmp_path, [DUE[0], (2022, "EAJE-B", BT, "2500.00")]))
    assert code == 1
    assert short(data) == [(2022, "EAJE-B", BT, "UNDERPAID", "3000.00", "2500.00", "-500.00")]


def test_paid_ineligible(tmp_path):
    # EAJE-D closed on 2022-01-01: open 0 days in 2022, not eligible (CLOSED), due 0.00; paid 500.00 anyway:
    # difference 500.00 - 0.00 = +500.00. EAJE payments 1,000.00 + 3,000.00 + 500.00 = 4,500.00 = the envelope,
    # not above it: no ENVELOPE_EXCEEDED.
    code, data = audit_json(build(tmp_path, [*DUE, (2022, "EAJE-D", BT, "500.00")]))
    assert code == 1
    assert short(data) == [(2022, "EAJE-D", BT, "PAID_INELIGIBLE", "0.00", "500.00", "500.00")]
    finding = data["findings"][0]
    assert finding["reason"] == "CLOSED"
    explanation = finding["explanation"]
    assert (explanation["eligible"], explanation["reason"], explanation["amount"]) == (False, "CLOSED", "0.00")
    assert "R3.closed" in [r["id"] for r in explanation["rules"]]
    assert explanation["facts"]["open_days"] == 0
    assert explanation["released"] == [{"amount": "500.00", "reason": "CLOSED", "destination": "caf"}]


def test_not_paid(tmp_path):
    # EAJE-B due 3,000.00, no payment at all: difference 0.00 - 3,000.00 = -3,000.00.
    code, data = audit_json(build(tmp_path, [DUE[0]]))
    assert code == 1
    assert short(data) == [(2022, "EAJE-B", BT, "NOT_PAID", "3000.00", "0.00", "-3000.00")]


def test_unknown_structure(tmp_path):
    # EAJE-GHOST is not in structures.csv: nothing can be due to it; paid 300.00: difference +300.00. It counts in
    # no family, so it touches no envelope.
    code, data = audit_json(build(tmp_path, [*DUE, (2022, "EAJE-GHOST", BT, "300.00")]))
    assert code == 1
    assert short(data) == [(2022, "EAJE-GHOST", BT, "UNKNOWN_STRUCTURE", "0.00", "300.00", "300.00")]
    finding = data["findings"][0]
    assert finding["family"] is None
    assert "not among the 3 structures" in finding["explanation"]["steps"][0]


def test_envelope_exceeded(tmp_path):
    # EAJE-A paid 1,600.00, due 1,000.00: OVERPAID +600.00. EAJE payments 1,600.00 + 3,000.00 = 4,600.00 exceed the
    # 4,500.00 envelope (EAJE-D's released 500.00 absorbs only 500.00 of the 600.00): ENVELOPE_EXCEEDED +100.00,
    # with no structure_id and naming its family.
    code, data = audit_json(build(tmp_path, [(2022, "EAJE-A", BT, "1600.00"), DUE[1]]))
    assert code == 1
    assert short(data) == [(2022, "EAJE-A", BT, "OVERPAID", "1000.00", "1600.00", "600.00"),
                           (2022, None, BT, "ENVELOPE_EXCEEDED", "4500.00", "4600.00", "100.00")]
    envelope = data["findings"][1]
    assert envelope["family"] == "EAJE"
    explanation = envelope["explanation"]
    assert explanation["rules"][0]["id"] == "R1.envelope"
    assert [(a["structure_id"], a["amount"]) for a in explanation["cej_actions"]] == \
        [("EAJE-A", "1000.00"), ("EAJE-B", "3000.00"), ("EAJE-D", "500.00")]
    assert explanation["released"] == [{"structure_id": "EAJE-D", "amount": "500.00", "reason": "CLOSED",
                                        "destination": "caf"}]


def test_an_exceeded_envelope_is_explained_by_the_cej_actions_that_make_it(tmp_path):
    # R1: a CEJ action counts in the envelope from the year after its last year. EAJE-A has two actions, 1,000.00
    # ending in 2021 and 700.00 ending in 2022; EAJE-B 3,000.00 ending in 2021. The 2022 EAJE envelope is
    # 1,000.00 + 3,000.00 = 4,000.00 (A's 700.00 counts from 2023), all allocated: A 1,000.00, B 3,000.00.
    # B paid 3,100.00: OVERPAID +100.00, and the family's 4,100.00 exceed the envelope by 100.00. The finding's
    # explanation lists the two actions that make the 4,000.00, not the one still running in 2022.
    case = {**WITHOUT_D, "cej": {"EAJE-A": [{"amount": "1000.00", "last_year": 2021},
                                           {"amount": "700.00", "last_year": 2022}],
                                 "EAJE-B": "3000.00"}}
    code, data = audit_json(build(tmp_path, [DUE[0], (2022, "EAJE-B", BT, "3100.00")], case))
    assert code == 1
    assert short(data) == [(2022, "EAJE-B", BT, "OVERPAID", "3000.00", "3100.00", "100.00"),
                           (2022, None, BT, "ENVELOPE_EXCEEDED", "4000.00", "4100.00", "100.00")]
    explanation = data["findings"][1]["explanation"]
    assert [(a["structure_id"], a["last_year"], a["amount"]) for a in explanation["cej_actions"]] == \
        [("EAJE-A", 2021, "1000.00"), ("EAJE-B", 2021, "3000.00")]
    assert explanation["steps"][0] == ("envelope EAJE 2022 = the N-1 amounts of the family's 2 CEJ actions = "
                                       "€4,000.00 (R1.envelope)")


def test_an_exceeded_envelope_sets_beside_each_structure_its_envelope_line_payments_only(tmp_path):
    # EAJE-A grows from 10 to 12 places on 2022-01-01 in COM-A (tranche 2): 2 x 3,100 = 6,200.00 due on
    # bonus_places_nouvelles (R5, outside the envelope), paid as due. Its bonus territoire is 1,000.00 due, 1,600.00
    # paid: OVERPAID +600.00; the EAJE envelope lines were paid 1,600.00 + 3,000.00 = 4,600.00, 100.00 above the
    # 4,500.00 envelope. The finding's table of structures counts the bonus territoire only: EAJE-A paid 1,600.00
    # (not 7,800.00), EAJE-B 3,000.00; EAJE-D, closed, was paid nothing and is due nothing: not listed.
    case = copy.deepcopy(CASE)
    case["changes"] = [{"on": dt.date(2022, 1, 1), "structure": "EAJE-A", "units": 12}]
    payments = [(2022, "EAJE-A", BT, "1600.00"), (2022, "EAJE-A", "bonus_places_nouvelles", "6200.00"), DUE[1]]
    code, data = audit_json(build(tmp_path, payments, case))
    assert code == 1
    assert short(data) == [(2022, "EAJE-A", BT, "OVERPAID", "1000.00", "1600.00", "600.00"),
                           (2022, None, BT, "ENVELOPE_EXCEEDED", "4500.00", "4600.00", "100.00")]
    explanation = data["findings"][1]["explanation"]
    assert explanation["paid_by_structure"] == [
        {"structure_id": "EAJE-A", "expected": "1000.00", "paid": "1600.00", "difference": "600.00"},
        {"structure_id": "EAJE-B", "expected": "3000.00", "paid": "3000.00", "difference": "0.00"}]
    assert explanation["steps"][2:] == [
        "paid to the family's structures on the bonus_territoire line: €4,600.00 (2 structures)",
        "paid - envelope = €100.00 above the envelope",
        "structures paid other than their amount: EAJE-A +€600.00"]


def test_every_finding_says_what_was_paid_and_what_was_due_in_words(tmp_path):
    # EAJE-A paid 1,600.00 for 1,000.00 due; EAJE-B paid 2,000.00 + 500.00 (second instalment) = 2,500.00 for
    # 3,000.00; EAJE-D (closed) paid 500.00 for nothing; GHOST (no such structure) 300.00. The EAJE structures were
    # paid 1,600 + 2,500 + 500 = 4,600.00, 100.00 above the 4,500.00 envelope.
    payments = [(2022, "EAJE-A", BT, "1600.00"), (2022, "EAJE-B", BT, "2000.00"),
                (2022, "EAJE-B", BT, "500.00", "second instalment"), (2022, "EAJE-D", BT, "500.00"),
                (2022, "GHOST", BT, "300.00")]
    code, data = audit_json(build(tmp_path, payments))
    notes = {f["code"]: f["note"] for f in data["findings"]}
    assert notes == {
        "OVERPAID": "paid €1,600.00, €600.00 more than the €1,000.00 due on the bonus_territoire line",
        "UNDERPAID": "paid €2,500.00 in 2 payments: €2,000.00 + €500.00 (second instalment), €500.00 "
                     "less than the €3,000.00 due on the bonus_territoire line",
        "PAID_INELIGIBLE": "not eligible in 2022 (CLOSED): nothing is due on the bonus_territoire line, €500.00 "
                           "paid",
        "UNKNOWN_STRUCTURE": "€300.00 paid on the bonus_territoire line to GHOST, which is not a structure of the "
                             "dataset (nor one the scenario opens): nothing can be due to it",
        "ENVELOPE_EXCEEDED": "payments to the EAJE structures €4,600.00 exceed the family's 2022 envelope "
                             "€4,500.00 by €100.00",
    }
    unknown = next(f for f in data["findings"] if f["code"] == "UNKNOWN_STRUCTURE")["explanation"]
    assert (unknown["structure"], unknown["audited_line"], unknown["amount"], unknown["year"]) == \
        (None, BT, "0.00", 2022)
    assert unknown["steps"] == ["GHOST is not among the 3 structures of the dataset CTG-TEST and the scenario opens "
                                "no structure with this id", "no rule can give it an amount: expected €0.00"]
    envelope = next(f for f in data["findings"] if f["code"] == "ENVELOPE_EXCEEDED")
    assert (envelope["structure_id"], envelope["family"], envelope["line"]) == (None, "EAJE", BT)
    explanation = envelope["explanation"]
    assert (explanation["year"], explanation["family"], explanation["lines"], explanation["method"],
            explanation["amount"]) == (2022, "EAJE", [BT], "historical", "4500.00")
    assert explanation["envelope"] == {"year": 2022, "family": "EAJE", "envelope": "4500.00", "allocated": "4000.00",
                                       "released": "500.00", "redistributed": "0.00"}
    assert [(a["contract_id"], a["collectivite_id"], a["structure_id"], a["last_year"], a["amount"])
            for a in explanation["cej_actions"]] == [("CEJ-COM-A", "COM-A", "EAJE-A", 2021, "1000.00"),
                                                     ("CEJ-COM-B", "COM-B", "EAJE-B", 2021, "3000.00"),
                                                     ("CEJ-COM-A", "COM-A", "EAJE-D", 2021, "500.00")]
    assert explanation["paid_by_structure"] == [
        {"structure_id": "EAJE-A", "expected": "1000.00", "paid": "1600.00", "difference": "600.00"},
        {"structure_id": "EAJE-B", "expected": "3000.00", "paid": "2500.00", "difference": "-500.00"},
        {"structure_id": "EAJE-D", "expected": "0.00", "paid": "500.00", "difference": "500.00"},
    ]
    assert explanation["steps"] == [
        "envelope EAJE 2022 = the N-1 amounts of the family's 3 CEJ actions = €4,500.00 (R1.envelope)",
        "allocated by the rules in 2022: €4,000.00; released: €500.00",
        "paid to the family's structures on the bonus_territoire line: €4,600.00 (3 structures)",
        "paid - envelope = €100.00 above the envelope",
        "structures paid other than their amount: EAJE-A +€600.00; EAJE-B -€500.00; EAJE-D +€500.00",
    ]
    assert [r["id"] for r in explanation["rules"]] == ["R1.envelope"]
    assert explanation["rules"][0]["status"] == "seed" and explanation["rules"][0]["file"] == "ctg.yaml"


def test_envelope_exceeded_by_differences_each_within_the_tolerance(tmp_path):
    # Without EAJE-D the envelope is 1,000.00 + 3,000.00 = 4,000.00, all allocated. Each structure paid 0.01 too
    # much (within the tolerance, no structure finding), together 4,000.02 - 4,000.00 = 0.02 > 0.01.
    code, data = audit_json(build(tmp_path, [(2022, "EAJE-A", BT, "1000.01"), (2022, "EAJE-B", BT, "3000.01")],
                                  WITHOUT_D))
    assert code == 1
    assert short(data) == [(2022, None, BT, "ENVELOPE_EXCEEDED", "4000.00", "4000.02", "0.02")]


def test_envelope_exceeded_by_exactly_the_tolerance_is_not_a_finding(tmp_path):
    # Without EAJE-D the envelope is 1,000.00 + 3,000.00 = 4,000.00, all allocated. EAJE-A paid 1,000.01 (0.01 too
    # much, within the tolerance): the family's payments 4,000.01 exceed the envelope by 0.01, exactly
    # audit.tolerance (0.01 EUR, docs/funding-rules.md R6): not a finding either.
    code, data = audit_json(build(tmp_path, [(2022, "EAJE-A", BT, "1000.01"), (2022, "EAJE-B", BT, "3000.00")],
                                  WITHOUT_D))
    assert (code, data["findings"]) == (0, [])
    [family] = data["families"]
    assert (family["family"], family["envelope"], family["paid"]) == ("EAJE", "4000.00", "4000.01")


def test_new_places_payments_are_outside_the_envelope(tmp_path):
    # EAJE-A grows from 10 to 12 places on 2022-01-01 in COM-A (tranche 2): 2 new places x 3,100 EUR (circulaire
    # Cnaf 2021-004 grid, tranche 2 from 2021) = 6,200.00 due on bonus_places_nouvelles, paid outside the EAJE
    # envelope (R5). Every amount is paid as due: EAJE-A 1,000.00 + 6,200.00, EAJE-B 3,000.00. The envelope
    # lines' payments are 4,000.00, within the 4,500.00 envelope: no finding, although the structures of the
    # family were paid 10,200.00 in all.
    case = copy.deepcopy(CASE)
    case["changes"] = [{"on": dt.date(2022, 1, 1), "structure": "EAJE-A", "units": 12}]
    payments = [*DUE, (2022, "EAJE-A", "bonus_places_nouvelles", "6200.00")]
    code, data = audit_json(build(tmp_path, payments, case))
    assert (code, data["findings"]) == (0, [])
    [family] = data["families"]
    assert (family["envelope"], family["expected"], family["paid"]) == ("4500.00", "4000.00", "4000.00")
    [summary] = data["summary"]
    assert (summary["expected"], summary["paid"]) == ("10200.00", "10200.00")


def test_new_places_line_is_audited_against_the_simulation_lines(tmp_path):
    # Nothing on bonus_places_nouvelles is due when places did not grow: 400.00 paid there is OVERPAID (expected
    # 0.00; the structure is eligible). It is outside the envelope: EAJE envelope payments stay 4,000.00.
    code, data = audit_json(build(tmp_path, [*DUE, (2022, "EAJE-A", "bonus_places_nouvelles", "400.00")]))
    assert code == 1
    assert short(data) == [(2022, "EAJE-A", "bonus_places_nouvelles", "OVERPAID", "0.00", "400.00", "400.00")]


def test_findings_come_largest_difference_first(tmp_path):
    # NOT_PAID EAJE-B -3,000.00, UNKNOWN_STRUCTURE +300.00, OVERPAID EAJE-A +20.00: by absolute difference.
    code, data = audit_json(build(tmp_path, [(2022, "EAJE-A", BT, "1020.00"), (2022, "GHOST", BT, "300.00")]))
    assert [f["code"] for f in data["findings"]] == ["NOT_PAID", "UNKNOWN_STRUCTURE", "OVERPAID"]
    assert data["summary"][0]["findings"] == 3


# ---------------------------------------------------------------------------- parameters in force each year


POST_CASE = {
    "name": "cap lowered from 2025",
    "years": [2024, 2025],
    # The deadline is moved to 2023 so that the cap per ETP applies in 2024 and in 2025.
    "parameters": {"redistribution.method": "historical", "pilotage.deadline_year": 2023},
    "structures": [{"id": "COORD-P", "type": "COORDINATION", "units": 1, "post_status": "charge_cooperation",
                    "converted_on": "2022-01-01"}],
    "cej": {"COORD-P": "25000.00"},
}


def test_a_parameter_changed_in_2025_changes_2025_only(tmp_path):
    # COORD-P: 1 ETP, N-1 25,000.00. Payments: 25,000.00 in 2024 and in 2025.
    payments = [(2024, "COORD-P", "pilotage", "25000.00"), (2025, "COORD-P", "pilotage", "25000.00")]
    # Rules as they stand: cap 30,200 x 1 ETP = 30,200.00 > 25,000.00, both years due 25,000.00: no finding.
    plain = build(tmp_path / "plain", payments, POST_CASE)
    code, before = audit_json(plain, "2024..2025")
    assert (code, before["findings"]) == (0, [])
    # The scenario lowers the cap to 20,000 from 2025-01-01: 2024 still 25,000.00 (cap 30,200 in force on
    # 2024-01-01); 2025 capped at 20,000 x 1 = 20,000.00, so 25,000.00 paid is 5,000.00 too much.
    case = copy.deepcopy(POST_CASE)
    case["parameters"]["pilotage.cap_per_etp"] = {dt.date(2021, 1, 1): 30200, dt.date(2025, 1, 1): 20000}
    code, after = audit_json(build(tmp_path / "dated", payments, case), "2024..2025")
    assert code == 1
    assert short(after) == [(2025, "COORD-P", "pilotage", "OVERPAID", "20000.00", "25000.00", "5000.00")]
    expected = {s["year"]: s["expected"] for s in after["summary"]}
    assert expected == {2024: "25000.00", 2025: "20000.00"}
    assert {s["year"]: s["expected"] for s in before["summary"]} == {2024: "25000.00", 2025: "25000.00"}
    cap = next(p for p in after["findings"][0]["explanation"]["parameters"] if p["name"] == "pilotage.cap_per_etp")
    assert (str(cap["value"]), cap["in_force_since"]) == ("20000", "2025-01-01")
    # Auditing 2024 alone with the dated scenario: nothing to report.
    code, only_2024 = audit_json(tmp_path / "dated" / "scenario.yaml", "2024")
    assert (code, only_2024["findings"], only_2024["years"]) == (0, [], [2024])


# ------------------------------------------------------------------------------------------------ CAB


CAB_FINDINGS = [
    # (year, structure_id, family, line, code, reason, expected, paid, difference): data/cab/README.md
    (2023, "EAJE-BSM-CASABLANCA", "EAJE", BT, "OVERPAID", None, "96367.41", "192734.82", "96367.41"),
    (2023, None, "EAJE", BT, "ENVELOPE_EXCEEDED", None, "1122004.94", "1218372.35", "96367.41"),
    (2026, "COORD-WIMILLE", "PILOTAGE", "pilotage", "PAID_INELIGIBLE", "POST_NOT_CONVERTED", "0.00", "29842.15",
     "29842.15"),
    (2022, "EAJE-CONDETTE-LES-LUTINS", None, BT, "UNKNOWN_STRUCTURE", None, "0.00", "12480.00", "12480.00"),
    (2024, "ALSH-DANNES-EXTRA", "ALSH", BT, "PAID_INELIGIBLE", "CLOSED", "0.00", "2037.65", "2037.65"),
    (2025, None, "EAJE", BT, "ENVELOPE_EXCEEDED", None, "1122004.94", "1122005.08", "0.14"),
]


@pytest.fixture(scope="module")
def cab() -> dict:
    result = run(CAB_AUDIT, "--year", "2022..2026", "--format", "json")
    assert result.exit_code == 1, result.output
    return json.loads(result.output)


def test_cab_audit_finds_exactly_the_planted_anomalies(cab):
    got = [(f["year"], f["structure_id"], f["family"], f["line"], f["code"], f["reason"], f["expected"], f["paid"],
            f["difference"]) for f in cab["findings"]]
    assert got == CAB_FINDINGS
    assert cab["years"] == [2022, 2023, 2024, 2025, 2026]
    counts = {s["year"]: {k: v for k, v in s["by_code"].items() if v} for s in cab["summary"]}
    assert counts == {2022: {"UNKNOWN_STRUCTURE": 1}, 2023: {"OVERPAID": 1, "ENVELOPE_EXCEEDED": 1},
                      2024: {"PAID_INELIGIBLE": 1}, 2025: {"ENVELOPE_EXCEEDED": 1}, 2026: {"PAID_INELIGIBLE": 1}}
    # 2022-2025, the first CTG: the whole N-1 CEJ (1,920,528.00) is the envelope of every year. 2026 is the
    # renewed CTG (R7), whose envelope is what 2025 allocated: the CEJ less the 2,037.65 of Dannes' ALSH,
    # closed since 2024-01-01 and released to the Caf in 2025: 1,920,528.00 - 2,037.65 = 1,918,490.35.
    assert {s["year"]: s["envelope"] for s in cab["summary"]} == {
        2022: "1920528.00", 2023: "1920528.00", 2024: "1920528.00", 2025: "1920528.00", 2026: "1918490.35"}


def test_cab_findings_carry_their_explanation(cab):
    wimille = next(f for f in cab["findings"] if f["structure_id"] == "COORD-WIMILLE")
    explanation = wimille["explanation"]
    assert (explanation["year"], explanation["reason"], explanation["amount"]) == (2026, "POST_NOT_CONVERTED", "0.00")
    rule = next(r for r in explanation["rules"] if r["id"] == "R4.post_not_converted")
    assert rule["status"] == "seed" and "Article 6-b" in rule["source"]
    assert explanation["structure"]["post_status"] == "coordinateur_cej"
    casablanca = next(f for f in cab["findings"] if f["code"] == "OVERPAID")
    assert [p["amount"] for p in casablanca["payments"]] == ["96367.41", "96367.41"]
    drift = next(f for f in cab["findings"] if f["year"] == 2025)
    gaps = {b["structure_id"]: b["difference"] for b in drift["explanation"]["paid_by_structure"] if b["difference"]}
    assert len(gaps) == 14 and set(gaps.values()) == {"0.01"}


def test_cab_money_is_written_with_two_decimals(cab):
    for f in cab["findings"]:
        for key in ("expected", "paid", "difference"):
            whole, cents = f[key].split(".")
            assert len(cents) == 2 and whole.lstrip("-").isdigit()
        assert Decimal(f["difference"]) == Decimal(f["paid"]) - Decimal(f["expected"])


def test_cab_table_csv_and_xlsx(tmp_path):
    table = run(CAB_AUDIT, "--year", "2022..2026")
    assert table.exit_code == 1
    assert "ENVELOPE_EXCEEDED" in table.output and "Finding 6" in table.output
    assert "R4.post_not_converted" in table.output  # the explanation chain is printed with each finding
    out = tmp_path / "findings.csv"
    assert run(CAB_AUDIT, "--year", "2022..2026", "--format", "csv", "--output", out).exit_code == 1
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [(r["code"], r["structure_id"]) for r in rows][:2] == [("OVERPAID", "EAJE-BSM-CASABLANCA"),
                                                                   ("ENVELOPE_EXCEEDED", "")]
    assert all(r["explanation"] for r in rows)
    xlsx = tmp_path / "audit.xlsx"
    assert run(CAB_AUDIT, "--year", "2022..2026", "--format", "xlsx", "--output", xlsx).exit_code == 1
    from openpyxl import load_workbook

    assert {"summary", "families", "findings", "explanations"} <= set(load_workbook(xlsx).sheetnames)


def test_cab_one_year_audited_alone_reports_only_its_own_findings():
    result = run(CAB_AUDIT, "--year", "2024", "--format", "json")
    assert result.exit_code == 1
    assert [(f["year"], f["code"]) for f in json.loads(result.output)["findings"]] == [(2024, "PAID_INELIGIBLE")]


# ------------------------------------------------------------------------------------------ bad input


@pytest.mark.parametrize("years, message", [
    ("2026..2022", "the first year 2026 is after the last year 2022"),
    ("2022-2026", "expected a year or a range such as 2022..2026"),
    ("next", "expected a year or a range such as 2022..2026"),
    ("2019..2022", "outside the scenario's years 2022..2022"),
])
def test_bad_year_range_exits_2(tmp_path, years, message):
    result = run(build(tmp_path, DUE), "--year", years)
    assert result.exit_code == 2
    assert "--year" in result.output and message in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


def test_negative_payment_without_note_exits_2_with_file_row_and_column(tmp_path):
    # Row 2 is the header + 1; row 3 is the recovery without its note.
    scenario = build(tmp_path, [DUE[0], (2022, "EAJE-B", BT, "-250.00"), DUE[1]])
    for target in (scenario, tmp_path / "data"):
        result = run(target, "--year", "2022", "--format", "json")
        assert result.exit_code == 2
        assert "payments.csv, row 3, column amount: negative amount -250.00 (a recovery) needs a note" in result.output
        assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


def test_missing_payments_file_and_unknown_target_exit_2(tmp_path):
    scenario = write_case(copy.deepcopy(CASE), tmp_path)
    result = run(scenario, "--year", "2022")
    assert result.exit_code == 2 and "payments.csv: missing file" in result.output
    result = run(tmp_path / "nowhere.yaml", "--year", "2022")
    assert result.exit_code == 2 and "no such dataset or scenario" in result.output
    result = run(scenario)
    assert result.exit_code == 2 and "--year" in result.output


def test_payments_equal_to_the_rules_give_no_finding_in_a_dataset_of_several_ctgs(tmp_path):
    # Each territory's envelope is set beside the payments to its own structures only: paying exactly what the
    # simulation gives, structure by structure, exceeds no envelope.
    from ctg_funding.inputs.generate import generate
    from ctg_funding.rulebook import load_rulebook
    from ctg_funding.scenario.file import load_scenario
    from ctg_funding.simulation import simulate

    scenario_path = generate(tmp_path / "g", 3, 90, seed=4, years=3)
    result = simulate(load_scenario(scenario_path, load_rulebook()))
    rows = [[ln.year, ln.structure_id, ln.line, str(ln.amount)] for ln in result.lines if ln.amount]
    with (tmp_path / "g" / "payments.csv").open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["year", "structure_id", "line", "amount"], *rows])
    out = CliRunner().invoke(main, ["audit", str(scenario_path), "--year", "2022..2024", "--format", "json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["findings"] == []
    assert len({f["territory"] for f in data["families"]}) == 3
    assert all(Decimal(f["paid"]) == Decimal(f["expected"]) for f in data["families"])


def test_an_audit_across_the_renewal_recomputes_each_year_with_its_own_ctg(tmp_path):
    # Historical, CTG 2021-2025 renewed to 2030 (R7). EAJE-A: CEJ 1,000.00, closes 2025-07-01 (open 181 of 365
    # days): 2025 due 1,000 x 181/365 = 495.890410... -> 495.89 (the released 504.109589... takes the cent:
    # 504.11). EAJE-B: CEJ 3,000.00, due 3,000.00 every year.
    # 2026, the renewed CTG: the envelope is what 2025 allocated, 495.89 + 3,000.00 = 3,495.89 (not the CEJ's
    # 4,000.00); A is closed and its 495.89 released. B paid 3,500.00: OVERPAID by 500.00 on its line, and the
    # family's payments exceed the renewed envelope by 3,500.00 - 3,495.89 = 4.11 (ENVELOPE_EXCEEDED, explained
    # by R7). Audited alone, 2026 still needs 2025's allocation: the audit computes it.
    target = build(tmp_path, RENEWAL_PAYMENTS, RENEWAL_CASE)
    for years in ("2025..2026", "2026"):
        code, data = audit_json(target, years)
        assert code == 1
        assert short(data) == [(2026, "EAJE-B", BT, "OVERPAID", "3000.00", "3500.00", "500.00"),
                               (2026, None, BT, "ENVELOPE_EXCEEDED", "3495.89", "3500.00", "4.11")]
        assert data["summary"][-1]["envelope"] == "3495.89"
        explanation = data["findings"][1]["explanation"]
        assert [r["id"] for r in explanation["rules"]] == ["R7.renewal"]
        assert explanation["renewed_from"] == 2025 and explanation["cej_actions"] == []
        assert explanation["renewed_amounts"] == [{"structure_id": "EAJE-A", "year": 2025, "amount": "495.89"},
                                                  {"structure_id": "EAJE-B", "year": 2025, "amount": "3000.00"}]
        assert explanation["steps"][0].startswith("envelope EAJE 2026 = what the family's structures were "
                                                  "allocated in 2025")


def test_payments_on_the_alsh_floor_are_audited_outside_the_envelope(tmp_path):
    # 2023, historical. ALSH-A: 10,000 hours, CEJ 1,000.00: bonus territoire 1,000.00 and, under the national
    # floor (R8), 0.15 x 10,000 - 1,000.00 = 500.00 on plancher_alsh. Paid 1,000.00 and 650.00: the floor line
    # is OVERPAID by 150.00. The family's envelope lines total 1,000.00 = its envelope: no ENVELOPE_EXCEEDED,
    # whatever the floor line holds (it is paid outside the envelope).
    case = {"name": "floor audit", "years": [2023, 2023], "parameters": {"redistribution.method": "historical"},
            "structures": [{"id": "ALSH-A", "type": "ALSH", "units": 10000}], "cej": {"ALSH-A": "1000.00"}}
    target = build(tmp_path, [(2023, "ALSH-A", BT, "1000.00"), (2023, "ALSH-A", "plancher_alsh", "650.00")], case)
    code, data = audit_json(target, "2023")
    assert code == 1
    assert short(data) == [(2023, "ALSH-A", "plancher_alsh", "OVERPAID", "500.00", "650.00", "150.00")]
    steps = data["findings"][0]["explanation"]["other_lines"][0]["steps"]
    assert steps == ["national floor €0.15 per hour in 2023 (alsh.floor_per_hour) x 10,000 hours (pro rata "
                     "temporis) = €1,500.00",
                     "€1,500.00 - its bonus territoire €1,000.00 = €500.00, rounded to €500.00 (outside the "
                     "envelope)"]
    write_payments(tmp_path / "data", [(2023, "ALSH-A", BT, "1000.00"), (2023, "ALSH-A", "plancher_alsh", "500.00")])
    code, data = audit_json(target, "2023")
    assert (code, data["findings"]) == (0, [])


def test_payments_of_the_bonus_trajectoire_are_audited(tmp_path):
    # 2025, historical. EAJE-A 100 places since 2019 (CEJ 1,000.00); EAJE-B 4 places opened 2024-06-01 (no CEJ).
    # Eligible places: 100 on 1 January 2023, 104 on 1 January 2025: exactly +4%, tier 1, 100 EUR per place
    # (R9): A 10,000.00 and B 400.00 on bonus_trajectoire. B's is not paid: NOT_PAID, explained by its growth.
    case = {"name": "trajectoire audit", "years": [2025, 2025], "parameters": {"redistribution.method": "historical"},
            "structures": [{"id": "EAJE-A", "type": "EAJE", "units": 100},
                           {"id": "EAJE-B", "type": "EAJE", "units": 4, "opened": "2024-06-01"}],
            "cej": {"EAJE-A": "1000.00"}}
    target = build(tmp_path, [(2025, "EAJE-A", BT, "1000.00"), (2025, "EAJE-A", "bonus_trajectoire", "10000.00"),
                              (2025, "EAJE-B", "bonus_places_nouvelles", "12400.00")], case)
    code, data = audit_json(target, "2025")
    assert code == 1
    assert short(data) == [(2025, "EAJE-B", "bonus_trajectoire", "NOT_PAID", "400.00", "0.00", "-400.00")]
    other = next(o for o in data["findings"][0]["explanation"]["other_lines"] if o["line"] == "bonus_trajectoire")
    assert other["steps"][0] == ("eligible EAJE places of CTG-TEST on 1 January 2025: 104, on 1 January 2023: 100; "
                                 "growth 104 / 100 - 1 = 4.0000%")
