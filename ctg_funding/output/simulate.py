"""`ctg simulate` written out: the allocation per structure and year, totals, envelopes, released amounts and
warnings, as JSON-ready data (keys and codes in English: an interface) and tables (in the interface's language)."""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from fractions import Fraction
from itertools import compress
from operator import attrgetter
from typing import IO, Any

from ..allocation import policy
from ..allocation.results import Envelope, Warning
from ..i18n import _, fmt_money, language
from ..money import fmt_fraction, fmt_ratio, fmt_units_ratio, money
from ..rulebook import required
from ..simulation import SimulationResult
from .allocation_csv import allocation_column_blocks, write_allocation_columns
from .trace_text import floor_warning
from .writers import CSV_DIALECTS, CsvDialect, Streamed, Table

# Lines paid on top of the envelope, national money: new places (R5), the ALSH floor (R8), the bonus trajectoire (R9).
OUTSIDE_ENVELOPE = ("bonus_places_nouvelles", "plancher_alsh", "bonus_trajectoire")


def warning_texts(result: SimulationResult) -> list[str]:
    """The warnings in words; the territory is named when the dataset has several."""
    return warnings_in_words(result.warnings, len(result.scenario.dataset.territories) > 1)


def warnings_in_words(warnings: list[Warning], several: bool) -> list[str]:
    """Warnings in words, each with its territory when `several`; a family's envelope released whole is not
    repeated in a territory-year that no CTG covers (its own warning says so)."""
    uncovered = {(w.year, w.territory) for w in warnings if w.kind == policy.CTG_OFF}
    return [(f"{w.territory} " if several else "") + warning_text(w) for w in warnings
            if not (w.kind == policy.RELEASED_WHOLE and (w.year, w.territory) in uncovered)]


def warning_text(w: Warning) -> str:
    """One warning in words."""
    if w.kind == policy.CTG_OFF:
        return _("{year}: no CTG covers {territory} this year (neither its dates nor a renewal the scenario "
                 "assumes: ctg.renewed_until), so nothing is allocated: the whole envelope, {amount}, is "
                 "released").format(year=w.year, territory=w.territory, amount=fmt_money(w.amount))
    if w.kind == policy.RELEASED_WHOLE:
        why = (_("no structure of the family can receive a share (none is eligible, or none has units or a weight "
                 "above 0)") if w.reason == required.NOBODY_ELIGIBLE else _("reason {reason}").format(reason=w.reason))
        return _("{year} {family}: the whole envelope, {amount}, is released: {why}").format(
            year=w.year, family=w.family, amount=fmt_money(w.amount), why=why)
    return f"{w.year} {w.family}: {floor_warning(w.floor, w.deficit, w.excess)}"


def _per_unit(line: Any) -> Fraction | None:
    """What a structure actually gets per unit (place, hour, ETP) on this line."""
    return Fraction(line.cents * line.units_den, 100 * line.units_num) if line.units_num else None


_BY_STRUCTURE = attrgetter("structure_id")


def _allocation_lines(result: SimulationResult) -> Iterator[tuple[Any, Any, str]]:
    """Each line in the order the outputs show them (by year, then structure id; a structure's lines in the order
    they were computed), with its structure and the manager it had that year."""
    by_year: dict[int, list[Any]] = {}
    for ln in result.lines:  # one sort by id per year: no (year, id) tuple per line
        by_year.setdefault(ln.year, []).append(ln)
    structures = result.scenario.structures
    for year in sorted(by_year):
        lines = sorted(by_year[year], key=_BY_STRUCTURE)
        managers = result.managers([ln.structure_id for ln in lines], year)
        for ln, manager in zip(lines, managers, strict=True):
            yield ln, structures[ln.structure_id], manager


class _RateTexts:
    """Rates written with 6 decimals, each distinct rate object once (the lines of a family-year share theirs)."""

    def __init__(self) -> None:
        self._seen: dict[int, tuple[Fraction, str]] = {}

    def __call__(self, rate: Fraction | None) -> str | None:
        if rate is None:
            return None
        hit = self._seen.get(id(rate))
        if hit is None or hit[0] is not rate:
            hit = self._seen[id(rate)] = (rate, fmt_fraction(rate, 6))
        return hit[1]


def allocation_rows(result: SimulationResult) -> list[dict[str, Any]]:
    return list(_allocation_rows(result))


