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

from ..i18n import _

_BINOPS: dict[type, Callable[[Fraction, Fraction], Fraction]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}
_FUNCS = {"min": min, "max": max}
MAX_LENGTH = 500


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
                raise WeightError(_("division by zero in the weight expression"))
            return _BINOPS[type(node.op)](left, right)
        if isinstance(node, ast.UnaryOp):
            value = ev(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.Constant):
            return Fraction(str(node.value))
        if isinstance(node, ast.Name):
            if node.id not in values:
                raise WeightError(_("no value for field {id!r}").format(id=node.id))
            return values[node.id]
        if isinstance(node, ast.Call):
            return _FUNCS[node.func.id](*(ev(a) for a in node.args))  # type: ignore[union-attr]
        raise WeightError(_("{__name__} is not allowed").format(
            __name__=type(node).__name__))  # pragma: no cover - refused by parse

    return ev(tree)
