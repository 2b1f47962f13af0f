"""How fired rules combine into one evaluation, the same way for every evaluator: the classify rule gives the
family, unit and line, the exclusion rule with the lowest priority gives the reason, a method rule forces a
method, a cap rule caps, and formula rules apply on their own line (e.g. R5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import InputError, Problem
from ..rulebook import Rulebook


@dataclass(slots=True)  # not frozen: a frozen init costs twice as much, and there are 600,000 at national scale
class Evaluation:
    structure_id: str
    year: int
    family: str
    unit: str
    line: str
    eligible: bool
    reason: str | None
    fired: tuple[str, ...]
    method: str | None  # forced by a method rule, else the scenario's
    cap_rule: str | None  # the cap rule that applies, its parameter and its reason
    cap_param: str | None
    cap_reason: str | None
    formulas: tuple[str, ...] = ()  # formula rules that fired (they apply on their own line, e.g. R5)
    reason_rule: str | None = None  # the exclusion rule that gave the reason
    classify_rule: str = ""  # the rule that gave the family

    def tail(self) -> tuple:
        """Every field but the structure id and year (shared by all facts that fired the same rules)."""
        return (self.family, self.unit, self.line, self.eligible, self.reason, self.fired, self.method,
                self.cap_rule, self.cap_param, self.cap_reason, self.formulas, self.reason_rule, self.classify_rule)


def resolve(rulebook: Rulebook, sy: Any, fired: Sequence[str]) -> Evaluation:
    """The evaluation of one structure-year from the ids of the rules that fired on it."""
    rules = rulebook.rules
    order = {rid: i for i, rid in enumerate(rules)}
    fired = sorted(set(fired), key=order.__getitem__)
    classify = [rules[r] for r in fired if rules[r].kind == "classify"]
    if len(classify) != 1:
        names = ", ".join(r.id for r in classify) or "none"
        raise InputError([Problem("rules", None, None, f"structure {sy.structure.id} of type "
                                  f"{sy.structure.type!r} must match exactly one classify rule in {sy.year}, "
                                  f"matched: {names}")])
    then = classify[0].then
    excluded = sorted((rules[r] for r in fired if rules[r].kind == "exclude"), key=lambda r: r.priority)
    method = next((rules[r].then["method"] for r in fired if rules[r].kind == "method"), None)
    cap = next((rules[r] for r in fired if rules[r].kind == "cap"), None)
    return Evaluation(
        structure_id=sy.structure.id, year=sy.year, family=then["family"], unit=then["unit"],
        line=then.get("line", "bonus_territoire"), eligible=not excluded,
        reason=excluded[0].then["reason"] if excluded else None, fired=tuple(fired), method=method,
        cap_rule=cap.id if cap else None, cap_param=cap.then["cap_per_unit"] if cap else None,
        cap_reason=cap.then.get("reason") if cap else None,
        formulas=tuple(r for r in fired if rules[r].kind == "formula"),
        reason_rule=excluded[0].id if excluded else None, classify_rule=classify[0].id,
    )
