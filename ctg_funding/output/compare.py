"""`ctg compare` written out: the two allocations side by side, as JSON-ready data and tables."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..analysis.compare import Comparison
from ..i18n import _, fmt_amount
from .simulate import provenance_rows as scenario_provenance
from .writers import Table

ENVELOPE_KEYS = {"envelope": "envelope", "allocated": "allocated", "released": "released",
                 "outside_envelope": "outside the envelope"}


def same_dataset(comp: Comparison) -> bool:
    """Whether both scenarios read the same dataset (the same files, byte for byte)."""
    return comp.a.dataset_sha256 == comp.b.dataset_sha256


def heading(comp: Comparison) -> str:
    """What the differences mean: a redistribution of one dataset, or two datasets."""
    if same_dataset(comp):
        return _("a redistribution moves money within the envelope, it does not create it")
    return _("A and B read DIFFERENT DATASETS (sha256 {a} and {b}): the differences mix changes of data with the "
             "redistribution").format(a=comp.a.dataset_sha256[:12], b=comp.b.dataset_sha256[:12])


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
        "rows_without_difference_left_out": comp.hidden,
    }


def provenance_rows(comp: Comparison) -> list[tuple[str, Any]]:
    """Both scenarios, their rules and datasets: the first sheet of a compare workbook."""
    a, b = scenario_provenance(comp.a), scenario_provenance(comp.b)
    return ([(f"A: {key}", value) for key, value in a if key != "run on"]
            + [(f"B: {key}", value) for key, value in b if key != "run on"] + [a[-1]])


def compare_table(comp: Comparison, envelopes: dict[str, dict[str, Decimal]] | None = None) -> Table:
    rows: list[list[Any]] = [[r.key, r.label, r.a, r.b, r.difference, r.difference_pct] for r in comp.rows]
    label = _("total") if not comp.hidden else _("total of every {by} ({n} without difference not shown)").format(
        by=_(comp.by), n=comp.hidden)
    rows.append([label, "", comp.total_a, comp.total_b, comp.total_b - comp.total_a, None])
    title = _("By {by}: B - A").format(by=_(comp.by))
    if envelopes is not None:
        years = f"{comp.years[0]}..{comp.years[-1]}" if len(comp.years) > 1 else str(comp.years[0])
        env = "\n".join(f"  {_(ENVELOPE_KEYS[k]):<22} A {fmt_amount(envelopes['a'][k]):>16}   "
                        f"B {fmt_amount(envelopes['b'][k]):>16}" for k in envelopes["a"])
        title = (f"A: {comp.a.scenario.name}\nB: {comp.b.scenario.name}\n"
                 + _("Years {years}; {heading}:").format(years=years, heading=heading(comp)) + f"\n{env}\n\n{title}")
    return Table(title, ["key", "name", "a", "b", "difference", "difference_pct"], rows,
                 money={"a", "b", "difference"}, kinds={"difference_pct": "percent"}, sheet=f"by_{comp.by}",
                 optional=("name",))


def compare_envelopes_table(envelopes: dict[str, dict[str, Decimal]]) -> Table:
    return Table(_("Envelopes"), ["", "a", "b", "difference"],
                 [[_(ENVELOPE_KEYS[k]), envelopes["a"][k], envelopes["b"][k], envelopes["b"][k] - envelopes["a"][k]]
                  for k in envelopes["a"]], money={"a", "b", "difference"}, sheet="envelopes")
