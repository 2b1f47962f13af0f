"""`ctg sweep` written out: one summary row per scenario (its varied values, envelope, allocated, released, paid
outside the envelope, structures losing more than 5% and 10% against the base, the spread of amount per unit in
each family), the same by year, and each scenario's amounts per structure beside the base's. JSON keys and codes
are an interface, in English; tables are in the interface's language."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ..analysis.sweep import Outcome, Spread, SweepReport, Totals, by_structure
from ..i18n import _
from ..money import fmt_fraction, money
from .simulate import warnings_in_words
from .writers import Table

STATS = ("min", "q1", "median", "q3", "max")
TOTALS = ("envelope", "allocated", "released", "outside_envelope")
TOTAL_HEADERS = ["envelope", "allocated", "released", "outside the envelope"]
LOSS_HEADERS = ["losing > 5%", "losing > 10%"]


def value_text(value: Any) -> str:
    """A varied parameter's value as the sweep file gives it: plain, or dated values `date: value; ...`."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return "; ".join(f"{value_text(k)}: {value_text(v)}" for k, v in value.items())
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _plain(value: Any) -> Any:
    """A value as JSON carries it (dates and their keys ISO, numbers as text when not whole)."""
    if isinstance(value, dict):
        return {value_text(k): _plain(v) for k, v in value.items()}
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (Decimal, float)):
        return str(value)
    return value


def _all(report: SweepReport) -> list[Outcome]:
    return [report.base, *report.outcomes]


def families(report: SweepReport) -> list[str]:
    """The families with an amount per unit in some scenario, in the rulebook's order."""
    present = {f for o in _all(report) for f in o.per_unit}
    return [f for f in report.sweep.rulebook.families if f in present]


def compared(report: SweepReport) -> int:
    """How many structures the base pays over the years (those whose loss is measured), as the losses counted
    them (every scenario is measured against the same base)."""
    return next((o.losses.compared for o in report.outcomes if o.losses), 0)


def _years_text(years: list[int]) -> str:
    return f"{years[0]}..{years[-1]}" if len(years) > 1 else str(years[0])


def _title(report: SweepReport) -> str:
    sweep = report.sweep
    head = _("Sweep: {name}  ({n} scenarios: {base} with {varied} varied; rules {rules}, dataset sha256 {sha}, "
             "engine {engine})").format(name=sweep.name, n=len(report.outcomes), base=sweep.base_path.name,
                                        varied=", ".join(sweep.varied), rules=sweep.rulebook.version,
                                        sha=sweep.base.dataset.sha256[:12], engine=report.engine)
    return head + "\n" + _("Amounts over the years {years}. Losing > 5% / > 10%: structures whose amount over those "
                           "years (every line) falls by more than 5% / 10% of what the base scenario ({base}) "
                           "gives them, among the {n} structures it pays").format(
        years=_years_text(report.years), base=sweep.base.name, n=compared(report))


def _losses(outcome: Outcome, year: int | None = None) -> list[int | None]:
    losses = outcome.losses_by_year.get(year) if year is not None else outcome.losses
    return [losses.over_5, losses.over_10] if losses else [None, None]


def _totals(totals: Totals) -> list[Decimal]:
    return [getattr(totals, k) for k in TOTALS]


def _head(report: SweepReport, outcome: Outcome) -> list[Any]:
    return [outcome.point.name, *(value_text(v) for v in report.sweep.shown_values(outcome.point).values())]


def summary_table(report: SweepReport) -> Table:
    """One row per scenario (the base first): its values, totals, losses and envelope check."""
    rows = [[*_head(report, o), *_totals(o.totals), *_losses(o), _("ok") if o.balanced else _("MISMATCH")]
            for o in _all(report)]
    return Table(_title(report), ["scenario", *report.sweep.varied, *TOTAL_HEADERS, *LOSS_HEADERS, "check"], rows,
                 money=set(TOTAL_HEADERS), kinds=dict.fromkeys(LOSS_HEADERS, "count"), sheet="summary")


def per_unit_table(report: SweepReport) -> Table:
    """The spread of amount per unit, one row per scenario and family."""
    rows = [[o.point.name, family, s.n, *(getattr(s, k) for k in STATS)]
            for o in _all(report) for family in families(report) if (s := o.per_unit.get(family))]
    return Table(_("Amount per unit by family: eligible structure-years with units on the envelope line, amount as "
                   "paid / units pro rata temporis; quartiles interpolated on the exact values, rounded to the "
                   "cent"), ["scenario", "family", "structure-years", *STATS], rows, money=set(STATS),
                 kinds={"structure-years": "count"}, sheet="amount_per_unit")


def by_year_table(report: SweepReport) -> Table:
    """One row per scenario and year."""
    rows = [[o.point.name, year, *_totals(o.by_year[year]), *_losses(o, year)]
            for o in _all(report) for year in report.years]
    return Table(_("By year (losses in each year against the base's amount that year)"),
                 ["scenario", "year", *TOTAL_HEADERS, *LOSS_HEADERS], rows, money=set(TOTAL_HEADERS),
                 kinds=dict.fromkeys(LOSS_HEADERS, "count"), sheet="by_year")


def _warnings(report: SweepReport, outcome: Outcome) -> list[str]:
    """A scenario's warnings in words, as `ctg simulate` writes them."""
    return warnings_in_words(outcome.warnings, len(report.sweep.base.dataset.territories) > 1)


