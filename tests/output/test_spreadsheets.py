"""Outputs a finance officer can hand on: CSV that French Excel opens as columns, workbooks with numbers and their
provenance, terminal tables that fit, and columns that say what they mean."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from ctg_funding.cli import main

ROOT = Path(__file__).resolve().parents[2]
S = ROOT / "scenarios"


def run(*args: str) -> str:
    out = CliRunner().invoke(main, list(args))
    assert out.exit_code in (0, 1), out.output
    return out.output


def test_french_csv_opens_as_columns_and_holds_the_same_figures():
    fr = run("simulate", str(S / "cab-per-unit.yaml"), "--lang", "fr", "--format", "csv")
    en = run("simulate", str(S / "cab-per-unit.yaml"), "--lang", "en", "--format", "csv")
    assert fr.startswith("\ufeff") and not en.startswith("\ufeff")
    fr_rows = list(csv.reader(io.StringIO(fr[1:]), delimiter=";"))
    en_rows = list(csv.reader(io.StringIO(en), delimiter=","))
    assert len(fr_rows) == len(en_rows) and len(fr_rows[0]) == len(en_rows[0]) == 15
    assert fr_rows[0][:3] == ["année", "structure", "nom"] and en_rows[0][:3] == ["year", "structure_id", "name"]
    amount = en_rows[0].index("amount")
    for a, b in zip(fr_rows[1:], en_rows[1:], strict=True):
        assert "." not in a[amount] and Decimal(a[amount].replace(",", ".")) == Decimal(b[amount])
    # ALSH-BAINCTHUN-EXTRA in 2022: 6,200 hours at the ALSH rate 443,016.08 / 1,177,800 hours = 0.376139...
    # per hour: 6,200 x 0.3761386... = 2,332.06 (as the English run says, with a decimal comma).
    row = next(r for r in fr_rows if r[1] == "ALSH-BAINCTHUN-EXTRA" and r[0] == "2022")
    assert row[amount] == "2332,06" and row[en_rows[0].index("units")] == "6200"


def test_the_csv_dialect_can_be_chosen_whatever_the_language():
    text = run("simulate", str(S / "cab-per-unit.yaml"), "--year", "2026", "--lang", "en", "--format", "csv",
               "--csv-dialect", "fr")
    assert text.startswith("\ufeffyear;structure_id;")


def test_workbooks_hold_numbers_and_their_provenance(tmp_path):
    book_path = tmp_path / "s.xlsx"
    run("simulate", str(S / "cab-per-unit-floor.yaml"), "--year", "2026", "--format", "xlsx", "-o", str(book_path))
    book = openpyxl.load_workbook(book_path)
    assert book.sheetnames[0] == "provenance"
    provenance = {r[0].value: r[1].value for r in book["provenance"].iter_rows()}
    assert provenance["scenario"].startswith("CAB - lissage par place occupée")
    assert provenance["rules version"].startswith("sha256:") and len(provenance["dataset sha256"]) == 64
    assert provenance["years"] == "2026" and provenance["engine"] == "durable" and provenance["run on"]
    assert {"envelopes", "by_family", "by_commune", "released", "allocations"} <= set(book.sheetnames)
    sheet = book["allocations"]
    header = [c.value for c in sheet[1]]
    rows = {r[1]: r for r in sheet.iter_rows(min_row=2, values_only=True)}
    celestine = rows["EAJE-BSM-CELESTINE"]
    for column in ("units", "rate", "amount", "amount_per_unit"):
        assert isinstance(celestine[header.index(column)], int | float), column
    # Célestine is lifted to the 2,300 EUR floor: 2,300 x 60 places = 138,000.00, 2,300.00 per place.
    assert celestine[header.index("amount")] == 138000 and celestine[header.index("amount_per_unit")] == 2300
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref


def test_compare_workbooks_name_both_scenarios(tmp_path):
    path = tmp_path / "c.xlsx"
    run("compare", str(S / "cab-historical.yaml"), str(S / "cab-per-unit.yaml"), "--year", "2026", "--format", "xlsx",
        "-o", str(path))
    provenance = {r[0].value: r[1].value for r in openpyxl.load_workbook(path)["provenance"].iter_rows()}
    assert provenance["A: scenario"].startswith("CAB - bonus territoire a l'identique")
    assert provenance["B: scenario"].startswith("CAB - lissage par unité")


TABLE_COMMANDS = [
    *[["simulate", str(p), "-q"] for p in sorted(S.glob("cab-*.yaml"))],
    *[["compare", str(S / "cab-historical.yaml"), str(S / "cab-per-unit-floor.yaml"), "--by", by, "-q"]
      for by in ("structure", "commune", "manager", "family", "year", "line")],
    ["audit", str(S / "cab-audit.yaml"), "--year", "2022..2026", "-q"],
    ["validate", str(ROOT / "data" / "cab")],
    ["rules"],
    ["explain", str(S / "cab-audit.yaml"), "COORD-SAINT-LEONARD", "--year", "2026"],
]


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("args", TABLE_COMMANDS, ids=lambda a: " ".join(Path(x).name for x in a[:4]))
def test_every_cab_table_fits_in_160_columns(args, lang):
    text = run(*args, "--lang", lang)
    assert max(len(line) for line in text.splitlines()) <= 160


def test_wide_keeps_every_column():
    text = run("simulate", str(S / "cab-per-unit.yaml"), "--year", "2026", "--wide")
    assert max(len(line) for line in text.splitlines()) > 160
    assert "R2.alsh R7.renewal R3.per_unit" in text  # 2026 is in the renewed CTG (R7)


def test_terminal_numbers_are_right_aligned_and_formatted_per_language():
    fr = run("simulate", str(S / "cab-per-unit.yaml"), "--year", "2026", "--lang", "fr")
    en = run("simulate", str(S / "cab-per-unit.yaml"), "--year", "2026", "--lang", "en")
    assert "1\u202f122\u202f004,94" in fr and "1,122,004.94" in en  # the EAJE envelope
    line = next(ln for ln in en.splitlines() if ln.startswith("2026    EAJE"))
    assert line.rstrip().endswith("ok") and "  1,122,004.94  1,122,004.94" in line


def sim_json(*args: str) -> dict:
    return json.loads(run("simulate", *args, "--format", "json"))


def test_amount_per_unit_is_what_each_structure_gets_per_unit():
    data = sim_json(str(S / "cab-per-unit-floor.yaml"), "--year", "2026")
    rows = {a["structure_id"]: a for a in data["allocations"]}
    # Lifted to the floor: 138,000.00 / 60 places = 2,300.00 per place, while the method's rate per weighted
    # place is 3,672.338932 for every crèche.
    assert (rows["EAJE-BSM-CELESTINE"]["amount_per_unit"], rows["EAJE-BSM-CELESTINE"]["rate"]) == (
        "2300.00", "3672.338932")
    # Under per_unit the amount per unit is the rate: RPE 1.0 ETP in Outreau gets 14,066.06.
    per_unit = sim_json(str(S / "cab-per-unit.yaml"), "--year", "2026")
    rpe = next(a for a in per_unit["allocations"] if a["structure_id"] == "RPE-OUTREAU")
    assert (rpe["amount"], rpe["amount_per_unit"]) == ("14066.06", "14066.06")


def test_totals_keep_the_money_outside_the_envelope_apart():
    text = run("simulate", str(S / "cab-new-places.yaml"), "--year", "2025", "--lang", "en")
    inside = text[text.index("Totals by family, within the envelope"):text.index("Totals by commune")]
    outside = text[text.index("Outside the envelope"):text.index("Released amounts")]
    # The EAJE envelope is 1,122,004.94 (its N-1 CEJ amounts); Outreau's 12 new places earn 12 x 3,600 =
    # 43,200.00 on the bonus_places_nouvelles line, outside it.
    assert "EAJE              1,122,004.94" in inside
    assert "43,200.00" in outside and "43,200.00" not in inside


def test_only_changed_keeps_totals_over_every_row_and_says_so():
    # By family, a redistribution changes nothing within the envelope: each family shares its own envelope either
    # way, 1,920,528.00 of envelopes - 108,293.19 released (the posts, the same in both scenarios) = 1,812,234.81
    # allocated on each side. Only ALSH moves, outside the envelope: under historical three ALSH are below the
    # national floor of 0.15 EUR per hour (R8) and get 1,440.00 + 1,035.00 + 645.00 = 3,120.00 on plancher_alsh;
    # under per_unit every ALSH gets the same rate per hour, above the floor. The other 5 rows are left out; the
    # totals stay those of every family.
    args = [str(S / "cab-historical.yaml"), str(S / "cab-per-unit.yaml"), "--year", "2026", "--by", "family"]
    changed = json.loads(run("compare", *args, "--format", "json", "--only-changed"))
    assert [(r["key"], r["difference"]) for r in changed["rows"]] == [("ALSH", "-3120.00")]
    assert changed["rows_without_difference_left_out"] == 5
    assert changed["totals"] == {"a": "1815354.81", "b": "1812234.81", "difference": "-3120.00"}
    table = run("compare", *args, "--only-changed")
    assert "total of every family (5 without difference not shown)" in table
    assert "1,815,354.81  1,812,234.81" in table
    # By commune, the rows shown are exactly those that change, and the totals do not move.
    args[-1] = "commune"
    every = json.loads(run("compare", *args, "--format", "json"))
    changed = json.loads(run("compare", *args, "--format", "json", "--only-changed"))
    assert changed["totals"] == every["totals"]
    assert [r["key"] for r in changed["rows"]] == [r["key"] for r in every["rows"] if r["difference"] != "0.00"]
    assert changed["rows_without_difference_left_out"] == len(every["rows"]) - len(changed["rows"])


def test_by_year_is_in_year_order():
    data = json.loads(run("compare", str(S / "cab-historical.yaml"), str(S / "cab-per-unit.yaml"), "--by", "year",
                          "--format", "json"))
    assert [r["key"] for r in data["rows"]] == [str(y) for y in range(2022, 2031)]


def test_the_rules_column_lists_the_rules_that_decided_the_amount():
    data = sim_json(str(S / "cab-per-unit.yaml"), "--year", "2026")
    rows = {a["structure_id"]: a for a in data["allocations"]}
    # A MAM: its family (R2.eaje) and its reason (R2.not_psu_type); no method, nothing else that fired.
    assert rows["MAM-BSM"]["rules"] == ["R2.eaje", "R2.not_psu_type"]
    # An unconverted post: its family and R4.post_not_converted; the cap it never reached is not cited.
    assert rows["COORD-WIMILLE"]["rules"] == ["R2.pilotage", "R4.post_not_converted"]
    # A capped post cites the cap that cut it.
    assert "R4.post_capped" in rows["COORD-SAINT-LEONARD"]["rules"]
