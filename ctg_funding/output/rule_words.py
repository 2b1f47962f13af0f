"""A rule in plain words, for the pages people read instead of the YAML: its condition rendered from the normal
form of `rulebook.conditions` (All / Any_ / Cmp) with the meaning of each fact field and the parameters' labels,
its outcome, the parameters it reads and the dates it is in force.

    condition_words(parse({"family": {"in": [...]}, "ps_funded": False}, families), families)
    -> "the structure's family is EAJE, RPE, LAEP or ALSH and it does not receive its prestation de service"

Type comparisons that cover whole families are said as families again (the normal form has expanded them to
types); a classify rule, which defines the families, is rendered with no family names. Every text is an English
msgid looked up through `i18n._`; `N_` (output.vocabulary) marks the msgids kept in tables and translated
where they are used.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..i18n import _, fmt_date, fmt_number, yes_no
from ..rulebook import Rule, Rulebook, required
from ..rulebook.conditions import TRUE, All, Any_, Cmp, Operand, parse, referenced_params
from ..rulebook.facts import EPOCH
from .vocabulary import N_


@dataclass(frozen=True)
class Subject:
    """What a fact field means: its noun, how it compares (text, number, date, year or bool) and, for a bool,
    the clause when it holds and when it does not."""

    kind: str
    noun: str
    true: str = ""
    false: str = ""


SUBJECTS: dict[str, Subject] = {
    "id": Subject("text", N_("the structure-year's id")),
    "structure_id": Subject("text", N_("the structure's id")),
    "year": Subject("year", N_("the year")),
    "type": Subject("text", N_("the structure's type")),
    "commune_id": Subject("text", N_("the structure's commune")),
    "manager_id": Subject("text", N_("its gestionnaire")),
    "in_territory": Subject("bool", N_("lying in the CTG territory"), N_("it lies in the CTG territory"),
                            N_("it lies outside the CTG territory")),
    "signatory_support": Subject("bool", N_("the support of a signatory collectivité"),
                                 N_("a signatory collectivité supports it"),
                                 N_("no signatory collectivité supports it")),
    "ps_funded": Subject("bool", N_("receiving its prestation de service"),
                         N_("it receives its prestation de service"),
                         N_("it does not receive its prestation de service")),
    "open_days": Subject("number", N_("the number of days it is open in the year")),
    "year_days": Subject("number", N_("the number of days in the year")),
    "year_first_day": Subject("date", N_("1 January of the year")),
    "year_last_day": Subject("date", N_("31 December of the year")),
    "units": Subject("number", N_("the number of its units (places, ETP or hours)")),
    "post_status": Subject("text", N_("its post's status")),
    "converted_on_day": Subject("date", N_("the date its post became chargé de coopération")),
    "ctg_start_day": Subject("date", N_("the first day of its CTG")),
    "ctg_end_day": Subject("date", N_("the last day of its CTG")),
    "has_cej": Subject("bool", N_("having CEJ funding in N-1"), N_("it had CEJ funding in N-1"),
                       N_("it had no CEJ funding in N-1")),
}
FAMILY = Subject("text", N_("the structure's family"))

# One comparison, by the kind of the field compared; a kind missing an operator falls back to NUMBER's.
TEXT = {"eq": N_("{subject} is {value}"), "ne": N_("{subject} is not {value}")}
NUMBER = {"eq": N_("{subject} equals {value}"), "ne": N_("{subject} does not equal {value}"),
          "gt": N_("{subject} is more than {value}"), "gte": N_("{subject} is at least {value}"),
          "lt": N_("{subject} is less than {value}"), "lte": N_("{subject} is at most {value}")}
DATE = {"eq": N_("{subject} falls on {value}"), "ne": N_("{subject} does not fall on {value}"),
        "gt": N_("{subject} falls after {value}"), "gte": N_("{subject} falls on or after {value}"),
        "lt": N_("{subject} falls before {value}"), "lte": N_("{subject} falls on or before {value}")}
YEAR = {**TEXT, "gt": N_("{subject} is after {value}"), "gte": N_("{subject} is {value} or later"),
        "lt": N_("{subject} is before {value}"), "lte": N_("{subject} is {value} or earlier")}
TEMPLATES = {"text": TEXT, "number": NUMBER, "date": DATE, "year": YEAR, "bool": NUMBER}

# The units of the classify rules (rules/families.yaml), said in the outcome of each.
UNITS = [N_("places"), N_("opening hours"), N_("attendance hours"), N_("lump sum")]

FORMULAS = {
    "envelope": N_("each family's envelope is the sum of the N-1 CEJ amounts of its actions"),
    "historical": N_("each eligible structure gets its own N-1 CEJ amount (pro rata temporis)"),
    "per_unit": N_("rate = the family's envelope ÷ its eligible units; each eligible structure gets the rate × its "
                   "units"),
    "weighted": N_("rate = the family's envelope ÷ its eligible weighted units; each eligible structure gets the "
                   "rate × its units × its weight (redistribution.weight)"),
    "floor": N_("a structure below the floor × its units (redistribution.floor_per_unit.FAMILY) is lifted to it; "
                "those above the floor pay for the lift pro rata of what they have above it; when they cannot, the "
                "envelope is split by units"),
    "pro_rata_temporis": N_("units and N-1 amount × days open ÷ days in the year"),
    "no_eligible_structure": N_("a family with no eligible structure releases its whole envelope "
                                "(NO_ELIGIBLE_STRUCTURE)"),
    "released": N_("what no eligible structure takes is released with its reason, back to the Caf or redistributed "
                   "within the family (released.destination)"),
    "largest_remainder": N_("each amount is rounded to the cent by the largest remainder, ties by structure id, so "
                            "that allocated + released = envelope"),
    "pilotage_kept": N_("up to pilotage.deadline_year, each coordination post keeps its N-1 amount"),
    "new_places": N_("new places = places in the year (pro rata temporis) − places in N-1; bonus = new places × "
                     "the rate of the commune's tranche (new_places.rate.tranche_1 to 3), on the "
                     "bonus_places_nouvelles line, outside the envelope"),
    "qpv_zrr_tranche_1": N_("a commune in QPV or ZRR takes the tranche 1 rate (new_places.rate.tranche_1)"),
    "renewal": N_("in a renewed CTG, each family's envelope is what its structures were allocated in the last year "
                  "of the previous CTG, and a structure's N-1 amount is what it was allocated that year "
                  "(renewal.envelope_base: paid_last_year; first_envelope keeps the first CTG's)"),
    "plancher_alsh": N_("an eligible ALSH gets at least alsh.floor_per_hour × its attendance hours (pro rata "
                        "temporis): what its bonus territoire lacks is paid on the plancher_alsh line, outside the "
                        "envelope"),
    "bonus_trajectoire": N_("when the territory's eligible EAJE places on 1 January have grown since 1 January of "
                            "trajectoire.reference_year by a tier (trajectoire.growth.tier_1 to 3), each eligible "
                            "EAJE gets the highest tier's amount per place (trajectoire.rate.tier_1 to 3, pro rata "
                            "temporis) on the bonus_trajectoire line, outside the envelope, up to "
                            "trajectoire.last_year"),
}

# The parameters a formula reads, by name or name prefix (the per-family ones).
FORMULA_PARAMETERS = {
    "historical": (required.METHOD,), "per_unit": (required.METHOD,),
    "weighted": (required.METHOD, required.WEIGHT), "floor": ("redistribution.floor_per_unit.",),
    "released": (required.DESTINATION,), "pilotage_kept": (required.DEADLINE_YEAR,),
    "new_places": ("new_places.rate.",), "qpv_zrr_tranche_1": (required.NEW_PLACES_RATE.format(1),),
    "renewal": (required.ENVELOPE_BASE, required.RENEWED_UNTIL), "plancher_alsh": (required.ALSH_FLOOR,),
    "bonus_trajectoire": ("trajectoire.",),
}

ParamLabel = Callable[[str], str]


@dataclass(frozen=True)
class _Words:
    families: Mapping[str, tuple[str, ...]]
    param_label: ParamLabel


def condition_words(node: Any, families: Mapping[str, tuple[str, ...]] | None = None,
                    param_label: ParamLabel | None = None) -> str:
    """A normal-form condition in words. `families` (family -> types) lets type comparisons that cover whole
    families be said as families; `param_label` gives a parameter's label (none: its name alone)."""
    if node == TRUE:
        return _("always")
    return _node(node, _Words(families or {}, param_label or (lambda name: "")))


