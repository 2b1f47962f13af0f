"""The allocation sheet written from columns (output/xlsx_columns.py) is the sheet RowsSheet.write_rows writes from
the typed rows of `allocation_table`: the same workbook, part by part, for every CAB scenario, a generated dataset
with changes and hand-made lines at the edges (empty cells, escaping, strings XlsxWriter writes itself, huge and
negative figures)."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctg_funding import i18n
from ctg_funding.inputs.generate import generate
from ctg_funding.money import money
from ctg_funding.output import simulate as simulate_out
from ctg_funding.output import writers, xlsx_columns
from ctg_funding.output.xlsx_columns import (
    AllocationColumns,
    AllocationRows,
    first_numbers,
    gather_allocation_columns,
    ratio_double,
)
from ctg_funding.output.xlsx_rows import RowsSheet
from ctg_funding.rulebook import load_rulebook
from ctg_funding.scenario.file import load_scenario
from ctg_funding.simulation import SimulationResult, simulate

ROOT = Path(__file__).resolve().parents[2]
CAB = sorted(p for p in (ROOT / "scenarios").glob("cab-*.yaml"))
PROVENANCE = [("scenario", "s"), ("run on", dt.date(2026, 1, 1))]


def _parts(path: Path) -> dict[str, bytes]:
    """Every part of a workbook but its creation time (docProps/core.xml)."""
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist() if name != "docProps/core.xml"}


def _reference_pivot(lines: list[Any], key: Any, years: list[int], label: str) -> list[list[Any]]:
    """The pivots as simulate_tables made them before: the lines' cents added up by key and year."""
    sums: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for ln in lines:
        sums[key(ln)][ln.year] += ln.cents
    totals = {k: sum(v.values()) for k, v in sums.items()}
    out = [[k] + [money(sums[k].get(y, 0)) for y in years] + [money(totals[k])] for k in sorted(sums)]
    out.append([label] + [money(sum(sums[k].get(y, 0) for k in sums)) for y in years] + [money(sum(totals.values()))])
    return out


def reference_tables(result: Any) -> list[writers.Table]:
    """simulate_tables as the row path had them: the allocation table's typed rows (allocation_table) and the
    pivots added up line by line."""
    tables = simulate_out.simulate_tables(result)
    structures = result.scenario.structures
    outside = simulate_out.OUTSIDE_ENVELOPE
    inside_lines = [ln for ln in result.lines if ln.line not in outside]
    outside_lines = [ln for ln in result.lines if ln.line in outside]
    total = i18n._("total")
    pivots = {"by_family": (inside_lines, lambda ln: ln.family),
              "by_commune": (inside_lines, lambda ln: structures[ln.structure_id].commune_id),
              "outside_envelope": (outside_lines, lambda ln: f"{ln.line} {ln.family}")}
    out = []
    for t in tables:
        if t.sheet == "allocations":
            t = simulate_out.allocation_table(result)
        elif t.sheet in pivots:
            lines, key = pivots[t.sheet]
            t = writers.Table(t.title, t.headers, _reference_pivot(lines, key, result.years, total), t.money,
                              t.sheet, t.kinds, t.optional)
        out.append(t)
    assert [t.sheet for t in out] == [t.sheet for t in tables]
    assert ("outside_envelope" in [t.sheet for t in out]) == bool(outside_lines)
    return out


def _same_workbook(result: Any, tmp_path: Path) -> None:
    new, old = tmp_path / "columns.xlsx", tmp_path / "rows.xlsx"
    tables = simulate_out.simulate_tables(result)
    assert isinstance(tables[[t.sheet for t in tables].index("allocations")].rows, AllocationRows)
    writers.write_xlsx(tables, new, PROVENANCE)
    writers.write_xlsx(reference_tables(result), old, PROVENANCE)
    assert _parts(new) == _parts(old)


@pytest.fixture(scope="module")
def rulebook():
    return load_rulebook()


