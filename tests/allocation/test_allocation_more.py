"""More hand-worked allocations, for what one territory under the shipped rules cannot show (docs/mutation.md):
datasets of two territories, rulebooks in which a type changes family from one year to the next or a cap gives
no reason, and a remainder of exactly one part over a group's denominator. Every test runs on both engines."""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from support.case_runner import shipped_rulebook, write_case

from ctg_funding.engine import ENGINES
from ctg_funding.rulebook import default_rules_dir, load_rulebook
from ctg_funding.scenario.file import load_scenario
from ctg_funding.simulation import simulate


def two_territories(case: dict, folder: Path, communes: dict[str, list[str]]) -> Path:
    """The case's dataset (tests/support/case_runner.py) with territories.csv instead of territory.yaml: one CTG
    2021-2025 per entry of `communes` (territory id -> its communes, separated by `;`), pilotage deadline 2025."""
    path = write_case({"name": "two territories", **case}, folder)
    (folder / "data" / "territory.yaml").unlink()
    with (folder / "data" / "territories.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "name", "caf", "start", "end", "pilotage_deadline_year", "communes", "renewals"])
        for tid, names in communes.items():
            writer.writerow([tid, f"CTG {tid}", "Caf test", "2021-01-01", "2025-12-31", 2025, ";".join(names), ""])
    return path


def rules_copy(folder: Path, replace: dict[str, list[tuple[str, str]]]) -> Path:
    """A copy of rules/ in `folder`, with each (old, new) text of `replace[file name]` replaced (exactly once)."""
    rules = folder / "rules"
    shutil.copytree(default_rules_dir(), rules)
    for name, edits in replace.items():
        text = (rules / name).read_text(encoding="utf-8")
        for old, new in edits:
            assert text.count(old) == 1, (name, old)
            text = text.replace(old, new)
        (rules / name).write_text(text, encoding="utf-8")
    return rules


# From 2024 the accueils jeunes are lump sums (family JEUNESSE_FORFAIT, R2.accueil_jeunes_forfait), no longer
# counted in attendance hours (family ALSH): R2.alsh holds until 2023, R2.alsh_2024 classifies the other ALSH
# types from 2024, and the ALSH floor (R8) leaves the accueils jeunes from 2024 (a rule's `family:` names every
# type a classify rule ever puts there, whatever its dates).
_ALSH_WHEN = "    when: {type: {in: [ALSH_PERI, ALSH_EXTRA, ALSH, ACCUEIL_JEUNES]}}\n"
_SOURCE = '    source: {text: {en: "test", fr: "test"}, status: assumed}\n'
_NEW_RULES = (
    "  - id: R2.alsh_2024\n"
    "    label: {en: ALSH from 2024, fr: ALSH from 2024}\n" + _SOURCE +
    "    from: 2024-01-01\n"
    "    when: {type: {in: [ALSH_PERI, ALSH_EXTRA, ALSH]}}\n"
    "    then: {family: ALSH, volet: jeunesse, unit: attendance hours, line: bonus_territoire}\n"
    "  - id: R2.accueil_jeunes_forfait\n"
    "    label: {en: Accueils jeunes as lump sums from 2024, fr: Accueils jeunes as lump sums from 2024}\n"
    + _SOURCE +
    "    from: 2024-01-01\n"
    "    when: {type: {in: [ACCUEIL_JEUNES]}}\n"
    "    then: {family: JEUNESSE_FORFAIT, volet: jeunesse, unit: lump sum, line: bonus_territoire}\n")
RECLASSIFIED = {"families.yaml": [(_ALSH_WHEN, "    until: 2023-12-31\n" + _ALSH_WHEN),
                                  ("  - id: R2.jeunesse_forfait\n", _NEW_RULES + "  - id: R2.jeunesse_forfait\n")],
                "alsh_floor.yaml": [("    when: {family: ALSH}\n", "    when: {family: ALSH, any: "
                                     "[{type: {ne: ACCUEIL_JEUNES}}, {year: {lt: 2024}}]}\n")]}


def _reclassified(folder: Path):
    return load_rulebook(rules_copy(folder, RECLASSIFIED))


def _run(path: Path, engine: str, rulebook=None):
    return simulate(load_scenario(path, rulebook or shipped_rulebook()), engine=engine)


# --- two territories ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ENGINES)
def test_territories_in_id_order_whatever_the_order_of_their_structures(engine, tmp_path):
    # A lies in CTG-2 (COM-B), B in CTG-1 (COM-A): structures come in id order, A first, but each year's
    # envelopes and released amounts go territory by territory in id order, CTG-1 first (historical):
    # CTG-1 EAJE: B not PS-funded, its CEJ 300.00 released (NOT_PS_FUNDED); CTG-2 EAJE: A not PS-funded,
    # 100.00 released.
    path = two_territories({"parameters": {"redistribution.method": "historical"},
                            "structures": [{"id": "A", "type": "EAJE", "units": 10, "commune": "COM-B",
                                            "ps_funded": False},
                                           {"id": "B", "type": "EAJE", "units": 10, "commune": "COM-A",
                                            "ps_funded": False}],
                            "cej": {"A": 100, "B": 300}},
                           tmp_path, {"CTG-1": ["COM-A"], "CTG-2": ["COM-B"]})
    result = _run(path, engine)
    assert [(e.territory, e.family, e.envelope) for e in result.envelopes] == [
        ("CTG-1", "EAJE", Decimal("300.00")), ("CTG-2", "EAJE", Decimal("100.00"))]
    assert [(r.territory, r.structure_id, r.reason, r.amount) for r in result.released] == [
        ("CTG-1", "B", "NOT_PS_FUNDED", Decimal("300.00")), ("CTG-2", "A", "NOT_PS_FUNDED", Decimal("100.00"))]


@pytest.mark.parametrize("engine", ENGINES)
def test_alsh_floor_passes_over_a_structure_that_is_no_longer_an_alsh(engine, tmp_path):
    # Rules where accueils jeunes are lump sums from 2024 (RECLASSIFIED); floor 0.15 EUR per hour from 2023
    # (rules/alsh_floor.yaml), historical, no CEJ: every bonus territoire is 0.00.
    # J, an accueil jeunes of 100 hours in CTG-1: an ALSH in 2023 (R8 applies: 0.15 x 100 = 15.00), a lump sum
    # in 2024 (no R8: no line, although 0.15 x 100 is above its 0.00). K, an ALSH of 1,000 hours in CTG-2:
    # 0.15 x 1,000 = 150.00 both years (2024 has 366 days, K is open all of them: 1,000 hours). In 2024 J's line
    # comes before K's (CTG-1 before CTG-2): passing over J must not stop at J.
    path = two_territories({"years": [2023, 2024], "parameters": {"redistribution.method": "historical"},
                            "structures": [{"id": "J", "type": "ACCUEIL_JEUNES", "units": 100, "commune": "COM-A"},
                                           {"id": "K", "type": "ALSH", "units": 1000, "commune": "COM-B"}]},
                           tmp_path, {"CTG-1": ["COM-A"], "CTG-2": ["COM-B"]})
    result = _run(path, engine, _reclassified(tmp_path))
    assert [(ln.year, ln.structure_id, ln.family) for ln in result.lines if ln.line == "bonus_territoire"] == [
        (2023, "J", "ALSH"), (2023, "K", "ALSH"), (2024, "J", "JEUNESSE_FORFAIT"), (2024, "K", "ALSH")]
    assert [(ln.year, ln.structure_id, ln.amount) for ln in result.lines if ln.line == "plancher_alsh"] == [
        (2023, "J", Decimal("15.00")), (2023, "K", Decimal("150.00")), (2024, "K", Decimal("150.00"))]


# --- the order of the rounding's ties ---------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ENGINES)
def test_ties_by_structure_id_when_a_structure_changed_family(engine, tmp_path):
    # Rules where accueils jeunes are lump sums from 2024 (RECLASSIFIED), historical. A: a sejour (lump sum),
    # B: an accueil jeunes (an ALSH in 2023, a lump sum in 2024), each with a CEJ of 0.01. In 2023 B comes first
    # (family ALSH before JEUNESSE_FORFAIT); both close on 2024-07-02: open 183 of 366 days, half the year.
    # 2024, JEUNESSE_FORFAIT: envelope 0.02; A and B 0.005 each and 0.005 each released (CLOSED); the floors
    # are 0.00, two cents left over four equal remainders: ties by structure id then position (lines before
    # released amounts): A's line and A's CLOSED get them, A 0.01 and CLOSED 0.01, B 0.00 and CLOSED 0.00.
    path = write_case({"name": "ties", "years": [2023, 2024], "parameters": {"redistribution.method": "historical"},
                       "structures": [{"id": "A", "type": "SEJOURS", "units": 1, "closed": "2024-07-02"},
                                      {"id": "B", "type": "ACCUEIL_JEUNES", "units": 1, "closed": "2024-07-02"}],
                       "cej": {"A": 0.01, "B": 0.01}}, tmp_path)
    result = _run(path, engine, _reclassified(tmp_path))
    assert [(ln.structure_id, ln.family, ln.amount) for ln in result.lines
            if ln.year == 2024 and ln.line == "bonus_territoire"] == [
        ("A", "JEUNESSE_FORFAIT", Decimal("0.01")), ("B", "JEUNESSE_FORFAIT", Decimal("0.00"))]
    assert [(r.structure_id, r.reason, r.amount) for r in result.released if r.year == 2024] == [
        ("A", "CLOSED", Decimal("0.01")), ("B", "CLOSED", Decimal("0.00"))]


@pytest.mark.parametrize("engine", ENGINES)
def test_one_cent_over_three_remainders_of_one_part(engine, tmp_path):
    # per_unit, A, B and C 1 place each, all opened on 2022-12-31: open 1 day each, 1 place-day each, 3 in all.
    # Envelope 0.01 (A's CEJ): 1 cent x 1/3 each, floor 0, a remainder of 1 part in 3 each (in place-days: the
    # smallest remainder there is), one cent left: ties by structure id, A 0.01.
    path = write_case({"name": "thirds", "parameters": {"redistribution.method": "per_unit"},
                       "structures": [{"id": s, "type": "EAJE", "units": 1, "opened": "2022-12-31"}
                                      for s in ("A", "B", "C")],
                       "cej": {"A": 0.01}}, tmp_path)
    result = _run(path, engine)
    assert [(ln.structure_id, ln.amount) for ln in result.lines if ln.line == "bonus_territoire"] == [
        ("A", Decimal("0.01")), ("B", Decimal("0.00")), ("C", Decimal("0.00"))]
    [env] = result.envelopes
    assert (env.envelope, env.allocated, env.released) == (Decimal("0.01"), Decimal("0.01"), Decimal("0.00"))


# --- released amounts of one line --------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ENGINES)
def test_closed_before_capped_when_the_cap_gives_no_reason(engine, tmp_path):
    # Rules where R4.post_capped gives no reason: its released amounts say CAPPED (policy.cap_release), which
    # sorts before CLOSED, yet a line's amounts are released in the order closed, then capped.
    # P: a chargé de coopération post of 1 ETP (converted 2021-01-01), CEJ 40,000, closed 2024-07-02: open 183
    # of 366 days, half the year. Deadline 2023, so in 2024 the cap applies: 40,000 x 1/2 = 20,000.00, capped at
    # 30,200 x 1 ETP x 1/2 = 15,100.00; released: CLOSED 40,000 x 1/2 = 20,000.00, then CAPPED 20,000 - 15,100 =
    # 4,900.00. 15,100 + 20,000 + 4,900 = 40,000.
    rules = rules_copy(tmp_path, {"pilotage.yaml": [("then: {cap_per_unit: pilotage.cap_per_etp, reason: POST_CAPPED}",
                                                     "then: {cap_per_unit: pilotage.cap_per_etp}")]})
    path = write_case({"name": "capped", "years": [2024, 2024], "territory": {"pilotage_deadline_year": 2023},
                       "parameters": {"redistribution.method": "historical"},
                       "structures": [{"id": "P", "type": "COORDINATION", "units": 1, "closed": "2024-07-02",
                                       "post_status": "charge_cooperation", "converted_on": "2021-01-01"}],
                       "cej": {"P": 40000}}, tmp_path)
    result = _run(path, engine, load_rulebook(rules))
    assert [(ln.structure_id, ln.amount) for ln in result.lines] == [("P", Decimal("15100.00"))]
    assert [(r.structure_id, r.reason, r.amount, r.rules) for r in result.released] == [
        ("P", "CLOSED", Decimal("20000.00"), ["R2.pro_rata_temporis", "R3.released"]),
        ("P", "CAPPED", Decimal("4900.00"), ["R4.post_capped", "R3.released"])]
