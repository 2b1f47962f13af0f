"""The allocation CSV written column by column (output/allocation_csv.py) is, byte for byte, the allocation table
as render_csv writes it (the reference: the typed table, a Fraction per figure, a row at a time through
csv.writer); its figures are the texts of money.py, worked out here by hand."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from ctg_funding import i18n
from ctg_funding.allocation.results import Line
from ctg_funding.allocation.vector import PackedLine
from ctg_funding.inputs.generate import generate
from ctg_funding.money import fmt_cents, fmt_fraction, fmt_ratio, fmt_units_ratio
from ctg_funding.output import allocation_csv as ac
from ctg_funding.output import simulate as simulate_out
from ctg_funding.output.writers import CSV_DIALECTS, CsvDialect, render_csv
from ctg_funding.rulebook import load_rulebook
from ctg_funding.scenario.file import load_scenario
from ctg_funding.simulation import simulate

ROOT = Path(__file__).resolve().parents[2]
EN, FR = CSV_DIALECTS["en"], CSV_DIALECTS["fr"]
LIMIT = 2**63 - 1


def written(result, dialect) -> str:
    out = io.StringIO()
    simulate_out.write_allocations_csv(result, out, dialect)
    return out.getvalue()


def assert_as_the_table(result) -> None:
    """Both dialects, in both interface languages (the French dialect's yes/no words are the interface's)."""
    for lang in ("en", "fr"):
        i18n.set_language(lang)
        try:
            table = simulate_out.allocation_table(result)
            for dialect in (EN, FR):
                assert written(result, dialect) == render_csv(table, dialect), (lang, dialect.name)
        finally:
            i18n.set_language("en")


# --- every CAB scenario, both engines ---------------------------------------------------------------------------

CAB = sorted((ROOT / "scenarios").glob("cab-*.yaml"))


def test_every_cab_scenario_is_there():
    assert len(CAB) >= 10


@pytest.mark.parametrize("engine", ["durable", "vector"])
@pytest.mark.parametrize("path", CAB, ids=[p.stem for p in CAB])
def test_each_cab_scenario_as_the_table(path, engine):
    result = simulate(load_scenario(path, load_rulebook()), engine=engine)
    assert result.lines
    assert_as_the_table(result)


# --- a generated dataset of several territories, with changes and names to quote --------------------------------

@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("generated")
    scenario = generate(folder, 5, 240, seed=11, years=6)
    structures = folder / "structures.csv"
    rows = list(csv.DictReader(structures.open(encoding="utf-8")))
    odd = ['Crèche "Les Lutins", Nord', "Halte; garderie", "Accueil \"quoted\"; a, b", " leading space"]
    for row, name in zip(rows, odd, strict=False):
        row["name"] = name
    with structures.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    text = scenario.read_text(encoding="utf-8")
    scenario.write_text(text + f"""changes:
  - {{on: 2024-01-01, structure: {rows[5]['id']}, manager: {rows[6]['manager_id']}}}
  - {{on: 2025-07-01, structure: {rows[7]['id']}, manager: {rows[8]['manager_id']}}}
  - {{on: 2024-07-01, structure: {rows[9]['id']}, close: true}}