def warnings_table(report: SweepReport) -> Table | None:
    rows = [[o.point.name, text] for o in _all(report) for text in _warnings(report, o)]
    return Table(_("Warnings"), ["scenario", "warning"], rows, sheet="warnings") if rows else None


def sweep_tables(report: SweepReport, by_year: bool) -> list[Table]:
    """The terminal's tables (and the workbook's sheets after the one-row-per-scenario summary)."""
    tables = [summary_table(report), per_unit_table(report)]
    if by_year:
        tables.append(by_year_table(report))
    warnings = warnings_table(report)
    return tables + ([warnings] if warnings else [])


def spread_header(family: str, stat: str) -> str:
    return f"{family} {_(stat)}"


def wide_table(report: SweepReport) -> Table:
    """One row per scenario with every figure: the summary, then each family's spread (the CSV, the first
    sheet)."""
    fams = families(report)
    headers = ["scenario", *report.sweep.varied, *TOTAL_HEADERS, *LOSS_HEADERS, "check", "warnings"]
    spread_cols = [spread_header(f, s) for f in fams for s in ("structure-years", *STATS)]
    rows = []
    for o in _all(report):
        cells = []
        for f in fams:
            s: Spread | None = o.per_unit.get(f)
            cells += [s.n, *(getattr(s, k) for k in STATS)] if s else [None] * (1 + len(STATS))
        rows.append([*_head(report, o), *_totals(o.totals), *_losses(o), _("ok") if o.balanced else _("MISMATCH"),
                     len(_warnings(report, o)), *cells])
    money_cols = set(TOTAL_HEADERS) | {spread_header(f, s) for f in fams for s in STATS}
    counts = {h: "count" for h in [*LOSS_HEADERS, "warnings", *(spread_header(f, "structure-years") for f in fams)]}
    return Table(_title(report), headers + spread_cols, rows, money=money_cols, kinds=counts, sheet="summary")


def _totals_json(totals: Totals) -> dict[str, Decimal]:
    return {k: getattr(totals, k) for k in TOTALS}


def _losses_json(outcome: Outcome, year: int | None = None) -> dict[str, int] | None:
    over_5, over_10 = _losses(outcome, year)
    return None if over_5 is None else {"over_5_pct": over_5, "over_10_pct": over_10}


def _outcome_json(report: SweepReport, o: Outcome, by_year: bool) -> dict[str, Any]:
    out = {"name": o.point.name, "values": {k: _plain(v) for k, v in report.sweep.shown_values(o.point).items()},
           **_totals_json(o.totals), "balanced": o.balanced, "losses": _losses_json(o),
           "amount_per_unit": {f: {"structure_years": s.n, **{k: getattr(s, k) for k in STATS}}
                               for f in families(report) if (s := o.per_unit.get(f))},
           "warnings": _warnings(report, o)}
    if by_year:
        out["by_year"] = [{"year": y, **_totals_json(o.by_year[y]), "losses": _losses_json(o, y)}
                          for y in report.years]
    return out


def sweep_json(report: SweepReport, by_year: bool) -> dict[str, Any]:
    sweep = report.sweep
    return {"sweep": sweep.name, "sweep_file": str(sweep.path), "base_file": str(sweep.base_path),
            "base_scenario": sweep.base.name, "rules_version": sweep.rulebook.version,
            "dataset_sha256": sweep.base.dataset.sha256, "years": report.years, "engine": report.engine,
            "varied": sweep.varied, "structures_compared": compared(report),
            "scenarios": [_outcome_json(report, o, by_year) for o in _all(report)]}


def provenance_rows(report: SweepReport) -> list[tuple[str, Any]]:
    sweep = report.sweep
    return [("sweep", sweep.name), ("sweep file", str(sweep.path)), ("base scenario", sweep.base.name),
            ("base scenario file", str(sweep.base_path)), ("rules version", sweep.rulebook.version),
            ("dataset", str(sweep.base.dataset.path)), ("dataset sha256", sweep.base.dataset.sha256),
            ("years", _years_text(report.years)), ("engine", report.engine), ("run on", dt.date.today())]


def _pct(difference: int, base: int) -> Decimal | None:
    return Decimal(fmt_fraction(Fraction(100 * difference, base), 1)) if base else None


def per_structure_table(report: SweepReport, outcome: Outcome) -> Table:
    """A scenario's amounts per structure and year (every line added), its total, the base's and the difference;
    every structure of the base scenario, paid or not."""
    sweep, years = report.sweep, report.years
    mine, base = outcome.amounts or {}, report.base.amounts or {}
    totals, base_totals = by_structure(mine), by_structure(base)
    rows = []
    for sid, s in sorted(sweep.base.structures.items()):
        try:
            family = sweep.rulebook.family_of_type(s.type)
        except KeyError:
            family = ""
        total, base_total = totals.get(sid, 0), base_totals.get(sid, 0)
        rows.append([sid, s.name, s.type, family, s.commune_id, *(money(mine.get((sid, y), 0)) for y in years),
                     money(total), money(base_total), money(total - base_total), _pct(total - base_total, base_total)])
    ycols = [str(y) for y in years]
    return Table(_("Amounts by structure: {scenario}").format(scenario=outcome.point.name),
                 ["structure_id", "name", "type", "family", "commune_id", *ycols, "total", "base", "difference",
                  "difference_pct"], rows, money={*ycols, "total", "base", "difference"},
                 kinds={"difference_pct": "percent"}, sheet="by_structure")
