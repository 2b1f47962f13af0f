"""`ctg explain` written out: the explanation's JSON (the recorded arithmetic both as sentences, `steps`, and as
data, `trace`) and its text for the terminal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ..i18n import _, fmt_date, fmt_fixed, fmt_money, fmt_number, yes_no
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


def _value(value: Any) -> str:
    """A parameter's value for people: dates and numbers in the language's way, other values as they are."""
    if isinstance(value, dt.date):
        return fmt_date(value)
    if isinstance(value, Decimal):
        return fmt_number(value, 6)
    return "-" if value is None else str(value)


def explain_text(explanation: dict[str, Any]) -> str:
    """The explanation as `ctg explain` prints it, in the interface's language."""
    data = explain_json(explanation)
    year = data["year"]
    s = data["structure"]
    f = data["facts"]
    out = [
        f"{s['id']} - {s['name']}",
        _("{type} in {commune}, managed by {manager}, supported by {supporters}").format(
            type=s["type"], commune=s["commune_id"], manager=s["manager_id"],
            supporters=", ".join(s["supported_by"]) or _("no collectivité")),
        _("Scenario: {name}   year {year}   rules {rules}").format(name=data["scenario"], year=year,
                                                                  rules=data["rules_version"]),
        "",
        _("Facts"),
        "  " + _("in the CTG territory: {a}; supported by a signatory: {b}; prestation de service: {c}").format(
            a=yes_no(f["in_territory"]), b=yes_no(f["signatory_support"]), c=yes_no(f["ps_funded"])),
        "  " + _("open {open} of {days} days; units (pro rata): {units}; N-1 CEJ amount: {cej}").format(
            open=f["open_days"], days=f["year_days"], units=fmt_number(Decimal(f["units_pro_rata"]), 4),
            cej=fmt_money(Decimal(f["cej_n_minus_1"]))),
    ]
    if f["n_minus_1_renewed_from"] is not None:
        out.append("  " + _("renewed CTG (R7): N-1 amount {amount}, what it was allocated in {year}, the last year "
                            "of the previous CTG").format(amount=fmt_money(Decimal(f["n_minus_1"])),
                                                          year=f["n_minus_1_renewed_from"]))
    if s["post_status"]:
        out.append("  " + _("post: {status}").format(status=s["post_status"])
                   + (", " + _("converted on {date}").format(date=fmt_date(s["converted_on"]))
                      if s["converted_on"] else ""))
    out += ["", _("Rules applied")]
    for r in data["rules"]:
        out.append(f"  {r['id']}: {r['label']}")
        out.append("      " + _("source ({status}): {source}").format(status=_(r["status"]), source=r["source"]))
    out += ["", _("Parameters (value in force on 1 January)")]
    for p in data["parameters"]:
        since = (" " + _("since {date}").format(date=fmt_date(p["in_force_since"]))
                 if p["in_force_since"] and p["in_force_since"].year > 1900 else "")
        out.append(f"  {p['name']} = {_value(p['value'])} {_(p['unit'])}{since}  "
                   + _("[{status}: {source}]").format(status=_(p["status"]), source=p["source"]))
    env = data["envelope"]
    out += ["", _("Envelope {family} {year}: {envelope} (allocated {allocated}, released {released}); method "
                  "{method}").format(family=env["family"], year=year, envelope=fmt_money(env["envelope"]),
                                     allocated=fmt_money(env["allocated"]), released=fmt_money(env["released"]),
                                     method=data["method"])
            + (_("; ") + _("rate {rate} per unit").format(rate=fmt_fixed(Decimal(env["rate"]), 6))
               if env["rate"] else "")
            + (_("; ") + _("what the family was allocated in {year} (R7)").format(year=env["renewed_from"])
               if env["renewed_from"] else "")]
    out += ["", _("Computation")] + [f"  {step}" for step in data["steps"]]
    for r in data["released"]:
        out.append("  " + _("released: {amount} ({reason}, to {destination})").format(
            amount=fmt_money(r["amount"]), reason=r["reason"], destination=r["destination"]))
    out += ["", (_("Amount: {amount} on the {line} line").format(amount=fmt_money(data["amount"]), line=data["line"])
                 if data["eligible"] else _("Amount: {amount} - not eligible: {reason}").format(
                     amount=fmt_money(data["amount"]), reason=data["reason"]))]
    for other in data["other_lines"]:
        out += ["", _("Also on the {line} line (outside the envelope): {amount}").format(
            line=other["line"], amount=fmt_money(other["amount"]))]
        for r in other["rule_sources"]:
            out.append(f"  {r['id']} ({_(r['status'])}): {r['source']}")
        out += [f"  {step}" for step in other["steps"]]
    return "\n".join(out) + "\n"
