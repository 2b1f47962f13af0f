"""Helpers for the dataset tests: copies of the CAB dataset, one-cell edits, and the exports a finance officer's
spreadsheet gives (French CSV, .xlsx workbook). Not a test module.

Everything here works on the CSV text with the `csv` module and openpyxl only, never through `ctg_funding`, so
that the tests compare the reader against files built independently of it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
CAB = REPO / "data" / "cab"
BOM = "\ufeff"

# Columns written with `,` decimals in a French export (the decimal columns: money, units and the extra numeric
# column of structures.csv), and as numbers in an .xlsx export (those and the whole-number columns).
DECIMAL_COLUMNS = frozenset({"amount", "units", "occupancy_rate"})
NUMBER_COLUMNS = DECIMAL_COLUMNS | {"year", "last_year", "tranche"}
DATE_COLUMNS = frozenset({"opened", "closed", "converted_on"})
SHEETS = ("collectivites", "structures", "cej", "activity", "payments")


def copy_cab(tmp_path: Path) -> Path:
    """A fresh copy of data/cab in `tmp_path/cab`, safe to corrupt."""
    dst = Path(tmp_path) / "cab"
    shutil.copytree(CAB, dst)
    return dst


# ------------------------------------------------------------------------------------------ reading / writing


def _sniff(text: str) -> str:
    first = text.split("\n", 1)[0]
    return ";" if first.count(";") > first.count(",") else ","


def read_rows(path: Path) -> list[list[str]]:
    """Every record of a CSV file (header first), whatever its separator and BOM."""
    text = Path(path).read_bytes().decode("utf-8-sig")  # not read_text: it would turn "\r\n" in cells into "\n"
    return [r for r in csv.reader(io.StringIO(text, newline=""), delimiter=_sniff(text))]


def read_dicts(path: Path) -> list[dict[str, str]]:
    """The records of a CSV file as dicts keyed by the header."""
    header, *records = read_rows(path)
    return [dict(zip(header, r, strict=True)) for r in records]


def _write_rows(path: Path, rows: list[list[str]], *, sep: str = ",", bom: bool = False,
                newline: str = "\n") -> None:
    buffer = io.StringIO(newline="")
    minimal = csv.writer(buffer, delimiter=sep, lineterminator=newline)
    # QUOTE_MINIMAL only quotes the characters of `lineterminator`: a lone "\r" would end the record unquoted
    quote_all = csv.writer(buffer, delimiter=sep, lineterminator=newline, quoting=csv.QUOTE_ALL)
    for row in rows:
        (quote_all if any("\r" in cell or "\n" in cell for cell in row) else minimal).writerow(row)
    Path(path).write_bytes(((BOM if bom else "") + buffer.getvalue()).encode("utf-8"))


def _rewrite(path: Path, rows: list[list[str]]) -> None:
    """Write `rows` back in the same dialect (separator, BOM, line ending) as the file had."""
    raw = Path(path).read_bytes().decode("utf-8")
    text = raw.removeprefix(BOM)
    _write_rows(path, rows, sep=_sniff(text), bom=raw.startswith(BOM), newline="\r\n" if "\r\n" in text else "\n")


def row_of(path: Path, column: str, value: str) -> int:
    """The spreadsheet row (header = 1) of the first record whose `column` is `value`."""
    header, *records = read_rows(path)
    index = header.index(column)
    for number, record in enumerate(records, start=2):
        if record[index] == value:
            return number
    raise LookupError(f"no {column} = {value!r} in {path}")


def get_cell(path: Path, row_number: int, column: str) -> str:
    rows = read_rows(path)
    return rows[row_number - 1][rows[0].index(column)]


def edit_csv(path: Path, row_number: int, column: str, value: str) -> str:
    """Set one cell; `row_number` is the spreadsheet row (header = 1, first record = 2). Returns the old value."""
    if row_number < 2:
        raise ValueError("row 1 is the header; records start at row 2")
    rows = read_rows(path)
    index = rows[0].index(column)
    old = rows[row_number - 1][index]
    rows[row_number - 1][index] = value
    _rewrite(path, rows)
    return old


def drop_column(path: Path, column: str) -> None:
    """Remove a column (header and cells) from a CSV file."""
    rows = read_rows(path)
    index = rows[0].index(column)
    _rewrite(path, [r[:index] + r[index + 1:] for r in rows])


# -------------------------------------------------------------------------------------------------- exports


def write_french_export(src_dir: Path, dst_dir: Path) -> Path:
    """What a French spreadsheet exports: `;` separator, `,` decimals in the decimal columns (amount, units,
    occupancy_rate; never in text such as `name` or `source`), UTF-8 with BOM, CRLF line ends.

    territory.yaml is copied as it is.
    """
    src_dir, dst_dir = Path(src_dir), Path(dst_dir)
    dst_dir.mkdir(parents=True, exist_ok=True)
    for src in sorted(src_dir.iterdir()):
        if src.suffix == ".csv":
            header, *records = read_rows(src)
            french = [[cell.replace(".", ",") if col in DECIMAL_COLUMNS else cell
                       for col, cell in zip(header, record, strict=True)] for record in records]
            _write_rows(dst_dir / src.name, [header, *french], sep=";", bom=True, newline="\r\n")
        elif src.name == "territory.yaml":
            shutil.copyfile(src, dst_dir / src.name)
    return dst_dir


def _xlsx_value(column: str, text: str) -> object:
    if text == "":
        return None
    if column in NUMBER_COLUMNS:
        try:
            return float(text)  # a spreadsheet stores every number as a double
        except ValueError:
            return text
    if column in DATE_COLUMNS:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return text
    return text  # ids, names, booleans ("true"/"false" as text), supported_by


def write_xlsx_export(src_dir: Path, xlsx_path: Path) -> Path:
    """One workbook, one sheet per file; `territory` holds key/value rows, communes joined by `;`."""
    from openpyxl import Workbook

    src_dir, xlsx_path = Path(src_dir), Path(xlsx_path)
    book = Workbook()
    territory_sheet = book.active
    territory_sheet.title = "territory"
    territory_sheet.append(["key", "value"])
    territory = yaml.safe_load((src_dir / "territory.yaml").read_text(encoding="utf-8"))
    for key, value in territory.items():
        if isinstance(value, list):
            value = ";".join(str(v) for v in value)
        territory_sheet.append([key, value])  # start/end are dates from YAML, written as real dates
    for name in SHEETS:
        src = src_dir / f"{name}.csv"
        if not src.is_file():
            continue
        sheet = book.create_sheet(name)
        header, *records = read_rows(src)
        sheet.append(header)
        for record in records:
            sheet.append([_xlsx_value(col, cell) for col, cell in zip(header, record, strict=True)])
    xlsx_path.parent.mkdir(parents=True, exist_ok=True)
    book.save(xlsx_path)
    return xlsx_path
