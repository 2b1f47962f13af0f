"""`ctg rules --format html`: the rulebook as one self-contained page to browse and print. Every rule with its id
(its anchor, `rules.html#R3.floor`), label, condition and outcome in words, the dates it is in force, the
parameters it reads, its source and status and, for a dataset, the structures it touched in a year; every
parameter (anchor `#param-NAME`) with each of its dated values, the one in force on the page's date marked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ..analysis.rule_usage import RuleUsage
from ..i18n import _, fmt_date, fmt_number
from ..rulebook import STATUSES, Parameter, Rule, Rulebook
from .html_page import CARDS_CSS, definitions, e, page, table, tag
from .rule_words import (
    N_,
    in_force_words,
    kind_words,
    outcome_words,
    rule_condition_words,
    rule_parameters,
    value_words,
)

STATUS_WORDS = {"seed": N_("written in the convention (CTG) itself"),
                "national": N_("a Cnaf or Caf text"),
                "assumed": N_("this project's reading, where no public text gives the figure")}

TYPES = {"number": N_("number"), "integer": N_("whole number"), "date": N_("date"), "text": N_("text"),
         "choice": N_("one of"), "expression": N_("expression over a structure's numeric fields")}

GROUPS = {"R1": N_("R1 · The envelope: the CEJ converted into bonus territoire"),
          "R2": N_("R2 · Families, units and pro rata temporis"),
          "R3": N_("R3 · Eligibility and redistribution"),
          "R4": N_("R4 · Coordination posts (pilotage)"),
          "R5": N_("R5 · New EAJE places"),
          "R6": N_("R6 · Audit of past financing")}


def rule_anchor(rule_id: str) -> str:
    return rule_id


def parameter_anchor(name: str) -> str:
    return f"param-{name}"


def status_badge(status: str) -> str:
    """A source's status (seed, national, assumed) as a coloured badge, in the page's language."""
    meaning, word = _(STATUS_WORDS.get(status, status)), _(status)
    return f'<span class="badge {e(status)}" title="{e(meaning)}">{e(word)}</span>'


def _groups(rulebook: Rulebook) -> Iterator[tuple[str, list[Rule]]]:
    """The rules by the part of the rulebook their id names (R1, R2...), in the rulebook's order within each."""
    groups: dict[str, list[Rule]] = {}
    for rule in rulebook.rules.values():
        groups.setdefault(rule.id.split(".", 1)[0], []).append(rule)
    for key in sorted(groups, key=lambda k: (len(k), k)):
        yield key, groups[key]


def _rule_card(rule: Rule, rulebook: Rulebook, at: dt.date, usage: RuleUsage | None) -> str:
    def label(name: str) -> str:
        return rulebook.parameters[name].label if name in rulebook.parameters else ""

    condition = rule_condition_words(rule, rulebook, label)
    in_force = in_force_words(rule)
    off = "" if rule.in_force(at.year) else tag("span", _("not in force in {year}").format(year=at.year), "badge off")
    params = rule_parameters(rule, rulebook)
    items = [
        (e(_("Applies when")), e(condition) if condition else
         tag("span", _("no condition: the computation applies it wherever it concerns a structure"), "note")),
        (e(_("Outcome")), e(outcome_words(rule, label))),
        (e(_("In force")), e(in_force) if in_force else None),
        (e(_("Parameters")), ", ".join(f'<a href="#{e(parameter_anchor(p))}"><code>{e(p)}</code></a>'
                                       for p in params) or None),
        (e(_("Source")), f"{e(rule.source.text)} {status_badge(rule.source.status)}"),
        # the rules give a description in English only: marked as such on a page in another language
        (e(_("Details")), e(rule.description) if rule.description else None),
        (e(_("File")), f"<code>{e(rule.file)}</code>"),
    ]
    if usage is not None:
        items.append((e(_("Structures touched in {year}").format(year=usage.year)), _touched(rule, usage)))
    return (f'<section class="card rule" id="{e(rule_anchor(rule.id))}">'
            f'<h3><a href="#{e(rule_anchor(rule.id))}"><code>{e(rule.id)}</code></a>'
            f'<span class="badge">{e(kind_words(rule))}</span>{status_badge(rule.source.status)}{off}</h3>'
            f"<p>{e(rule.label)}</p>{definitions(items)}</section>")


