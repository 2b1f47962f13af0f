"""Writers: terminal tables, CSV, JSON and xlsx, from plain tables whose money cells are Decimal.

A spreadsheet user gets numbers as numbers (euros formatted as such in xlsx), ids as text, and one sheet per
view. JSON writes money as strings with two decimals, so that no reader loses a cent to floating point.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from tabulate import tabulate

from ..files import replacing, write_text
from ..money import CENT

FORMATS = ("table", "csv", "json", "xlsx")
EURO_FORMAT = '#,##0.00 "€";-#,##0.00 "€"'


@dataclass
class Table:
    """A titled table. `money` names the columns that hold euros (formatted as such in xlsx)."""

    title: str
    headers: list[str]
    rows: list[list[Any]]
    money: set[str] = field(default_factory=set)
    sheet: str = ""

    @property
    def sheet_name(self) -> str:
        return (self.sheet or self.title)[:31]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"{value:,.2f}" if value == value.quantize(CENT) else str(value)
    return str(value)


def render_tables(tables: list[Table]) -> str:
    out = []
    for t in tables:
        out.append(f"\n{t.title}\n")
        if not t.rows:
            out.append("(none)\n")
            continue
        align = ["right" if h in t.money else "left" for h in t.headers]
        rows = [[_text(v) for v in row] for row in t.rows]
        out.append(tabulate(rows, headers=t.headers, tablefmt="simple", colalign=align, disable_numparse=True))
        out.append("\n")
    return "".join(out).lstrip("\n")


def render_csv(table: Table) -> str:
    """One table as CSV with `.` decimals (the contract's format; spreadsheets import it as numbers)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow(["" if v is None else ("true" if v is True else "false" if v is False else str(v))
                         for v in row])
    return buf.getvalue()


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=_json_default) + "\n"


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def write_xlsx(tables: list[Table], path: Path) -> None:
    """One sheet per table; euros as numbers with a euro format; header row frozen and bold."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for t in tables:
        name = t.sheet_name
        n = 2
        while name in used:
            name = f"{t.sheet_name[:28]}_{n}"
            n += 1
        used.add(name)
        sheet = book.create_sheet(name)
        sheet.append(t.headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        money_cols = {i for i, h in enumerate(t.headers) if h in t.money}
        for row in t.rows:
            sheet.append([_xlsx_value(v) for v in row])
        for i, header in enumerate(t.headers):
            letter = get_column_letter(i + 1)
            width = max([len(str(header))] + [len(_text(r[i])) for r in t.rows[:500]]) + 2
            sheet.column_dimensions[letter].width = min(max(width, 8), 60)
            if i in money_cols:
                for cell in sheet[letter][1:]:
                    cell.number_format = EURO_FORMAT
        sheet.freeze_panes = "A2"
    with replacing(path) as temporary:
        book.save(temporary)


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Excel stores IEEE doubles; two-decimal euro amounts below 10^13 round-trip exactly to the cent.
        return float(value)
    return value


def emit(text: str, output: Path | None) -> None:
    """Print `text`, or write it to `output` whole or not at all."""
    if output:
        write_text(output, text)
    else:
        import click

        click.echo(text, nl=False)
