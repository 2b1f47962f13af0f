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
from ctg_funding.simulation import SimulationResult, simulate

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


class _FakeResult(SimpleNamespace):
    """A result with the lines, structures and changes of a test, and the real SimulationResult.managers and
    line_columns."""

    _changed = SimulationResult._changed
    managers = SimulationResult.managers
    line_columns = SimulationResult.line_columns


def fake_result(lines, structures, changes=(), structure_years=None):
    scenario = SimpleNamespace(structures=structures, changes=[SimpleNamespace(structure=s) for s in changes])
    return _FakeResult(lines=lines, scenario=scenario, structure_years=structure_years or {})


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


# --- the figures, worked out by hand --------------------------------------------------------------------------

def units(num, den, mark="."):
    return ac.joined(ac.ratio_pieces(num, den, ac.UNITS_PLACES, mark, units=True))


def test_units_by_hand():
    # 1/3 = 0.33333: 0.3333; 2/3 = 0.66666: 0.6667; 5/2 = 2.5; 4/1 = 4; 0; -1/3; 1/20000 = 0.00005 (tie: 0.0000,
    # then nothing left: 0); 3/20000 = 0.00015 (tie: 0.0002); 123456789/10000 = 12345.6789; 10**4 and 10**4 + 1/2.
    assert units([1, 2, 5, 4, 0, -1, 1, 3, 123456789, 10**4, 20001], [3, 3, 2, 1, 1, 3, 20000, 20000, 10**4, 1, 2]) == [
        "0.3333", "0.6667", "2.5", "4", "0", "-0.3333", "0", "0.0002", "12345.6789", "10000", "10000.5"]
    assert units([1, 7, -7], [-3, -2, -2], ",") == ["-0,3333", "-3,5", "3,5"]  # negative denominators; French mark


def test_money_and_rates_by_hand():
    # 12345 cents = 123.45; 5 = 0.05; -5 = -0.05; 9999 = 99.99; 10**4 = 100.00; 10**8 - 1 = 999999.99 (the last
    # digits below the table of 10**4 highs); 10**8 = 1000000.00 (its highs written by str).
    assert ac.joined(ac.cents_pieces([12345, 5, -5, 0, 9999, 10**4, 10**8 - 1, 10**8, -10**8], ".")) == [
        "123.45", "0.05", "-0.05", "0.00", "99.99", "100.00", "999999.99", "1000000.00", "-1000000.00"]
    assert ac.rate_texts([Fraction(1, 3), None, Fraction(2, 3), 2, Decimal("0.5"), Fraction(-1, 3)], ",") == [
        "0,333333", None, "0,666667", "2,000000", "0,500000", "-0,333333"]
    # fmt_ratio(num, den, places) for 12345/100 at 2 places, and 1/8 (0.125: a tie, to the even 0.12) and 3/8.
    assert ac.joined(ac.ratio_pieces([12345, 1, 3, -1], [100, 8, 8, 8], 2, ".")) == ["123.45", "0.12", "0.38",
                                                                                      "-0.12"]


def test_per_unit_by_hand():
    # 100 cents for 3 units: 33.33 cents = 0.33; 200 for 3: 0.67; 1 for 2: 0.5 cent, to the even 0.00; 3 for 2:
    # 0.02; no units: nothing; 150 cents for 3/2 units (den 2): 100 cents = 1.00; -700 for 2: -3.50.
    assert ac.joined(ac.per_unit_pieces([100, 200, 1, 3, 5, 150, -700], [3, 3, 2, 2, 0, 3, 2],
                                        [1, 1, 1, 1, 1, 2, 1], ".")) == [
        "0.33", "0.67", "0.00", "0.02", "", "1.00", "-3.50"]
    whole, rest = ac.per_unit_pieces([5], [0], [1], ",", ";")
    assert (whole, rest) == ([""], [";"])


def test_the_pieces_of_a_figure():
    """Integer digits before the last 4, then the last 4 with the mark, the decimals and the end."""
    assert ac.cents_pieces([123456, 12, 10**8 + 5], ".", ",") == (["12", "", "10000"], ["34.56,", "0.12,", "00.05,"])
    # Units: 12345.6789 (scaled 123456789: 12345 | 6789), 5 (scaled 50000: 5 | 0000, all decimals dropped), 0.5.
    assert ac.ratio_pieces([123456789, 5, 1], [10**4, 1, 2], 4, ",", ";", units=True) == (
        ["12345", "5", ""], [",6789;", ";", "0,5;"])


def spied(monkeypatch):
    """The exact functions the columns fall back to, recording the rows they write."""
    calls = []
    for name in ("fmt_cents", "fmt_units_ratio", "fmt_ratio"):
        real = getattr(ac, name)
        monkeypatch.setattr(ac, name, lambda *a, real=real, name=name, **k: calls.append((name, a)) or real(*a, **k))
    return calls


