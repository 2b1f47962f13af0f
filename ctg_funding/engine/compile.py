"""Compiling the rules' conditions once, to the normal form both evaluators read, and to durable-rules JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..rulebook import Rule, Rulebook
from ..rulebook.conditions import TRUE, All, Any_, Cmp, Operand, parse, referenced_params
from ..rulebook.facts import day_number, param_field

_DURABLE_OP = {"ne": "$neq", "gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte"}


@dataclass(frozen=True)
class CompiledRule:
    id: str
    condition: Any  # normal form: All / Any_ / Cmp


def compile_rule(rule: Rule, families: dict[str, tuple[str, ...]]) -> CompiledRule:
    """The rule's condition, with its dates in force (`from`, `until`) added as comparisons on the year."""
    parts = [parse(rule.when, families)]
    if rule.start is not None:
        parts.append(Cmp("year_last_day", "gte", Operand("const", day_number(rule.start))))
    if rule.until is not None:
        parts.append(Cmp("year_first_day", "lte", Operand("const", day_number(rule.until))))
    return CompiledRule(rule.id, parts[0] if len(parts) == 1 else All(tuple(parts)))


def compile_rulebook(rulebook: Rulebook) -> list[CompiledRule]:
    """Every rule that has a condition, in rulebook order (formula rules are cited by the allocation)."""
    families = rulebook.families
    return [compile_rule(r, families) for r in rulebook.rules.values() if r.when is not None]


def params_used(rules: list[CompiledRule]) -> set[str]:
    out: set[str] = set()
    for rule in rules:
        out |= referenced_params(rule.condition)
    return out


def _operand(operand: Operand) -> Any:
    if operand.kind == "param":
        return {"$m": param_field(operand.value)}
    if operand.kind == "field":
        return {"$m": operand.value}
    return operand.value


def to_durable(node: Any) -> dict[str, Any]:
    """durable-rules JSON for a normal-form condition (no `$in` there: membership is already an `$or`)."""
    if node == TRUE:
        return {"ctg_fact": 1}  # the mark every fact carries (engine/durable.py)
    if isinstance(node, Cmp):
        value = _operand(node.operand)
        if node.op == "eq":
            return {node.field: value}
        return {_DURABLE_OP[node.op]: {node.field: value}}
    key = "$and" if isinstance(node, All) else "$or"
    assert isinstance(node, (All, Any_))
    return {key: [to_durable(item) for item in node.items]}
