"""Evaluating the rules on structure-years: family, unit, eligibility, reason and the rules that fired.

The evaluators only say which rules fired on which fact. How fired rules combine is decided here, the same way
for every evaluator: the classify rule gives the family, the exclusion rule with the lowest priority gives the
reason, a method rule forces a method, a cap rule caps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import InputError, Problem
from ..model import Territory
from ..rulebook import Rulebook
from .compile import compile_rulebook, params_used
from .facts import StructureYear, build_fact


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
    cap_param: str | None
    cap_reason: str | None
    formulas: tuple[str, ...] = ()  # formula rules that fired (they apply on their own line, e.g. R5)


def resolve(rulebook: Rulebook, sy: StructureYear, fired: Sequence[str]) -> Evaluation:
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
        cap_param=cap.then["cap_per_unit"] if cap else None, cap_reason=cap.then.get("reason") if cap else None,
        formulas=tuple(r for r in fired if rules[r].kind == "formula"),
    )


def evaluate(structure_years: Sequence[StructureYear], rulebook: Rulebook, territory: Territory,
             engine: str = "durable") -> dict[str, Evaluation]:
    """Run the rules on every structure-year; keyed by `structure_id|year`."""
    compiled = compile_rulebook(rulebook)
    params = params_used(compiled)
    if engine == "vector":
        return _evaluate_vector(structure_years, rulebook, territory, compiled, params)
    if engine != "durable":
        raise ValueError(f"unknown engine {engine!r}")
    from .durable import DurableEvaluator

    facts = [build_fact(sy, rulebook, territory.start, territory.end, params) for sy in structure_years]
    fired = DurableEvaluator.for_rules(compiled).evaluate(facts)
    return {sy.id: resolve(rulebook, sy, fired.get(sy.id, ())) for sy in structure_years}


def _evaluate_vector(structure_years: Sequence[StructureYear], rulebook: Rulebook, territory: Territory,
                     compiled: list, params: set[str]) -> dict[str, Evaluation]:
    """The vector evaluator's masks, combined by `resolve` once per distinct set of fired rules."""
    from . import vector

    n = len(structure_years)
    if not n:
        return {}
    cols = vector.fact_columns(structure_years, rulebook, territory.start, territory.end, params,
                               vector.fields_used([r.condition for r in compiled]))
    matrix = vector.fired_matrix(compiled, cols, n)
    first, code = vector.patterns(matrix)
    ids = [r.id for r in compiled]
    templates = []
    for k in np.argsort(first, kind="stable"):  # in fact order, so that the first bad fact is the one named
        row = int(first[k])
        fired = [ids[j] for j in np.flatnonzero(matrix[row])]
        ev = resolve(rulebook, structure_years[row], fired)
        templates.append((int(k), astuple_tail(ev)))
    tail = dict(templates)
    return {sy.id: Evaluation(sy.structure.id, sy.year, *tail[c])
            for sy, c in zip(structure_years, code.tolist(), strict=True)}


def astuple_tail(ev: Evaluation) -> tuple:
    """Every field of an evaluation but its structure id and year (shared by all facts of one fired set)."""
    return (ev.family, ev.unit, ev.line, ev.eligible, ev.reason, ev.fired, ev.method, ev.cap_param, ev.cap_reason,
            ev.formulas)
