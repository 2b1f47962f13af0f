"""A table's rows written into an xlsx sheet a row at a time, for tables of hundreds of thousands of rows.

XlsxWriter (in its constant-memory mode) turns each cell into a record, then into XML, at about 5 microseconds a
cell: 45 s for the 9 million cells of a national allocation. `RowsSheet.write_rows` writes each row's XML in one
piece, with the cell values XlsxWriter would write (the same numbers to 16 significant digits, the same inline
strings, escaped the same way) and hands any cell it does not know how to write (a date, a float, a long or
unusual string) to XlsxWriter's own cell writer. It relies on how XlsxWriter writes a constant-memory sheet: the
sheet's rows go to a temporary file (`fh`) as they are finished, and the sheet's dimensions and last row are
tracked by `_check_dimensions` and `previous_row` (tests/output/test_fast_text.py compares both paths' cells).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import CellDatetimeTuple, CellNumberTuple, CellStringTuple, Worksheet

# Strings XlsxWriter writes unchanged: no control character, no _xHHHH_ escape, no rich text, no leading or
# trailing whitespace, far below Excel's limit of 32,767 characters.
_PLAIN = re.compile(r"[^\x00-\x1f_<]*(?:_(?!x[0-9a-fA-F]{4}_)[^\x00-\x1f_<]*)*")
_DECIMAL = Decimal
_XML = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


class RowsSheet(Worksheet):
    """A worksheet that can also take whole rows at once (constant-memory workbooks only)."""

    def write_rows(self, first_row: int, rows: Sequence[Sequence[Any]], formats: Sequence[Any],
                   text: Callable[[Any], str], as_number: Callable[[Any], float], date_format: Any) -> int:
        """Write `rows` from `first_row` on, column c with number format `formats[c]`, as writers._write_cell
        writes each cell: None and "" left empty, booleans as `text` gives them, lists as their items joined by
        spaces, Decimal, Fraction and int as the double `as_number` gives (float(value) for an int or a Decimal,
        float(Decimal(numerator) / Decimal(denominator)) for a Fraction), str as inline strings, dates with
        `date_format`. Returns the number of rows written.

        XlsxWriter keeps a sheet's last row until the workbook is closed, and numbers each format at its first use
        in a written row: for the same file, the caller writes a table's last row through XlsxWriter itself."""
        if not rows:
            return 0
        self._write_single_row(first_row)  # what is pending above (the header) goes first
        refs = [xl_col_to_name(c) for c in range(len(formats))]
        # A format's index is given at its first use, as XlsxWriter does (the styles part stays the same).
        styles: list[str | None] = [None] * len(formats)
        strings: dict[str, str | None] = {}  # a text that repeats (a type, a family, rules) checked once
        write = self.fh.write
        row_num, last_col = first_row - 1, 0
        for row_num, row in enumerate(rows, start=first_row):  # noqa: B007 - row_num is used after the loop
            r = str(row_num + 1)
            parts = [f'<row r="{r}">']
            filled = -1  # the last column written in this row
            for c, value in enumerate(row):
                cls = value.__class__
                if cls is int or cls is Decimal or cls is Fraction:
                    if cls is Fraction:
                        number = float(_DECIMAL(value.numerator) / _DECIMAL(value.denominator))
                    else:
                        number = float(value)
                    style = styles[c]
                    if style is None:
                        style = styles[c] = _style(formats[c])
                    parts.append(f'<c r="{refs[c]}{r}"{style}><v>{number:.16G}</v></c>')
                elif value is None:
                    continue
                else:
                    if cls is bool:
                        value = text(value)
                    elif cls is list:
                        value = " ".join(str(v) for v in value)
                    elif isinstance(value, str) and not value:
                        continue  # "" (an empty list above is written, as an empty string)
                    xml = strings.get(value, False) if value.__class__ is str else None
                    if xml is False:
                        xml = strings[value] = _inline(value)
                    if xml is None:  # anything else: XlsxWriter's own cell writer
                        write("".join(parts))
                        parts = []
                        self._write_cell(row_num, c, self._cell(value, formats[c], date_format, as_number))
                    else:
                        parts.append(f'<c r="{refs[c]}{r}"{xml}')
                filled = c
            if filled < 0:
                continue  # no cell: no row, as XlsxWriter
            parts.append("</row>")
            write("".join(parts))
            if filled > last_col:
                last_col = filled
        if row_num >= first_row:
            self._check_dimensions(first_row, 0)
            self._check_dimensions(row_num, last_col)
            self.previous_row = row_num
        return len(rows)

    def _cell(self, value: Any, number_format: Any, date_format: Any, as_number: Callable[[Any], float]) -> Any:
        """The record XlsxWriter's write_datetime, write_number or write_string keeps for this cell, as
        `writers._write_cell` would call them."""
        if isinstance(value, dt.date):
            when = dt.datetime(value.year, value.month, value.day)
            return CellDatetimeTuple(self._convert_date_time(when), date_format)
        if isinstance(value, Decimal | Fraction | int | float):
            number = as_number(value)
            if math.isnan(number) or math.isinf(number):
                raise TypeError("NAN/INF not supported in write_number() without 'nan_inf_to_errors' Workbook() "
                                "option")
            return CellNumberTuple(number, number_format)
        return CellStringTuple(_truncated(str(value)), None)


def _style(cell_format: Any) -> str:
    """The style attribute of a cell in this format."""
    return f' s="{cell_format._get_xf_index()}"' if cell_format is not None else ""


def _inline(text: str) -> str | None:
    """The end of an inline string cell as XlsxWriter writes it, for a plain string (else None)."""
    if len(text) < 8192 and _PLAIN.fullmatch(text) and text.strip() == text:
        return f' t="inlineStr"><is><t>{text.translate(_XML)}</t></is></c>'
    return None


def _truncated(text: str) -> str:
    """A string as XlsxWriter keeps it: cut at Excel's limit (32,767 UTF-16 units)."""
    from xlsxwriter.utility import _utf16_len, _utf16_truncate

    return _utf16_truncate(text, 32767) if _utf16_len(text) > 32767 else text
