"""The facts a rule may test: the vocabulary of the condition language, written once.

Each field says its kind (what a condition may compare it with), the NumPy type of its column, and how it is read
from a structure-year. Both evaluators build their facts from this one table: durable-rules gets one JSON-safe
dict per structure-year, the vector evaluator one column per field. Values are what JSON can carry: dates are
day numbers since 1970-01-01, Decimals become floats (conditions only compare them, never sum them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

EPOCH = dt.date(1970, 1, 1)
NEVER = 10**7  # days since 1970 for "no such date" (year 29349): later than any year simulated


def day_number(d: dt.date | None) -> int:
    """Days since 1970-01-01; NEVER for no date."""
    return NEVER if d is None else (d - EPOCH).days


def json_value(value: Any) -> Any:
    """A parameter's value as a fact carries it (no Decimal, no date, no None: durable-rules takes JSON)."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        return day_number(value)
    if value is None:
        return 0  # a parameter with no value (e.g. no CTG renewal) compares as 1970-01-01 / zero
    return value


def param_field(name: str) -> str:
    """The fact field that carries a parameter's value for the fact's year (no dots: durable reads them as paths)."""
    return "p__" + name.replace(".", "__")


@dataclass(frozen=True)
class FactField:
    name: str
    kind: str  # text | number | bool: what the condition language compares it with
    dtype: str  # object | int64 | float64 | bool: its column in the vector evaluator
    read: Callable[[Any], Any]  # its JSON-safe value for one structure-year
    by_year: bool = False  # depends on the year only (a column is built once per distinct year)


def _post_status(sy: Any) -> str:
    status = sy.structure.post_status
    return status.value if status else ""


FIELDS: tuple[FactField, ...] = (
    FactField("id", "text", "object", lambda sy: sy.id),
    FactField("structure_id", "text", "object", lambda sy: sy.structure.id),
    FactField("year", "number", "int64", lambda sy: sy.year),
    FactField("type", "text", "object", lambda sy: sy.structure.type),
    FactField("commune_id", "text", "object", lambda sy: sy.structure.commune_id),
    FactField("manager_id", "text", "object", lambda sy: sy.structure.manager_id),
    FactField("in_territory", "bool", "bool", lambda sy: sy.in_territory),
    FactField("signatory_support", "bool", "bool", lambda sy: sy.signatory_support),
    FactField("ps_funded", "bool", "bool", lambda sy: sy.ps_funded),
    FactField("open_days", "number", "int64", lambda sy: sy.open_days),
    FactField("year_days", "number", "int64", lambda sy: sy.year_days, by_year=True),
    FactField("year_first_day", "number", "int64", lambda sy: day_number(dt.date(sy.year, 1, 1)), by_year=True),
    FactField("year_last_day", "number", "int64", lambda sy: day_number(dt.date(sy.year, 12, 31)), by_year=True),
    FactField("units", "number", "float64", lambda sy: float(sy.units)),
    FactField("post_status", "text", "object", _post_status),
    FactField("converted_on_day", "number", "int64", lambda sy: day_number(sy.structure.converted_on)),
    FactField("ctg_start_day", "number", "int64", lambda sy: day_number(sy.ctg_start)),
    FactField("ctg_end_day", "number", "int64", lambda sy: day_number(sy.ctg_end)),
    FactField("has_cej", "bool", "bool", lambda sy: sy.has_cej),
)
FIELD_BY_NAME: dict[str, FactField] = {f.name: f for f in FIELDS}