""", encoding="utf-8")
    return scenario, rows


@pytest.mark.parametrize("engine", ["durable", "vector"])
def test_a_generated_dataset_with_changes_as_the_table(generated, engine):
    scenario, rows = generated
    result = simulate(load_scenario(scenario, load_rulebook()), engine=engine)
    assert len({result.structure_years[k].territory_id for k in result.structure_years}) == 5
    changed = rows[5]["id"]
    managers = {(ln.structure_id, ln.year): m for ln, _s, m in simulate_out._allocation_lines(result)}
    assert managers[(changed, 2023)] == rows[5]["manager_id"] != rows[6]["manager_id"]
    assert managers[(changed, 2024)] == rows[6]["manager_id"]
    assert_as_the_table(result)
    for chunk in (1, 7, 1000):  # chunk boundaries anywhere
        assert body(result, FR, chunk) == written(result, FR).split("\n", 1)[1]


def written_header(dialect) -> str:
    return "\ufeff" * dialect.bom + dialect.separator.join(simulate_out.ALLOCATION_HEADERS) + "\n"


def test_the_columns_are_the_lines_in_the_order_of_the_outputs(generated):
    scenario, _rows = generated
    result = simulate(load_scenario(scenario, load_rulebook()), engine="vector")
    blocks = list(ac.allocation_column_blocks(result))
    assert [int(b["year"][0]) for b in blocks] == result.years
    expected = list(simulate_out._allocation_lines(result))
    assert [(int(y), sid, m, ln, fam, int(c), r, bool(e), why, rules)
            for b in blocks
            for y, sid, m, ln, fam, c, r, e, why, rules in zip(
                b["year"], b["structure_id"], b["manager_id"], b["line"], b["family"], b["cents"], b["rate"],
                b["eligible"], b["reason"], b["rules"], strict=True)] == [
        (ln.year, ln.structure_id, m, ln.line, ln.family, ln.cents, ln.rate, ln.eligible, ln.reason, ln.rules)
        for ln, _s, m in expected]
    assert all(set(b) == set(ac.COLUMNS) for b in blocks)
    assert all(b["units_num"].dtype == np.int64 for b in blocks)


def test_a_single_block_of_several_years_is_written_as_blocks_per_year(generated):
    scenario, _rows = generated
    result = simulate(load_scenario(scenario, load_rulebook()), engine="vector")
    blocks = list(ac.allocation_column_blocks(result))
    whole = {name: (np.concatenate([b[name] for b in blocks]) if isinstance(blocks[0][name], np.ndarray)
                    else [v for b in blocks for v in b[name]]) for name in ac.COLUMNS}
    for chunk in (ac.CHUNK, 100):
        one, per_year = io.StringIO(), io.StringIO()
        ac.write_allocation_columns([whole], result.scenario.structures, one, EN, chunk)
        ac.write_allocation_columns(blocks, result.scenario.structures, per_year, EN, chunk)
        assert one.getvalue() == per_year.getvalue()
        assert one.getvalue().count("\n") == len(result.lines)


# --- hand-made lines: ties, signs, no units, int64 overflow, texts to quote -----------------------------------

def line(sid, cents, num, den, *, year=2024, rate=None, eligible=True, reason=None, rules=("R1",), name="line"):
    return PackedLine(year, sid, "EAJE", name, "place", eligible, reason, list(rules), "per_unit", None, rate, False,
                      num, den, 0, 0, 1, cents, 0, 0, 0, 1, None, None)


def exact_line(sid, amount, units, *, year=2024, rate=None, eligible=False, reason="closed", rules=()):
    return Line(year, sid, "ALSH", "bonus_trajectoire", "hour", units, eligible, reason, list(rules), "per_unit",
                rate=rate, amount=amount)


def structure(name, type_="EAJE", commune="C1", manager="M1"):
    return SimpleNamespace(name=name, type=type_, commune_id=commune, manager_id=manager)


def fake_result(lines, structures, changes=(), structure_years=None):
    scenario = SimpleNamespace(structures=structures, changes=[SimpleNamespace(structure=s) for s in changes])
    return SimpleNamespace(lines=lines, scenario=scenario, structure_years=structure_years or {})


HUGE = 10**30 + 7
SHARED_RATE = Fraction(3, 2 * 10**6)  # 0.0000015: a tie, to the even 0.000002
SHARED_RULES = ["R3.per_unit", "R4"]


def hand_made():
    structures = {
        "A": structure('Crèche "Les Lutins", Nord; Sud'),
        "B": structure("two\nlines", "MICRO;CRECHE", "C,2", 'M"2'),
        "C": structure("cr\rreturn", "", "C3", "M3"),
        "D": structure("plain"),
        "E": structure("changed", manager="M-OLD"),
    }
    lines = [
        line("D", 1, 2, 1),  # 0.5 cent per unit: 0.005 -> 0.00 (even)
        line("C", 3, 2, 1, rate=SHARED_RATE, rules=SHARED_RULES),  # 1.5 cents -> 0.02
        line("B", 5, 2, 1, rate=SHARED_RATE, rules=SHARED_RULES),  # 2.5 cents -> 0.02
        line("A", 7, 2, 1, reason="", rules=()),  # 3.5 cents -> 0.04; empty reason, empty rules
        line("A", -3, 2, 1, eligible=False, reason="ineligible, \"why\""),  # -1.5 -> -0.02
        line("A", -1, 2, 1),  # -0.5 -> -0.00, written 0.00
        line("D", -12345, 1, 3, rate=Fraction(1, 3)),  # -123.45 for 1/3 unit: -370.35 per unit
        line("D", 0, 0, 1, rate=Fraction(-1, 2 * 10**6)),  # no units: no amount per unit; rate -0.0000005 -> -0
        line("D", 10**8, 10**4, 1),  # 1,000,000.00 for 10,000 units
        line("D", 10**8 - 1, 9999 * 10**4 + 9999, 10**4),  # 999,999.99 for 9,999.9999 units
        line("B", 100, HUGE, 7, year=2023),  # units beyond int64
        line("B", 10**12, 1, 10**8, year=2023),  # cents * den beyond int64: per unit 10**18 cents
        line("E", 2, 3, 1, year=2023, rate=2),  # a rate given as an int
        line("E", 2, 3, 1, year=2025),
        exact_line("C", Decimal("12.34"), Fraction(2, 3), rate=Fraction(2, 3), rules=["R9"]),
        exact_line("C", Decimal("-0.01"), Fraction(0)),
    ]
    years = {"E|2023": SimpleNamespace(structure=SimpleNamespace(manager_id="M-OLD")),
             "E|2025": SimpleNamespace(structure=SimpleNamespace(manager_id="M-NEW"))}
    return fake_result(lines, structures, changes=["E"], structure_years=years)


def old_writer(result, out, dialect) -> None:
    """The allocation CSV as it was written before, row by row (the reference beside render_csv, which cannot
    make a Decimal of amounts beyond its 28 digits)."""
    writer = csv.writer(out, delimiter=dialect.separator, lineterminator="\n")
    point = dialect.decimal
    yes, no = ("true", "false") if dialect.name == "en" else (i18n.yes_no(True), i18n.yes_no(False))
    for ln, s, manager in simulate_out._allocation_lines(result):
        cents, num, den = ln.cents, ln.units_num, ln.units_den
        units, amount = fmt_units_ratio(num, den), fmt_cents(cents)
        rate = None if ln.rate is None else fmt_fraction(Fraction(ln.rate), 6)
        per_unit = fmt_ratio(cents * den, 100 * num) if num else None
        units, amount = units.replace(".", point), amount.replace(".", point)
        rate = rate and rate.replace(".", point)
        per_unit = per_unit and per_unit.replace(".", point)
        writer.writerow((ln.year, ln.structure_id, s.name, s.type, s.commune_id, manager, ln.line, ln.family, units,
                         rate, per_unit, amount, yes if ln.eligible else no, ln.reason, " ".join(ln.rules)))


def body(result, dialect, chunk=ac.CHUNK) -> str:
    out = io.StringIO()
    ac.write_allocation_columns(ac.allocation_column_blocks(result), result.scenario.structures, out, dialect, chunk)
    return out.getvalue()


def old_body(result, dialect) -> str:
    out = io.StringIO()
    old_writer(result, out, dialect)
    return out.getvalue()


def test_hand_made_lines_as_the_table():
    result = hand_made()
    assert_as_the_table(result)
    for dialect in (EN, FR):
        for chunk in (1, 2, 3, ac.CHUNK):
            assert body(result, dialect, chunk) == old_body(result, dialect)


def test_amounts_beyond_int64_as_the_old_writer():
    """Cents beyond int64 (and beyond the 28 digits of a Decimal: render_csv cannot write them)."""
    result = fake_result([line("A", HUGE, 3, 1), line("A", -HUGE, 3, 1), line("A", LIMIT + 1, 1, 1),
                          line("A", -LIMIT - 1, 1, 1), line("A", LIMIT, 1, 1)], {"A": structure("a")})
    for dialect in (EN, FR):
        assert body(result, dialect) == old_body(result, dialect)
    rows = list(csv.reader(io.StringIO(body(result, EN))))
    # (10**30 + 7) / 3 = 333...335 (29 digits 3, then 5) rest 2: 2/3 rounds up to ...336 cents per unit;
    # 10**30 + 7 cents = 10**28 euros and 7 cents.
    assert rows[0][10:12] == ["3" * 28 + ".36", "1" + "0" * 28 + ".07"]
    assert rows[1][10:12] == ["-" + "3" * 28 + ".36", "-1" + "0" * 28 + ".07"]
    # 2**63 = 9223372036854775808 cents; -2**63 too (its absolute value does not fit); 2**63 - 1 fits.
    assert [r[11] for r in rows[2:]] == ["92233720368547758.08", "-92233720368547758.08", "92233720368547758.07"]


def test_hand_made_lines_worked_out():
    # csv.writer leaves a carriage return unquoted (Python 3.11): csv.reader would stop at it.
    rows = list(csv.reader(io.StringIO(written(hand_made(), EN).replace("\r", ""))))
    assert rows[0] == simulate_out.ALLOCATION_HEADERS
    # year, id, manager, units, rate, amount per unit, amount, eligible, reason, rules: by year, then id, then the
    # lines' order. Amount per unit = cents * den / num cents, rounded half to even.
    got = [(r[0], r[1], r[5], r[8], r[9], r[10], r[11], r[12], r[13], r[14]) for r in rows[1:]]
    assert got == [
        # units (10**30 + 7) / 7 = 142857142857142857142857142858.142857..: .1429; 100 * 7 / (10**30 + 7) cents: 0
        ("2023", "B", 'M"2', "142857142857142857142857142858.1429", "", "0.00", "1.00", "true", "", "R1"),
        # units 1 / 10**8: 0.0000; per unit 10**12 * 10**8 = 10**20 cents
        ("2023", "B", 'M"2', "0", "", "1000000000000000000.00", "10000000000.00", "true", "", "R1"),
        ("2023", "E", "M-OLD", "3", "2.000000", "0.01", "0.02", "true", "", "R1"),  # 2 / 3 cent: 1
        ("2024", "A", "M1", "2", "", "0.04", "0.07", "true", "", ""),  # 3.5 cents: 4 (even)
        ("2024", "A", "M1", "2", "", "-0.02", "-0.03", "false", 'ineligible, "why"', "R1"),  # -1.5: -2
        ("2024", "A", "M1", "2", "", "0.00", "-0.01", "true", "", "R1"),  # -0.5: 0, no sign
        ("2024", "B", 'M"2', "2", "0.000002", "0.02", "0.05", "true", "", "R3.per_unit R4"),  # 2.5: 2; 1.5e-6: 2e-6
        ("2024", "C", "M3", "2", "0.000002", "0.02", "0.03", "true", "", "R3.per_unit R4"),  # 1.5: 2
        ("2024", "C", "M3", "0.6667", "0.666667", "18.51", "12.34", "false", "closed", "R9"),  # 1234 * 3 / 2
        ("2024", "C", "M3", "0", "", "", "-0.01", "false", "closed", ""),  # no units: no amount per unit
        ("2024", "D", "M1", "2", "", "0.00", "0.01", "true", "", "R1"),  # 0.5: 0
        ("2024", "D", "M1", "0.3333", "0.333333", "-370.35", "-123.45", "true", "", "R1"),  # -12345 * 3
        ("2024", "D", "M1", "0", "0.000000", "", "0.00", "true", "", "R1"),  # rate -0.5e-6: 0, no sign
        ("2024", "D", "M1", "10000", "", "100.00", "1000000.00", "true", "", "R1"),  # 10**8 / 10**4
        ("2024", "D", "M1", "9999.9999", "", "100.00", "999999.99", "true", "", "R1"),  # (10**8 - 1) 10**4 / ..
        ("2025", "E", "M-NEW", "3", "", "0.01", "0.02", "true", "", "R1"),
    ]
    assert [r[2:5] for r in rows[1:3]] == [["two\nlines", "MICRO;CRECHE", "C,2"]] * 2
    text = written(hand_made(), EN)
    assert '"Crèche ""Les Lutins"", Nord; Sud",EAJE,C1,M1,' in text
    assert '"two\nlines",MICRO;CRECHE,"C,2","M""2",' in text
    french = written(hand_made(), FR)
    assert '"Crèche ""Les Lutins"", Nord; Sud";EAJE;C1;M1;' in french
    assert '"two\nlines";"MICRO;CRECHE";C,2;"M""2";' in french
    assert ";0,6667;0,666667;18,51;12,34;no;closed;R9\n" in french


def test_an_empty_run_is_its_header():
    result = fake_result([], {})
    assert list(ac.allocation_column_blocks(result)) == []
    assert written(result, FR) == render_csv(simulate_out.allocation_table(result), FR) == written_header(FR)
