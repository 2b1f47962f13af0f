"""The rulebook as the program reads it: dated parameters, rules with their sources, and what the classify rules
say about structure types. Loaded and checked by `rulebook.load`.

A parameter has dated values, in the manner of OpenFisca: the value in force on a date is the latest one dated on
or before it. A year uses the value in force on its 1 January.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..i18n import language

STATUSES = ("seed", "national", "assumed")


@dataclass(frozen=True)
class Source:
    original: str  # the source text in English (as the rules give it)
    status: str
    url: str | None = None
    fr: str | None = None  # the same in French, when the rules give it

    @property
    def text(self) -> str:
        """The source in the interface's language."""
        return self.fr if self.fr and language() == "fr" else self.original


class _Labelled:
    labels: tuple[tuple[str, str], ...]

    @property
    def label(self) -> str:
        """The label in the interface's language (English when the rules give no other)."""
        own = dict(self.labels)
        return own.get(language(), own["en"])


@dataclass(frozen=True)
class Parameter(_Labelled):
    name: str
    labels: tuple[tuple[str, str], ...]  # (language, label): English always, French when the rules give it
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

    def overridden(self, values: tuple[tuple[dt.date, Any], ...], source: Source, file: str) -> Parameter:
        """The same parameter with other dated values, from another source (a scenario, a territory)."""
        return replace(self, values=values, source=source, file=file)

    def dated_value(self, when: dt.date) -> tuple[dt.date | None, Any]:
        """The value in force on `when` and the date it took effect (None, None before the first)."""
        current: tuple[dt.date | None, Any] = (None, None)
        for start, value in self.values:
            if start <= when:
                current = (start, value)
        return current


@dataclass(frozen=True)
class Rule(_Labelled):
    id: str
    labels: tuple[tuple[str, str], ...]  # (language, label): English always, French when the rules give it
    source: Source
    when: Any
    then: Mapping[str, Any]
    file: str
    priority: int | None = None
    start: dt.date | None = None
    until: dt.date | None = None
    descriptions: tuple[tuple[str, str], ...] = ()  # (language, text), as labels

    @property
    def description(self) -> str:
        """The rule's longer description in the interface's language ("" when the rules give none)."""
        own = dict(self.descriptions)
        return own.get(language(), own.get("en", ""))

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
                out[rule.then["family"]] = out.get(rule.then["family"], ()) + types_of(rule)
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
                         for t in types_of(r))

    def param(self, name: str) -> Parameter:
        return self.overrides.get(name) or self.parameters[name]

    def value(self, name: str, year: int) -> Any:
        """The value of a parameter in force on 1 January of `year` (scenario overrides first)."""
        return self.param(name).at(dt.date(year, 1, 1))

    def with_overrides(self, overrides: dict[str, Parameter]) -> Rulebook:
        return Rulebook(self.parameters, self.rules, self.version, {**self.overrides, **overrides})


def types_of(rule: Rule) -> tuple[str, ...]:
    cond = rule.when.get("type") if isinstance(rule.when, dict) else None
    if isinstance(cond, str):
        return (cond,)
    if isinstance(cond, dict) and isinstance(cond.get("in"), list):
        return tuple(cond["in"])
    return ()