def _allocation_rows(result: SimulationResult) -> Iterator[dict[str, Any]]:
    """The JSON rows of the allocations, one at a time."""
    rate_text = _RateTexts()
    for ln, s, manager in _allocation_lines(result):
        cents, num, den = ln.cents, ln.units_num, ln.units_den
        yield {
            "year": ln.year, "structure_id": ln.structure_id, "name": s.name, "type": s.type,
            "commune_id": s.commune_id, "manager_id": manager, "line": ln.line,
            "family": ln.family, "units": fmt_units_ratio(num, den), "rate": rate_text(ln.rate),
            "amount": ln.amount, "eligible": ln.eligible, "reason": ln.reason, "rules": ln.rules,
            "amount_per_unit": fmt_ratio(cents * den, 100 * num) if num else None,
        }


def simulate_json(result: SimulationResult, streamed: bool = False) -> dict[str, Any]:
    """The JSON of a run. `streamed`: its allocations made one at a time while they are written (writers.Streamed,
    for writers.write_json), not a list of 600,000 dicts held whole at national scale."""
    return {
        **result.provenance(),
        "allocations": (Streamed(lambda: _allocation_rows(result), len(result.lines)) if streamed
                        else allocation_rows(result)),
        "released": [
            {"year": r.year, "territory": r.territory, "family": r.family, "structure_id": r.structure_id,
             "amount": r.amount, "reason": r.reason, "destination": r.destination, "rules": r.rules}
            for r in sorted(result.released, key=lambda r: (r.year, r.territory, r.family, r.structure_id or ""))
        ],
        "envelopes": [
            {"year": e.year, "territory": e.territory, "family": e.family, "envelope": e.envelope,
             "allocated": e.allocated,
             "released": e.released, "redistributed": e.redistributed, "method": e.method,
             "rate": fmt_fraction(e.rate, 6) if e.rate is not None else None, "balanced": e.balanced,
             "renewed_from": e.renewed_from}
            for e in sorted(result.envelopes, key=lambda e: (e.year, e.territory, e.family))
        ],
        "warnings": warning_texts(result),
    }


def provenance_rows(result: SimulationResult, engine: str | None = None) -> list[tuple[str, Any]]:
    """What a workbook needs to be traced back: scenario, rules version, dataset hash, years, engine, run date."""
    sc = result.scenario
    return [("scenario", sc.name), ("scenario file", str(sc.path) if sc.path else ""),
            ("rules version", result.rules_version), ("dataset", str(sc.dataset.path)),
            ("dataset sha256", result.dataset_sha256),
            ("years", f"{result.years[0]}..{result.years[-1]}" if len(result.years) > 1 else str(result.years[0])),
            ("engine", engine or result.engine), ("run on", dt.date.today())]


def _pivot(keys: Iterable[str], line_years: Iterable[int], cents: Iterable[int], years: list[int],
           label: str) -> list[list[Any]]:
    """Sums of the amounts (`cents`, each with its key and year) by key and year, a total column and a total row
    (added up in integer cents)."""
    sums: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for key, year, amount in zip(keys, line_years, cents, strict=True):
        sums[key][year] += amount
    out = [[k] + [money(sums[k][y]) for y in years] + [money(sum(sums[k].values()))] for k in sorted(sums)]
    out.append([label] + [money(sum(sums[k][y] for k in sums)) for y in years]
               + [money(sum(sum(v.values()) for v in sums.values()))])
    return out


def _title(result: SimulationResult) -> str:
    notes = "".join(_("Warning: {warning}").format(warning=w) + "\n" for w in warning_texts(result))
    return (_("Scenario: {name}  (rules {rules}, dataset sha256 {sha})").format(
        name=result.scenario.name, rules=result.rules_version, sha=result.dataset_sha256[:12])
        + "\n\n" + notes + ("\n" if notes else "") + _("Envelope check: allocated + released = envelope")
        + "\n" + _("Envelope from: the CEJ's N-1 amounts, or in a renewed CTG what the previous CTG allocated in its "
                   "last year (R7)"))


def _envelope_from(envelope: Envelope) -> str:
    """Where a family-year's envelope comes from: the CEJ (R1) or the year of the previous CTG it renews (R7)."""
    if envelope.renewed_from is None:
        return _("CEJ N-1")
    return _("allocated in {year}").format(year=envelope.renewed_from)