def test_the_int64_bounds_on_both_sides(monkeypatch):
    calls = spied(monkeypatch)
    top = LIMIT // 10**4  # the largest numerator of units whose 10**4 multiple fits
    assert units([top, top + 1, -top, -top - 1], [1, 1, 1, 1]) == [str(top), str(top + 1), str(-top),
                                                                   str(-top - 1)]
    assert calls == [("fmt_units_ratio", (top + 1, 1)), ("fmt_units_ratio", (-top - 1, 1))]
    calls.clear()
    assert units([1, 1], [LIMIT, LIMIT + 1]) == ["0", "0"]
    assert calls == [("fmt_units_ratio", (1, LIMIT + 1))]
    calls.clear()
    assert ac.joined(ac.cents_pieces([LIMIT, -LIMIT, -LIMIT - 1, LIMIT + 1], ".")) == [
        "92233720368547758.07", "-92233720368547758.07", "-92233720368547758.08", "92233720368547758.08"]
    assert calls == [("fmt_cents", (-LIMIT - 1,)), ("fmt_cents", (LIMIT + 1,))]
    calls.clear()
    # Per unit: cents * den must fit. den 10**6: cents up to LIMIT // 10**6 = 9223372036854; 1 unit in all.
    edge = LIMIT // 10**6
    got = ac.joined(ac.per_unit_pieces([edge, edge + 1, -edge - 1, 7], [10**6] * 4, [10**6, 10**6, 10**6, 0], "."))
    assert got == ["92233720368.54", "92233720368.55", "-92233720368.55", "0.00"]
    assert calls == [("fmt_ratio", ((edge + 1) * 10**6, 100 * 10**6)), ("fmt_ratio", ((-edge - 1) * 10**6, 10**8))]
    calls.clear()
    # 1 cent for 2**63 units: 0; 1 cent for 3 units of den 2**63: 2**63 / 3 = 3074457345618258602.67 cents: 603;
    # no units: nothing, however large the cents.
    assert ac.joined(ac.per_unit_pieces([1, 1, LIMIT + 1], [LIMIT + 1, 3, 0], [1, LIMIT + 1, 1], ".")) == [
        "0.00", "30744573456182586.03", ""]
    assert [name for name, _args in calls] == ["fmt_ratio", "fmt_ratio"]
    calls.clear()
    with pytest.raises(ZeroDivisionError):  # as fmt_ratio: a zero denominator is not written
        units([1], [0])
    assert calls == [("fmt_units_ratio", (1, 0))]


def test_half_even_both_parities_and_signs():
    num = np.array([1, 3, 5, 7, -1, -3, -5, 2, -2, 1, 9], dtype=np.int64)
    den = np.array([2, 2, 2, 2, 2, 2, 2, 3, 3, -2, -2], dtype=np.int64)
    # 0.5: 0; 1.5: 2; 2.5: 2; 3.5: 4; -0.5: 0; -1.5: -2; -2.5: -2; 0.67: 1; -0.67: -1; -0.5: 0; -4.5: -4
    assert ac.half_even(num, den).tolist() == [0, 2, 2, 4, 0, -2, -2, 1, -1, 0, -4]
    big = np.array([LIMIT, LIMIT - 1], dtype=np.int64)  # rest and den near the top: no 2 * rest overflow
    assert ac.half_even(big, np.array([LIMIT, LIMIT], dtype=np.int64)).tolist() == [1, 1]
    assert ac.half_even(np.array([LIMIT // 2], dtype=np.int64), np.array([LIMIT], dtype=np.int64)).tolist() == [0]
    assert ac.half_even(np.array([LIMIT // 2 + 1], dtype=np.int64),
                        np.array([LIMIT], dtype=np.int64)).tolist() == [1]


# --- quoting --------------------------------------------------------------------------------------------------

ODD = ["plain", "a,b", "a;b", 'say "hi"', "two\nlines", "cr\rhere", "", " space ", None, 2024, "é"]


@pytest.mark.parametrize("separator", [",", ";"])
def test_fields_are_quoted_as_csv_writer_quotes_them(separator):
    for value in ODD:
        out = io.StringIO()
        csv.writer(out, delimiter=separator, lineterminator="\n").writerow([value, "x"])
        assert ac.csv_fields([value], separator) == [out.getvalue()[:-3]], value
    plain = ["plain", "é", "a,b" if separator == ";" else "a;b"]
    assert ac.csv_fields(plain, separator) == plain
    assert ac.csv_fields([], separator) == []


def test_a_decimal_mark_that_would_be_quoted_is_refused():
    result = fake_result([line("A", 1, 1, 1)], {"A": structure("a")})
    with pytest.raises(ValueError, match="decimal mark"):
        body(result, CsvDialect("odd", ",", ",", False))
    assert body(result, CsvDialect("odd", ";", ".", False)).startswith("2024;A;a;EAJE;C1;M1;line;EAJE;1;;0.01;0.01;")