@pytest.mark.parametrize("engine", ["durable", "vector"])
@pytest.mark.parametrize("path", CAB, ids=[p.stem for p in CAB])
def test_every_cab_workbook_is_the_row_paths(path, engine, rulebook, tmp_path):
    result = simulate(load_scenario(path, rulebook), engine=engine)
    assert len(result.lines) > 0
    _same_workbook(result, tmp_path)
    columns = gather_allocation_columns(result)
    assert list(AllocationRows(columns)) == simulate_out.allocation_table(result).rows
    # The terminal tables, read from the same columns and pivots, are the same text.
    assert writers.render_tables(simulate_out.simulate_tables(result)) == writers.render_tables(
        reference_tables(result))


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A generated dataset of several territories, with a scenario that changes managers, units, closes a
    structure and opens one whose name needs escaping."""
    folder = tmp_path_factory.mktemp("generated")
    generate(folder, 3, 150, seed=11)
    scenario = folder / "changes.yaml"
    scenario.write_text("""name: generated with changes
dataset: .
years: [2022, 2027]
parameters: {redistribution.method: per_unit, ctg.renewed_until: 2031-12-31, released.destination: caf}
changes:
  - {on: 2024-01-01, structure: S000002, manager: C0001-01}
  - {on: 2025-07-01, structure: S000005, manager: C0002-02}
  - {on: 2024-03-01, structure: S000004, units: 120}
  - {on: 2025-05-01, structure: S000007, close: true}
  - on: 2024-07-01
    structure: S-NEW
    open:
      name: Crèche <Nouvelle> & "Cie"
      type: EAJE
      commune_id: C0000-01
      manager_id: C0000-01
      supported_by: C0000-01
      ps_funded: true
      units: 12
