"""Loading `rules/`: dated parameters and rule metadata, checked strictly.

Every rule and parameter carries an id, a label, a source and a status (seed | national | assumed). A parameter
has dated values, in the manner of OpenFisca: the value in force on a date is the latest one dated on or before
it. A year uses the value in force on its 1 January.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError, Problem

STATUSES = ("seed", "national", "assumed")
RULE_KEYS = {"id", "label", "source", "when", "then", "priority", "from", "until", "description"}
PARAM_KEYS = {"label", "unit", "source", "values", "description", "type", "choices"}
SOURCE_KEYS = {"text", "status", "url"}
THEN_KEYS = {"family", "unit", "line", "volet", "posts", "eligible", "reason", "cap_per_unit", "method", "formula"}
PARAM_TYPES = ("number", "integer", "date", "text", "choice", "expression")


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys silently; a rulebook must refuse them."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in mapping:
            shown = key.isoformat() if isinstance(key, dt.date) else repr(key)
            raise yaml.constructor.ConstructorError(
                None, None, f"key {shown} appears twice (line {key_node.start_mark.line + 1}); "
                            "a parameter has one value per date", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

# YAML 1.1 reads on/off/yes/no as booleans, so a scenario change's `on:` key would become True. Booleans are
# true/false only here (as in YAML 1.2).
_UniqueKeyLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_UniqueKeyLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def load_yaml(text: str, name: str) -> Any:
    """YAML with duplicate keys refused; errors name the file and the line."""
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError([Problem(name, mark.line + 1 if mark else None, None, f"invalid YAML: {problem}")]) from None


@dataclass(frozen=True)
class Source:
    text: str
    status: str
    url: str | None = None


@dataclass(frozen=True)
class Parameter:
    name: str
    label: str
    unit: str
    type: str
    source: Source
    values: tuple[tuple[dt.date, Any], ...]  # sorted by date
    file: str
    choices: tuple[str, ...] = ()

    def at(self, when: dt.date) -> Any:
        """The value in force on `when`; None before the first dated value."""
        current = None
        for start, value in self.values:
            if start <= when:
                current = value
        return current

    def dated_value(self, when: dt.date) -> tuple[dt.date | None, Any]:
        current: tuple[dt.date | None, Any] = (None, None)
        for start, value in self.values:
            if start <= when:
                current = (start, value)
        return current


@dataclass(frozen=True)
class Rule:
    id: str
    label: str
    source: Source
    when: Any
    then: Mapping[str, Any]
    file: str
    priority: int | None = None
    start: dt.date | None = None
    until: dt.date | None = None
    description: str = ""

    @property
    def kind(self) -> str:
        if "family" in self.then:
            return "classify"
        if self.then.get("eligible") is False:
            return "exclude"
        if "cap_per_unit" in self.then:
            return "cap"
        if "method" in self.then:
            return "method"
        return "formula"

    def in_force(self, year: int) -> bool:
        return (self.start is None or self.start <= dt.date(year, 12, 31)) and (
            self.until is None or self.until >= dt.date(year, 1, 1))


@dataclass
class Rulebook:
    parameters: dict[str, Parameter]
    rules: dict[str, Rule]
    version: str
    overrides: dict[str, Parameter] = field(default_factory=dict)

    # -- classification, read off the classify rules: the single place where types meet families
    @property
    def families(self) -> dict[str, tuple[str, ...]]:
        """Family -> the structure types its classify rule covers, in rule order."""
        out: dict[str, tuple[str, ...]] = {}
        for rule in self.rules.values():
            if rule.kind == "classify":
                out[rule.then["family"]] = out.get(rule.then["family"], ()) + _types_of(rule)
        return out

    @property
    def types(self) -> frozenset[str]:
        return frozenset(t for ts in self.families.values() for t in ts)

    def family_of_type(self, type_: str) -> str:
        for family, types in self.families.items():
            if type_ in types:
                return family
        raise KeyError(type_)

    def classify_rule(self, family: str) -> Rule:
        return next(r for r in self.rules.values() if r.kind == "classify" and r.then["family"] == family)

    @property
    def post_types(self) -> frozenset[str]:
        """Types whose rows are posts (post_status, converted_on): those of the classify rules marked `posts`."""
        return frozenset(t for r in self.rules.values() if r.kind == "classify" and r.then.get("posts")
                         for t in _types_of(r))

    def param(self, name: str) -> Parameter:
        return self.overrides.get(name) or self.parameters[name]

    def value(self, name: str, year: int) -> Any:
        """The value of a parameter in force on 1 January of `year` (scenario overrides first)."""
        return self.param(name).at(dt.date(year, 1, 1))

    def with_overrides(self, overrides: dict[str, Parameter]) -> Rulebook:
        return Rulebook(self.parameters, self.rules, self.version, {**self.overrides, **overrides})


def _types_of(rule: Rule) -> tuple[str, ...]:
    cond = rule.when.get("type") if isinstance(rule.when, dict) else None
    if isinstance(cond, str):
        return (cond,)
    if isinstance(cond, dict) and isinstance(cond.get("in"), list):
        return tuple(cond["in"])
    return ()


# ------------------------------------------------------------------------------------------------ loading


def default_rules_dir() -> Path:
    """The rules folder: $CTG_RULES_DIR, else the repository's rules/ (source checkout or editable install),
    else the copy shipped inside an installed wheel."""
    if os.environ.get("CTG_RULES_DIR"):
        return Path(os.environ["CTG_RULES_DIR"])
    checkout = Path(__file__).resolve().parent.parent / "rules"
    if checkout.is_dir():
        return checkout
    # rules/ has no __init__.py: it is a namespace package in the wheel, so ask for its folder directly.
    spec = importlib.util.find_spec("ctg_funding.rulesdata")
    if spec is None or not spec.submodule_search_locations:
        raise InputError([Problem("rules", None, None, "no rules folder found: set CTG_RULES_DIR or use --rules")])
    return Path(list(spec.submodule_search_locations)[0])


def _source(problems: list[Problem], file: str, key: str, raw: Any) -> Source | None:
    if not isinstance(raw, dict) or not raw.get("text") or raw.get("status") not in STATUSES:
        problems.append(Problem(file, None, key, "needs a source: {text: <where it comes from>, "
                                                  f"status: {' | '.join(STATUSES)}}}"))
        return None
    for k in raw:
        if k not in SOURCE_KEYS:
            problems.append(Problem(file, None, f"{key}.source.{k}", "unknown key"))
    return Source(text=str(raw["text"]), status=raw["status"], url=raw.get("url"))


def coerce_value(ptype: str, value: Any, choices: Iterable[str] = ()) -> Any:
    """A parameter value checked against its type; raises ValueError with a message for people."""
    if value is None:
        return None
    if ptype == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
            raise ValueError(f"expected a number, got {value!r}")
        try:
            return Decimal(str(value))
        except Exception:
            raise ValueError(f"expected a number, got {value!r}") from None
    if ptype == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected a whole number, got {value!r}")
        return value
    if ptype == "date":
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise ValueError(f"expected a date such as 2030-12-31, got {value!r}") from None
    if ptype == "choice":
        if value not in tuple(choices):
            raise ValueError(f"expected one of {', '.join(choices)}, got {value!r}")
        return value
    if ptype in ("text", "expression"):
        if not isinstance(value, (str, int, float)):
            raise ValueError(f"expected text, got {value!r}")
        return str(value)
    raise ValueError(f"unknown parameter type {ptype!r}")


def build_parameter(problems: list[Problem], file: str, name: str, raw: Any) -> Parameter | None:
    if not isinstance(raw, dict):
        problems.append(Problem(file, None, name, "a parameter is a mapping with label, unit, source, values"))
        return None
    for k in raw:
        if k not in PARAM_KEYS:
            problems.append(Problem(file, None, f"{name}.{k}",
                                    f"unknown key (allowed: {', '.join(sorted(PARAM_KEYS))})"))
    source = _source(problems, file, name, raw.get("source"))
    ptype = raw.get("type", "number")
    if ptype not in PARAM_TYPES:
        problems.append(Problem(file, None, f"{name}.type", f"unknown type {ptype!r} ({', '.join(PARAM_TYPES)})"))
        return None
    choices = tuple(raw.get("choices", ()))
    values = raw.get("values")
    if not isinstance(values, dict) or not values:
        problems.append(Problem(file, None, f"{name}.values", "needs dated values: {2021-01-01: <value>}"))
        return None
    dated = []
    for start, value in values.items():
        if not isinstance(start, dt.date):
            problems.append(Problem(file, None, f"{name}.values.{start}", "the key must be a date (YYYY-MM-DD)"))
            continue
        try:
            dated.append((start, coerce_value(ptype, value, choices)))
        except ValueError as exc:
            problems.append(Problem(file, None, f"{name}.values.{start}", str(exc)))
    if not raw.get("label") or source is None:
        if not raw.get("label"):
            problems.append(Problem(file, None, name, "needs a label"))
        return None
    return Parameter(name=name, label=str(raw["label"]), unit=str(raw.get("unit", "")), type=ptype,
                     source=source, values=tuple(sorted(dated)), file=file, choices=choices)


def _rule(problems: list[Problem], file: str, index: int, raw: Any) -> Rule | None:
    if not isinstance(raw, dict) or not raw.get("id"):
        problems.append(Problem(file, None, f"rules[{index}]", "a rule needs an id"))
        return None
    rid = str(raw["id"])
    for k in raw:
        if k not in RULE_KEYS:
            problems.append(Problem(file, None, f"{rid}.{k}", f"unknown key (allowed: {', '.join(sorted(RULE_KEYS))})"))
    then = raw.get("then")
    if not isinstance(then, dict) or not then:
        problems.append(Problem(file, None, f"{rid}.then", "a rule needs an outcome (then)"))
        then = {}
    for k in then:
        if k not in THEN_KEYS:
            problems.append(Problem(file, None, f"{rid}.then.{k}",
                                    f"unknown key (allowed: {', '.join(sorted(THEN_KEYS))})"))
    source = _source(problems, file, rid, raw.get("source"))
    if not raw.get("label"):
        problems.append(Problem(file, None, rid, "a rule needs a label"))
    if source is None or not raw.get("label"):
        return None
    when = raw.get("when")
    rule = Rule(id=rid, label=str(raw["label"]), source=source, when=when, then=then, file=file,
                priority=raw.get("priority"), start=raw.get("from"), until=raw.get("until"),
                description=str(raw.get("description", "")))
    if rule.kind == "exclude" and (not isinstance(rule.priority, int) or not then.get("reason")):
        problems.append(Problem(file, None, rid, "an exclusion rule needs a reason and an integer priority"))
    if rule.kind != "formula" and when is None:
        problems.append(Problem(file, None, f"{rid}.when", "a rule with an outcome needs a condition (when)"))
    if rule.kind == "classify" and not _types_of(rule):
        problems.append(Problem(file, None, f"{rid}.when", "a classify rule's condition is `type: {in: [...]}`"))
    return rule


def load_rulebook(directory: str | Path | None = None) -> Rulebook:
    """Load every `*.yaml` file of the rules folder; raise InputError naming file and key for each problem."""
    from .engine.conditions import check_condition  # the condition language lives with the evaluators

    directory = Path(directory) if directory else default_rules_dir()
    problems: list[Problem] = []
    parameters: dict[str, Parameter] = {}
    rules: dict[str, Rule] = {}
    digest = hashlib.sha256()
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise InputError([Problem(str(directory), None, None, "no rules: expected YAML files")])
    for path in files:
        text = path.read_text(encoding="utf-8")
        digest.update(path.name.encode() + b"\0" + text.encode() + b"\0")
        try:
            data = load_yaml(text, path.name)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        if not isinstance(data, dict):
            problems.append(Problem(path.name, None, None, "expected a mapping with parameters and rules"))
            continue
        for k in data:
            if k not in ("parameters", "rules", "description"):
                problems.append(Problem(path.name, None, str(k),
                                        "unknown key (allowed: parameters, rules, description)"))
        for name, raw in (data.get("parameters") or {}).items():
            if name in parameters:
                problems.append(Problem(path.name, None, name, f"parameter already defined in {parameters[name].file}"))
                continue
            param = build_parameter(problems, path.name, name, raw)
            if param:
                parameters[name] = param
        for index, raw in enumerate(data.get("rules") or []):
            rule = _rule(problems, path.name, index, raw)
            if rule is None:
                continue
            if rule.id in rules:
                problems.append(Problem(path.name, None, rule.id, f"rule id already used in {rules[rule.id].file}"))
                continue
            rules[rule.id] = rule
    families = {r.then["family"] for r in rules.values() if r.kind == "classify"}
    priorities: dict[int, str] = {}
    for rule in rules.values():
        if rule.when is not None:
            problems.extend(check_condition(rule, parameters, families))
        for key in ("cap_per_unit",):
            ref = rule.then.get(key)
            if ref is not None and ref not in parameters:
                problems.append(Problem(rule.file, None, f"{rule.id}.then.{key}", f"unknown parameter {ref!r}"))
        if rule.kind == "exclude" and isinstance(rule.priority, int):
            if rule.priority in priorities:
                problems.append(Problem(rule.file, None, f"{rule.id}.priority",
                                        f"priority {rule.priority} already used by {priorities[rule.priority]}"))
            priorities[rule.priority] = rule.id
    if problems:
        raise InputError(problems)
    return Rulebook(parameters=parameters, rules=rules, version=f"sha256:{digest.hexdigest()[:16]}")
