"""Writers: terminal tables, CSV, JSON and xlsx, from plain tables whose money cells are Decimal.

A spreadsheet user gets numbers as numbers (euros formatted as such in xlsx), ids as text, and one sheet per
view. JSON writes money as strings with two decimals, so that no reader loses a cent to floating point.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import io
import itertools
import json
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import IO, Any

from tabulate import tabulate

from ..files import replacing, write_text, write_with
from ..i18n import _, fmt_amount, fmt_date, fmt_fixed, fmt_number, language, yes_no
from ..money import fmt_fraction, fmt_units

FORMATS = ("table", "csv", "json", "xlsx")
TERMINAL_WIDTH = 160  # what every table of the CAB fits in, unless --wide


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV file is written: French Excel wants `;`, a decimal comma and a BOM to read UTF-8."""

    name: str
    separator: str
    decimal: str
    bom: bool


CSV_DIALECTS = {"fr": CsvDialect("fr", ";", ",", True), "en": CsvDialect("en", ",", ".", False)}


@dataclass
class Table:
    """A titled table. Rows hold typed values (Decimal euros, exact numbers, bools, dates, text); `kinds` says how
    a column is written: `money` (euros), `units` (up to 4 decimals), `rate` (6 decimals), `percent` (one decimal
    in tables), `count`; other columns are text. `optional` columns (long texts) are dropped, in that order, when
    the table is too wide for the terminal. Headers are English msgids, shown in the interface's language."""

    title: str
    headers: list[str]
    rows: list[list[Any]]
    money: set[str] = field(default_factory=set)
    sheet: str = ""
    kinds: dict[str, str] = field(default_factory=dict)
    optional: tuple[str, ...] = ()

    def kind(self, header: str) -> str:
        return "money" if header in self.money else self.kinds.get(header, "text")

    @property
    def sheet_name(self) -> str:
        return "".join(c for c in (_(self.sheet) if self.sheet else self.title) if c not in "[]:*?/\\")[:31]


def _as_decimal(value: Any) -> Decimal:
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    return value if isinstance(value, Decimal) else Decimal(str(value))


_NUMBER = Decimal | Fraction | int | float


def cell_text(value: Any, kind: str) -> str:
    """A value as the terminal shows it, in the interface's language."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, dt.date):
        return fmt_date(value)
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, _NUMBER):
        if kind == "money":
            return fmt_amount(_as_decimal(value))
        if kind == "units":
            return fmt_number(_as_decimal(value), 4)
        if kind == "rate":
            return fmt_fixed(_as_decimal(value), 6)
        if kind == "percent":
            return fmt_fixed(_as_decimal(value), 1)
        if kind == "count":
            return fmt_number(_as_decimal(value))
    return str(value)


def csv_text(value: Any, kind: str, dialect: CsvDialect) -> str:
    """A value as a spreadsheet imports it: numbers without thousands separators, the dialect's decimal mark."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return ("true" if value else "false") if dialect.name == "en" else yes_no(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, _NUMBER) and not isinstance(value, bool):
        if kind == "money":
            text = fmt_fraction(Fraction(value), 2)
        elif kind == "units":
            text = fmt_units(Fraction(value))
        elif kind == "rate":
            text = fmt_fraction(Fraction(value), 6)
        else:
            text = str(value)
        return text.replace(".", dialect.decimal)
    return str(value)


def _width(headers: list[str], rows: list[list[str]]) -> int:
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    return sum(widths) + 2 * (len(headers) - 1)


def _fit(headers: list[str], rows: list[list[str]], optional: tuple[str, ...],
         width: int) -> tuple[list[str], list[list[str]]]:
    """Drop the optional columns, then shorten the longest texts, until the table fits in `width` columns."""
    keep = list(range(len(headers)))
    for name in optional:
        if _width([headers[i] for i in keep], [[r[i] for i in keep] for r in rows]) <= width:
            break
        if name in headers and headers.index(name) in keep:
            keep.remove(headers.index(name))
    hs, rs = [headers[i] for i in keep], [[r[i] for i in keep] for r in rows]
    excess = _width(hs, rs) - width
    if excess > 0:  # shorten the widest column to what is left
        widths = [max([len(h)] + [len(r[i]) for r in rs]) for i, h in enumerate(hs)]
        widest = widths.index(max(widths))
        limit = max(widths[widest] - excess, 12)
        rs = [[c if i != widest or len(c) <= limit else c[:limit - 1] + "…" for i, c in enumerate(r)] for r in rs]
    return hs, rs


def _tabulate(headers: list[str], rows: list[list[str]], aligns: dict[str, str]) -> str:
    return tabulate(rows, headers=headers, tablefmt="simple", colalign=[aligns[h] for h in headers],
                    disable_numparse=True)