""")
    return scenario


@pytest.mark.parametrize("engine", ["durable", "vector"])
def test_a_generated_workbook_with_changes_is_the_row_paths(generated, engine, rulebook, tmp_path):
    result = simulate(load_scenario(generated, rulebook), engine=engine)
    assert len(result.scenario.dataset.territories) == 3
    columns = gather_allocation_columns(result)
    assert "Crèche <Nouvelle> & \"Cie\"" in columns.name
    managers = {(s, y): m for s, y, m in zip(columns.structure_id, columns.year, columns.manager_id, strict=True)}
    assert managers[("S000002", 2024)] == "C0001-01" != managers[("S000002", 2023)]
    assert list(AllocationRows(columns)) == simulate_out.allocation_table(result).rows
    _same_workbook(result, tmp_path)


def test_a_generated_workbook_in_french_is_the_row_paths(generated, rulebook, tmp_path, french):
    result = simulate(load_scenario(generated, rulebook), engine="vector")
    _same_workbook(result, tmp_path)
    sheets = _parts(tmp_path / "columns.xlsx")
    assert any(b"<t>oui</t>" in part for name, part in sheets.items() if name.startswith("xl/worksheets/"))


# Hand-made lines: (year, id, name, type, commune, manager, line, family, units_num, units_den, rate, cents,
# eligible, reason, rules), and the typed row allocation_table gives for each, worked out by hand.
R = Fraction(1, 3)
EDGES: list[tuple[tuple[Any, ...], list[Any]]] = [
    # 1234 cents over 3/2 units: 12.34 euros, 1234 x 2 / (100 x 3) = 2468/300 = 617/75 per unit.
    ((2022, "S1", "A & B > c", "EAJE", "C1", "M1", "base", "EAJE", 3, 2, None, 1234, True, None, "R1 R2"),
     [2022, "S1", "A & B > c", "EAJE", "C1", "M1", "base", "EAJE", Fraction(3, 2), None, Fraction(617, 75),
      Decimal("12.34"), True, None, "R1 R2"]),
    # units 0: no amount per unit; empty strings and None: no cell.
    ((2022, "S2", "", "", None, None, "base", "EAJE", 0, 1, R, 0, False, "CLOSED", ""),
     [2022, "S2", "", "", None, None, "base", "EAJE", Fraction(0), R, None, Decimal("0.00"), False, "CLOSED", ""]),
    # negative amount: -1234 cents over 4 units = -1234 / 400 = -617/200 per unit.
    ((2023, "S3", "x" * 8191, "T", "C1", "M1", "base", "ALSH", 4, 1, Fraction(0), -1234, True, None, "R3"),
     [2023, "S3", "x" * 8191, "T", "C1", "M1", "base", "ALSH", Fraction(4), Fraction(0), Fraction(-617, 200),
      Decimal("-12.34"), True, None, "R3"]),
    # a leading space: XlsxWriter's own writer (xml:space="preserve").
    ((2023, "S4", " leading", "T", "C1", "M1", "base", "ALSH", 1, 3, R, 1, True, None, "R3"),
     [2023, "S4", " leading", "T", "C1", "M1", "base", "ALSH", Fraction(1, 3), R, Fraction(3, 100),
      Decimal("0.01"), True, None, "R3"]),
    # huge figures (as large as a table's text can show): 10^20 cents (10^18 euros) over 10^19 / 7 units,
    # 10^20 x 7 / (100 x 10^19) = 7/10 per unit; a rate of 10^15 / 3.
    ((2024, "S5", "trailing ", "T", "C1", "M1", "base", "ALSH", 10**19, 7, Fraction(10**15, 3), 10**20, True, None,
      "R3"),
     [2024, "S5", "trailing ", "T", "C1", "M1", "base", "ALSH", Fraction(10**19, 7), Fraction(10**15, 3),
      Fraction(7, 10), Decimal("1000000000000000000.00"), True, None, "R3"]),
    # a control character, a string too long for the inline shortcut (8192), one cut at Excel's 32,767.
    ((2024, "S6", "tab\there", "x" * 8192, "y" * 40000, "M1", "base", "ALSH", 5, 2, R, 99, True, None, "R3"),
     [2024, "S6", "tab\there", "x" * 8192, "y" * 40000, "M1", "base", "ALSH", Fraction(5, 2), R,
      Fraction(99 * 2, 100 * 5), Decimal("0.99"), True, None, "R3"]),
    # an _xHHHH_ escape, written by XlsxWriter as such; > and the quote escaped or not as XlsxWriter does.
    ((2025, "S7", "_x0041_", "a > b", 'q"q', "M1", "base", "ALSH", 7, 1, R, 2**60, True, None, "R3"),
     [2025, "S7", "_x0041_", "a > b", 'q"q', "M1", "base", "ALSH", Fraction(7), R, Fraction(2**60, 700),
      money(2**60), True, None, "R3"]),
    # negative units: 500 cents over -3/2 units, 500 x 2 / (100 x -3) = -10/3 per unit; 0 cents over -4 units,
    # 0 per unit (a Fraction's 0, never -0).
    ((2025, "S9", "neg", "T", "C1", "M1", "base", "ALSH", -3, 2, R, 500, True, None, "R3"),
     [2025, "S9", "neg", "T", "C1", "M1", "base", "ALSH", Fraction(-3, 2), R, Fraction(-10, 3), Decimal("5.00"),
      True, None, "R3"]),
    ((2025, "S10", "zero", "T", "C1", "M1", "base", "ALSH", -4, 1, R, 0, True, None, "R3"),
     [2025, "S10", "zero", "T", "C1", "M1", "base", "ALSH", Fraction(-4), R, Fraction(0), Decimal("0.00"), True,
      None, "R3"]),
    # values of other types than the lines', one a row: a year as text, a float rate, an int for eligible
    # (RowsSheet writes them, the year as a string, the others as numbers); 100 cents over 2 units, 1/2 per unit.
    (("2024", "S11", "odd", "T", "C1", "M1", "base", "ALSH", 2, 1, R, 100, True, None, "R3"),
     ["2024", "S11", "odd", "T", "C1", "M1", "base", "ALSH", Fraction(2), R, Fraction(1, 2), Decimal("1.00"), True,
      None, "R3"]),
    ((2024, "S12", "odd", "T", "C1", "M1", "base", "ALSH", 2, 1, 0.5, 100, True, None, "R3"),
     [2024, "S12", "odd", "T", "C1", "M1", "base", "ALSH", Fraction(2), 0.5, Fraction(1, 2), Decimal("1.00"), True,
      None, "R3"]),
    ((2024, "S13", "odd", "T", "C1", "M1", "base", "ALSH", 2, 1, R, 100, 1, None, "R3"),
     [2024, "S13", "odd", "T", "C1", "M1", "base", "ALSH", Fraction(2), R, Fraction(1, 2), Decimal("1.00"), 1,
      None, "R3"]),
    # the last row goes through XlsxWriter's write_* (as _write_sheet writes it), also with an escaped name.
    ((2025, "S8", "<last>", "T", "C1", "M1", "base", "ALSH", 9, 4, None, 5, False, "R", "R3 R4"),
     [2025, "S8", "<last>", "T", "C1", "M1", "base", "ALSH", Fraction(9, 4), None, Fraction(5 * 4, 100 * 9),
      Decimal("0.05"), False, "R", "R3 R4"]),
]
SPECIAL = [3, 4, 5, 6, 9, 10, 11, 12]  # rows (from 0) with a cell for XlsxWriter itself ("<" too: rich text)


def columns_of(lines: list[tuple[Any, ...]]) -> AllocationColumns:
    fields = list(zip(*lines, strict=True)) if lines else [()] * 15
    return AllocationColumns(*(list(f) for f in fields))


def _write_both(rows: list[tuple[Any, ...]], typed: list[list[Any]], tmp_path: Path, name: str) -> None:
    """The workbook of a table from the columns of `rows` and the one from the typed rows: the same parts."""
    columns = columns_of(rows)
    assert list(AllocationRows(columns)) == typed
    new, old = tmp_path / f"{name}-columns.xlsx", tmp_path / f"{name}-rows.xlsx"
    writers.write_xlsx([simulate_out.allocation_table_of(AllocationRows(columns))], new)
    writers.write_xlsx([simulate_out.allocation_table_of(typed)], old)
    assert _parts(new) == _parts(old)


@pytest.mark.parametrize("chunk", [1, 2, 3, 8192])
def test_hand_made_lines_at_the_edges(chunk, tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_columns, "CHUNK", chunk)
    lines, typed = [e[0] for e in EDGES], [e[1] for e in EDGES]
    _write_both(lines, typed, tmp_path, "all")
    _write_both(lines[::-1], typed[::-1], tmp_path, "reversed")  # the special rows nearer the start


@pytest.mark.parametrize("count", [0, 1, 2, 3])
def test_tables_of_a_few_rows(count, tmp_path):
    """No row, one row (only the last, through XlsxWriter), two rows (one from the columns)..."""
    lines, typed = [e[0] for e in EDGES[:count]], [e[1] for e in EDGES[:count]]
    _write_both(lines, typed, tmp_path, str(count))


@pytest.mark.parametrize("order", [[1, 0, 2], [0, 1, 2], [1, 2, 0], [1, 0]])
def test_formats_numbered_in_the_order_of_their_first_number(order, tmp_path):
    """The rate format is numbered when the first rate is met: after the money format when the first row has no
    rate (row 1 has none), before it when it has one (a rate of 0 is a rate). [1, 0]: the only row written from
    the columns has no units, so no amount per unit."""
    lines, typed = [EDGES[i][0] for i in order], [EDGES[i][1] for i in order]
    _write_both(lines, typed, tmp_path, "".join(map(str, order)))


def test_only_the_rows_with_strings_for_xlsxwriter_go_through_write_rows(tmp_path, monkeypatch):
    calls: list[tuple[int, int]] = []
    original = RowsSheet.write_rows

    def spy(self, first_row, rows, formats, text, as_number, date_format):
        calls.append((first_row, len(rows)))
        # What XlsxWriter's writer needs for a number or a date, as _write_sheet gives it.
        assert as_number is writers._as_number and date_format.num_format == "yyyy-mm-dd"
        return original(self, first_row, rows, formats, text, as_number, date_format)

    monkeypatch.setattr(RowsSheet, "write_rows", spy)
    lines = [e[0] for e in EDGES] + [EDGES[0][0]]  # the last row (written by XlsxWriter) is not special here
    path = tmp_path / "spy.xlsx"
    writers.write_xlsx([simulate_out.allocation_table_of(AllocationRows(columns_of(lines)))], path)
    assert calls == [(1 + i, 1) for i in SPECIAL]


NO_RULES = [EDGES[0][0][:13] + (None, ""), EDGES[1][0][:13] + (None, "")]


@pytest.mark.parametrize(("lines", "state"), [
    ([EDGES[0][0], EDGES[1][0], EDGES[0][0]], (2, 1, 2, 0, 14)),
    ([*NO_RULES, EDGES[0][0]], (2, 1, 2, 0, 12)),  # no reason nor rules in the rows written: up to column M
])
def test_rows_written_and_the_sheets_last_row(lines, state, tmp_path):
    """write_allocation_rows returns the rows it wrote, and leaves the sheet's last row and dimensions as
    write_rows does (sheets without a header, so that the rows alone make the dimensions)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(tmp_path / "b.xlsx"), {"constant_memory": True})
    number = book.add_format({"num_format": "0.00"})
    sheets = [book.add_worksheet(name, RowsSheet) for name in ("a", "b")]
    formats = [number] * 15
    columns = columns_of(lines)
    args = (formats, i18n.yes_no, writers._as_number, number)
    assert xlsx_columns.write_allocation_rows(sheets[0], 1, columns, 2, *args) == 2
    assert sheets[1].write_rows(1, AllocationRows(columns)[:2], *args) == 2
    assert xlsx_columns.write_allocation_rows(sheets[0], 5, columns, 0, *args) == 0
    assert [(s.previous_row, s.dim_rowmin, s.dim_rowmax, s.dim_colmin, s.dim_colmax) for s in sheets] == [state] * 2
    book.close()


