"""Weight expressions of the `weighted` method, parsed safely and never executed as Python.

An expression may use numbers, the fields of a structure-year, + - * /, parentheses, and min(...)/max(...).
It is parsed with `ast` and evaluated by walking the tree with exact fractions: nothing reaches eval(),
attribute access, subscripts, other calls or names are refused before any evaluation.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Collection, Mapping
from fractions import Fraction
from typing import Any

import numpy as np

from ..i18n import _

_BINOPS: dict[type, Callable[[Fraction, Fraction], Fraction]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}
_FUNCS = {"min": min, "max": max}
MAX_LENGTH = 500
YEAR_FIELDS = ("units", "open_days", "year_days")  # the fields read on the structure-year (the others: on the
# structure, simulation.WeightValues)


class WeightError(ValueError):
    pass


def parse_weight(text: str, fields: Collection[str]) -> ast.Expression:
    """Check an expression against the closed grammar; raise WeightError saying what is not allowed."""
    if len(text) > MAX_LENGTH:
        raise WeightError(_("weight expression longer than {MAX_LENGTH} characters").format(MAX_LENGTH=MAX_LENGTH))
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise WeightError(_("weight expression {text!r} is not a valid formula: {msg}").format(
            text=text, msg=exc.msg)) from None
    for node in ast.walk(tree):
        if isinstance(node, (ast.Expression, ast.Load)) or type(node) in _BINOPS:
            continue
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            continue
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            continue
        if isinstance(node, (ast.USub, ast.UAdd)):
            continue
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            if isinstance(node.value, float) and not math.isfinite(node.value):
                literal = ast.get_source_segment(text, node)  # a parsed number always has its text
                raise WeightError(_("weight expression {text!r}: the number {literal} is too large").format(
                    text=text, literal=literal))
            continue
        if isinstance(node, ast.Call):
            if not (isinstance(node.func, ast.Name) and node.func.id in _FUNCS) or node.keywords or not node.args:
                raise WeightError(_("weight expression {text!r}: only min(...) and max(...) may be called").format(
                    text=text))
            continue
        if isinstance(node, ast.Name):
            if node.id in _FUNCS and _is_callee(tree, node):
                continue
            if node.id not in fields:
                raise WeightError(_("weight expression {text!r}: unknown field {id!r} (allowed: {v2})").format(
                    text=text, id=node.id, v2=', '.join(sorted(fields))))
            continue
        raise WeightError(_("weight expression {text!r}: {v1} is not allowed (only numbers, fields, + - * /, "
                            "parentheses, min(...) and max(...))").format(text=text, v1=_describe(node)))
    return tree


_OPERATORS = {ast.Pow: "**", ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|",
              ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>", ast.Not: "not", ast.Invert: "~"}
_KINDS = {ast.Attribute: "an attribute (a.b)", ast.Subscript: "indexing (a[b])", ast.Compare: "a comparison",
          ast.BoolOp: "and / or", ast.IfExp: "if ... else", ast.Lambda: "lambda", ast.Constant: "a text",
          ast.List: "a list", ast.Tuple: "a tuple", ast.Dict: "a mapping", ast.Set: "a set",
          ast.JoinedStr: "a text", ast.NamedExpr: "an assignment (:=)", ast.Starred: "*"}


def _describe(node: ast.AST) -> str:
    """What a refused part of an expression is, in words."""
    op = getattr(node, "op", None)
    if op is not None and type(op) in _OPERATORS:
        return f"the operator {_OPERATORS[type(op)]}"
    return _KINDS.get(type(node), f"this construct ({type(node).__name__})")


def _is_callee(tree: ast.AST, name: ast.Name) -> bool:
    return any(isinstance(n, ast.Call) and n.func is name for n in ast.walk(tree))


def evaluate_weight(tree: ast.Expression, values: Mapping[str, Fraction]) -> Fraction:
    """The weight for one structure-year; raises WeightError on division by zero or a missing value."""

    def ev(node: ast.AST) -> Fraction:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.BinOp):
            left, right = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Div) and right == 0:
                raise WeightError(_division_by_zero())
            return _BINOPS[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp):
            value = ev(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.Constant):
            return Fraction(str(node.value))
        if isinstance(node, ast.Name):
            if node.id not in values:
                raise WeightError(_no_value(node.id))
            return values[node.id]
        if isinstance(node, ast.Call):
            return _FUNCS[node.func.id](*(ev(a) for a in node.args))  # type: ignore[union-attr]
        raise WeightError(_("{__name__} is not allowed").format(
            __name__=type(node).__name__))  # pragma: no cover - refused by parse

    return ev(tree)


def _division_by_zero() -> str:
    return _("division by zero in the weight expression")


def _no_value(name: str) -> str:
    return _("no value for field {id!r}").format(id=name)


# A column of exact values over n rows: integer numerators and positive denominators (object arrays of Python
# ints, or int64), and which rows have no value.
Column = tuple[Any, Any, np.ndarray]


def evaluate_weights(tree: ast.Expression, column: Callable[[str], Column],
                     n: int) -> tuple[Any, Any, list[str | None]]:
    """evaluate_weight over n rows at once: each row's weight as a numerator and a positive denominator (object
    arrays of Python ints, not reduced), and per row the message of the WeightError evaluate_weight raises on it
    (the first one it meets, in the same order), or None. `column(name)` gives a field's values."""
    messages: list[str | None] = [None]  # error codes: indices in this list, 0 for none

    def code(message: str) -> int:
        messages.append(message)
        return len(messages) - 1

    def first(err: np.ndarray, then: np.ndarray) -> np.ndarray:
        return np.where(err != 0, err, then)

    def ev(node: ast.AST) -> tuple[Any, Any, np.ndarray]:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.BinOp):
            (ln, ld, le), (rn, rd, re) = ev(node.left), ev(node.right)
            err = first(le, re)
            if isinstance(node.op, ast.Div):
                zero = rn == 0
                err = first(err, np.where(zero, code(_division_by_zero()), 0))
                sign = np.where(rn < 0, -1, 1)
                return ln * rd * sign, np.where(zero, 1, ld * rn * sign), err
            if isinstance(node.op, ast.Mult):
                return ln * rn, ld * rd, err
            right = rn * ld if isinstance(node.op, ast.Add) else -(rn * ld)
            return ln * rd + right, ld * rd, err
        if isinstance(node, ast.UnaryOp):
            num, den, err = ev(node.operand)
            return (-num if isinstance(node.op, ast.USub) else num), den, err
        if isinstance(node, ast.Constant):
            value = Fraction(str(node.value))
            return (np.full(n, value.numerator, dtype=object), np.full(n, value.denominator, dtype=object),
                    np.zeros(n, dtype=np.int64))
        if isinstance(node, ast.Name):
            num, den, missing = column(node.id)
            return num.astype(object), den.astype(object), np.where(missing, code(_no_value(node.id)), 0)
        if isinstance(node, ast.Call):
            smaller = node.func.id == "min"  # type: ignore[union-attr]
            num, den, err = ev(node.args[0])
            for arg in node.args[1:]:
                an, ad, ae = ev(arg)
                err = first(err, ae)
                # min and max keep the first of equal values (equal numbers: either is the same weight)
                better = (an * den < num * ad) if smaller else (an * den > num * ad)
                num, den = np.where(better, an, num), np.where(better, ad, den)
            return num, den, err
        raise WeightError(_("{__name__} is not allowed").format(
            __name__=type(node).__name__))  # pragma: no cover - refused by parse

    num, den, err = ev(tree)
    return num, den, [messages[k] for k in err.tolist()]
