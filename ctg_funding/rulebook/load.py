"""Loading `rules/`: every file validated by the pydantic models below, then checked as a whole.

Every rule and parameter carries an id, a label, a source and a status (seed | national | assumed). The rulebook
as a whole must hold what the program relies on (`rulebook.required`): a missing rule id, parameter or an unknown
formula is refused here, with the file and the id, before anything runs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import os
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import InputError, Problem, validation_problems
from ..files import read_text
from ..i18n import _
from ..strict_yaml import load_yaml
from . import required
from .conditions import check_condition
from .model import STATUSES, Parameter, Rule, Rulebook, Source, types_of

PARAM_TYPES = ("number", "integer", "date", "text", "choice", "expression")
_SOURCE_HELP = f"needs a source: {{text: <where it comes from>, status: {' | '.join(STATUSES)}}}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class LabelSpec(_Strict):
    """A label per language: English (required) and French."""

    en: str = Field(min_length=1)
    fr: str | None = None


def _source(spec: SourceSpec) -> Source:
    if isinstance(spec.text, str):
        return Source(spec.text, spec.status, spec.url)
    return Source(spec.text.en, spec.status, spec.url, spec.text.fr)


class SourceSpec(_Strict):
    text: str | LabelSpec
    status: Literal["seed", "national", "assumed"]
    url: str | None = None


class ThenSpec(_Strict):
    """A rule's outcome: classify (family, unit, line, volet, posts), exclude (eligible: false, reason), cap
    (cap_per_unit, reason), force a method, or name a formula that Python implements."""

    family: str | None = None
    unit: str | None = None
    # A family is shared from the CEJ envelope, so it is paid on an envelope line; the lines outside the envelope
    # (bonus_places_nouvelles, plancher_alsh) come from their formulas, never from a classify rule.
    line: Literal["bonus_territoire", "pilotage"] | None = None
    volet: str | None = None
    posts: bool | None = None
    eligible: bool | None = None
    reason: str | None = None
    cap_per_unit: str | None = None
    method: Literal["historical", "per_unit", "weighted"] | None = None
    formula: str | None = None


def _labels(label: str | LabelSpec) -> tuple[tuple[str, str], ...]:
    if isinstance(label, str):
        return (("en", label),)
    return (("en", label.en),) + ((("fr", label.fr),) if label.fr else ())


class RuleSpec(_Strict):
    id: str = Field(min_length=1)
    label: str | LabelSpec
    source: SourceSpec
    when: Any = None
    then: ThenSpec
    priority: int | None = None
    start: dt.date | None = Field(default=None, alias="from")
    until: dt.date | None = None
    description: str | LabelSpec = ""


class ParameterSpec(_Strict):
    label: str | LabelSpec
    unit: str = ""
    source: SourceSpec
    values: dict[dt.date, Any] = Field(min_length=1)
    description: str = ""
    type: Literal["number", "integer", "date", "text", "choice", "expression"] = "number"
    choices: list[str] = Field(default_factory=list)


class RuleFile(_Strict):
    description: str = ""
    parameters: dict[str, Any] | None = None  # an empty `parameters:` key reads as None
    rules: list[Any] | None = None


def default_rules_dir() -> Path:
    """The rules folder: $CTG_RULES_DIR, else the repository's rules/ (source checkout or editable install),
    else the copy shipped inside an installed wheel."""
    if os.environ.get("CTG_RULES_DIR"):
        return Path(os.environ["CTG_RULES_DIR"])
    checkout = Path(__file__).resolve().parents[2] / "rules"
    if checkout.is_dir():
        return checkout
    # rules/ has no __init__.py: it is a namespace package in the wheel, so ask for its folder directly.
    spec = importlib.util.find_spec("ctg_funding.rulesdata")
    if spec is None or not spec.submodule_search_locations:
        raise InputError([Problem("rules", None, None, _("no rules folder found: set CTG_RULES_DIR or use --rules"))])
    return Path(list(spec.submodule_search_locations)[0])


def coerce_value(ptype: str, value: Any, choices: Iterable[str] = ()) -> Any:
    """A parameter value checked against its type; raises ValueError with a message for people."""
    if value is None:
        return None
    if ptype == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
            raise ValueError(_("expected a number, got {value!r}").format(value=value))
        try:
            return Decimal(str(value))
        except Exception:
            raise ValueError(_("expected a number, got {value!r}").format(value=value)) from None
    if ptype == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(_("expected a whole number, got {value!r}").format(value=value))
        return value
    if ptype == "date":
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise ValueError(_("expected a date such as 2030-12-31, got {value!r}").format(value=value)) from None
    if ptype == "choice":
        if value not in tuple(choices):
            raise ValueError(_("expected one of {v0}, got {value!r}").format(v0=', '.join(choices), value=value))
        return value
    if ptype in ("text", "expression"):
        if not isinstance(value, (str, int, float)):
            raise ValueError(_("expected text, got {value!r}").format(value=value))
        return str(value)
    raise ValueError(_("unknown parameter type {ptype!r}").format(ptype=ptype))


# pydantic names, in an error's location, the member of a union it tried: `str` or `LabelSpec` for a text that may
# also be written {en: ..., fr: ...}. Users wrote no such key: it is left out of the key they are shown, and of the two
# errors of one mistake only the member they meant is reported (the mapping's if they wrote a mapping).
_TEXT, _MAPPING = "str", "LabelSpec"


def _untagged(loc: tuple) -> tuple:
    return tuple(x for x in loc if x not in (_TEXT, _MAPPING))


def _key_namer(owner: str):
    """Error location -> the key users see: `owner` for a missing source or label, `owner.key` otherwise."""
    def name_of(loc: tuple) -> str:
        loc = _untagged(loc)
        head = str(loc[0]) if loc else ""
        if head == "source" or (head == "label" and len(loc) == 1):
            return owner
        if head == "values" and len(loc) > 1:
            return f"{owner}.values.{loc[1]}"
        return ".".join([owner, *(str(x) for x in loc)])
    return name_of


def _meant(errors: list[dict]) -> list[bool]:
    """For each error, whether it is about what the user meant: of a union's two members, the mapping's errors when
    a mapping was written, the text's otherwise."""
    mapping_at = {tuple(e["loc"][:e["loc"].index(_TEXT)]): isinstance(e.get("input"), dict)
                  for e in errors if _TEXT in e["loc"]}
    out = []
    for e in errors:
        loc = tuple(e["loc"])
        if _TEXT in loc:
            out.append(not mapping_at[loc[:loc.index(_TEXT)]])
        elif _MAPPING in loc:
            out.append(mapping_at.get(loc[:loc.index(_MAPPING)], True))
        else:
            out.append(True)
    return out


