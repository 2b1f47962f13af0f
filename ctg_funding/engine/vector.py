"""The vector evaluator: the same compiled conditions as durable.py, as NumPy boolean masks over all facts at once.

One rule source, two evaluators: both read the normal form of engine/compile.py (All / Any_ / Cmp). Here a
comparison becomes `column <op> operand` over a frame of every structure-year, `All` an `&`, `Any_` an `|`. The
columns hold exactly what a durable fact holds (both are built by engine/facts.py from one table of fields), so
that both evaluators compare the same numbers and fire the same rules; the differential tests check it.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..rulebook.conditions import TRUE, All, Any_, Cmp, walk
from ..rulebook.facts import param_field

_OPS = {"eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "gte": operator.ge, "lt": operator.lt,
        "lte": operator.le}


def fields_used(conditions: Sequence[Any]) -> set[str]:
    """The fact fields (and parameter fields) that a list of normal-form conditions reads."""
    out: set[str] = set()
    for node in conditions:
        for cmp in walk(node):
            out.add(cmp.field)
            if cmp.operand.kind == "field":
                out.add(cmp.operand.value)
            elif cmp.operand.kind == "param":
                out.add(param_field(cmp.operand.value))
    return out


def mask(node: Any, cols: dict[str, np.ndarray], n: int, texts: dict[str, Any] | None = None) -> np.ndarray:
    """The facts a normal-form condition holds for, as a boolean array. `texts` keeps the text columns' codes
    between calls (see `_same_text`)."""
    if node == TRUE:
        return np.ones(n, dtype=bool)
    if isinstance(node, Cmp):
        left = cols[node.field]
        kind, value = node.operand.kind, node.operand.value
        if texts is not None and kind == "const" and node.op in ("eq", "ne") and isinstance(value, str):
            same = _same_text(node.field, left, value, texts)
            return same if node.op == "eq" else ~same
        right = cols[param_field(value)] if kind == "param" else cols[value] if kind == "field" else value
        out = _OPS[node.op](left, right)
        return np.asarray(out, dtype=bool)  # a column compared with anything is a column (never 0-d)
    parts = [mask(item, cols, n, texts) for item in node.items]
    if isinstance(node, All):
        out = np.ones(n, dtype=bool)
        for p in parts:
            out &= p
        return out
    assert isinstance(node, Any_)
    out = np.zeros(n, dtype=bool)
    for p in parts:
        out |= p
    return out


def _same_text(name: str, column: np.ndarray, value: Any, texts: dict[str, Any]) -> np.ndarray:
    """`column == value` for a text `value`, as integer codes: each column is coded once (a hash per row), then
    each comparison is one of integers, not of 600,000 Python strings. (Other values are compared as they are:
    pandas codes None and NaN as one missing value, where == tells them apart.)"""
    if name not in texts:
        codes, uniques = pd.factorize(column, use_na_sentinel=False)
        texts[name] = codes, {v: k for k, v in enumerate(uniques.tolist())}
    codes, code_of = texts[name]
    return codes == code_of.get(value, -1)  # -1: no row has that value


def fired_matrix(rules: Sequence[Any], cols: dict[str, np.ndarray], n: int) -> np.ndarray:
    """Facts x rules: True where the rule's condition holds (rules in compiled order)."""
    matrix = np.zeros((n, len(rules)), dtype=bool)
    texts: dict[str, Any] = {}
    for j, rule in enumerate(rules):
        matrix[:, j] = mask(rule.condition, cols, n, texts)
    return matrix


def patterns(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One code per distinct set of fired rules: (representative row of each code, code of each row)."""
    if matrix.shape[1] == 0:
        return np.zeros(1 if len(matrix) else 0, dtype=np.int64), np.zeros(len(matrix), dtype=np.int64)
    packed = np.packbits(matrix, axis=1)
    if packed.shape[1] <= 8:  # up to 64 rules: one integer per row, and a one-dimensional unique (much faster)
        padded = np.zeros((len(packed), 8), dtype=np.uint8)
        padded[:, :packed.shape[1]] = packed
        packed = padded.view(np.uint64).reshape(-1)
        _uniq, first, inverse = np.unique(packed, return_index=True, return_inverse=True)
    else:
        _uniq, first, inverse = np.unique(packed, axis=0, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)
