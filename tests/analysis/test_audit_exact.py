"""R6, `ctg audit`, to the letter: the whole note of each kind of finding, the order of findings whose differences
are equal, the boundaries of each code, the tolerance (none, negative), the summary of a year without payments or
structures, the explanation of an envelope (redistributed, renewed, two lines) and a missing or empty payments.csv.

The small case is tests/support/audit_case.py's CASE: three EAJE, historical, 2022, 4,500.00 of envelope, EAJE-A
1,000.00 and EAJE-B 3,000.00 due, EAJE-D closed (its 500.00 released); the arithmetic is written there.
The tolerance is audit.tolerance, 0.01 EUR (docs/funding-rules.md R6), unless a test says otherwise.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

from support.audit_case import BT, CASE, DUE, RENEWAL_CASE, RENEWAL_PAYMENTS, audit_json, build, run
from support.case_runner import write_case

from ctg_funding.rulebook import default_rules_dir

NEW_PLACES = "bonus_places_nouvelles"


def with_parameters(**parameters) -> dict:
    case = copy.deepcopy(CASE)
    case["parameters"].update({k.replace("_", "."): v for k, v in parameters.items()})
    return case


def short(data: dict) -> list[tuple]:
    """Findings as (structure_id, line, code, expected, paid, difference), in the audit's order."""
    return [(f["structure_id"], f["line"], f["code"], f["expected"], f["paid"], f["difference"])
            for f in data["findings"]]