def _longest(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


def _fitted(headers: list[str], rows: list[list[str]], aligns: dict[str, str], optional: tuple[str, ...],
            width: int) -> str:
    """The table in at most `width` columns: optional columns dropped, long texts shortened, and if numbers alone
    are still too wide (a pivot over many years), the columns split into several tables that repeat the first."""
    headers, rows = _fit(headers, rows, optional, width)
    text = _tabulate(headers, rows, aligns)
    for _attempt in range(3):  # tabulate pads some columns: shorten again by what is still over
        over = _longest(text) - width
        texts = [i for i, h in enumerate(headers) if aligns[h] == "left"]
        if over <= 0 or not texts:
            break
        widest = max(texts, key=lambda i: max([len(headers[i])] + [len(r[i]) for r in rows]))
        limit = max(max(len(r[widest]) for r in rows) - over, 12)
        rows = [[c if i != widest or len(c) <= limit else c[:limit - 1] + "…" for i, c in enumerate(r)]
                for r in rows]
        text = _tabulate(headers, rows, aligns)
    if _longest(text) <= width or len(headers) < 3:
        return text
    parts, group = [], [1]
    for i in range(2, len(headers)):
        candidate = [0, *group, i]
        if _longest(_tabulate([headers[j] for j in candidate], [[r[j] for j in candidate] for r in rows],
                              aligns)) > width:
            parts.append(group)
            group = [i]
        else:
            group.append(i)
    parts.append(group)
    return "\n\n".join(_tabulate([headers[j] for j in [0, *g]], [[r[j] for j in [0, *g]] for r in rows], aligns)
                       for g in parts)


def wrap_text(text: str, width: int | None = TERMINAL_WIDTH) -> str:
    """Free text for the terminal: lines longer than `width` wrapped, continuation lines indented as the line."""
    if width is None:
        return text
    out = []
    for line in text.split("\n"):
        indent = " " * (len(line) - len(line.lstrip(" ")) + 2)
        out.append(textwrap.fill(line, width, subsequent_indent=indent) if len(line) > width else line)
    return "\n".join(out)


def render_tables(tables: list[Table], width: int | None = TERMINAL_WIDTH) -> str:
    """The tables for the terminal: numbers right-aligned and written in the interface's language; each table
    fits in `width` columns (None: as wide as it takes, --wide)."""
    out = []
    for t in tables:
        title = t.title if width is None else "\n".join(
            textwrap.fill(line, width, subsequent_indent="  ") if line else line for line in t.title.split("\n"))
        out.append(f"\n{title}\n")
        if not t.rows:
            out.append(_("(none)") + "\n")
            continue
        kinds = [t.kind(h) for h in t.headers]
        rows = [[cell_text(v, k) for v, k in zip(row, kinds, strict=True)] for row in t.rows]
        headers = [_(h) for h in t.headers]
        aligns = {h: "left" if k == "text" else "right" for h, k in zip(headers, kinds, strict=True)}
        if width is None:
            out.append(_tabulate(headers, rows, aligns))
        else:
            out.append(_fitted(headers, rows, aligns, tuple(_(h) for h in t.optional), width))
        out.append("\n")
    return "".join(out).lstrip("\n")


def render_csv(table: Table, dialect: CsvDialect | None = None) -> str:
    """One table as CSV in the dialect asked (default: the interface language's): numbers as a spreadsheet
    imports them, headers in the interface's language, a BOM for French Excel."""
    dialect = dialect or CSV_DIALECTS[language()]
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=dialect.separator, lineterminator="\n")
    writer.writerow([_(h) for h in table.headers])
    kinds = [table.kind(h) for h in table.headers]
    for row in table.rows:
        writer.writerow([csv_text(v, k, dialect) for v, k in zip(row, kinds, strict=True)])
    return ("\ufeff" if dialect.bom else "") + buf.getvalue()


def to_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=_json_default) + "\n"


class Streamed(list):
    """A JSON array whose items are made while it is written (`write_json`): it holds no item, only a function
    that makes them in order and their number. json's encoder takes it for a list and iterates it once."""

    def __init__(self, items: Callable[[], Iterator[Any]], count: int) -> None:
        super().__init__()
        self._items, self._count = items, count

    def __iter__(self) -> Iterator[Any]:
        return self._items()

    def __len__(self) -> int:
        return self._count


def write_json(data: Any, out: IO[str], batch: int = 65_536) -> None:
    """`to_json(data)` written to `out` as it is encoded, `batch` pieces at a time: the same text, without the
    whole of it (or of a Streamed array) in memory."""
    pieces = json.JSONEncoder(ensure_ascii=False, indent=2, default=_json_default).iterencode(data)
    while chunk := list(itertools.islice(pieces, batch)):
        out.write("".join(chunk))
    out.write("\n")


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


XLSX_FORMATS = {"money": '#,##0.00 "€";-#,##0.00 "€"', "units": "General", "rate": "0.000000", "percent": "0.0",
                "count": "0"}


