"""`ctg simulate` written out: the allocation per structure and year, totals, envelopes, released amounts and
warnings, as JSON-ready data and tables."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from ..allocation import policy
from ..allocation.results import Warning
from ..money import ZERO, fmt_eur, fmt_fraction, fmt_units
from ..rulebook import required
from ..simulation import SimulationResult
from .trace_text import floor_warning
from .writers import Table


def warning_texts(result: SimulationResult) -> list[str]:
    """The warnings in words; the territory is named when the dataset has several."""
    several = len(result.scenario.dataset.territories) > 1
    uncovered = {(w.year, w.territory) for w in result.warnings if w.kind == policy.CTG_OFF}
    return [(f"{w.territory} " if several else "") + warning_text(w) for w in result.warnings
            if not (w.kind == policy.RELEASED_WHOLE and (w.year, w.territory) in uncovered)]


def warning_text(w: Warning) -> str:
    """One warning in words."""
    if w.kind == policy.CTG_OFF:
        return (f"{w.year}: no CTG covers {w.territory} this year (neither its dates nor a renewal the scenario "
                f"assumes: ctg.renewed_until), so nothing is allocated: the whole envelope, "
                f"{fmt_eur(w.amount)}, is released")
    if w.kind == policy.RELEASED_WHOLE:
        why = ("no structure of the family can receive a share (none is eligible, or none has units or a weight"
               " above 0)" if w.reason == required.NOBODY_ELIGIBLE else f"reason {w.reason}")
        return f"{w.year} {w.family}: the whole envelope, {fmt_eur(w.amount)}, is released: {why}"
    return f"{w.year} {w.family}: {floor_warning(w.floor, w.deficit, w.excess)}"


def allocation_rows(result: SimulationResult) -> list[dict[str, Any]]:
    structures = result.scenario.structures
    rows = []
    for ln in sorted(result.lines, key=lambda x: (x.year, x.structure_id)):
        s = structures[ln.structure_id]
        sy = result.structure_years[f"{ln.structure_id}|{ln.year}"]
        rows.append({
            "year": ln.year, "structure_id": ln.structure_id, "name": s.name, "type": s.type,
            "commune_id": s.commune_id, "manager_id": sy.structure.manager_id, "line": ln.line,
            "family": ln.family, "units": fmt_units(ln.units),
            "rate": fmt_fraction(ln.rate, 6) if ln.rate is not None else None, "amount": ln.amount,
            "eligible": ln.eligible, "reason": ln.reason, "rules": ln.rules,
        })
    return rows


def simulate_json(result: SimulationResult) -> dict[str, Any]:
    return {
        **result.provenance(),
        "allocations": allocation_rows(result),
        "released": [
            {"year": r.year, "territory": r.territory, "family": r.family, "structure_id": r.structure_id,
             "amount": r.amount, "reason": r.reason, "destination": r.destination, "rules": r.rules}
            for r in sorted(result.released, key=lambda r: (r.year, r.territory, r.family, r.structure_id or ""))
        ],
        "envelopes": [
            {"year": e.year, "territory": e.territory, "family": e.family, "envelope": e.envelope,
             "allocated": e.allocated,
             "released": e.released, "redistributed": e.redistributed, "method": e.method,
             "rate": fmt_fraction(e.rate, 6) if e.rate is not None else None, "balanced": e.balanced}
            for e in sorted(result.envelopes, key=lambda e: (e.year, e.territory, e.family))
        ],
        "warnings": warning_texts(result),
    }


def _pivot(rows: list[dict[str, Any]], key: str, years: list[int]) -> list[list[Any]]:
    sums: dict[str, dict[int, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for r in rows:
        sums[r[key]][r["year"]] += r["amount"]
    out = [[k] + [sums[k][y] for y in years] + [sum(sums[k].values(), ZERO)] for k in sorted(sums)]
    out.append(["total"] + [sum((sums[k][y] for k in sums), ZERO) for y in years]
               + [sum((sum(v.values(), ZERO) for v in sums.values()), ZERO)])
    return out


def simulate_tables(result: SimulationResult, detail: bool = True) -> list[Table]:
    rows = allocation_rows(result)
    years = result.years
    ycols = [str(y) for y in years]
    env_rows = [[e.year, e.family, e.method, e.envelope, e.allocated, e.released, e.redistributed,
                 "ok" if e.balanced else "MISMATCH"]
                for e in sorted(result.envelopes, key=lambda e: (e.year, e.family))]
    notes = "".join(f"Warning: {w}\n" for w in warning_texts(result))
    tables = [
        Table(f"Scenario: {result.scenario.name}  (rules {result.rules_version}, dataset "
              f"sha256 {result.dataset_sha256[:12]})\n\n{notes}" + ("\n" if notes else "")
              + "Envelope check: allocated + released = envelope",
              ["year", "family", "method", "envelope", "allocated", "released", "redistributed", "check"],
              env_rows, money={"envelope", "allocated", "released", "redistributed"}, sheet="envelopes"),
        Table("Totals by family", ["family", *ycols, "total"], _pivot(rows, "family", years),
              money={*ycols, "total"}, sheet="by_family"),
        Table("Totals by commune", ["commune", *ycols, "total"], _pivot(rows, "commune_id", years),
              money={*ycols, "total"}, sheet="by_commune"),
        Table("Released amounts", ["year", "family", "structure", "reason", "destination", "amount"],
              [[r.year, r.family, r.structure_id or "(whole family)", r.reason, r.destination, r.amount]
               for r in sorted(result.released, key=lambda r: (r.year, r.family, r.structure_id or ""))],
              money={"amount"}, sheet="released"),
    ]
    if detail:
        tables.append(allocation_table(rows))
    if result.warnings:
        tables.append(Table("Warnings", ["warning"], [[w] for w in warning_texts(result)], sheet="warnings"))
    return tables


def allocation_table(rows: list[dict[str, Any]]) -> Table:
    headers = ["year", "structure_id", "name", "type", "commune_id", "manager_id", "line", "family", "units",
               "rate", "amount", "eligible", "reason", "rules"]
    return Table("Allocations by structure", headers,
                 [[r[h] if h != "rules" else " ".join(r[h]) for h in headers] for r in rows],
                 money={"amount"}, sheet="allocations")
