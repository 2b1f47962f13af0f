"""The national-scale writers take shortcuts (integer cents and units, a CSV written line by line): each gives
the same text as the general path it replaces."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from enum import IntEnum, StrEnum
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctg_funding import i18n
from ctg_funding.inputs.generate import generate
from ctg_funding.money import fmt_cents, fmt_fraction, fmt_ratio, fmt_units, fmt_units_ratio
from ctg_funding.output import simulate as simulate_out
from ctg_funding.output import writers
from ctg_funding.output.writers import CSV_DIALECTS, Table, render_csv
from ctg_funding.rulebook import load_rulebook
from ctg_funding.scenario.file import load_scenario
from ctg_funding.simulation import simulate

ROOT = Path(__file__).resolve().parents[2]


def reference_text(value: Fraction, places: int) -> str:
    """fmt_fraction as it was written before the integer shortcut: Fraction's own rounding, half to even."""
    scaled = round(Fraction(value) * 10**places)
    sign, digits = ("-" if scaled < 0 else ""), str(abs(scaled)).rjust(places + 1, "0")
    return sign + digits if not places else f"{sign}{digits[:-places]}.{digits[-places:]}"


integers = st.integers(min_value=-10**18, max_value=10**18)
denominators = st.integers(min_value=1, max_value=10**12) | st.integers(min_value=-10**6, max_value=-1)


@given(integers, denominators, st.integers(min_value=0, max_value=8))
def test_a_ratio_is_written_as_its_fraction(num, den, places):
    assert fmt_ratio(num, den, places) == reference_text(Fraction(num, den), places)
    assert fmt_fraction(Fraction(num, den), places) == reference_text(Fraction(num, den), places)


@given(integers, denominators)
def test_units_from_their_integers_as_from_their_fraction(num, den):
    text = reference_text(Fraction(num, den), 4)
    assert fmt_units_ratio(num, den) == fmt_units(Fraction(num, den)) == (
        text.rstrip("0").rstrip(".") if "." in text else text)


@given(integers)
def test_cents_are_written_as_their_euros(cents):
    assert fmt_cents(cents) == reference_text(Fraction(cents, 100), 2)


@pytest.mark.parametrize("ties", [(1, 8), (3, 8), (5, 2), (-5, 2), (-1, 200), (1, 200), (3, 200), (-3, 200)])
def test_halves_go_to_the_even_neighbour(ties):
    assert fmt_ratio(*ties, 2) == reference_text(Fraction(*ties), 2)


def _scenarios(tmp_path_factory):
    out = [ROOT / "scenarios" / f"{name}.yaml" for name in ("cab-per-unit-floor", "cab-renewal-per-unit",
                                                            "cab-trajectoire", "cab-closure")]
    out.append(generate(tmp_path_factory.mktemp("generated"), 6, 300, seed=3))
    return out


@pytest.mark.parametrize("engine", ["durable", "vector"])
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_allocation_csv_written_line_by_line_is_the_allocation_tables(engine, lang, tmp_path_factory):
    rulebook = load_rulebook()
    i18n.set_language(lang)
    try:
        for path in _scenarios(tmp_path_factory):
            result = simulate(load_scenario(path, rulebook), engine=engine)
            table = simulate_out.allocation_table(result)
            for dialect in (None, *CSV_DIALECTS.values()):
                out = io.StringIO()
                simulate_out.write_allocations_csv(result, out, dialect)
                assert out.getvalue() == render_csv(table, dialect), (path.name, dialect)
    finally:
        i18n.set_language("en")


def _workbook_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist() if name != "docProps/core.xml"}  # its creation time


