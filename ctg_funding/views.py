"""What each command shows, as plain tables and JSON-ready dicts, built from results (no printing here)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from .allocation import fmt_fraction, fmt_units
from .compare import Comparison
from .dataset import Dataset
from .report import Table
from .rulebook import Rulebook
from .simulation import SimulationResult

ZERO = Decimal("0.00")


# ------------------------------------------------------------------------------------------------- validate


def dataset_summary(ds: Dataset, rulebook: Rulebook) -> dict[str, Any]:
    by_type: dict[str, int] = defaultdict(int)
    by_commune: dict[str, int] = defaultdict(int)
    units: dict[str, Decimal] = defaultdict(Decimal)
    for s in ds.structures.values():
        by_type[s.type] += 1
        by_commune[s.commune_id] += 1
        units[s.type] += s.units
    cej_family: dict[str, Decimal] = defaultdict(lambda: ZERO)
    cej_volet: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for action in ds.cej:
        family = rulebook.family_of_type(ds.structures[action.structure_id].type)
        cej_family[family] += action.amount
        cej_volet[rulebook.classify_rule(family).then.get("volet", "other")] += action.amount
    posts = sum((s.units for s in ds.structures.values() if s.type in rulebook.post_types), Decimal(0))
    return {
        "dataset": str(ds.path),
        "valid": True,
        "territory": ds.territory.id,
        "sha256": ds.sha256,
        "structures": len(ds.structures),
        "collectivites": len(ds.collectivites),
        "structures_by_type": dict(sorted(by_type.items())),
        "structures_by_commune": dict(sorted(by_commune.items())),
        "units_by_type": {k: str(v) for k, v in sorted(units.items())},
        "cej": {
            "actions": len(ds.cej),
            "by_family": {k: v for k, v in sorted(cej_family.items())},
            "by_volet": {k: v for k, v in sorted(cej_volet.items())},
            "jeunesse": cej_volet.get("jeunesse", ZERO),
            "enfance": cej_volet.get("enfance", ZERO),
            "total": sum(cej_family.values(), ZERO),
        },
        "coordination_etp": str(posts.quantize(Decimal("0.01"))),
    }


def summary_tables(summary: dict[str, Any]) -> list[Table]:
    cej = summary["cej"]
    return [
        Table(f"Dataset {summary['dataset']} ({summary['territory']}): valid, {summary['structures']} structures, "
              f"{summary['collectivites']} collectivités, sha256 {summary['sha256'][:12]}",
              ["type", "structures", "units"],
              [[t, n, summary["units_by_type"][t]] for t, n in summary["structures_by_type"].items()]),
        Table("Structures by commune", ["commune", "structures"],
              [[c, n] for c, n in summary["structures_by_commune"].items()]),
        Table("CEJ N-1 envelope", ["family or volet", "amount"],
              [[f, a] for f, a in cej["by_family"].items()]
              + [[f"volet {v}", a] for v, a in cej["by_volet"].items()] + [["total", cej["total"]]],
              money={"amount"}),
        Table("Coordination posts", ["ETP"], [[summary["coordination_etp"]]]),
    ]


# ------------------------------------------------------------------------------------------------- simulate


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


def provenance(result: SimulationResult) -> dict[str, Any]:
    """What a JSON result needs to be reproduced: scenario, rules version, dataset hash, years."""
    sc = result.scenario
    return {
        "scenario": sc.name,
        "scenario_file": str(sc.path) if sc.path else None,
        "rules_version": result.rules_version,
        "dataset_sha256": result.dataset_sha256,
        "years": result.years,
    }


def simulate_json(result: SimulationResult) -> dict[str, Any]:
    return {
        **provenance(result),
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
        "warnings": result.warnings,
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
    tables = [
        Table(f"Scenario: {result.scenario.name}  (rules {result.rules_version}, dataset "
              f"sha256 {result.dataset_sha256[:12]})\n\nEnvelope check: allocated + released = envelope",
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
        tables.append(Table("Warnings", ["warning"], [[w] for w in result.warnings], sheet="warnings"))
    return tables


def allocation_table(rows: list[dict[str, Any]]) -> Table:
    headers = ["year", "structure_id", "name", "type", "commune_id", "manager_id", "line", "family", "units",
               "rate", "amount", "eligible", "reason", "rules"]
    return Table("Allocations by structure", headers,
                 [[r[h] if h != "rules" else " ".join(r[h]) for h in headers] for r in rows],
                 money={"amount"}, sheet="allocations")


# -------------------------------------------------------------------------------------------------- compare


def compare_json(comp: Comparison, envelopes: dict[str, dict[str, Decimal]]) -> dict[str, Any]:
    return {
        "a": comp.a.scenario.name,
        "b": comp.b.scenario.name,
        "by": comp.by,
        "years": comp.years,
        "rules_version": {"a": comp.a.rules_version, "b": comp.b.rules_version},
        "dataset_sha256": {"a": comp.a.dataset_sha256, "b": comp.b.dataset_sha256},
        "rows": [{"key": r.key, "label": r.label, "a": r.a, "b": r.b, "difference": r.difference,
                  "difference_pct": r.difference_pct} for r in comp.rows],
        "totals": {"a": comp.total_a, "b": comp.total_b, "difference": comp.total_b - comp.total_a},
        "envelopes": envelopes,
    }


def compare_table(comp: Comparison, envelopes: dict[str, dict[str, Decimal]] | None = None) -> Table:
    rows = [[r.key, r.label, r.a, r.b, r.difference, r.difference_pct] for r in comp.rows]
    rows.append(["total", "", comp.total_a, comp.total_b, comp.total_b - comp.total_a, None])
    title = f"By {comp.by}: B - A"
    if envelopes is not None:
        years = f"{comp.years[0]}..{comp.years[-1]}" if len(comp.years) > 1 else str(comp.years[0])
        env = "\n".join(f"  {k:<17} A {envelopes['a'][k]:>16,.2f}   B {envelopes['b'][k]:>16,.2f}"
                         for k in envelopes["a"])
        title = (f"A: {comp.a.scenario.name}\nB: {comp.b.scenario.name}\nYears {years}; a redistribution moves "
                 f"money within the envelope, it does not create it:\n{env}\n\n{title}")
    return Table(title, ["key", "name", "a", "b", "difference", "difference_pct"], rows,
                 money={"a", "b", "difference"}, sheet=f"by_{comp.by}")


def compare_envelopes_table(envelopes: dict[str, dict[str, Decimal]]) -> Table:
    return Table("Envelopes", ["", "a", "b", "difference"],
                 [[k, envelopes["a"][k], envelopes["b"][k], envelopes["b"][k] - envelopes["a"][k]]
                  for k in envelopes["a"]], money={"a", "b", "difference"}, sheet="envelopes")
