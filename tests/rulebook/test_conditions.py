"""The condition language of rules/: its normal form (All / Any_ / Cmp) and the durable-rules JSON it compiles to."""

import re

import pytest

from ctg_funding.engine.compile import compile_rulebook, to_durable
from ctg_funding.rulebook import load_rulebook
from ctg_funding.rulebook.conditions import (
    TRUE,
    All,
    Any_,
    Cmp,
    ConditionError,
    Operand,
    parse,
    referenced_params,
)
from ctg_funding.rulebook.facts import param_field

FAMILIES = {"EAJE": ("EAJE", "MAM"), "RPE": ("RPE",), "PILOTAGE": ("COORDINATION",)}


def c(value):
    return Operand("const", value)


def test_a_mapping_is_a_conjunction_of_comparisons():
    assert parse({"year": 2024, "units": {"gte": 2}}, {}) == All(
        (Cmp("year", "eq", c(2024)), Cmp("units", "gte", c(2))))
    assert parse({"year": 2024}, {}) == Cmp("year", "eq", c(2024))


def test_not_is_pushed_down_to_the_comparisons_with_de_morgan():
    assert parse({"not": {"all": [{"year": 2024}, {"units": {"gt": 2}}]}}, {}) == Any_(
        (Cmp("year", "ne", c(2024)), Cmp("units", "lte", c(2))))
    assert parse({"not": {"any": [{"year": {"lt": 2024}}, {"units": {"gte": 2}}]}}, {}) == All(
        (Cmp("year", "gte", c(2024)), Cmp("units", "lt", c(2))))
    # a negated mapping is a disjunction of negated entries
    assert parse({"not": {"year": 2024, "type": {"ne": "RPE"}}}, {}) == Any_(
        (Cmp("year", "ne", c(2024)), Cmp("type", "eq", c("RPE"))))


@pytest.mark.parametrize("op, negated", [("eq", "ne"), ("ne", "eq"), ("gt", "lte"), ("lte", "gt"), ("lt", "gte"),
                                         ("gte", "lt")])
def test_not_negates_every_operator(op, negated):
    assert parse({"not": {"units": {op: 3}}}, {}) == Cmp("units", negated, c(3))


def test_not_twice_is_the_condition_itself():
    raw = {"all": [{"year": 2024}, {"any": [{"units": {"gt": 2}}, {"type": {"in": ["EAJE", "RPE"]}}]}]}
    assert parse({"not": {"not": raw}}, {}) == parse(raw, {})


def test_in_becomes_a_disjunction_of_equalities():
    assert parse({"type": {"in": ["EAJE", "RPE", "LAEP"]}}, {}) == Any_(
        (Cmp("type", "eq", c("EAJE")), Cmp("type", "eq", c("RPE")), Cmp("type", "eq", c("LAEP"))))
    assert parse({"type": {"in": ["EAJE"]}}, {}) == Cmp("type", "eq", c("EAJE"))
    # not in: none of them
    assert parse({"not": {"type": {"in": ["EAJE", "RPE"]}}}, {}) == All(
        (Cmp("type", "ne", c("EAJE")), Cmp("type", "ne", c("RPE"))))


def test_family_expands_to_the_types_of_its_classify_rule():
    assert parse({"family": "EAJE"}, FAMILIES) == Any_((Cmp("type", "eq", c("EAJE")), Cmp("type", "eq", c("MAM"))))
    assert parse({"family": "PILOTAGE"}, FAMILIES) == Cmp("type", "eq", c("COORDINATION"))
    assert parse({"family": {"in": ["RPE", "PILOTAGE"]}}, FAMILIES) == Any_(
        (Cmp("type", "eq", c("RPE")), Cmp("type", "eq", c("COORDINATION"))))
    assert parse({"not": {"family": "EAJE"}}, FAMILIES) == All(
        (Cmp("type", "ne", c("EAJE")), Cmp("type", "ne", c("MAM"))))


def test_family_reads_the_shipped_classify_rules():
    rulebook = load_rulebook()
    node = parse({"family": "EAJE"}, rulebook.families)
    assert node == Any_(tuple(Cmp("type", "eq", c(t)) for t in ("EAJE", "CRECHE_FAMILIALE", "MICRO_CRECHE_PAJE",
                                                                  "MAM")))


