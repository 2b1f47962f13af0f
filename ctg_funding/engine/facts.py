"""Facts for the evaluators, built from the one table of fact fields (`rulebook.facts.FIELDS`).

durable-rules takes one JSON-safe dict per structure-year (`build_fact`); the vector evaluator takes one NumPy
column per field (`fact_columns`). Both carry the same values, and a parameter a condition reads is the value in
force on 1 January of the fact's year in the rulebook of the fact's territory.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..rulebook import Rulebook
from ..rulebook.facts import FIELD_BY_NAME, FIELDS, json_value, param_field

RulebookOf = Callable[[str], Rulebook]  # territory id -> the rulebook its structures are evaluated with


def build_fact(sy: Any, params: Sequence[str], rulebook_of: RulebookOf) -> dict[str, Any]:
    """One structure-year as a durable-rules fact: every fact field, and the parameters the conditions read."""
    fact = {f.name: f.read(sy) for f in FIELDS}
    rulebook = rulebook_of(sy.territory_id)
    for name in params:
        fact[param_field(name)] = json_value(rulebook.value(name, sy.year))
    return fact


def fact_columns(structure_years: Sequence[Any], fields: set[str], params: Sequence[str],
                 rulebook_of: RulebookOf) -> dict[str, np.ndarray]:
    """The facts as columns (only the `fields` asked), with the values `build_fact` gives them. A frame
    (scenario/frame.py) has its columns already; a list of structure-years is read field by field."""
    if hasattr(structure_years, "column"):
        return _frame_columns(structure_years, fields, params, rulebook_of)
    n = len(structure_years)
    cols: dict[str, np.ndarray] = {}
    years = np.fromiter((sy.year for sy in structure_years), dtype=np.int64, count=n)
    for name in fields:
        spec = FIELD_BY_NAME.get(name)
        if spec is None:
            continue
        if spec.by_year:  # read once per distinct year
            first = {}
            for sy in structure_years:
                first.setdefault(sy.year, spec.read(sy))
            cols[name] = np.fromiter((first[y] for y in years.tolist()), dtype=spec.dtype, count=n)
        elif spec.dtype == "object":
            cols[name] = np.array([spec.read(sy) for sy in structure_years], dtype=object)
        else:
            cols[name] = np.fromiter((spec.read(sy) for sy in structure_years), dtype=spec.dtype, count=n)
    keys = [(sy.territory_id, sy.year) for sy in structure_years]
    for name in params:
        if param_field(name) not in fields:
            continue
        table = {key: json_value(rulebook_of(key[0]).value(name, key[1])) for key in dict.fromkeys(keys)}
        cols[param_field(name)] = _array([table[key] for key in keys])
    return cols


def _frame_columns(frame: Any, fields: set[str], params: Sequence[str], rulebook_of: RulebookOf
                   ) -> dict[str, np.ndarray]:
    """fact_columns of a frame: its own columns, and each parameter read once per (territory, year)."""
    cols = {name: frame.column(name) for name in fields if name in FIELD_BY_NAME}
    wanted = [name for name in params if param_field(name) in fields]
    if wanted:
        keys, code = territory_years(frame.territory_id, frame.year)
        for name in wanted:
            per_pair = _array([json_value(rulebook_of(tid).value(name, year)) for tid, year in keys])
            cols[param_field(name)] = per_pair[code]
    return cols


def territory_years(territories: np.ndarray, years: np.ndarray) -> tuple[list[tuple[str, int]], np.ndarray]:
    """The distinct (territory, year) pairs of rows given as two columns, and each row's pair (its index in
    them): what is read once per territory-year (a parameter, an allocation round) without a tuple per row."""
    t_code, names = pd.factorize(np.asarray(territories, dtype=object))  # hashing: no sort of 600,000 strings
    y_code, values = pd.factorize(np.asarray(years, dtype=np.int64))
    code, pair = pd.factorize(t_code.astype(np.int64) * len(values) + y_code)
    keys = [(str(names[p // len(values)]), int(values[p % len(values)])) for p in pair.tolist()]
    return keys, code


def _array(values: list[Any]) -> np.ndarray:
    kinds = {type(v) for v in values}
    if kinds <= {bool}:
        return np.array(values, dtype=bool)
    if kinds <= {int, bool}:
        return np.array(values, dtype=np.int64)
    if kinds <= {int, float, bool}:
        return np.array(values, dtype=np.float64)
    return np.array(values, dtype=object)
