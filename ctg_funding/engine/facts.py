"""Structure-years as facts: flat JSON-safe mappings that the rule conditions test.

durable-rules passes facts through json.dumps, so a fact holds only text, integers, floats and booleans: dates
are days since 1970-01-01 and Decimals become floats (they are only compared, never summed, in conditions).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..model import Structure
from ..rulebook import Rulebook
from .conditions import param_field

EPOCH = dt.date(1970, 1, 1)
NEVER = 10**7  # days since 1970 for "no such date" (year 29349): later than any year simulated


def day_number(d: dt.date | None) -> int:
    return NEVER if d is None else (d - EPOCH).days


@dataclass(slots=True)  # not frozen: a frozen init costs twice as much, and there are 600,000 at national scale
class StructureYear:
    """What the engine knows of one structure in one year, after the scenario's changes.

    `unit_days` is the sum over the days the structure is open of its units that day, so that its units
    pro rata temporis are unit_days / year_days. `units` is its units on its first open day of the year (or on
    1 January if closed all year), which is what thresholds such as a post's minimum ETP test.
    """

    structure: Structure
    year: int
    open_days: int
    unit_days: Decimal
    units: Decimal
    in_territory: bool
    signatory_support: bool
    ps_funded: bool
    has_cej: bool
    # Multi-territory datasets: the structure's territory, its CTG dates and the parameters its territory fixes
    # (its pilotage deadline) where the scenario does not; empty for the territory given to `evaluate`.
    territory_id: str = ""
    ctg_start: dt.date | None = None
    ctg_end: dt.date | None = None
    territory_params: tuple[tuple[str, Any], ...] = ()

    # Derived once at creation: at national scale they are read millions of times.
    id: str = field(init=False, repr=False, compare=False)
    year_days: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.id = f"{self.structure.id}|{self.year}"
        self.year_days = 366 if calendar.isleap(self.year) else 365


def _json_number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        return day_number(value)
    if value is None:
        return 0  # a parameter with no value (e.g. no CTG renewal) compares as 1970-01-01 / zero
    return value


def build_fact(sy: StructureYear, rulebook: Rulebook, ctg_start: dt.date, ctg_end: dt.date,
               params: set[str]) -> dict[str, Any]:
    s = sy.structure
    fact: dict[str, Any] = {
        "id": sy.id,
        "structure_id": s.id,
        "year": sy.year,
        "type": s.type,
        "commune_id": s.commune_id,
        "manager_id": s.manager_id,
        "in_territory": sy.in_territory,
        "signatory_support": sy.signatory_support,
        "ps_funded": sy.ps_funded,
        "open_days": sy.open_days,
        "year_days": sy.year_days,
        "year_first_day": day_number(dt.date(sy.year, 1, 1)),
        "year_last_day": day_number(dt.date(sy.year, 12, 31)),
        "units": float(sy.units),
        "post_status": s.post_status.value if s.post_status else "",
        "converted_on_day": day_number(s.converted_on),
        "ctg_start_day": day_number(sy.ctg_start or ctg_start),
        "ctg_end_day": day_number(sy.ctg_end or ctg_end),
        "has_cej": sy.has_cej,
    }
    own = dict(sy.territory_params)
    for name in params:
        fact[param_field(name)] = _json_number(own[name] if name in own else rulebook.value(name, sy.year))
    return fact
