"""`ctg validate` written out: what a valid dataset holds, as JSON-ready data and tables."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from ..i18n import _
from ..inputs.dataset import Dataset
from ..money import CENT, ZERO
from ..rulebook import Rulebook
from .writers import Table


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
        "territory": ds.label,
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
        "coordination_etp": str(posts.quantize(CENT)),
        "warnings": [w.as_dict() for w in ds.warnings],
    }


def summary_tables(summary: dict[str, Any]) -> list[Table]:
    cej = summary["cej"]
    counts = {"structures": "count"}
    return [
        Table(_("Dataset {path} ({territory}): valid, {structures} structures, {collectivites} collectivités, "
                "sha256 {sha}").format(path=summary["dataset"], territory=summary["territory"],
                                       structures=summary["structures"], collectivites=summary["collectivites"],
                                       sha=summary["sha256"][:12]),
              ["type", "structures", "units"],
              [[t, n, Decimal(summary["units_by_type"][t])] for t, n in summary["structures_by_type"].items()],
              kinds={**counts, "units": "units"}),
        Table(_("Structures by commune"), ["commune", "structures"],
              [[c, n] for c, n in summary["structures_by_commune"].items()], kinds=counts),
        Table(_("CEJ N-1 envelope"), ["family or volet", "amount"],
              [[f, a] for f, a in cej["by_family"].items()]
              + [[_("volet {volet}").format(volet=v), a] for v, a in cej["by_volet"].items()]
              + [[_("total"), cej["total"]]],
              money={"amount"}),
        Table(_("Coordination posts"), ["ETP"], [[Decimal(summary["coordination_etp"])]], kinds={"ETP": "units"}),
    ] + ([Table(_("Warnings: valid, but implausible (--strict refuses them)"), ["file", "row", "column", "warning"],
                [[w["file"], w["row"], w["column"], w["message"]] for w in summary["warnings"]])]
         if summary["warnings"] else [])
