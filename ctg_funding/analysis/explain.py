"""The trail behind an amount, as data: the structure's facts, each rule that fired with its source and status, the
parameters read with their values and dates, the envelope, and the recorded arithmetic (`allocation.trace`).
Nothing here is text for people: `output.explain` writes it out. The same explanation comes out of either engine,
since both record the same figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..allocation.trace import line_trace
from ..errors import InputError, Problem
from ..money import fmt_fraction
from ..rulebook import Rulebook
from ..simulation import SimulationResult


def _param_entry(rulebook: Rulebook, name: str, year: int) -> dict[str, Any]:
    param = rulebook.param(name)
    start, value = param.dated_value(dt.date(year, 1, 1))
    return {"name": name, "value": value, "unit": param.unit, "in_force_since": start,
            "source": param.source.text, "status": param.source.status, "label": param.label}


def _rule_entry(rulebook: Rulebook, rid: str) -> dict[str, Any]:
    rule = rulebook.rules[rid]
    return {"id": rid, "label": rule.label, "source": rule.source.text, "status": rule.source.status,
            "file": rule.file}


def explanation(result: SimulationResult, structure_id: str, year: int) -> dict[str, Any]:
    """Why `structure_id` gets its amount in `year`: facts, rules, parameters, envelope, trace."""
    key = f"{structure_id}|{year}"
    if key not in result.structure_years:
        raise InputError([Problem(structure_id, None, None, f"no result for this structure in {year}")])
    sy, ev = result.structure_years[key], result.evaluations[key]
    rb = result.rulebook_for(structure_id, year)
    line = result.line(structure_id, year)
    assert line is not None, key
    env = result.envelope_of(structure_id, year, line.family)
    assert env is not None, key
    s = sy.structure
    others = [ln for ln in result.lines_of(structure_id, year) if ln is not line]
    used = {*result.condition_parameters, *env.parameters, *([ev.cap_param] if ev.cap_param else []),
            *(name for ln in others for name in ln.parameters())}
    return {
        "scenario": result.scenario.name,
        "rules_version": result.rules_version,
        "dataset_sha256": result.dataset_sha256,
        "year": year,
        "structure": {
            "id": s.id, "name": s.name, "type": s.type, "commune_id": s.commune_id, "manager_id": s.manager_id,
            "supported_by": list(s.supported_by), "ps_funded": s.ps_funded, "opened": s.opened,
            "closed": s.closed, "units": str(s.units), "post_status": s.post_status.value if s.post_status else None,
            "converted_on": s.converted_on,
        },
        "facts": {
            "in_territory": sy.in_territory, "signatory_support": sy.signatory_support,
            "ps_funded": sy.ps_funded, "open_days": sy.open_days, "year_days": sy.year_days,
            "units_pro_rata": fmt_fraction(line.units, 4),
            "cej_n_minus_1": fmt_fraction(line.n1_amount if line.renewed_from is None
                                          else result.cej_amount(structure_id, year)),
            "n_minus_1": fmt_fraction(line.n1_amount), "n_minus_1_renewed_from": line.renewed_from,
        },
        "rules": [_rule_entry(rb, rid) for rid in dict.fromkeys(line.rules)],
        "parameters": [_param_entry(rb, name, year) for name in sorted(used)],
        "family": line.family,
        "line": line.line,
        "method": line.method,
        "envelope": {"year": year, "family": line.family, "envelope": env.envelope, "allocated": env.allocated,
                     "released": env.released,
                     "rate": fmt_fraction(env.rate, 6) if env.rate is not None else None,
                     "renewed_from": env.renewed_from},
        "eligible": line.eligible,
        "reason": line.reason,
        "trace": line_trace(line, ev, env, sy.open_days, sy.year_days),
        "exact_amount": fmt_fraction(line.exact, 6),
        "amount": line.amount,
        "released": [{"amount": r.amount, "reason": r.reason, "destination": r.destination}
                     for r in result.released if r.year == year and r.structure_id == structure_id],
        "other_lines": [
            {"line": ln.line, "amount": ln.amount, "rules": ln.rules,
             "trace": line_trace(ln, ev, None, sy.open_days, sy.year_days),
             "rule_sources": [{"id": rid, "source": rb.rules[rid].source.text, "status": rb.rules[rid].source.status}
                              for rid in ln.rules if rid in rb.rules]}
            for ln in others
        ],
    }