def rules_with(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the shipped rules in tmp_path/rules whose families.yaml has `old` replaced with `new`."""
    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules)
    path = rules / "families.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    return rules


# ------------------------------------------------------------------------------------------ notes, whole


def test_not_paid_after_a_recovery_says_what_the_payments_net_to(tmp_path):
    # EAJE-B due 3,000.00; paid 200.00 then recovered 200.00: 200.00 - 200.00 = 0.00, nothing paid:
    # NOT_PAID, difference 0.00 - 3,000.00 = -3,000.00.
    payments = [DUE[0], (2022, "EAJE-B", BT, "200.00"), (2022, "EAJE-B", BT, "-200.00", "recovery")]
    code, data = audit_json(build(tmp_path, payments))
    assert code == 1
    assert short(data) == [("EAJE-B", BT, "NOT_PAID", "3000.00", "0.00", "-3000.00")]
    assert data["findings"][0]["note"] == ("€3,000.00 due on the bonus_territoire line, nothing paid "
                                           "(net of 2 payments: €200.00 + -€200.00)")


def test_not_paid_without_any_payment_has_no_net_of(tmp_path):
    code, data = audit_json(build(tmp_path, [DUE[0]]))
    assert data["findings"][0]["note"] == "€3,000.00 due on the bonus_territoire line, nothing paid"


def test_overpaid_on_a_line_that_is_not_its_own_says_which_line_its_amount_is_due_on(tmp_path):
    # EAJE-A did not grow: nothing is due on bonus_places_nouvelles (R5). Its 1,000.00 was paid there instead of
    # on bonus_territoire: bonus_places_nouvelles OVERPAID +1,000.00 (1,000.00 - 0.00), bonus_territoire NOT_PAID
    # -1,000.00 (0.00 - 1,000.00). Equal absolute differences, same year and structure: by line,
    # bonus_places_nouvelles before bonus_territoire.
    code, data = audit_json(build(tmp_path, [(2022, "EAJE-A", NEW_PLACES, "1000.00"), DUE[1]]))
    assert code == 1
    assert short(data) == [("EAJE-A", NEW_PLACES, "OVERPAID", "0.00", "1000.00", "1000.00"),
                           ("EAJE-A", BT, "NOT_PAID", "1000.00", "0.00", "-1000.00")]
    assert [f["note"] for f in data["findings"]] == [
        "paid €1,000.00, €1,000.00 more than the €0.00 due on the bonus_places_nouvelles line (its amount is due "
        "on the bonus_territoire line)",
        "€1,000.00 due on the bonus_territoire line, nothing paid",
    ]


def test_overpaid_on_its_own_line_with_nothing_due_says_nothing_more(tmp_path):
    # EAJE-N, eligible, has no CEJ action: historical gives it 0.00 (R3). Paid 50.00 on its own line: OVERPAID
    # +50.00, and no word about another line.
    case = copy.deepcopy(CASE)
    case["structures"].append({"id": "EAJE-N", "type": "EAJE", "units": 5})
    code, data = audit_json(build(tmp_path, [*DUE, (2022, "EAJE-N", BT, "50.00")], case))
    assert short(data) == [("EAJE-N", BT, "OVERPAID", "0.00", "50.00", "50.00")]
    assert data["findings"][0]["note"] == "paid €50.00, €50.00 more than the €0.00 due on the bonus_territoire line"


def test_overpaid_on_another_line_with_something_due_says_nothing_more(tmp_path):
    # 2023, ALSH-A: 10,000 hours, CEJ 1,000.00; the national floor (R8) gives 0.15 x 10,000 - 1,000.00 = 500.00 on
    # plancher_alsh. Paid 650.00 there: OVERPAID +150.00; something is due on that line, so no word about the
    # structure's bonus_territoire line.
    case = {"name": "floor audit", "years": [2023, 2023], "parameters": {"redistribution.method": "historical"},
            "structures": [{"id": "ALSH-A", "type": "ALSH", "units": 10000}], "cej": {"ALSH-A": "1000.00"}}
    target = build(tmp_path, [(2023, "ALSH-A", BT, "1000.00"), (2023, "ALSH-A", "plancher_alsh", "650.00")], case)
    code, data = audit_json(target, "2023")
    assert short(data) == [("ALSH-A", "plancher_alsh", "OVERPAID", "500.00", "650.00", "150.00")]
    assert data["findings"][0]["note"] == ("paid €650.00, €150.00 more than the €500.00 due on the plancher_alsh "
                                           "line")


def test_equal_differences_of_one_year_come_by_structure(tmp_path):
    # EAJE-A paid 900.00: UNDERPAID -100.00; EAJE-B paid 3,100.00: OVERPAID +100.00 (EAJE payments 4,000.00,
    # within the 4,500.00 envelope). |-100.00| = |+100.00|: EAJE-A before EAJE-B, whatever their codes.
    code, data = audit_json(build(tmp_path, [(2022, "EAJE-A", BT, "900.00"), (2022, "EAJE-B", BT, "3100.00")]))
    assert short(data) == [("EAJE-A", BT, "UNDERPAID", "1000.00", "900.00", "-100.00"),
                           ("EAJE-B", BT, "OVERPAID", "3000.00", "3100.00", "100.00")]


def test_unknown_structure_explanation_names_its_scenario_rules_and_dataset(tmp_path):
    code, data = audit_json(build(tmp_path, [*DUE, (2022, "GHOST", BT, "300.00")]))
    [finding] = data["findings"]
    explanation = finding["explanation"]
    assert (explanation["scenario"], explanation["rules_version"], explanation["dataset_sha256"]) == \
        ("audit case", data["rules_version"], data["dataset_sha256"])


# ------------------------------------------------------------------------------------------ boundaries


def test_a_few_cents_paid_to_a_structure_not_eligible_is_paid_ineligible(tmp_path):
    # EAJE-D (CLOSED) paid 0.50 for 0.00 due: 0.50 > 0.01, PAID_INELIGIBLE (not OVERPAID: it is paid, just less
    # than one euro). EAJE payments 4,000.50 stay within the 4,500.00 envelope.
    code, data = audit_json(build(tmp_path, [*DUE, (2022, "EAJE-D", BT, "0.50")]))
    assert short(data) == [("EAJE-D", BT, "PAID_INELIGIBLE", "0.00", "0.50", "0.50")]
    assert data["findings"][0]["note"] == ("not eligible in 2022 (CLOSED): nothing is due on the bonus_territoire "
                                           "line, €0.50 paid")


def test_less_than_one_euro_due_and_nothing_paid_is_not_paid(tmp_path):
    # EAJE-S, eligible, N-1 CEJ 0.50: historical keeps 0.50. Nothing paid: 0.50 > 0.01, NOT_PAID -0.50.
    case = copy.deepcopy(CASE)
    case["structures"].append({"id": "EAJE-S", "type": "EAJE", "units": 1})
    case["cej"]["EAJE-S"] = "0.50"
    code, data = audit_json(build(tmp_path, DUE, case))
    assert short(data) == [("EAJE-S", BT, "NOT_PAID", "0.50", "0.00", "-0.50")]


def test_a_negative_tolerance_makes_every_line_a_finding(tmp_path):
    # audit.tolerance -0.01: |paid - expected| <= -0.01 never holds, so every line of 2022 is a finding, even those
    # paid exactly. A: paid 1,000.00 = due: not more, UNDERPAID; B likewise (3,000.00); D (CLOSED, 0.00 due) was
    # paid nothing: not PAID_INELIGIBLE (nothing paid), not NOT_PAID (nothing due): UNDERPAID. Differences 0.00:
    # by structure. The envelope is not exceeded (4,000.00 - 4,500.00 = -500.00 <= -0.01).
    code, data = audit_json(build(tmp_path, DUE, with_parameters(audit_tolerance="-0.01")))
    assert code == 1
    assert short(data) == [("EAJE-A", BT, "UNDERPAID", "1000.00", "1000.00", "0.00"),
                           ("EAJE-B", BT, "UNDERPAID", "3000.00", "3000.00", "0.00"),
                           ("EAJE-D", BT, "UNDERPAID", "0.00", "0.00", "0.00")]
    [summary] = data["summary"]
    assert (summary["tolerance"], summary["findings"], summary["by_code"]["UNDERPAID"]) == ("-0.01", 3, 3)


def test_no_tolerance_in_force_means_zero(tmp_path):
    # audit.tolerance null: none in force, so 0.00. EAJE-A paid 1,000.01: 0.01 > 0.00, OVERPAID +0.01 (within the
    # default 0.01 it would not be a finding).
    code, data = audit_json(build(tmp_path, [(2022, "EAJE-A", BT, "1000.01"), DUE[1]],
                                  with_parameters(audit_tolerance=None)))
    assert short(data) == [("EAJE-A", BT, "OVERPAID", "1000.00", "1000.01", "0.01")]
    assert data["summary"][0]["tolerance"] == "0.00"


# ------------------------------------------------------------------------------------------ summary


def test_summary_of_a_year_without_payments(tmp_path):
    # Nothing paid: A NOT_PAID -1,000.00, B NOT_PAID -3,000.00 (two of one code), paid 0.00 in 0 rows.
    code, data = audit_json(build(tmp_path, []))
    [summary] = data["summary"]
    assert (summary["envelope"], summary["expected"], summary["paid"], summary["difference"], summary["tolerance"],
            summary["payments"], summary["findings"]) == ("4500.00", "4000.00", "0.00", "-4000.00", "0.01", 0, 2)
    assert summary["by_code"] == {"OVERPAID": 0, "UNDERPAID": 0, "PAID_INELIGIBLE": 0, "NOT_PAID": 2,
                                  "UNKNOWN_STRUCTURE": 0, "ENVELOPE_EXCEEDED": 0}


def test_summary_of_a_dataset_without_structures(tmp_path):
    # No structure, no CEJ action, no payment: no envelope, nothing expected, nothing paid; every sum is 0.00.
    code, data = audit_json(build(tmp_path, [], {"name": "empty", "structures": [], "cej": {}}))
    assert code == 0
    assert data["summary"] == [{"year": 2022, "envelope": "0.00", "expected": "0.00", "paid": "0.00",
                                "difference": "0.00", "tolerance": "0.01", "payments": 0, "findings": 0,
                                "by_code": {"OVERPAID": 0, "UNDERPAID": 0, "PAID_INELIGIBLE": 0, "NOT_PAID": 0,
                                            "UNKNOWN_STRUCTURE": 0, "ENVELOPE_EXCEEDED": 0}}]
    assert (data["families"], data["findings"]) == ([], [])


# ------------------------------------------------------------------------------------------ envelopes


def test_exceeded_envelope_after_a_redistribution_says_what_was_redistributed(tmp_path):
    # released.destination redistribute: D's 500.00 goes to A and B pro rata of 1,000 : 3,000, A 1,000.00 + 125.00
    # = 1,125.00, B 3,000.00 + 375.00 = 3,375.00; allocated 4,500.00, released (to the Caf) 0.00, redistributed
    # 500.00. B paid 3,375.50: OVERPAID +0.50 (> 0.01); the EAJE payments 1,125.00 + 3,375.50 = 4,500.50 exceed
    # the 4,500.00 envelope by 0.50.
    case = with_parameters(released_destination="redistribute")
    code, data = audit_json(build(tmp_path, [(2022, "EAJE-A", BT, "1125.00"), (2022, "EAJE-B", BT, "3375.50")],
                                  case))
    assert short(data) == [("EAJE-B", BT, "OVERPAID", "3375.00", "3375.50", "0.50"),
                           (None, BT, "ENVELOPE_EXCEEDED", "4500.00", "4500.50", "0.50")]
    explanation = data["findings"][1]["explanation"]
    assert explanation["steps"] == [
        "envelope EAJE 2022 = the N-1 amounts of the family's 3 CEJ actions = €4,500.00 (R1.envelope)",
        "allocated by the rules in 2022: €4,500.00; released: €0.00; redistributed: €500.00",
        "paid to the family's structures on the bonus_territoire line: €4,500.50 (2 structures)",
        "paid - envelope = €0.50 above the envelope",
        "structures paid other than their amount: EAJE-B +€0.50",
    ]
    assert (explanation["renewed_from"], explanation["renewed_amounts"]) == (None, [])
    assert (explanation["scenario"], explanation["rules_version"], explanation["dataset_sha256"]) == \
        ("audit case", data["rules_version"], data["dataset_sha256"])


def test_exceeded_renewed_envelope_says_how_many_structures_make_it(tmp_path):
    # Historical, CTG 2021-2025 renewed to 2030 (R7). EAJE-A: CEJ 1,000.00, closes 2025-07-01 (open 181 of 365
    # days): 2025 due 1,000 x 181/365 = 495.890410... -> 495.89. EAJE-B: CEJ 3,000.00, 3,000.00 a year. The 2026
    # envelope is what the 2 structures were allocated in 2025: 495.89 + 3,000.00 = 3,495.89. B paid 3,500.00:
    # the family exceeds it by 3,500.00 - 3,495.89 = 4.11.
    target = build(tmp_path, RENEWAL_PAYMENTS, RENEWAL_CASE)
    code, data = audit_json(target, "2026")
    envelope = data["findings"][1]
    assert (envelope["code"], envelope["difference"]) == ("ENVELOPE_EXCEEDED", "4.11")
    assert envelope["explanation"]["steps"][0] == (
        "envelope EAJE 2026 = what the family's structures were allocated in 2025, the last year of the previous "
        "CTG (2 structures) = €3,495.89 (R7.renewal)")


def test_an_envelope_paid_on_two_lines_names_both_and_no_single_line(tmp_path):
    # A rulebook that puts MAM in the EAJE family but pays it on the pilotage line: the EAJE envelope's lines are
    # bonus_territoire and pilotage. EAJE-B is a MAM (not PS-funded as a MAM: NOT_PS_FUNDED, 0.00 due, its
    # 3,000.00 released). A paid 1,600.00 for 1,000.00, B 3,000.00 on pilotage: 1,600.00 + 3,000.00 = 4,600.00,
    # 100.00 above the 4,500.00 envelope. The finding has no line of its own.
    rules = rules_with(
        tmp_path, "    when: {type: {in: [EAJE, CRECHE_FAMILIALE, MICRO_CRECHE_PAJE, MAM]}}\n"
                  "    then: {family: EAJE, volet: enfance, unit: places, line: bonus_territoire}\n",
        "    when: {type: {in: [EAJE, CRECHE_FAMILIALE, MICRO_CRECHE_PAJE]}}\n"
        "    then: {family: EAJE, volet: enfance, unit: places, line: bonus_territoire}\n"
        "  - id: R2.mam\n"
        "    label: {en: MAM paid on pilotage, fr: MAM payées sur le pilotage}\n"
        "    source: {text: {en: test, fr: test}, status: assumed}\n"
        "    when: {type: {in: [MAM]}}\n"
        "    then: {family: EAJE, volet: enfance, unit: places, line: pilotage}\n")
    case = copy.deepcopy(CASE)
    case["structures"][1]["type"] = "MAM"
    target = build(tmp_path / "case", [(2022, "EAJE-A", BT, "1600.00"), (2022, "EAJE-B", "pilotage", "3000.00")],
                   case)
    code, data = audit_json(target, "2022", "--rules", rules)
    envelope = next(f for f in data["findings"] if f["code"] == "ENVELOPE_EXCEEDED")
    assert (envelope["structure_id"], envelope["line"], envelope["difference"]) == (None, None, "100.00")
    assert envelope["explanation"]["lines"] == [BT, "pilotage"]
    assert envelope["explanation"]["steps"][2] == ("paid to the family's structures on the bonus_territoire and "
                                                   "pilotage line: €4,600.00 (2 structures)")


# ------------------------------------------------------------------------------------------ payments.csv


def test_a_payments_file_with_its_header_only_means_nothing_was_paid(tmp_path):
    # Not a missing file: an audit of what nothing paid gives A NOT_PAID -1,000.00 and B NOT_PAID -3,000.00.
    code, data = audit_json(build(tmp_path, []))
    assert code == 1
    assert short(data) == [("EAJE-B", BT, "NOT_PAID", "3000.00", "0.00", "-3000.00"),
                           ("EAJE-A", BT, "NOT_PAID", "1000.00", "0.00", "-1000.00")]


def test_a_missing_payments_file_is_named_with_the_columns_it_needs(tmp_path):
    scenario = write_case(copy.deepcopy(CASE), tmp_path)
    result = run(scenario, "--year", "2022")
    assert result.exit_code == 2
    assert (f"{tmp_path / 'data' / 'payments.csv'}: missing file: an audit sets the dataset's payments beside the "
            "expected amounts (columns: year, structure_id, line, amount, note)") in result.output

