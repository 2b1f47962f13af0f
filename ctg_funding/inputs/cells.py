"""Parsing one spreadsheet cell into a typed value, or saying precisely why it cannot be.

Each parser returns the value or raises CellError with a message for people. Nothing is coerced silently:
a value is accepted only in a form a French or English spreadsheet writes it.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from ..i18n import _
from ..money import CENT

_NUMBER = re.compile(r"^[+-]?\d{1,15}([.,]\d+)?$", re.ASCII)  # at most 15 integer digits: Decimal rounds past 28
_SPACES = re.compile(r"(?<=\d)[ \u00a0\u202f](?=\d)")  # thousands separators of French exports
# Compiled once: a national dataset has hundreds of thousands of cells to check.
_INT = re.compile(r"[+-]?\d{1,15}", re.ASCII)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_MIDNIGHT = re.compile(r"\d{4}-\d{2}-\d{2}[ T]00:00(:00)?")
_FRENCH_DATE = re.compile(r"\d{2}/\d{2}/\d{4}")
_ID_SEPARATOR = re.compile(r"[;,]")
_TRUE = {"true", "vrai", "oui", "yes", "1"}
_FALSE = {"false", "faux", "non", "no", "0"}


class CellError(ValueError):
    pass


def parse_decimal(text: str, *, max_places: int | None = None, allow_negative: bool = False) -> Decimal:
    """A number written with `.` or `,` as decimal separator (never both), spaces allowed between thousands."""
    raw = _SPACES.sub("", text.strip())
    if not _NUMBER.match(raw):
        raise CellError(_("expected a number such as 1234.56 or 1234,56, got {text!r}").format(text=text))
    value = Decimal(raw.replace(",", "."))  # the pattern above lets through only what Decimal reads
    if value < 0 and not allow_negative:
        raise CellError(_("must not be negative, got {text!r}").format(text=text))
    if max_places is not None and -value.as_tuple().exponent > max_places:
        raise CellError(_("at most {max_places} decimals allowed, got {text!r}").format(
            max_places=max_places, text=text))
    return value.copy_abs() if value.is_zero() else value  # -0.00 is zero


def parse_money(text: str, *, allow_negative: bool = False) -> Decimal:
    """Euros with at most two decimals, kept exact, normalised to two places."""
    return parse_decimal(text, max_places=2, allow_negative=allow_negative).quantize(CENT)


def parse_int(text: str, *, low: int | None = None, high: int | None = None) -> int:
    raw = text.strip()
    if raw.endswith(".0"):  # spreadsheets write whole numbers as 2021.0
        raw = raw[:-2]
    if not _INT.fullmatch(raw):  # int() refuses more than 4300 digits
        raise CellError(_("expected a whole number, got {text!r}").format(text=text))
    value = int(raw)
    if low is not None and value < low or high is not None and value > high:
        raise CellError(_("expected a whole number between {low} and {high}, got {value}").format(
            low=low, high=high, value=value))
    return value


def parse_bool(text: str) -> bool:
    raw = text.strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise CellError(_("expected true or false, got {text!r}").format(text=text))


def parse_date(text: str) -> dt.date:
    """ISO dates (2024-07-01), French dates (01/07/2024), or a spreadsheet's date-time at midnight."""
    raw = text.strip()
    try:
        if _ISO_DATE.fullmatch(raw):
            return dt.date.fromisoformat(raw)
        if _ISO_MIDNIGHT.fullmatch(raw):
            return dt.date.fromisoformat(raw[:10])
        if _FRENCH_DATE.fullmatch(raw):
            day, month, year = raw.split("/")
            return dt.date(int(year), int(month), int(day))
    except ValueError as exc:
        raise CellError(_("{text!r} is not a valid date ({exc})").format(text=text, exc=exc)) from exc
    raise CellError(_("expected a date such as 2024-07-01, got {text!r}").format(text=text))


def parse_id_list(text: str) -> tuple[str, ...]:
    """Ids separated by `;` (or `,`), blank meaning none."""
    raw = text.strip()
    if raw in ("", "[]"):
        return ()
    parts = [p.strip() for p in _ID_SEPARATOR.split(raw)]
    if any(not p for p in parts):
        raise CellError(_("empty id in list {text!r}; separate ids with ';'").format(text=text))
    return tuple(parts)