def _with(line: tuple[Any, ...], **changes: Any) -> tuple[Any, ...]:
    """A hand-made line with some of its fields changed."""
    fields = list(xlsx_columns.AllocationColumns.__dataclass_fields__)
    return tuple(changes.get(name, value) for name, value in zip(fields, line, strict=True))


def test_first_numbers_in_row_order():
    # Row 0: no rate, no units; row 1: units (an amount per unit), no rate; row 2: the first rate.
    columns = columns_of([_with(EDGES[1][0], rate=None), EDGES[0][0], EDGES[1][0]])
    assert first_numbers(columns, 0) == []
    assert first_numbers(columns, 1) == [0, 8, 11]
    assert first_numbers(columns, 2) == [0, 8, 11, 10]
    assert first_numbers(columns, 3) == [0, 8, 11, 10, 9]
    # A rate of 0 on the first row is a number; units 0 are not.
    assert first_numbers(columns_of([_with(EDGES[0][0], rate=Fraction(0))]), 1) == [0, 8, 9, 10, 11]
    assert first_numbers(columns_of([_with(EDGES[0][0], units_num=0, rate=R)]), 1) == [0, 8, 9, 11]


def test_the_rows_view():
    columns = columns_of([e[0] for e in EDGES])
    rows = AllocationRows(columns)
    n = len(EDGES)
    assert len(rows) == n
    assert rows[0] == EDGES[0][1] and rows[n - 1] == EDGES[-1][1]
    assert rows[-1] == EDGES[-1][1] and rows[-n] == EDGES[0][1]
    for bad in (n, -n - 1):
        with pytest.raises(IndexError) as caught:
            rows[bad]
        assert caught.value.args == (bad,)
    assert rows[1:3] == [EDGES[1][1], EDGES[2][1]]
    assert rows[::-3] == [EDGES[12][1], EDGES[9][1], EDGES[6][1], EDGES[3][1], EDGES[0][1]]
    assert n == 13
    assert len(columns) == n