def test_operands_param_and_field():
    node = parse({"year": {"gt": {"param": "pilotage.deadline_year"}},
                  "converted_on_day": {"lte": {"field": "year_first_day"}}}, {})
    assert node == All((Cmp("year", "gt", Operand("param", "pilotage.deadline_year")),
                        Cmp("converted_on_day", "lte", Operand("field", "year_first_day"))))
    assert referenced_params(node) == {"pilotage.deadline_year"}
    # a bare {param: ...} is an equality with the parameter
    assert parse({"year": {"param": "pilotage.deadline_year"}}, {}) == Cmp(
        "year", "eq", Operand("param", "pilotage.deadline_year"))


def test_durable_json_of_a_param_comparison():
    node = parse({"year": {"gt": {"param": "pilotage.deadline_year"}}}, {})
    assert to_durable(node) == {"$gt": {"year": {"$m": "p__pilotage__deadline_year"}}}
    assert param_field("pilotage.deadline_year") == "p__pilotage__deadline_year"


def test_durable_json_of_the_other_forms():
    assert to_durable(parse({"units": 3}, {})) == {"units": 3}
    assert to_durable(parse({"units": {"ne": 3}}, {})) == {"$neq": {"units": 3}}
    assert to_durable(parse({"converted_on_day": {"gt": {"field": "year_first_day"}}}, {})) == {
        "$gt": {"converted_on_day": {"$m": "year_first_day"}}}
    assert to_durable(parse({"type": {"in": ["EAJE", "RPE"]}, "units": {"lte": 1}}, {})) == {
        "$and": [{"$or": [{"type": "EAJE"}, {"type": "RPE"}]}, {"$lte": {"units": 1}}]}
    assert to_durable(TRUE) == {"ctg_fact": 1}  # an empty condition matches every fact, and only facts


def field_names(node) -> set[str]:
    """Every key and every `$m` reference of a durable-rules condition."""
    if isinstance(node, list):
        return set().union(*(field_names(n) for n in node))
    if not isinstance(node, dict):
        return set()
    out = set()
    for key, value in node.items():
        out.add(key)
        if key == "$m":
            out.add(value)
        out |= field_names(value)
    return out


def test_the_shipped_rules_compile_without_in_or_dotted_names():
    # durable-rules has no `$in`, and reads a dotted name as a path into the fact.
    compiled = compile_rulebook(load_rulebook())
    assert any(referenced_params(rule.condition) for rule in compiled)
    for rule in compiled:
        names = field_names(to_durable(rule.condition))
        assert "$in" not in names, rule.id
        assert not [n for n in names if "." in n], rule.id


@pytest.mark.parametrize("raw, message", [
    ({"yaer": 2024}, "unknown field 'yaer'"),
    ({"units": {"between": 3}}, "unknown operator 'between'"),
    ({"units": {"gt": 1, "lt": 3}}, "one operator per field entry"),
    ({"family": "CRECHE"}, "unknown family 'CRECHE'"),
    ({"family": {"in": [{"name": "EAJE"}]}}, "a family is named by its name, got {'name': 'EAJE'}"),
    ({"family": ["EAJE"]}, "a family is named by its name, got ['EAJE']"),
    ({"type": {"in": "EAJE"}}, "`in` takes a list"),
    ({"type": {"in": []}}, "at least one value"),
    ({"any": []}, "non-empty list"),
    ({"units": [1, 2]}, "only allowed under `in`"),
    ({"units": {"gt": {"param": "x", "field": "y"}}}, "an operand is"),
    ([{"units": 1}], "a condition is a mapping"),
], ids=["field", "operator", "two_operators", "family", "family_mapping", "family_bare_list",
                                                    "in_not_a_list", "in_empty", "any_empty", "bare_list",
        "operand", "not_a_mapping"])
def test_anything_else_is_refused(raw, message):
    with pytest.raises(ConditionError, match=re.escape(message)):
        parse(raw, FAMILIES)