def rule_condition_words(rule: Rule, rulebook: Rulebook, param_label: ParamLabel | None = None) -> str | None:
    """When a rule fires, in words; None for a rule with no condition (a formula the computation applies)."""
    if rule.when is None:
        return None
    families = rulebook.families
    node = parse(rule.when, families)
    return condition_words(node, {} if rule.kind == "classify" else families,
                           param_label or _labels(rulebook))


def _labels(rulebook: Rulebook) -> ParamLabel:
    return lambda name: rulebook.parameters[name].label if name in rulebook.parameters else ""


def _node(node: Any, words: _Words) -> str:
    if isinstance(node, Cmp):
        return _cmp(node, words)
    return _join(_phrases(node, words), N_("{items} and {last}") if isinstance(node, All) else N_("{items} or {last}"))


def _phrases(node: All | Any_, words: _Words) -> list[str]:
    """The phrases of a conjunction or disjunction: one per item, comparisons of a field with several values
    (`in`, `not in`, a family) merged into one."""
    merge_op = "ne" if isinstance(node, All) else "eq"
    groups: dict[str, list[Any]] = {}
    out: list[tuple[str, Any]] = []
    for item in node.items:
        if (isinstance(item, Cmp) and item.op == merge_op and item.operand.kind == "const"
                and SUBJECTS[item.field].kind == "text"):
            if item.field not in groups:
                groups[item.field] = []
                out.append(("group", item.field))
            groups[item.field].append(item.operand.value)
        else:
            out.append(("node", item))
    phrases = []
    for what, value in out:
        if what == "group":
            phrases.append(_values(value, groups[value], merge_op, words))
        elif isinstance(value, Cmp):
            phrases.append(_cmp(value, words))
        else:
            phrases.append(_nested(node, value, words))
    return phrases


