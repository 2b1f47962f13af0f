"""Words the outputs translate that are not written as literals where they are used: column headers, sheet names,
views, rule kinds, source statuses, provenance keys. Listed here once so that the catalogue's extraction finds
them (`N_` marks a msgid without translating it)."""

from __future__ import annotations


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, do not translate yet"
    return message


COLUMNS = [
    N_("#"), N_("year"), N_("structure_id"), N_("name"), N_("type"), N_("commune_id"), N_("manager_id"),
    N_("line"), N_("family"), N_("units"), N_("rate"), N_("amount_per_unit"), N_("amount"), N_("eligible"),
    N_("reason"), N_("rules"), N_("method"), N_("envelope"), N_("allocated"), N_("released"), N_("redistributed"),
    N_("check"), N_("commune"), N_("total"), N_("structure"), N_("destination"), N_("warning"), N_("key"),
    N_("a"), N_("b"), N_("difference"), N_("difference_pct"), N_("expected"), N_("paid"), N_("tolerance"),
    N_("payments"), N_("findings"), N_("by code"), N_("envelope_left"), N_("code"), N_("note"), N_("explanation"),
    N_("structures"), N_("family or volet"), N_("ETP"), N_("file"), N_("row"), N_("column"), N_("id"), N_("kind"),
    N_("status"), N_("label"), N_("source"), N_("value"), N_("unit"), N_("since"), N_("envelope from"),
    N_("losing > 5%"), N_("losing > 10%"), N_("structure-years"), N_("min"), N_("q1"), N_("median"), N_("q3"),
    N_("max"), N_("warnings"), N_("base"),
]
SHEETS = [
    N_("envelopes"), N_("by_family"), N_("by_commune"), N_("outside_envelope"), N_("released"), N_("allocations"),
    N_("warnings"), N_("summary"), N_("families"), N_("findings"), N_("explanations"), N_("rules"),
    N_("parameters"), N_("provenance"), N_("by_structure"), N_("by_manager"), N_("by_year"), N_("by_line"),
]
VIEWS = [N_("structure"), N_("commune"), N_("manager"), N_("family"), N_("year"), N_("line")]
KINDS = [N_("classify"), N_("exclude"), N_("cap"), N_("method"), N_("formula")]
STATUSES = [N_("seed"), N_("national"), N_("assumed")]
PROVENANCE = [
    N_("scenario"), N_("scenario file"), N_("rules version"), N_("dataset"), N_("dataset sha256"), N_("years"),
    N_("engine"), N_("run on"), N_("A: scenario"), N_("A: scenario file"), N_("A: rules version"), N_("A: dataset"),
    N_("A: dataset sha256"), N_("A: years"), N_("A: engine"), N_("B: scenario"), N_("B: scenario file"),
    N_("B: rules version"), N_("B: dataset"), N_("B: dataset sha256"), N_("B: years"), N_("B: engine"),
    N_("sweep"), N_("sweep file"), N_("base scenario"), N_("base scenario file"),
]
ENVELOPE_WORDS = [N_("outside the envelope")]
UNITS = [N_("EUR"), N_("EUR/ETP"), N_("EUR/hour"), N_("EUR/place"), N_("date"), N_("destination"),
         N_("expression"), N_("method"), N_("year"), N_("base"), N_("share")]
