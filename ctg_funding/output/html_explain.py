"""`ctg explain --format html`: one structure-year's explanation as a self-contained page in the rules page's look
(facts, the rules applied each linked to its anchor on the rules page, the parameters with their dates, the
envelope, the arithmetic step by step and the amount), to print or hand on."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..i18n import _, fmt_date, fmt_money, fmt_number, yes_no
from .explain import explain_json
from .html_page import CARDS_CSS, definitions, e, page, table, tag
from .html_rules import parameter_anchor, rule_anchor, status_badge
from .rule_words import value_words


def _rule_link(rules_page: str, rule_id: str) -> str:
    return f'<a href="{e(rules_page)}#{e(rule_anchor(rule_id))}"><code>{e(rule_id)}</code></a>'


def _money(value: Any) -> str:
    return e(fmt_money(Decimal(str(value))))


def _facts(data: dict[str, Any]) -> str:
    s, f = data["structure"], data["facts"]
    items = [
        (_("In the CTG territory"), yes_no(f["in_territory"])),
        (_("Supported by a signatory collectivité"), yes_no(f["signatory_support"])),
        (_("Receives its prestation de service"), yes_no(f["ps_funded"])),
        (_("Days open"), _("{open} of {days}").format(open=fmt_number(f["open_days"]),
                                                      days=fmt_number(f["year_days"]))),
        (_("Units, pro rata temporis"), fmt_number(Decimal(f["units_pro_rata"]), 4)),
        (_("N-1 CEJ amount"), fmt_money(Decimal(f["cej_n_minus_1"]))),
    ]
    if f["n_minus_1_renewed_from"] is not None:
        items.append((_("N-1 amount in the renewed CTG (R7)"), _("{amount}, allocated in {year}").format(
            amount=fmt_money(Decimal(f["n_minus_1"])), year=f["n_minus_1_renewed_from"])))
    if s["post_status"]:
        items.append((_("Post"), s["post_status"]))
    if s["converted_on"]:
        items.append((_("Became chargé de coopération on"), fmt_date(s["converted_on"])))
    return definitions((e(term), e(value)) for term, value in items)


def _rules(data: dict[str, Any], rules_page: str) -> str:
    rows = [[_rule_link(rules_page, r["id"]), e(r["label"]), f"{e(r['source'])} {status_badge(r['status'])}"]
            for r in data["rules"]]
    return table([e(_("Rule")), e(_("What it says")), e(_("Source"))], rows)


def _parameters(data: dict[str, Any], rules_page: str) -> str:
    rows = []
    for p in data["parameters"]:
        since = p["in_force_since"]
        when = fmt_date(since) if since and since.year > 1900 else _("every date (set by the scenario or dataset)")
        rows.append([f'<a href="{e(rules_page)}#{e(parameter_anchor(p["name"]))}"><code>{e(p["name"])}</code></a>',
                     e(value_words(p["value"])), e(_(p["unit"]) if p["unit"] else ""), e(when),
                     f"{e(p['source'])} {status_badge(p['status'])}"])
    return table([e(_("Parameter")), e(_("Value")), e(_("Unit")), e(_("In force since")), e(_("Source"))], rows,
                 numeric=(1,))


def _envelope(data: dict[str, Any]) -> str:
    env = data["envelope"]
    items = [(_("Family"), env["family"]), (_("Method"), data["method"]),
             (_("Envelope"), fmt_money(env["envelope"])), (_("Allocated"), fmt_money(env["allocated"])),
             (_("Released"), fmt_money(env["released"]))]
    if env["rate"]:
        items.append((_("Rate per unit"), _("{rate} EUR per unit").format(rate=fmt_number(Decimal(env["rate"]), 6))))
    if env["renewed_from"]:
        items.append((_("Envelope from"), _("what the family was allocated in {year} (R7)").format(
            year=env["renewed_from"])))
    return definitions((e(term), e(value)) for term, value in items)


def _amount(data: dict[str, Any]) -> str:
    line = _("on the {line} line").format(line=data["line"])
    if data["eligible"]:
        status = line
    else:
        status = _("not eligible: {reason}").format(reason=data["reason"])
    return f'<p class="amount">{_money(data["amount"])}</p><p>{e(status)}</p>'


def _computation(data: dict[str, Any]) -> str:
    steps = [e(s) for s in data["steps"]]
    steps += [e(_("released: {amount} ({reason}, to {destination})").format(
        amount=fmt_money(r["amount"]), reason=r["reason"], destination=r["destination"])) for r in data["released"]]
    return '<ol class="steps">' + "".join(f"<li>{s}</li>" for s in steps) + "</ol>"


def _other_lines(data: dict[str, Any], rules_page: str) -> list[str]:
    out = []
    for other in data["other_lines"]:
        out.append(tag("h2", _("Also on the {line} line (outside the envelope)").format(line=other["line"])))
        out.append(f'<p class="amount">{_money(other["amount"])}</p>')
        out.append("<p>" + ", ".join(f"{_rule_link(rules_page, r['id'])} {status_badge(r['status'])}"
                                     for r in other["rule_sources"]) + "</p>")
        out.append('<ol class="steps">' + "".join(f"<li>{e(s)}</li>" for s in other["steps"]) + "</ol>")
    return out


def explain_html(explanation: dict[str, Any], rules_page: str = "rules.html") -> str:
    """The explanation (`analysis.explain.explanation`) as a page; each rule and parameter links to
    `rules_page` (relative: the page of `ctg rules --format html` beside it)."""
    data = explain_json(explanation)
    s = data["structure"]
    title = f"{s['id']} – {s['name']}"
    who = _("{type} in {commune}, gestionnaire {manager}, supported by {supporters}").format(
        type=s["type"], commune=s["commune_id"], manager=s["manager_id"],
        supporters=", ".join(s["supported_by"]) or _("no collectivité"))
    provenance = _("Scenario {scenario}; year {year}; rules {version}; dataset sha256 {sha}").format(
        scenario=data["scenario"], year=data["year"], version=data["rules_version"],
        sha=data["dataset_sha256"][:12])
    body = [tag("h1", title), tag("p", who), tag("p", provenance, "note"),
            tag("h2", _("Amount in {year}").format(year=data["year"])), _amount(data),
            tag("h2", _("Facts")), _facts(data),
            tag("h2", _("Rules applied")), _rules(data, rules_page),
            tag("h2", _("Parameters (value in force on 1 January)")), _parameters(data, rules_page),
            tag("h2", _("Envelope {family} {year}").format(family=data["family"], year=data["year"])),
            _envelope(data),
            tag("h2", _("Computation")), _computation(data), *_other_lines(data, rules_page)]
    return page(_("Explanation: {title}, {year}").format(title=title, year=data["year"]), body, CARDS_CSS)
