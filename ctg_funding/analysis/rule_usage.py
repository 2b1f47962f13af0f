"""How many structures each rule touched in a year: the rules evaluated on every structure of a dataset as ctg
evaluates them (the dataset under the rules as they stand, `scenario_for_dataset`), and the rules that fired on
each structure-year counted. Rules without a condition do not fire: the computation applies them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..engine import evaluate
from ..inputs.dataset import Dataset
from ..rulebook import Rulebook
from ..scenario.file import scenario_for_dataset
from ..scenario.structure_years import structure_years
from ..simulation import choose_engine


@dataclass(frozen=True)
class RuleUsage:
    """`fired[rule id]`: the structures the rule fired on in `year`, out of `structures`; `tested`: the rules
    that have a condition (the others never fire)."""

    dataset: str
    dataset_sha256: str
    year: int
    structures: int
    fired: dict[str, int]
    tested: frozenset[str]

    def as_dict(self) -> dict:
        return {"dataset": self.dataset, "dataset_sha256": self.dataset_sha256, "year": self.year,
                "structures": self.structures,
                "rules": {rid: self.fired.get(rid, 0) if rid in self.tested else None for rid in self.fired}}


def rule_usage(dataset: Dataset, rulebook: Rulebook, year: int, engine: str | None = None) -> RuleUsage:
    """Evaluate the rules on each structure of `dataset` in `year` and count, per rule, the structures it fired
    on (the durable engine up to 10,000 structures, vector above, as every command chooses)."""
    scenario = scenario_for_dataset(dataset, rulebook, (year, year))
    sys_ = structure_years(scenario, [year])
    evaluations = evaluate(sys_, scenario.rulebook, choose_engine(scenario, [year], engine), scenario.rulebook_for)
    counts = Counter(rid for ev in evaluations.values() for rid in ev.fired)
    return RuleUsage(dataset=dataset.label, dataset_sha256=dataset.sha256, year=year, structures=len(sys_),
                     fired={rid: counts.get(rid, 0) for rid in rulebook.rules},
                     tested=frozenset(rid for rid, r in rulebook.rules.items() if r.when is not None))
