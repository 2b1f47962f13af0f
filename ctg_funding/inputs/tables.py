"""Raw tables: the text cells of one CSV file or one workbook sheet, with the row number a spreadsheet shows.

A CSV file may be separated by `,` or `;` (French exports) and carry a UTF-8 BOM; a workbook gives one table per
sheet. Nothing is parsed here beyond the text of each cell: `readers` checks and types the cells.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..files import decode
from ..i18n import _


@dataclass
class Table:
    """Raw text cells of one file or sheet, with the spreadsheet row number of each record."""

    name: str
    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]


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
    rows = []
    named = all(columns)  # every column has a name: a full row's cells are zipped with the header
    for index, record in enumerate(records[1:], start=2):
        if named and len(record) == len(columns):  # the common row, read in bulk: its cells are all in the dict
            cells_ = dict(zip(columns, map(str.strip, record), strict=False))  # as long as each other
            if any(cells_.values()):  # not a blank line (a header naming a column twice is refused below)
                rows.append((index, cells_))
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
    return Table(name, [c for c in columns if c], rows)


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
