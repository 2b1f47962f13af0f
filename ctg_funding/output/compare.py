"""`ctg compare` written out: the two allocations side by side, as JSON-ready data and tables."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..analysis.compare import Comparison
from .writers import Table


def same_dataset(comp: Comparison) -> bool:
    """Whether both scenarios read the same dataset (the same files, byte for byte)."""
    return comp.a.dataset_sha256 == comp.b.dataset_sha256


def heading(comp: Comparison) -> str:
    """What the differences mean: a redistribution of one dataset, or two datasets."""
    if same_dataset(comp):
        return "a redistribution moves money within the envelope, it does not create it"
    return (f"A and B read DIFFERENT DATASETS (sha256 {comp.a.dataset_sha256[:12]} and "
            f"{comp.b.dataset_sha256[:12]}): the differences mix changes of data with the redistribution")


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
        "same_dataset": same_dataset(comp),
    }


def compare_table(comp: Comparison, envelopes: dict[str, dict[str, Decimal]] | None = None) -> Table:
    rows = [[r.key, r.label, r.a, r.b, r.difference, r.difference_pct] for r in comp.rows]
    rows.append(["total", "", comp.total_a, comp.total_b, comp.total_b - comp.total_a, None])
    title = f"By {comp.by}: B - A"
    if envelopes is not None:
        years = f"{comp.years[0]}..{comp.years[-1]}" if len(comp.years) > 1 else str(comp.years[0])
        env = "\n".join(f"  {k:<17} A {envelopes['a'][k]:>16,.2f}   B {envelopes['b'][k]:>16,.2f}"
                         for k in envelopes["a"])
        title = (f"A: {comp.a.scenario.name}\nB: {comp.b.scenario.name}\nYears {years}; {heading(comp)}:\n{env}"
                 f"\n\n{title}")
    return Table(title, ["key", "name", "a", "b", "difference", "difference_pct"], rows,
                 money={"a", "b", "difference"}, sheet=f"by_{comp.by}")


def compare_envelopes_table(envelopes: dict[str, dict[str, Decimal]]) -> Table:
    return Table("Envelopes", ["", "a", "b", "difference"],
                 [[k, envelopes["a"][k], envelopes["b"][k], envelopes["b"][k] - envelopes["a"][k]]
                  for k in envelopes["a"]], money={"a", "b", "difference"}, sheet="envelopes")