def write_xlsx(tables: list[Table], path: Path, provenance: list[tuple[str, Any]] | None = None) -> None:
    """One sheet per table (after a `provenance` sheet when given): numbers as numbers with a number format
    (euros, units, rates, percent), the header row bold, frozen and filtered, columns sized to their content.
    Written row by row in XlsxWriter's constant-memory mode, through a temporary file."""
    import xlsxwriter

    from .xlsx_rows import RowsSheet

    with replacing(path) as temporary:
        book = xlsxwriter.Workbook(str(temporary), {"constant_memory": True, "strings_to_numbers": False,
                                                    "strings_to_formulas": False, "strings_to_urls": False})
        bold = book.add_format({"bold": True})
        formats = {kind: book.add_format({"num_format": f}) for kind, f in XLSX_FORMATS.items()}
        formats["date"] = book.add_format({"num_format": "dd/mm/yyyy" if language() == "fr" else "yyyy-mm-dd"})
        used: set[str] = set()
        if provenance:
            sheet = book.add_worksheet(_unique(_("provenance"), used))  # few rows: cell by cell
            sheet.set_column(0, 0, 24)
            sheet.set_column(1, 1, 90)
            for r, (key, value) in enumerate(provenance):
                sheet.write_string(r, 0, _(key), bold)
                _write_cell(sheet, r, 1, value, "text", formats)
        for t in tables:
            _write_sheet(book.add_worksheet(_unique(t.sheet_name, used), RowsSheet), t, bold, formats)
        with _zip_level(XLSX_ZIP_LEVEL):
            book.close()


# How hard the workbook's parts are compressed (zlib level). XlsxWriter uses zlib's default, 6: at national scale
# (a 470 MB allocation sheet) that is 4.4 s of the run, where level 1 takes about a third of it for a file a third
# larger (56 -> 75 MB). The parts inside are the same either way.
XLSX_ZIP_LEVEL = 1


@contextlib.contextmanager
def _zip_level(level: int) -> Iterator[None]:
    """XlsxWriter opens its ZipFile without a compression level (and has no option for one): while the workbook is
    stored, its module's ZipFile is one with `level`."""
    import xlsxwriter.workbook as xlsx_workbook

    plain = xlsx_workbook.ZipFile
    xlsx_workbook.ZipFile = functools.partial(plain, compresslevel=level)
    try:
        yield
    finally:
        xlsx_workbook.ZipFile = plain


def _unique(name: str, used: set[str]) -> str:
    out, n = name, 2
    while out in used:
        out = f"{name[:28]}_{n}"
        n += 1
    used.add(out)
    return out


def _write_sheet(sheet: Any, t: Table, bold: Any, formats: dict[str, Any]) -> None:
    kinds = [t.kind(h) for h in t.headers]
    for i, header in enumerate(t.headers):
        width = max([len(_(header))] + [len(cell_text(r[i], kinds[i])) for r in t.rows[:500]]) + 2
        sheet.set_column(i, i, min(max(width, 8), 60))
    sheet.write_row(0, 0, [_(h) for h in t.headers], bold)
    # Each row in one piece (output/xlsx_rows.py): the cells _write_cell would write, five times faster; the last
    # row through _write_cell, which XlsxWriter keeps until the workbook is closed (so the file is the same).
    # Rows made from columns (output/xlsx_columns.py) are written from the columns themselves, as write_rows would.
    number_formats = [formats.get(k, formats["units"]) for k in kinds]
    from_columns = getattr(t.rows, "write_xlsx_rows", None)
    if from_columns is not None:
        from_columns(sheet, 1, len(t.rows) - 1, number_formats, yes_no, _as_number, formats["date"])
    else:
        sheet.write_rows(1, t.rows[:-1], number_formats, yes_no, _as_number, formats["date"])
    for c, value in enumerate(t.rows[-1] if t.rows else []):
        _write_cell(sheet, len(t.rows), c, value, kinds[c], formats)
    sheet.freeze_panes(1, 0)
    if t.headers:
        sheet.autofilter(0, 0, max(len(t.rows), 1), len(t.headers) - 1)


def _as_number(value: Decimal | Fraction | int | float) -> float:
    """The double a number is stored as in a workbook (as _write_cell computes it)."""
    if value.__class__ is int or value.__class__ is Decimal:
        return float(value)  # both exact or correctly rounded, as float(Decimal(str(value)))
    return float(_as_decimal(value))


def _write_cell(sheet: Any, r: int, c: int, value: Any, kind: str, formats: dict[str, Any]) -> None:
    if value is None or value == "":
        return
    if isinstance(value, bool):
        sheet.write_string(r, c, yes_no(value))
    elif isinstance(value, dt.date):
        sheet.write_datetime(r, c, dt.datetime(value.year, value.month, value.day), formats["date"])
    elif isinstance(value, _NUMBER):
        # Excel stores IEEE doubles; two-decimal euro amounts below 10^13 round-trip exactly to the cent.
        sheet.write_number(r, c, float(_as_decimal(value)), formats.get(kind, formats["units"]))
    elif isinstance(value, list):
        sheet.write_string(r, c, " ".join(str(v) for v in value))
    else:
        sheet.write_string(r, c, str(value))


def emit_with(write: Callable[[IO[str]], object], output: Path | None) -> None:
    """Let `write` write to `output` (whole or not at all), or to the terminal."""
    if output:
        write_with(output, write)
    else:
        buffer = io.StringIO()
        write(buffer)
        emit(buffer.getvalue(), None)


def emit(text: str, output: Path | None) -> None:
    """Print `text`, or write it to `output` whole or not at all."""
    if output:
        write_text(output, text)
    else:
        import click

        click.echo(text, nl=False)