def simulate_tables(result: SimulationResult, detail: bool = True) -> list[Table]:
    from .xlsx_columns import AllocationRows, gather_allocation_columns  # XlsxWriter: imported for tables only

    years = result.years
    ycols = [str(y) for y in years]
    # The lines read once, as columns: the pivots add up their cents, the allocation table's rows are made from
    # them when read (a workbook writes them from the columns themselves).
    columns = gather_allocation_columns(result)
    outside = [ln in OUTSIDE_ENVELOPE for ln in columns.line]
    inside = [not o for o in outside]
    env_rows = [[e.year, e.family, e.method, _envelope_from(e), e.envelope, e.allocated, e.released,
                 e.redistributed, _("ok") if e.balanced else _("MISMATCH")]
                for e in sorted(result.envelopes, key=lambda e: (e.year, e.family))]
    money_columns = {*ycols, "total"}

    def pivot(keys: list[str], kept: list[bool]) -> list[list[Any]]:
        return _pivot(compress(keys, kept), compress(columns.year, kept), compress(columns.cents, kept), years,
                      _("total"))

    tables = [
        Table(_title(result), ["year", "family", "method", "envelope from", "envelope", "allocated", "released",
                               "redistributed", "check"],
              env_rows, money={"envelope", "allocated", "released", "redistributed"}, sheet="envelopes"),
        Table(_("Totals by family, within the envelope"), ["family", *ycols, "total"],
              pivot(columns.family, inside), money=money_columns, sheet="by_family"),
        Table(_("Totals by commune, within the envelope"), ["commune", *ycols, "total"],
              pivot(columns.commune_id, inside), money=money_columns, sheet="by_commune"),
    ]
    if any(outside):
        tables.append(Table(_("Outside the envelope (national money: new places R5, ALSH floor R8, bonus trajectoire "
                              "R9), by line and family"),
                            ["line", *ycols, "total"],
                            pivot([f"{line} {family}" for line, family in zip(columns.line, columns.family,
                                                                               strict=True)], outside),
                            money=money_columns, sheet="outside_envelope"))
    tables.append(Table(_("Released amounts"), ["year", "family", "structure", "reason", "destination", "amount"],
                        [[r.year, r.family, r.structure_id or _("(whole family)"), r.reason, r.destination, r.amount]
                         for r in sorted(result.released, key=lambda r: (r.year, r.family, r.structure_id or ""))],
                        money={"amount"}, sheet="released"))
    if detail:
        tables.append(allocation_table_of(AllocationRows(columns)))
    if result.warnings:
        tables.append(Table(_("Warnings"), ["warning"], [[w] for w in warning_texts(result)], sheet="warnings"))
    return tables


ALLOCATION_HEADERS = ["year", "structure_id", "name", "type", "commune_id", "manager_id", "line", "family", "units",
                      "rate", "amount_per_unit", "amount", "eligible", "reason", "rules"]


def allocation_table(result: SimulationResult) -> Table:
    """One row per structure, year and line, with typed values (the CSV and xlsx outputs use them as numbers)."""
    rows = [[ln.year, ln.structure_id, s.name, s.type, s.commune_id, manager, ln.line, ln.family, ln.units,
             ln.rate, _per_unit(ln), ln.amount, ln.eligible, ln.reason, " ".join(ln.rules)]
            for ln, s, manager in _allocation_lines(result)]
    return allocation_table_of(rows)


def allocation_table_of(rows: Sequence[list[Any]]) -> Table:
    """The allocation table around its rows (a list, or rows made from columns when read)."""
    return Table(_("Allocations by structure"), ALLOCATION_HEADERS, rows,  # type: ignore[arg-type]
                 money={"amount", "amount_per_unit"}, kinds={"units": "units", "rate": "rate"}, sheet="allocations",
                 optional=("rules", "manager_id", "type", "line", "commune_id"))


def write_allocations_csv(result: SimulationResult, out: IO[str], dialect: CsvDialect | None = None) -> None:
    """`render_csv(allocation_table(result), dialect)`, written to `out` column by column from the lines' integer
    cents and units (output/allocation_csv.py): the same text, without a typed table of 600,000 rows, a Fraction
    per figure or a formatting call per line."""
    dialect = dialect or CSV_DIALECTS[language()]
    if dialect.bom:
        out.write("\ufeff")
    csv.writer(out, delimiter=dialect.separator, lineterminator="\n").writerow([_(h) for h in ALLOCATION_HEADERS])
    write_allocation_columns(allocation_column_blocks(result), result.scenario.structures, out, dialect)
