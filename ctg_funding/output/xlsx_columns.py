"""The allocation sheet of a workbook written column by column, for national runs of 600,000 lines.

Two steps, kept apart so that either can change alone: `gather_allocation_columns` reads the run's lines into one
list per column of the allocation table (integer cents and units, no Fraction or Decimal per line), and
`write_allocation_rows` turns those columns into the sheet's XML. Each column's cells are made once per distinct
value (an amount, a units ratio, a rate, a name), with the numbers and the strings exactly as
`xlsx_rows.RowsSheet.write_rows` writes them (the same double to 16 significant digits, the same inline string);
the rows are then joined from the columns with the row numbers and handed to the sheet's temporary file in
chunks. A row holding a cell that RowsSheet would give to XlsxWriter's own cell writer (a string with leading
spaces or control characters, a long string, an unusual type) is written by RowsSheet itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from itertools import chain, repeat
from typing import Any, overload

import numpy as np
from xlsxwriter.utility import xl_col_to_name

from ..money import money
from .allocation_csv import allocation_column_blocks
from .xlsx_rows import RowsSheet, _inline, _style

CHUNK = 8192  # rows joined and written at once: a few megabytes of XML


@dataclass
class AllocationColumns:
    """The allocation table (`simulate.allocation_table`), one list per column, each line's figures as integers:
    amount = cents / 100, units = units_num / units_den, rules joined by spaces."""

    year: list[int]
    structure_id: list[str]
    name: list[str]
    type: list[str]
    commune_id: list[str]
    manager_id: list[str]
    line: list[str]
    family: list[str]
    units_num: list[int]
    units_den: list[int]
    rate: list[Fraction | None]
    cents: list[int]
    eligible: list[bool]
    reason: list[str | None]
    rules: list[str]

    def __len__(self) -> int:
        return len(self.year)

    def row(self, i: int) -> list[Any]:
        """Row i with the typed values of `allocation_table`'s row (Fractions, None, Decimal euros)."""
        cents, num, den = self.cents[i], self.units_num[i], self.units_den[i]
        return [self.year[i], self.structure_id[i], self.name[i], self.type[i], self.commune_id[i],
                self.manager_id[i], self.line[i], self.family[i], Fraction(num, den), self.rate[i],
                Fraction(cents * den, 100 * num) if num else None, money(cents), self.eligible[i], self.reason[i],
                self.rules[i]]


_FIELDS = ("year", "structure_id", "line", "family", "units_num", "units_den", "rate", "cents", "eligible", "reason",
           "rules")


def gather_allocation_columns(result: Any) -> AllocationColumns:
    """The run's lines as columns, in the order of the outputs, with the structure's name, type and commune and the
    manager it had that year: the CSV's blocks of columns (`allocation_csv.allocation_column_blocks`, which decides
    the order and the managers), as lists of Python values."""
    fields: dict[str, list[Any]] = {name: [] for name in (*_FIELDS, "manager_id")}
    for block in allocation_column_blocks(result):
        for name, values in fields.items():
            column = block[name]
            values.extend(column.tolist() if isinstance(column, np.ndarray) else column)
    sids = fields["structure_id"]
    structures = result.scenario.structures
    of_structure = {sid: structures[sid] for sid in dict.fromkeys(sids)}

    def per_structure(name: str) -> list[Any]:
        values = {sid: getattr(s, name) for sid, s in of_structure.items()}
        return list(map(values.__getitem__, sids))

    lists = {id(r): r for r in fields["rules"]}  # the lines of a family-year share their list: joined once
    rules = {key: " ".join(r) for key, r in lists.items()}
    return AllocationColumns(
        year=fields["year"], structure_id=sids, name=per_structure("name"), type=per_structure("type"),
        commune_id=per_structure("commune_id"), manager_id=fields["manager_id"], line=fields["line"],
        family=fields["family"], units_num=fields["units_num"], units_den=fields["units_den"], rate=fields["rate"],
        cents=fields["cents"], eligible=fields["eligible"], reason=fields["reason"],
        rules=[rules[id(r)] for r in fields["rules"]])