def _spec_problems(exc: ValidationError, file: str, owner: str, model: type[BaseModel]) -> list[Problem]:
    errors = exc.errors()
    problems = validation_problems(exc, file, name_of=_key_namer(owner))
    out = []
    for p, err, meant in zip(problems, errors, _meant(errors), strict=True):
        if not meant:
            continue
        loc = _untagged(tuple(err["loc"]))
        head = str(loc[0]) if loc else ""
        message = p.message
        if head == "source":
            message = _SOURCE_HELP
        elif head == "label" and len(loc) == 1:
            message = "needs a label"
        elif err["type"] == "extra_forbidden":
            fields = (LabelSpec if _MAPPING in err["loc"] else ThenSpec if len(loc) > 1 and head == "then"
                      else model)
            allowed = sorted(f.alias or name for name, f in fields.model_fields.items())
            message = f"unknown key (allowed: {', '.join(allowed)})"
        elif head == "values" and err["type"] == "date_from_datetime_parsing":
            message = "the key must be a date (YYYY-MM-DD)"
        elif head == "values" and err["type"] == "too_short":
            message = "needs dated values: {2021-01-01: <value>}"
        elif head == "then" and len(loc) == 1:
            message = "a rule needs an outcome (then)"
        out.append(Problem(p.file, p.row, p.column, message))
    return out


def _parameter(problems: list[Problem], file: str, name: str, raw: Any) -> Parameter | None:
    try:
        spec = ParameterSpec.model_validate(raw)
    except ValidationError as exc:
        problems.extend(_spec_problems(exc, file, name, ParameterSpec))
        return None
    dated = []
    for start, value in spec.values.items():
        try:
            dated.append((start, coerce_value(spec.type, value, spec.choices)))
        except ValueError as exc:
            problems.append(Problem(file, None, f"{name}.values.{start}", str(exc)))
    return Parameter(name=name, labels=_labels(spec.label), unit=spec.unit, type=spec.type,
                     source=_source(spec.source),
                     values=tuple(sorted(dated)), file=file, choices=tuple(spec.choices))


def _rule(problems: list[Problem], file: str, index: int, raw: Any) -> Rule | None:
    rid = str(raw.get("id")) if isinstance(raw, dict) and raw.get("id") else None
    if rid is None:
        problems.append(Problem(file, None, f"rules[{index}]", _("a rule needs an id")))
        return None
    try:
        spec = RuleSpec.model_validate(raw)
    except ValidationError as exc:
        problems.extend(_spec_problems(exc, file, rid, RuleSpec))
        return None
    dumped = spec.then.model_dump(exclude_none=True)
    then = {k: dumped[k] for k in raw["then"] if k in dumped}  # in the file's order
    if not then:
        problems.append(Problem(file, None, f"{rid}.then", _("a rule needs an outcome (then)")))
        return None
    source = _source(spec.source)
    rule = Rule(id=rid, labels=_labels(spec.label), source=source, when=spec.when, then=then, file=file,
                priority=spec.priority, start=spec.start, until=spec.until,
                descriptions=_labels(spec.description) if spec.description else ())
    if rule.kind == "exclude" and (rule.priority is None or not then.get("reason")):
        problems.append(Problem(file, None, rid, _("an exclusion rule needs a reason and an integer priority")))
    if rule.kind != "formula" and rule.when is None:
        problems.append(Problem(file, None, f"{rid}.when", _("a rule with an outcome needs a condition (when)")))
    if rule.kind == "classify" and not types_of(rule):
        problems.append(Problem(file, None, f"{rid}.when", _("a classify rule's condition is `type: {in: [...]}`")))
    formula = then.get("formula")
    if formula is not None and formula not in required.FORMULAS:
        problems.append(Problem(file, None, f"{rid}.then.formula",
                                _("formula {formula!r} is not implemented by the program (implemented: {v1})").format(
                                    formula=formula, v1=', '.join(sorted(required.FORMULAS)))))
    return rule


