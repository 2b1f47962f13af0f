"""`ctg rules` written out: every rule and parameter in force at a date, with its source and status."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..i18n import _, fmt_date
from ..rulebook import Rulebook
from .writers import Table


def rules_tables(rulebook: Rulebook, when: dt.date) -> tuple[list[Table], dict[str, Any]]:
    """The rules and parameters in force on `when`, as tables and JSON-ready data."""
    rules = [r for r in rulebook.rules.values() if r.in_force(when.year)]
    params = []
    for p in rulebook.parameters.values():
        start, value = p.dated_value(when)
        params.append({"name": p.name, "value": value, "unit": p.unit, "in_force_since": start,
                       "label": p.label, "source": p.source.text, "status": p.source.status, "file": p.file})
    data = {
        "at": when, "rules_version": rulebook.version,
        "rules": [{"id": r.id, "label": r.label, "kind": r.kind, "source": r.source.text,
                   "status": r.source.status, "file": r.file, "then": dict(r.then)} for r in rules],
        "parameters": params,
    }
    tables = [
        Table(_("Rules in force on {date} (rules {version})").format(date=fmt_date(when), version=rulebook.version),
              ["id", "kind", "status", "label", "source"],
              [[r.id, _(r.kind), _(r.source.status), r.label, r.source.text] for r in rules], sheet="rules",
              optional=("source", "kind")),
        Table(_("Parameters in force on {date}").format(date=fmt_date(when)),
              ["name", "value", "unit", "since", "status", "source"],
              [[p["name"], p["value"], _(p["unit"]), p["in_force_since"], _(p["status"]), p["source"]] for p in params],
              sheet="parameters", optional=("source",)),
    ]
    return tables, data