def _nested(parent: All | Any_, child: All | Any_, words: _Words) -> str:
    """A conjunction or disjunction inside another: `either a or b` in a conjunction, `(a and b)` in a
    disjunction; as it is when it says one thing only (a family, a list of values)."""
    inner = _phrases(child, words)
    if len(inner) == 1:
        return inner[0]
    if isinstance(child, Any_):
        return _("either {choices}").format(choices=_join(inner, N_("{items} or {last}")))
    clause = _join(inner, N_("{items} and {last}"))
    return _("({clause})").format(clause=clause) if isinstance(parent, Any_) else clause


def _values(field: str, values: list[Any], op: str, words: _Words) -> str:
    """`field` compared with several values: one of them (eq) or none of them (ne); types as families when
    they cover whole families."""
    subject = SUBJECTS[field]
    if field == "type":
        families = _fold(values, words.families)
        if families:
            subject, values = FAMILY, families
    texts = [str(v) for v in values]
    if op == "eq":
        return _(TEXT["eq"]).format(subject=_(subject.noun), value=_join(texts, N_("{items} or {last}")))
    if len(texts) == 1:
        return _(TEXT["ne"]).format(subject=_(subject.noun), value=texts[0])
    return _("{subject} is neither {values}").format(subject=_(subject.noun),
                                                     values=_join(texts, N_("{items} nor {last}")))


def _fold(types: list[Any], families: Mapping[str, tuple[str, ...]]) -> list[str]:
    """The families whose types are exactly `types`, or [] when `types` do not make whole families."""
    wanted = set(types)
    chosen = [f for f, ts in families.items() if ts and set(ts) <= wanted]
    covered = {t for f in chosen for t in families[f]}
    return chosen if chosen and covered == wanted else []


def _cmp(cmp: Cmp, words: _Words) -> str:
    subject = SUBJECTS[cmp.field]
    if cmp.field == "type" and cmp.op in ("eq", "ne") and cmp.operand.kind == "const":
        return _values("type", [cmp.operand.value], cmp.op, words)
    if subject.kind == "bool" and cmp.op in ("eq", "ne") and isinstance(cmp.operand.value, bool) \
            and cmp.operand.kind == "const":
        holds = cmp.operand.value == (cmp.op == "eq")
        return _(subject.true if holds else subject.false)
    template = TEMPLATES[subject.kind].get(cmp.op) or NUMBER[cmp.op]
    return _(template).format(subject=_(subject.noun), value=_operand(cmp.operand, subject, words))