def test_no_line_no_column():
    scenario = SimpleNamespace(structures={}, changes=[], dataset=None)
    empty = SimulationResult(scenario=scenario, years=[2024], engine="vector", structure_years={}, evaluations={},
                             condition_parameters=())
    columns = xlsx_columns.gather_allocation_columns(empty)
    assert len(columns) == 0 and columns.structure_id == [] and columns.rules == [] and columns.manager_id == []


def _reference_double(num: int, den: int) -> float:
    """How RowsSheet turns Fraction(num, den) into a double."""
    f = Fraction(num, den)
    return float(Decimal(f.numerator) / Decimal(f.denominator))


@given(st.integers(min_value=-10**40, max_value=10**40),
       st.integers(min_value=1, max_value=10**30) | st.integers(min_value=-10**6, max_value=-1))
def test_a_ratio_is_the_double_of_its_fraction(num, den):
    assert ratio_double(num, den) == _reference_double(num, den)
    assert str(ratio_double(num, den)) == str(_reference_double(num, den))  # 0.0, never -0.0


def test_ratios_by_hand():
    assert str(ratio_double(0, -5)) == "0.0"  # Decimal(0) / Decimal(-5) would be -0
    assert ratio_double(-1, -4) == 0.25 and ratio_double(1, -4) == -0.25 and ratio_double(3, 4) == 0.75
    assert ratio_double(2, 6) == ratio_double(1, 3) == float(Decimal(1) / Decimal(3))


