"""`ctg explain` written out: the explanation's JSON (the recorded arithmetic both as sentences, `steps`, and as
data, `trace`) and its text for the terminal."""

from __future__ import annotations

from typing import Any

from .trace_text import sentence, step_json


def explain_json(data: dict[str, Any]) -> dict[str, Any]:
    """The explanation as JSON-ready data: `steps` in words where the trace was, the trace itself at the end."""
    out = {}
    for key, value in data.items():
        if key == "trace":
            out["steps"] = [sentence(s) for s in value]
        elif key == "other_lines":
            out[key] = [_other_line(ln) for ln in value]
        else:
            out[key] = value
    out["trace"] = [step_json(s) for s in data["trace"]]
    return out


def _other_line(line: dict[str, Any]) -> dict[str, Any]:
    return {"line": line["line"], "amount": line["amount"], "rules": line["rules"],
            "steps": [sentence(s) for s in line["trace"]], "rule_sources": line["rule_sources"],
            "trace": [step_json(s) for s in line["trace"]]}


def explain_text(explanation: dict[str, Any]) -> str:
    """The explanation as `ctg explain` prints it."""
    data = explain_json(explanation)
    year = data["year"]
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
    if f["n_minus_1_renewed_from"] is not None:
        out.append(f"  renewed CTG (R7): N-1 amount {f['n_minus_1']} EUR, what it was allocated in "
                   f"{f['n_minus_1_renewed_from']}, the last year of the previous CTG")
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
            + (f"; rate {env['rate']} EUR per unit" if env["rate"] else "")
            + (f"; what the family was allocated in {env['renewed_from']} (R7)" if env["renewed_from"] else "")]
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