def _touched(rule: Rule, usage: RuleUsage) -> str:
    if rule.id not in usage.tested:
        return tag("span", _("not tested on structures (no condition)"), "note")
    return e(_("{count} of {total} structures").format(count=fmt_number(usage.fired.get(rule.id, 0)),
                                                       total=fmt_number(usage.structures)))


def _parameter_card(param: Parameter, at: dt.date, used_by: list[str]) -> str:
    since, _value = param.dated_value(at)
    rows = [[e(fmt_date(start)), e(value_words(value)), e(_(param.unit) if param.unit else ""),
             e(_("in force on {date}").format(date=fmt_date(at))) if start == since else ""]
            for start, value in param.values]
    values = table([e(_("In force from")), e(_("Value")), e(_("Unit")), ""], rows, numeric=(1,),
                   row_class=["current" if start == since else "" for start, _v in param.values])
    items = [
        (e(_("Type")), e(_(TYPES.get(param.type, param.type)))
         + (f" <code>{e(', '.join(param.choices))}</code>" if param.choices else "")),
        (e(_("Source")), f"{e(param.source.text)} {status_badge(param.source.status)}"),
        (e(_("Read by")), ", ".join(f'<a href="#{e(rule_anchor(r))}"><code>{e(r)}</code></a>' for r in used_by)
         or None),
        (e(_("File")), f"<code>{e(param.file)}</code>"),
    ]
    return (f'<section class="card parameter" id="{e(parameter_anchor(param.name))}">'
            f'<h3><a href="#{e(parameter_anchor(param.name))}"><code>{e(param.name)}</code></a>'
            f"{status_badge(param.source.status)}</h3><p>{e(param.label)}</p>{definitions(items)}{values}</section>")


def _header(rulebook: Rulebook, at: dt.date, usage: RuleUsage | None) -> list[str]:
    note = _("Rules {version}; the values in force on {date} are marked.").format(version=rulebook.version,
                                                                                  date=fmt_date(at))
    out = [tag("h1", _("Bonus territoire CTG: the rules")), tag("p", note, "note"),
           tag("p", _("Each rule and parameter states its source and status:")),
           definitions((status_badge(s), e(_(STATUS_WORDS[s]))) for s in STATUSES)]
    if usage is not None:
        out.append("<p>" + e(_(
            "Structures touched in {year}: the rules evaluated on the {count} structures of the dataset {dataset} "
            "(sha256 {sha}), under the rules as they stand, with no scenario. A rule touches a structure when its "
            "condition holds for it that year; a rule without a condition is applied by the computation and is not "
            "counted.").format(year=usage.year, count=fmt_number(usage.structures), dataset=usage.dataset,
                               sha=usage.dataset_sha256[:12])) + "</p>")
    return out


def rules_html(rulebook: Rulebook, at: dt.date, usage: RuleUsage | None = None) -> str:
    """The rules page: every rule and parameter of `rulebook`, the values in force on `at` marked, and with
    `usage` the structures each rule touched."""
    used_by: dict[str, list[str]] = {}
    for rule in rulebook.rules.values():
        for name in rule_parameters(rule, rulebook):
            used_by.setdefault(name, []).append(rule.id)
    groups = list(_groups(rulebook))
    body = _header(rulebook, at, usage)
    parameters = _("Parameters")
    body.append(tag("h2", _("Contents")) + '<ul class="toc">' + "".join(
        f'<li><a href="#{e(rule_anchor(r.id))}"><code>{e(r.id)}</code></a></li>' for _k, rules in groups
        for r in rules) + f'<li><a href="#parameters">{e(parameters)}</a></li></ul>')
    for key, rules in groups:
        body.append(tag("h2", _(GROUPS[key]) if key in GROUPS else key))
        body.extend(_rule_card(r, rulebook, at, usage) for r in rules)
    body.append(tag("h2", parameters, ident="parameters"))
    body.extend(_parameter_card(p, at, used_by.get(p.name, []))
                for p in sorted(rulebook.parameters.values(), key=lambda p: p.name))
    return page(_("Bonus territoire CTG: the rules"), body, CARDS_CSS)