def test_rows_written_at_once_are_the_cells_xlsxwriter_writes(tmp_path, monkeypatch):
    """Every kind of cell a table can hold, through RowsSheet.write_rows and through XlsxWriter cell by cell
    (writers._write_cell, as every sheet was written before): the same workbook, part by part."""
    class Kind(StrEnum):
        A = "a kind"

    class Count(IntEnum):
        TWO = 2

    rows = [
        [2022, "S1", "Crèche « Les Lutins » & co <1>", True, ["R1", "R2"], Decimal("1234.50"), Fraction(1, 3), None],
        [2023, "", " leading", False, [], Decimal("-0.01"), Fraction(-7, 2), 2.5],
        [10**20, "trailing ", "tab\there", "_x0041_ escaped", "<r>rich</r>", Decimal("0.00"), Fraction(0), 0.1],
        [dt.date(2024, 7, 1), dt.datetime(2024, 7, 1, 12, 30), "ctrl\x01char", "x" * 40000, Kind.A, Count.TWO,
         np.int64(5), "line\nbreak"],
        [None, None, None, None, None, None, None, None],
        [0, "a > b & c", "=1+1", "1e5", "\u00a0nbsp", "ok", Fraction(10**12 + 1, 3), "last"],
    ]
    table = Table("t", ["year", "id", "name", "eligible", "rules", "amount", "rate", "other"], rows,
                  money={"amount"}, kinds={"rate": "rate"}, sheet="sheet")
    # Formats are numbered at their first use: a text column first, a percent column before a money one.
    pivot = Table("p", ["key", "pct", "total"], [["x", None, Decimal("1.00")], ["y", 12.5, None]],
                  money={"total"}, kinds={"pct": "percent"}, sheet="pivot")
    tables = [pivot, table, table]
    fast = tmp_path / "fast.xlsx"
    writers.write_xlsx(tables, fast, [("scenario", "s"), ("run on", dt.date(2026, 1, 1))])

    def cell_by_cell(sheet, t, bold, formats):
        kinds = [t.kind(h) for h in t.headers]
        for i, header in enumerate(t.headers):
            width = max([len(header)] + [len(writers.cell_text(r[i], kinds[i])) for r in t.rows[:500]]) + 2
            sheet.set_column(i, i, min(max(width, 8), 60))
        sheet.write_row(0, 0, list(t.headers), bold)
        for r, row in enumerate(t.rows, start=1):
            for c, value in enumerate(row):
                writers._write_cell(sheet, r, c, value, kinds[c], formats)
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(t.rows), 1), len(t.headers) - 1)

    monkeypatch.setattr(writers, "_write_sheet", cell_by_cell)
    slow = tmp_path / "slow.xlsx"
    writers.write_xlsx(tables, slow, [("scenario", "s"), ("run on", dt.date(2026, 1, 1))])
    assert _workbook_parts(fast) == _workbook_parts(slow)


def test_the_manager_of_each_year_when_a_change_sets_it(tmp_path):
    """The allocation rows name the manager a structure had that year: its own, or the one a change set."""
    scenario = tmp_path / "manager.yaml"
    scenario.write_text(f"""name: manager changes
dataset: {ROOT / "data" / "cab"}
years: [2022, 2026]
parameters: {{redistribution.method: per_unit, ctg.renewed_until: 2030-12-31}}
changes:
  - {{on: 2024-01-01, structure: EAJE-BSM-CELESTINE, manager: CSE-SAINT-MARTIN-BOULOGNE}}
  - {{on: 2025-07-01, structure: ALSH-BAINCTHUN-EXTRA, manager: OMJ-OUTREAU}}
""")
    for engine in ("durable", "vector"):
        result = simulate(load_scenario(scenario, load_rulebook()), engine=engine)
        rows = simulate_out.allocation_rows(result)
        assert len(rows) == len(result.lines)
        for row in rows:
            sy = result.structure_years[f"{row['structure_id']}|{row['year']}"]
            assert row["manager_id"] == sy.structure.manager_id
        managers = {(r["structure_id"], r["year"]): r["manager_id"] for r in rows}
        assert managers[("EAJE-BSM-CELESTINE", 2023)] == "BOULOGNE-SUR-MER"
        assert managers[("EAJE-BSM-CELESTINE", 2024)] == "CSE-SAINT-MARTIN-BOULOGNE"
        assert managers[("ALSH-BAINCTHUN-EXTRA", 2024)] == "BAINCTHUN"
        assert managers[("ALSH-BAINCTHUN-EXTRA", 2026)] == "OMJ-OUTREAU"
        keys = [(r["year"], r["structure_id"]) for r in rows]
        assert keys == sorted(keys)
