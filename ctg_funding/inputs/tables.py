"""Raw tables: the text cells of one CSV file or one workbook sheet, with the row number a spreadsheet shows.

A CSV file may be separated by `,` or `;` (French exports) and carry a UTF-8 BOM; a workbook gives one table per
sheet. Nothing is parsed here beyond the text of each cell: `readers` checks and types the cells.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from operator import itemgetter
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..files import decode
from ..i18n import _


class Table:
    """Raw text cells of one file or sheet, with the spreadsheet row number of each record: `rows`, each a dict of
    its stripped cells by column. A file whose records are all complete (a cell for each named column) keeps them
    as they were read (`records`, one row number each in `numbers`) and makes `rows` only when first asked: the
    column reader (inputs.columns) takes whole columns (`texts`) without them, 100,000 dicts fewer for a national
    dataset."""

    def __init__(self, name: str, columns: list[str], rows: list[tuple[int, dict[str, str]]] | None = None, *,
                 numbers: list[int] | None = None, records: list[list[str]] | None = None) -> None:
        self.name = name
        self.columns = columns
        self._rows = rows
        self._numbers = [index for index, _cells in rows] if rows is not None else numbers or []
        self._records = records or [] if rows is None else None

    @property
    def rows(self) -> list[tuple[int, dict[str, str]]]:
        if self._rows is None:
            columns = self.columns
            self._rows = [(index, dict(zip(columns, map(str.strip, record), strict=True)))
                          for index, record in zip(self._numbers, self._records or [], strict=True)]
            self._records = None
        return self._rows

    def __len__(self) -> int:
        return len(self._numbers)

    @property
    def numbers(self) -> list[int]:
        """The spreadsheet row of each record, in order (not to be changed)."""
        return self._numbers

    def texts(self, names: list[str]) -> dict[str, list[str]]:
        """The stripped text of each named column, row by row (blank where the table or a row lacks the column)."""
        if self._records is not None:
            position = {col: i for i, col in enumerate(self.columns)}
            by_column = list(zip(*self._records, strict=True))
            return {name: list(map(str.strip, by_column[position[name]])) if name in position and by_column
                    else [""] * len(self) for name in names}
        rows = self.rows
        if len(names) < 2 or not rows:
            return {name: [c.get(name, "") for _row, c in rows] for name in names}
        pick = itemgetter(*names)
        try:
            picked = [pick(c) for _row, c in rows]
        except KeyError:  # a table made by hand, with rows that lack a cell
            return {name: [c.get(name, "") for _row, c in rows] for name in names}
        return dict(zip(names, map(list, zip(*picked, strict=True)), strict=True))


def read_csv_table(path: Path) -> Table:
    """A CSV file separated by `,` or `;` (French exports), UTF-8 with or without BOM."""
    text = decode(path.read_bytes(), path.name)
    first = text.split("\n", 1)[0]
    sep = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    try:
        records = list(reader)
    except csv.Error as exc:
        raise InputError([Problem(path.name, reader.line_num, None, _("unreadable CSV: {exc}").format(
            exc=exc))]) from None
    return _table(path.name, records)


def _table(name: str, records: list[list[str]]) -> Table:
    if not records or not any(c.strip() for c in records[0]):
        raise InputError([Problem(name, 1, None, _("the file is empty: expected a header row"))])
    columns = [c.strip() for c in records[0]]
    problems = []
    seen: set[str] = set()
    for col in columns:
        if col and col in seen:
            problems.append(Problem(name, 1, col, _("column appears twice in the header")))
        seen.add(col)
    rows, numbers, complete = [], [], []
    named = all(columns)  # every column has a name: a full row's cells are zipped with the header
    for index, record in enumerate(records[1:], start=2):
        if named and len(record) == len(columns):  # the common record: kept as read, its dict made when asked
            if "".join(record).strip():  # some cell is not blank (each cell is stripped when read)
                numbers.append(index)
                complete.append(record)
            continue
        if not any(c.strip() for c in record):
            continue  # blank lines at the end of spreadsheet exports
        if len(record) > len(columns) and any(c.strip() for c in record[len(columns):]):
            problems.append(Problem(name, index, None,
                                    _("{v0} cells but the header has {v1} columns").format(
                                        v0=len(record), v1=len(columns))))
            continue
        if named and len(record) >= len(columns):
            cells_ = dict(zip(columns, map(str.strip, record), strict=False))
        else:
            cells_ = {col: (record[i].strip() if i < len(record) else "") for i, col in enumerate(columns) if col}
        rows.append((index, cells_))
    if problems:
        raise InputError(problems)
    named_columns = [c for c in columns if c]
    if not rows:
        return Table(name, named_columns, numbers=numbers, records=complete)
    full = Table(name, named_columns, numbers=numbers, records=complete).rows  # among others: all dicts, in order
    return Table(name, named_columns, sorted(rows + full, key=lambda row: row[0]))


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0):
            return value.isoformat(sep=" ")
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        # openpyxl gives numbers as float; repr keeps the shortest exact decimal form (0.64, not 0.640000001).
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def read_xlsx_tables(path: Path) -> dict[str, Table]:
    """Every sheet of a workbook as a table named `book.xlsx[sheet]`."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a file that is not a workbook
        raise InputError([Problem(path.name, None, None, _("is not a readable .xlsx workbook ({exc}): open it in Excel "
                                                           "or LibreOffice and save it again as .xlsx").format(
            exc=exc))]) from None
    tables = {}
    problems: list[Problem] = []
    for sheet in book.worksheets:
        try:
            records = [[_cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        except Exception as exc:  # noqa: BLE001 - a damaged part of the zip (XML, shared strings...)
            book.close()
            raise InputError([Problem(f"{path.name}[{sheet.title}]", None, None,
                                      _("this sheet of the workbook is damaged and cannot be read ({exc}): open the "
                                        "workbook in Excel or LibreOffice and save it again as .xlsx").format(
                                          exc=exc))]) from None
        try:
            tables[sheet.title.strip().lower()] = _table(f"{path.name}[{sheet.title}]", records)
        except InputError as exc:
            problems.extend(exc.problems)
    book.close()
    if problems:
        raise InputError(problems)
    return tables


# ---------------------------------------------------------------------------------------------- validation