def test_a_ratio_rounded_twice_as_rowssheet_rounds_it():
    """Decimal's 28 digits then the double: not always the double nearest the ratio. Just above the midpoint m
    between 1 + k/2^52 and the next double, the ratio's nearest double is the upper one, but its 28-digit decimal
    is below m for some k: the double is then the lower one, and ratio_double gives it too."""
    for k in range(1, 1000):
        m = 1 + Fraction(2 * k + 1, 2**53)  # a midpoint between two doubles
        if Decimal(m.numerator) / Decimal(m.denominator) < m:
            break
    x = m + Fraction(1, 10**40)
    lower = float(1 + Fraction(k, 2**52))
    assert x.numerator / x.denominator > lower  # the nearest double is above
    assert ratio_double(x.numerator, x.denominator) == lower == _reference_double(x.numerator, x.denominator)


def _rowssheet_number(value: Any, style: str) -> str:
    """A number cell's end as RowsSheet writes it for a typed value (xlsx_rows.RowsSheet.write_rows)."""
    if value.__class__ is Fraction:
        number = float(Decimal(value.numerator) / Decimal(value.denominator))
    else:
        number = float(value)
    return f'"{style}><v>{number:.16G}</v></c>'


figures = st.tuples(st.integers(min_value=-10**20, max_value=10**20), st.integers(min_value=-10**12, max_value=10**12),
                    st.integers(min_value=1, max_value=10**12))


@given(st.lists(figures, min_size=1, max_size=30))
def test_number_cells_are_the_doubles_of_the_typed_values(lines):
    """Every number cell made from the integers is the one RowsSheet makes from the typed value: units
    Fraction(num, den), amount per unit Fraction(cents x den, 100 x num) (none for 0 units), amount money(cents)."""
    columns = columns_of([(2022 + i % 3, "S", "n", "t", "c", "m", "l", "f", num, den, Fraction(cents, den), cents,
                           True, None, "R") for i, (cents, num, den) in enumerate(lines)])
    styles = {0: ' s="1"', 8: ' s="2"', 9: ' s="3"', 10: ' s="4"', 11: ' s="5"'}
    cells = xlsx_columns.allocation_cells(columns, len(lines), styles.__getitem__, i18n.yes_no)
    for i, (cents, num, den) in enumerate(lines):
        assert cells[0].ends[i] == _rowssheet_number(2022 + i % 3, ' s="1"')
        assert cells[8].ends[i] == _rowssheet_number(Fraction(num, den), ' s="2"')
        assert cells[9].ends[i] == _rowssheet_number(Fraction(cents, den), ' s="3"')
        assert cells[10].ends[i] == (_rowssheet_number(Fraction(cents * den, 100 * num), ' s="4"') if num else "")
        assert cells[11].ends[i] == _rowssheet_number(money(cents), ' s="5"')
        assert cells[12].ends[i] == '" t="inlineStr"><is><t>yes</t></is></c>'
    assert cells[10].gaps == (0 in [num for _c, num, _d in lines])


def test_equal_values_of_other_types_are_cells_apart(tmp_path):
    """True == 1, but RowsSheet writes True as text and 1 as a number: a cell made for one is not the other's
    (each odd value alone in its row, so that nothing else sends the row to write_rows)."""
    line, row = EDGES[0]
    lines = [_with(line, year=1), _with(line, year=True), _with(line, eligible=1), line]
    typed = [[1, *row[1:]], [True, *row[1:]], [*row[:12], 1, *row[13:]], row]
    _write_both(lines, typed, tmp_path, "types")
