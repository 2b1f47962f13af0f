"""The trail behind an amount: the structure's facts, each rule that fired with its source and status, the
parameters used with their values and dates, the envelope, the rate, the rounding, the final amount."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .allocation import fmt_fraction
from .engine.compile import compile_rulebook, params_used
from .report import Table
from .rulebook import Rulebook
from .simulation import SimulationResult


def _param_entry(rulebook: Rulebook, name: str, year: int) -> dict[str, Any]:
    param = rulebook.param(name)
    start, value = param.dated_value(dt.date(year, 1, 1))
    return {"name": name, "value": value, "unit": param.unit, "in_force_since": start,
            "source": param.source.text, "status": param.source.status, "label": param.label}


def explain_json(result: SimulationResult, structure_id: str, year: int) -> dict[str, Any]:
    sc = result.scenario
    rb = sc.rulebook
    sy = result.structure_years[f"{structure_id}|{year}"]
    ev = result.evaluations[sy.id]
    line = result.line(structure_id, year)
    assert line is not None
    env = next(e for e in result.envelopes if e.year == year and e.family == line.family)
    s = sy.structure
    used = set(params_used(compile_rulebook(rb)))
    used |= {"redistribution.method", "released.destination"}
    own_method = f"redistribution.method.{line.family}"
    if own_method in rb.parameters and rb.value(own_method, year):
        used.add(own_method)  # the family's own method, which wins over redistribution.method
    if env.floor is not None:
        used.add(f"redistribution.floor_per_unit.{line.family}")
    if line.method == "weighted":
        used.add("redistribution.weight")
    if ev.cap_param:
        used.add(ev.cap_param)
    released = [r for r in result.released if r.year == year and r.structure_id == structure_id]
    return {
        "scenario": sc.name,
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
            "units_pro_rata": fmt_fraction(line.units, 4), "cej_n_minus_1": fmt_fraction(line.cej_amount),
        },
        "rules": [
            {"id": rid, "label": rb.rules[rid].label, "source": rb.rules[rid].source.text,
             "status": rb.rules[rid].source.status, "file": rb.rules[rid].file}
            for rid in dict.fromkeys(line.rules)
        ],
        "parameters": [_param_entry(rb, name, year) for name in sorted(used)],
        "family": line.family,
        "line": line.line,
        "method": line.method,
        "envelope": {"year": year, "family": line.family, "envelope": env.envelope, "allocated": env.allocated,
                     "released": env.released,
                     "rate": fmt_fraction(env.rate, 6) if env.rate is not None else None},
        "eligible": line.eligible,
        "reason": line.reason,
        "steps": line.steps,
        "exact_amount": fmt_fraction(line.exact, 6),
        "amount": line.amount,
        "released": [{"amount": r.amount, "reason": r.reason, "destination": r.destination} for r in released],
        "other_lines": [
            {"line": ln.line, "amount": ln.amount, "rules": ln.rules, "steps": ln.steps,
             "rule_sources": [{"id": rid, "source": rb.rules[rid].source.text, "status": rb.rules[rid].source.status}
                              for rid in ln.rules if rid in rb.rules]}
            for ln in result.lines
            if ln.structure_id == structure_id and ln.year == year and ln is not line
        ],
    }


def explain_text(result: SimulationResult, structure_id: str, year: int) -> str:
    data = explain_json(result, structure_id, year)
    s = data["structure"]
    f = data["facts"]
    out = [
        f"{s['id']} - {s['name']}",
        f"{s['type']} in {s['commune_id']}, managed by {s['manager_id']}, supported by "
        f"{', '.join(s['supported_by']) or 'no collectivité'}",
        f"Scenario: {data['scenario']}   year {year}   rules {data['rules_version']}",
        "",
        "Facts",
        f"  in the CTG territory: {_yn(f['in_territory'])}; supported by a signatory: "
        f"{_yn(f['signatory_support'])}; prestation de service: {_yn(f['ps_funded'])}",
        f"  open {f['open_days']} of {f['year_days']} days; units (pro rata): {f['units_pro_rata']}; "
        f"N-1 CEJ amount: {f['cej_n_minus_1']} EUR",
    ]
    if s["post_status"]:
        out.append(f"  post: {s['post_status']}" + (f", converted on {s['converted_on']}" if s["converted_on"] else ""))
    out += ["", "Rules applied"]
    for r in data["rules"]:
        out.append(f"  {r['id']}: {r['label']}")
        out.append(f"      source ({r['status']}): {r['source']}")
    out += ["", "Parameters (value in force on 1 January)"]
    for p in data["parameters"]:
        since = f" since {p['in_force_since']}" if p["in_force_since"] and p["in_force_since"].year > 1900 else ""
        out.append(f"  {p['name']} = {p['value']} {p['unit']}{since}  [{p['status']}: {p['source']}]")
    env = data["envelope"]
    out += ["", f"Envelope {env['family']} {year}: {env['envelope']} EUR (allocated {env['allocated']}, "
                f"released {env['released']}); method {data['method']}"
            + (f"; rate {env['rate']} EUR per unit" if env["rate"] else "")]
    out += ["", "Computation"] + [f"  {step}" for step in data["steps"]]
    for r in data["released"]:
        out.append(f"  released: {r['amount']} EUR ({r['reason']}, to {r['destination']})")
    out += ["", (f"Amount: {data['amount']} EUR on the {data['line']} line" if data["eligible"]
                 else f"Amount: {data['amount']} EUR - not eligible: {data['reason']}")]
    for other in data["other_lines"]:
        out += ["", f"Also on the {other['line']} line (outside the envelope): {other['amount']} EUR"]
        for r in other["rule_sources"]:
            out.append(f"  {r['id']} ({r['status']}): {r['source']}")
        out += [f"  {step}" for step in other["steps"]]
    return "\n".join(out) + "\n"


def _yn(value: bool) -> str:
    return "yes" if value else "no"


def rules_tables(rulebook: Rulebook, when: dt.date) -> tuple[list[Table], dict[str, Any]]:
    rules = [r for r in rulebook.rules.values() if r.in_force(when.year)]
    params = []
    for p in rulebook.parameters.values():
        start, value = p.dated_value(when)
        params.append({"name": p.name, "value": value, "unit": p.unit, "in_force_since": start,
                       "label": p.label, "source": p.source.text, "status": p.source.status, "file": p.file})
    data = {
        "at": when, "rules_version": rulebook.version,
        "rules": [{"id": r.id, "label": r.label, "kind": r.kind, "source": r.source.text,
                   "status": r.source.status, "file": r.file, "then": dict(r.then)} for r in rules],
        "parameters": params,
    }
    tables = [
        Table(f"Rules in force on {when} (rules {rulebook.version})", ["id", "kind", "status", "label", "source"],
              [[r.id, r.kind, r.source.status, r.label, r.source.text] for r in rules], sheet="rules"),
        Table(f"Parameters in force on {when}", ["name", "value", "unit", "since", "status", "source"],
              [[p["name"], p["value"], p["unit"], p["in_force_since"], p["status"], p["source"]] for p in params],
              sheet="parameters"),
    ]
    return tables, data