def _operand(operand: Operand, subject: Subject, words: _Words) -> str:
    if operand.kind == "param":
        label = words.param_label(operand.value)
        return f"{operand.value} ({label})" if label else operand.value
    if operand.kind == "field":
        return _(SUBJECTS[operand.value].noun) if operand.value in SUBJECTS else operand.value
    return constant_words(operand.value, subject.kind)


def constant_words(value: Any, kind: str = "text") -> str:
    """A literal of a condition: a day number as a date, a year as it is, a number in the language's way."""
    if value is None:
        return _("empty")
    if isinstance(value, bool):
        return yes_no(value)
    if kind == "date" and isinstance(value, int):
        return fmt_date(EPOCH + dt.timedelta(days=value))
    if kind == "year" or not isinstance(value, (int, float)):
        return str(value)
    return fmt_number(Decimal(str(value)), 6)


def _join(items: list[str], last: str) -> str:
    """`a`, `a and b`, `a, b and c` (with `last` the msgid joining the last item)."""
    if len(items) == 1:
        return items[0]
    return _(last).format(items=", ".join(items[:-1]), last=items[-1])


def outcome_words(rule: Rule, param_label: ParamLabel | None = None) -> str:
    """What a rule decides, in words."""
    then = rule.then
    label = param_label or (lambda name: "")
    if rule.kind == "classify":
        text = _("family {family}, unit: {unit}, paid on the {line} line, volet {volet}").format(
            family=then["family"], unit=_(str(then["unit"])), line=then.get("line", "bonus_territoire"),
            volet=then.get("volet", ""))
        return text + (_("; its rows are coordination posts") if then.get("posts") else "")
    if rule.kind == "exclude":
        return _("not eligible: {reason} (priority {priority})").format(reason=then["reason"],
                                                                        priority=rule.priority)
    if rule.kind == "cap":
        name = then["cap_per_unit"]
        param = f"{name} ({label(name)})" if label(name) else name
        return _("its amount is capped at {param} per unit; what is above is released ({reason})").format(
            param=param, reason=then.get("reason") or required.CAPPED)
    if rule.kind == "method":
        return _("method {method}, whatever the scenario says").format(method=then["method"])
    formula = str(then.get("formula"))
    if formula in FORMULAS:
        return _(FORMULAS[formula])
    return _("computed by the program's formula {formula}").format(formula=formula)


def kind_words(rule: Rule) -> str:
    return _(rule.kind)


def in_force_words(rule: Rule) -> str | None:
    """The dates a rule is in force, in words; None for a rule in force at every date."""
    if rule.start and rule.until:
        return _("from {start} until {until}").format(start=fmt_date(rule.start), until=fmt_date(rule.until))
    if rule.start:
        return _("from {start}").format(start=fmt_date(rule.start))
    if rule.until:
        return _("until {until}").format(until=fmt_date(rule.until))
    return None


def rule_parameters(rule: Rule, rulebook: Rulebook) -> list[str]:
    """The parameters a rule reads: those its condition compares with, its cap, and those its formula uses."""
    names: set[str] = set()
    if rule.when is not None:
        names |= referenced_params(parse(rule.when, rulebook.families))
    if rule.kind == "cap":
        names.add(rule.then["cap_per_unit"])
    for ref in FORMULA_PARAMETERS.get(str(rule.then.get("formula")), ()):
        names |= {p for p in rulebook.parameters if p == ref or (ref.endswith(".") and p.startswith(ref))}
    return sorted(names)


def value_words(value: Any) -> str:
    """A parameter's value as people read it: a date or a number in the language's way, a year or a whole number
    as it is, text (a method, an expression) as written; `none` for no value."""
    if value is None:
        return _("none")
    if isinstance(value, dt.date):
        return fmt_date(value)
    if isinstance(value, Decimal):
        return fmt_number(value, 6)
    return str(value)