class AllocationRows(Sequence[list[Any]]):
    """The rows of the allocation table made from its columns when read (a terminal table reads them all; a
    workbook only the first rows, for the columns' widths, and the last): `write_xlsx_rows` writes the others."""

    def __init__(self, columns: AllocationColumns) -> None:
        self.columns = columns

    def __len__(self) -> int:
        return len(self.columns)

    @overload
    def __getitem__(self, index: int) -> list[Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[list[Any]]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self.columns.row(i) for i in range(*index.indices(len(self)))]
        i = index + len(self) if index < 0 else index
        if not 0 <= i < len(self):
            raise IndexError(index)
        return self.columns.row(i)

    def __iter__(self) -> Iterator[list[Any]]:
        return (self.columns.row(i) for i in range(len(self)))

    def write_xlsx_rows(self, sheet: RowsSheet, first_row: int, stop: int, formats: Sequence[Any],
                        text: Callable[[Any], str], as_number: Callable[[Any], float], date_format: Any) -> int:
        """`sheet.write_rows(first_row, self[:stop], ...)`, from the columns."""
        return write_allocation_rows(sheet, first_row, self.columns, stop, formats, text, as_number, date_format)


def ratio_double(num: int, den: int) -> float:
    """The double RowsSheet writes for Fraction(num, den) (den not 0): float(Decimal(numerator) /
    Decimal(denominator)). Decimal's division is correctly rounded to the context's precision, so it depends on
    the ratio's value only, not on its terms; the sign goes to the numerator, as in a Fraction (0, never -0)."""
    if den < 0:
        num, den = -num, -den
    return float(Decimal(num) / Decimal(den))


def _number(style: str, value: float) -> str:
    """The end of a number cell from the quote that closes its reference, as RowsSheet writes it."""
    return f'"{style}><v>{value:.16G}</v></c>'


def _string(text: str) -> str | None:
    """The end of an inline string cell from the quote that closes its reference, for a plain string (else
    None: XlsxWriter's own writer)."""
    inline = _inline(text)
    return None if inline is None else f'"{inline}'


class _Made(dict[Any, str | None]):
    """Cells by key, each made by `cell` the first time its key is asked for."""

    def __init__(self, cell: Callable[[Any], str | None]) -> None:
        super().__init__()
        self.cell = cell

    def __missing__(self, key: Any) -> str | None:
        made = self[key] = self.cell(key)
        return made


class _Cells:
    """The cells of one column: for each row the end of its XML after the reference, from the quote that closes
    it ("" for no cell, None for a cell XlsxWriter's own writer must write), each made once per distinct key."""

    def __init__(self, keys: Sequence[Any], cell: Callable[[Any], str | None], by_type: bool = False) -> None:
        if by_type and len(set(map(type, keys))) > 1:  # True and 1, 2022 and 2022.0 are equal keys: kept apart
            made = _Made(lambda typed: cell(typed[1]))
            self.ends: list[str | None] = list(map(made.__getitem__, zip(map(type, keys), keys, strict=True)))
        else:
            made = _Made(cell)
            self.ends = list(map(made.__getitem__, keys))  # one pass: a key's cell made when first met
        self.gaps = "" in made.values()  # some rows have no cell in this column
        self.special = None in made.values()
        self.filled = any(end != "" for end in made.values())


def _text_cell(value: Any) -> str | None:
    """A text column's cell: nothing for None and "", an inline string for a plain str, else XlsxWriter's."""
    if value is None:
        return ""
    if value.__class__ is not str:
        return None
    return _string(value) if value else ""


def allocation_cells(columns: AllocationColumns, stop: int, styles: Callable[[int], str],
                     text: Callable[[Any], str]) -> list[_Cells]:
    """The cells of the first `stop` rows, column by column in the allocation table's order; `styles(c)` is the
    style attribute of column c's numbers, asked for only when the column holds one."""
    cut = (lambda values: values[:stop]) if stop < len(columns) else (lambda values: values)
    year, num, den, rate, cents = (cut(columns.year), cut(columns.units_num), cut(columns.units_den),
                                   cut(columns.rate), cut(columns.cents))

    def year_cell(value: Any) -> str | None:
        return _number(styles(0), float(value)) if value.__class__ is int else None

    def units_cell(key: tuple[int, int]) -> str | None:
        return _number(styles(8), ratio_double(*key))

    rates = {id(r): r for r in rate}

    def rate_cell(key: int) -> str | None:
        value = rates[key]
        if value is None:
            return ""
        return _number(styles(9), ratio_double(value.numerator, value.denominator)) \
            if value.__class__ is Fraction else None

    def per_unit_cell(key: tuple[int, int, int]) -> str | None:
        c, n, d = key
        if not n:
            return ""
        if n < 0:  # ratio_double, inline: there are as many amounts per unit as lines
            c = -c
            n = -n
        return f'"{per_unit_style}><v>{float(Decimal(c * d) / Decimal(100 * n)):.16G}</v></c>'

    per_unit_style = styles(10) if any(num) else ""

    def amount_cell(value: int) -> str | None:
        return _number(styles(11), value / 100)  # int / int is correctly rounded: float(Decimal) of the euros

    def eligible_cell(value: Any) -> str | None:
        return _string(text(value)) if value.__class__ is bool else None

    return [
        _Cells(year, year_cell, by_type=True),  # the columns whose cells depend on their values' types
        _Cells(cut(columns.structure_id), _text_cell),
        _Cells(cut(columns.name), _text_cell),
        _Cells(cut(columns.type), _text_cell),
        _Cells(cut(columns.commune_id), _text_cell),
        _Cells(cut(columns.manager_id), _text_cell),
        _Cells(cut(columns.line), _text_cell),
        _Cells(cut(columns.family), _text_cell),
        _Cells(list(zip(num, den, strict=True)), units_cell),
        _Cells(list(map(id, rate)), rate_cell),
        _Cells(list(zip(cents, num, den, strict=True)), per_unit_cell),
        _Cells(cents, amount_cell),
        _Cells(cut(columns.eligible), eligible_cell, by_type=True),
        _Cells(cut(columns.reason), _text_cell),
        _Cells(cut(columns.rules), _text_cell),
    ]