def _read_file(path: Path, problems: list[Problem], parameters: dict[str, Parameter],
               rules: dict[str, Rule]) -> str:
    """Add one file's parameters and rules; return its text (for the rulebook's version)."""
    try:
        text = read_text(path)
    except InputError as exc:
        problems.extend(exc.problems)
        return ""
    try:
        data = RuleFile.model_validate(load_yaml(text, path.name))
    except InputError as exc:
        problems.extend(exc.problems)
        return text
    except ValidationError as exc:
        if any(not e["loc"] for e in exc.errors()):
            problems.append(Problem(path.name, None, None, _("expected a mapping with parameters and rules")))
        else:
            problems.extend(validation_problems(exc, path.name))
        return text
    for name, raw in (data.parameters or {}).items():
        if name in parameters:
            problems.append(Problem(path.name, None, name, _("parameter already defined in {file}").format(
                file=parameters[name].file)))
            continue
        param = _parameter(problems, path.name, name, raw)
        if param:
            parameters[name] = param
    for index, raw in enumerate(data.rules or []):
        rule = _rule(problems, path.name, index, raw)
        if rule is None:
            continue
        if rule.id in rules:
            problems.append(Problem(path.name, None, rule.id, _("rule id already used in {file}").format(
                file=rules[rule.id].file)))
            continue
        rules[rule.id] = rule
    return text


def _check_whole(rules: dict[str, Rule], parameters: dict[str, Parameter], folder: str,
                 check_required: bool) -> list[Problem]:
    """Checks across files: conditions, references, priorities, and (`check_required`) what the program relies
    on."""
    problems: list[Problem] = []
    families = {r.then["family"] for r in rules.values() if r.kind == "classify"}
    priorities: dict[int, str] = {}
    for rule in rules.values():
        if rule.when is not None:
            problems.extend(check_condition(rule, parameters, families))
        ref = rule.then.get("cap_per_unit")
        if ref is not None and ref not in parameters:
            problems.append(Problem(rule.file, None, f"{rule.id}.then.cap_per_unit",
                                    _("unknown parameter {ref!r}").format(ref=ref)))
        if rule.kind == "exclude" and isinstance(rule.priority, int):
            if rule.priority in priorities:
                problems.append(Problem(rule.file, None, f"{rule.id}.priority",
                                        _("priority {priority} already used by {v1}").format(
                                            priority=rule.priority, v1=priorities[rule.priority])))
            priorities[rule.priority] = rule.id
    if check_required:
        problems.extend(_check_required(rules, parameters, folder))
    return problems


def _check_required(rules: dict[str, Rule], parameters: dict[str, Parameter], folder: str) -> list[Problem]:
    """Every rule id, formula and parameter that Python relies on (`rulebook.required`) is there."""
    problems: list[Problem] = []
    by_formula = {r.then["formula"]: r for r in rules.values() if "formula" in r.then}
    for rid, formula in required.RULES.items():
        rule = rules.get(rid)
        if rule is not None and formula is not None and rule.then.get("formula") != formula:
            problems.append(Problem(rule.file, None, f"{rid}.then", _("the program relies on {rid} as the rule of "
                                                                      "formula {formula!r}").format(
                rid=rid, formula=formula)))
        elif rule is None:
            other = by_formula.get(formula) if formula else None
            if other is not None:
                problems.append(Problem(other.file, None, other.id, _("the program cites this rule (formula "
                                                                      "{formula!r}) as {rid}: keep that id").format(
                    formula=formula, rid=rid)))
            else:
                problems.append(Problem(folder, None, rid, _("rule {rid} is missing: the program relies on it").format(
                    rid=rid)))
    for name in required.PARAMETERS:
        if name not in parameters:
            problems.append(Problem(folder, None, name,
                                    _("parameter {name} is missing: the program relies on it").format(name=name)))
    return problems


def load_rulebook(directory: str | Path | None = None) -> Rulebook:
    """Load every `*.yaml` file of the rules folder; raise InputError naming file and key for each problem."""
    directory = Path(directory) if directory else default_rules_dir()
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise InputError([Problem(str(directory), None, None, _("no rules: expected YAML files"))])
    problems: list[Problem] = []
    parameters: dict[str, Parameter] = {}
    rules: dict[str, Rule] = {}
    digest = hashlib.sha256()
    for path in files:
        text = _read_file(path, problems, parameters, rules)
        digest.update(path.name.encode() + b"\0" + text.encode() + b"\0")
    problems += _check_whole(rules, parameters, str(directory), check_required=not problems)
    if problems:
        raise InputError(problems)
    return Rulebook(parameters=parameters, rules=rules, version=f"sha256:{digest.hexdigest()[:16]}")
