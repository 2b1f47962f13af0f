"""The small, closed condition language of `rules/`, and its normal form shared by both evaluators.

A condition is a mapping (all of its entries must hold) of

    field: value                         equality
    field: {eq|ne|gt|gte|lt|lte: operand}
    field: {in: [v1, v2, ...]}           membership (one of)
    family: FAMILY | {in: [...]}         shorthand for the structure types that the classify rules put there
    all: [cond, ...] | any: [cond, ...] | not: cond

where an operand is a literal (text, number, true/false), {param: name} (the parameter in force that year)
or {field: name} (another field of the same fact). Nothing else is accepted: the language compiles to
durable-rules JSON and to pandas masks, and a reader can audit it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from ..errors import Problem
from ..i18n import _
from .facts import FIELD_BY_NAME
from .model import Rule

OPS = ("eq", "ne", "gt", "gte", "lt", "lte")
NEGATE = {"eq": "ne", "ne": "eq", "gt": "lte", "lte": "gt", "lt": "gte", "gte": "lt"}



@dataclass(frozen=True)
class Operand:
    kind: str  # const | param | field
    value: Any


@dataclass(frozen=True)
class Cmp:
    field: str
    op: str
    operand: Operand


@dataclass(frozen=True)
class All:
    items: tuple[Any, ...]


@dataclass(frozen=True)
class Any_:
    items: tuple[Any, ...]


TRUE = All(())


class ConditionError(ValueError):
    pass


def _operand(raw: Any) -> Operand:
    if isinstance(raw, dict):
        if set(raw) == {"param"}:
            return Operand("param", str(raw["param"]))
        if set(raw) == {"field"}:
            return Operand("field", str(raw["field"]))
        raise ConditionError(_("an operand is a literal, {{param: name}} or {{field: name}}, got {raw!r}").format(
            raw=raw))
    if isinstance(raw, (list, tuple)):
        raise ConditionError(_("a list is only allowed under `in`, got {raw!r}").format(raw=raw))
    if raw is not None and not isinstance(raw, (str, int, float, bool)):
        raise ConditionError(_("unsupported literal {raw!r}").format(raw=raw))
    return Operand("const", raw)


def parse(raw: Any, families: dict[str, tuple[str, ...]]) -> Any:
    """Turn the YAML condition into the normal form (All / Any_ / Cmp), with `not` pushed down to comparisons."""
    return _parse(raw, families, negate=False)


def _parse(raw: Any, families: dict[str, tuple[str, ...]], negate: bool) -> Any:
    if raw is None or raw == {}:
        return TRUE
    if not isinstance(raw, dict):
        raise ConditionError(_("a condition is a mapping, got {raw!r}").format(raw=raw))
    items = []
    for key, value in raw.items():
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                raise ConditionError(_("`{key}` takes a non-empty list of conditions").format(key=key))
            parts = tuple(_parse(v, families, negate) for v in value)
            # De Morgan: not(all) = any(not), not(any) = all(not)
            items.append(All(parts) if (key == "all") != negate else Any_(parts))
        elif key == "not":
            items.append(_parse(value, families, not negate))
        elif key == "family":
            types = _family_types(value, families)
            items.append(_membership("type", types, negate))
        else:
            items.append(_field(key, value, negate))
    if len(items) == 1:
        return items[0]
    return Any_(tuple(items)) if negate else All(tuple(items))


def _family_types(value: Any, families: dict[str, tuple[str, ...]]) -> list[str]:
    names = value["in"] if isinstance(value, dict) and set(value) == {"in"} else [value]
    if not isinstance(names, list):
        raise ConditionError(_("`family: {in: [...]}` takes a list"))
    types: list[str] = []
    for name in names:
        if not isinstance(name, str):
            raise ConditionError(_("a family is named by its name, got {name!r}").format(name=name))
        if name not in families:
            raise ConditionError(_("unknown family {name!r} (known: {v1})").format(
                name=name, v1=', '.join(sorted(families))))
        types.extend(families[name])
    return types


def _membership(field: str, values: list[Any], negate: bool) -> Any:
    if not values:
        raise ConditionError(_("`in` for {field} needs at least one value").format(field=field))
    cmps = tuple(Cmp(field, "ne" if negate else "eq", _operand(v)) for v in values)
    if len(cmps) == 1:
        return cmps[0]
    return All(cmps) if negate else Any_(cmps)


def _field(key: str, value: Any, negate: bool) -> Any:
    if key not in FIELD_BY_NAME:
        raise ConditionError(_("unknown field {key!r} (facts have: {v1})").format(
            key=key, v1=', '.join(sorted(FIELD_BY_NAME))))
    if isinstance(value, dict) and "param" not in value and "field" not in value:
        if len(value) != 1:
            raise ConditionError(_("one operator per field entry, got {v0} for {key}").format(
                v0=sorted(value), key=key))
        op, operand = next(iter(value.items()))
        if op == "in":
            if not isinstance(operand, list):
                raise ConditionError(_("`in` takes a list, got {operand!r}").format(operand=operand))
            return _membership(key, operand, negate)
        if op not in OPS:
            raise ConditionError(_("unknown operator {op!r} (allowed: {v1}, in)").format(op=op, v1=', '.join(OPS)))
        return Cmp(key, NEGATE[op] if negate else op, _operand(operand))
    return Cmp(key, "ne" if negate else "eq", _operand(value))


def walk(node: Any):
    """Every comparison of a normal-form condition."""
    if isinstance(node, Cmp):
        yield node
    else:
        for item in node.items:
            yield from walk(item)


def referenced_params(node: Any) -> set[str]:
    return {c.operand.value for c in walk(node) if c.operand.kind == "param"}


def check_condition(rule: Rule, parameters: Collection[str], families: Collection[str]) -> list[Problem]:
    """Problems of a rule's condition: unknown field, operator, family or parameter."""
    fams = {f: ("_",) for f in families}
    try:
        node = parse(rule.when, fams)
    except ConditionError as exc:
        return [Problem(rule.file, None, f"{rule.id}.when", str(exc))]
    problems = []
    for cmp in walk(node):
        if cmp.operand.kind == "param" and cmp.operand.value not in parameters:
            problems.append(Problem(rule.file, None, f"{rule.id}.when",
                                    _("unknown parameter {value!r}").format(value=cmp.operand.value)))
        if cmp.operand.kind == "field" and cmp.operand.value not in FIELD_BY_NAME:
            problems.append(Problem(rule.file, None, f"{rule.id}.when", _("unknown field {value!r}").format(
                value=cmp.operand.value)))
    return problems