def first_numbers(columns: AllocationColumns, stop: int) -> list[int]:
    """The number columns in the order RowsSheet first meets a number in them, row by row (the order in which the
    workbook numbers their formats): year, units and amount on the first row, rate and amount per unit on the
    first row that has one."""
    first: list[tuple[int, int]] = []
    if stop <= 0:
        return []
    for c in (0, 8, 11):
        first.append((0, c))
    for c, has_number in ((9, _is_not_none), (10, bool)):  # a rate; units (for an amount per unit)
        for i, value in enumerate(columns.rate if c == 9 else columns.units_num):
            if i >= stop:
                break
            if has_number(value):
                first.append((i, c))
                break
    return [c for _row, c in sorted(first)]


def _is_not_none(value: Any) -> bool:
    return value is not None


def write_allocation_rows(sheet: RowsSheet, first_row: int, columns: AllocationColumns, stop: int,
                          formats: Sequence[Any], text: Callable[[Any], str], as_number: Callable[[Any], float],
                          date_format: Any) -> int:
    """Write the first `stop` rows of `columns` from `first_row` on, as `sheet.write_rows(first_row, rows, formats,
    text, as_number, date_format)` writes the same rows typed: the same XML, the same dimensions and last row.
    Returns the number of rows written."""
    if stop <= 0:
        return 0
    sheet._write_single_row(first_row)  # what is pending above (the header) goes first
    styles: dict[int, str] = {}
    for c in first_numbers(columns, stop):  # each format's index given in the order RowsSheet would
        styles[c] = _style(formats[c])
    cells = allocation_cells(columns, stop, styles.__getitem__, text)
    refs = [str(r) for r in range(first_row + 1, first_row + stop + 1)]
    special = sorted(set(chain.from_iterable(
        (i for i, end in enumerate(cell.ends) if end is None) for cell in cells if cell.special)))
    write = sheet.fh.write
    start = 0
    for end in [*special, stop]:
        for a in range(start, end, CHUNK):
            write(_joined(cells, refs, a, min(a + CHUNK, end)))
        if end < stop:  # a row with a cell for XlsxWriter itself: written as RowsSheet writes it
            sheet.write_rows(first_row + end, [columns.row(end)], formats, text, as_number, date_format)
        start = end + 1
    last_col = max(c for c, cell in enumerate(cells) if cell.filled)
    sheet._check_dimensions(first_row, 0)
    sheet._check_dimensions(first_row + stop - 1, last_col)
    sheet.previous_row = first_row + stop - 1
    return stop


def _joined(cells: list[_Cells], refs: list[str], a: int, b: int) -> str:
    """The XML of rows a to b - 1 (each with a cell at least: the year), joined from the columns' cells."""
    rs = refs[a:b]
    pieces: list[Any] = ['<row r="', rs, '">']
    for c, cell in enumerate(cells):
        ends = cell.ends[a:b]
        opening = f'<c r="{xl_col_to_name(c)}'
        if cell.gaps:  # no reference where there is no cell
            pieces += [[opening if e else "" for e in ends], [r if e else "" for r, e in zip(rs, ends, strict=True)],
                       ends]
        else:
            pieces += [opening, rs, ends]
    pieces.append("</row>")
    merged: list[Any] = []
    for piece in pieces:  # neighbouring constants as one
        if isinstance(piece, str) and merged and isinstance(merged[-1], str):
            merged[-1] += piece
        else:
            merged.append(piece)
    columns = (repeat(p) if isinstance(p, str) else p for p in merged)  # constants repeated as long as the rows
    return "".join(chain.from_iterable(zip(*columns, strict=False)))
