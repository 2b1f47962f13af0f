"""The engine: evaluating the rules on structure-years (family, unit, eligibility, reason, the rules that fired).

Two evaluators read one compiled form of the conditions (`compile`): durable-rules, the reference (`durable`), and
NumPy masks for national scale (`vector`). Their facts come from one table of fields (`facts`); how fired rules
combine is decided once (`resolve`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..rulebook import Rulebook
from .coded import CodedEvaluations
from .compile import compile_rulebook, params_used
from .facts import RulebookOf, build_fact, fact_columns
from .resolve import Evaluation, resolve

ENGINES = ("durable", "vector")


def evaluate(structure_years: Sequence[Any], rulebook: Rulebook, engine: str = "durable",
             rulebook_of: RulebookOf | None = None) -> Mapping[str, Evaluation]:
    """Run the rules on every structure-year; keyed by `structure_id|year`. Conditions read each parameter from
    `rulebook_of(territory id)` (default: `rulebook` for every territory). The vector evaluator given a frame
    (scenario/frame.py) returns its evaluations as codes (`CodedEvaluations`), else a dict."""
    rulebook_of = rulebook_of or (lambda _tid: rulebook)
    compiled = compile_rulebook(rulebook)
    params = sorted(params_used(compiled))
    if engine == "vector":
        return _evaluate_vector(structure_years, rulebook, compiled, params, rulebook_of)
    if engine != "durable":
        raise ValueError(f"unknown engine {engine!r}")
    from .durable import DurableEvaluator  # durable-rules starts its C engine on import: only when asked

    facts = [build_fact(sy, params, rulebook_of) for sy in structure_years]
    fired = DurableEvaluator.for_rules(compiled).evaluate(facts)
    if hasattr(structure_years, "column"):  # a frame: its evaluations as codes, as the vector evaluator gives them
        return CodedEvaluations.of(structure_years, [resolve(rulebook, sy, fired.get(sy.id, ()))
                                                     for sy in structure_years])
    return {sy.id: resolve(rulebook, sy, fired.get(sy.id, ())) for sy in structure_years}


def _evaluate_vector(structure_years: Sequence[Any], rulebook: Rulebook, compiled: list, params: list[str],
                     rulebook_of: RulebookOf) -> Mapping[str, Evaluation]:
    """The vector evaluator's masks, combined by `resolve` once per distinct set of fired rules."""
    from . import vector

    n = len(structure_years)
    if not n:
        return CodedEvaluations(structure_years, np.zeros(0, dtype=np.int64), []) if hasattr(
            structure_years, "column") else {}
    cols = fact_columns(structure_years, vector.fields_used([r.condition for r in compiled]), params, rulebook_of)
    matrix = vector.fired_matrix(compiled, cols, n)
    first, code = vector.patterns(matrix)
    ids = [r.id for r in compiled]
    templates = []
    for k in np.argsort(first, kind="stable"):  # in fact order, so that the first bad fact is the one named
        row = int(first[k])
        fired = [ids[j] for j in np.flatnonzero(matrix[row])]
        templates.append((int(k), resolve(rulebook, structure_years[row], fired).tail()))
    tail = dict(templates)
    if hasattr(structure_years, "column"):  # a frame (scenario/frame.py): the evaluations stay codes
        return CodedEvaluations(structure_years, code, [tail[k] for k in range(len(tail))])
    return {sy.id: Evaluation(sy.structure.id, sy.year, *tail[c])
            for sy, c in zip(structure_years, code.tolist(), strict=True)}
