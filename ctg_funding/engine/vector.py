"""The vector evaluator: the same compiled conditions as durable.py, as NumPy boolean masks over all facts at once.

One rule source, two evaluators: both read the normal form of engine/compile.py (All / Any_ / Cmp). Here a
comparison becomes `column <op> operand` over a frame of every structure-year, `All` an `&`, `Any_` an `|`. The
frame holds exactly what engine/facts.build_fact puts in a durable fact (same fields, same JSON-safe values:
floats for units, day numbers for dates, 0 for a parameter with no value), so that both evaluators compare the
same numbers and fire the same rules; tests/test_engines_differential.py checks it.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from .conditions import TRUE, All, Any_, Cmp, param_field, walk
from .facts import StructureYear, _json_number, day_number

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


def _year_bounds(year: int) -> tuple[int, int, int]:
    first = day_number(dt.date(year, 1, 1))
    return first, day_number(dt.date(year, 12, 31)), day_number(dt.date(year + 1, 1, 1)) - first


def fact_columns(structure_years: Sequence[StructureYear], rulebook: Any, ctg_start: dt.date, ctg_end: dt.date,
                 params: set[str], fields: set[str]) -> dict[str, np.ndarray]:
    """The facts as columns (only the `fields` asked), with the values build_fact gives them."""
    sys_ = structure_years
    n = len(sys_)
    cols: dict[str, np.ndarray] = {}
    years = np.fromiter((sy.year for sy in sys_), dtype=np.int64, count=n)
    uniq = {int(y): _year_bounds(int(y)) for y in np.unique(years)}

    def per_year(index: int) -> np.ndarray:
        table = {y: b[index] for y, b in uniq.items()}
        return np.fromiter((table[y] for y in years.tolist()), dtype=np.int64, count=n)

    def text(get) -> np.ndarray:
        return np.array([get(sy) for sy in sys_], dtype=object)

    builders = {
        "id": lambda: text(lambda sy: sy.id),
        "structure_id": lambda: text(lambda sy: sy.structure.id),
        "year": lambda: years,
        "type": lambda: text(lambda sy: sy.structure.type),
        "commune_id": lambda: text(lambda sy: sy.structure.commune_id),
        "manager_id": lambda: text(lambda sy: sy.structure.manager_id),
        "in_territory": lambda: np.fromiter((sy.in_territory for sy in sys_), dtype=bool, count=n),
        "signatory_support": lambda: np.fromiter((sy.signatory_support for sy in sys_), dtype=bool, count=n),
        "ps_funded": lambda: np.fromiter((sy.ps_funded for sy in sys_), dtype=bool, count=n),
        "has_cej": lambda: np.fromiter((sy.has_cej for sy in sys_), dtype=bool, count=n),
        "open_days": lambda: np.fromiter((sy.open_days for sy in sys_), dtype=np.int64, count=n),
        "year_days": lambda: per_year(2),
        "year_first_day": lambda: per_year(0),
        "year_last_day": lambda: per_year(1),
        "units": lambda: np.fromiter((float(sy.units) for sy in sys_), dtype=np.float64, count=n),
        "post_status": lambda: text(lambda sy: sy.structure.post_status.value if sy.structure.post_status else ""),
        "converted_on_day": lambda: np.fromiter((day_number(sy.structure.converted_on) for sy in sys_),
                                                dtype=np.int64, count=n),
        "ctg_start_day": lambda: np.fromiter((day_number(sy.ctg_start or ctg_start) for sy in sys_),
                                             dtype=np.int64, count=n),
        "ctg_end_day": lambda: np.fromiter((day_number(sy.ctg_end or ctg_end) for sy in sys_),
                                           dtype=np.int64, count=n),
    }
    for name in fields:
        if name in builders:
            cols[name] = builders[name]()
    for name in params:
        column = param_field(name)
        if column not in fields:
            continue
        by_year = {y: _json_number(rulebook.value(name, y)) for y in uniq}
        values = [by_year[y] for y in years.tolist()]
        for i, sy in enumerate(sys_):  # a territory's own value (its pilotage deadline) wins
            if sy.territory_params:
                own = dict(sy.territory_params)
                if name in own:
                    values[i] = _json_number(own[name])
        cols[column] = _array(values)
    return cols


def _array(values: list[Any]) -> np.ndarray:
    kinds = {type(v) for v in values}
    if kinds <= {bool}:
        return np.array(values, dtype=bool)
    if kinds <= {int, bool}:
        return np.array(values, dtype=np.int64)
    if kinds <= {int, float, bool}:
        return np.array(values, dtype=np.float64)
    return np.array(values, dtype=object)


def mask(node: Any, cols: dict[str, np.ndarray], n: int) -> np.ndarray:
    """The facts a normal-form condition holds for, as a boolean array."""
    if node == TRUE:
        return np.ones(n, dtype=bool)
    if isinstance(node, Cmp):
        left = cols[node.field]
        kind, value = node.operand.kind, node.operand.value
        right = cols[param_field(value)] if kind == "param" else cols[value] if kind == "field" else value
        out = _OPS[node.op](left, right)
        return np.asarray(out, dtype=bool) if np.ndim(out) else np.full(n, bool(out))
    parts = [mask(item, cols, n) for item in node.items]
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


def fired_matrix(rules: Sequence[Any], cols: dict[str, np.ndarray], n: int) -> np.ndarray:
    """Facts x rules: True where the rule's condition holds (rules in compiled order)."""
    matrix = np.zeros((n, len(rules)), dtype=bool)
    for j, rule in enumerate(rules):
        matrix[:, j] = mask(rule.condition, cols, n)
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
