"""Conditions of rules/, exactly: each bad condition is one problem naming the rule's file, the key `<id>.when` and
the whole English message; and the forms that are allowed load and mean what they say.

The rules folder is a small one written here (two families, one parameter), so that the lists a message names are
known by hand and do not move with the shipped rules.
"""

import datetime as dt
from pathlib import Path

import pytest

from ctg_funding.errors import InputError, Problem
from ctg_funding.rulebook import load_rulebook
from ctg_funding.rulebook.conditions import TRUE, All, Any_, Cmp, ConditionError, Operand, parse

SOURCE = '{text: "a test source", status: assumed}'
BASE = f"""\
parameters:
  t.threshold:
    label: A threshold
    source: {SOURCE}
    values: {{2020-01-01: 3}}
rules:
  - id: C.alpha
    label: Family alpha
    source: {SOURCE}
    when: {{type: {{in: [A1, A2]}}}}
    then: {{family: ALPHA, unit: places}}
  - id: C.beta
    label: Family beta
    source: {SOURCE}
    when: {{type: {{in: [B1]}}}}
    then: {{family: BETA, unit: places}}
"""
CASE = "zz_case.yaml"
FIELDS = ("commune_id, converted_on_day, ctg_end_day, ctg_start_day, has_cej, id, in_territory, manager_id, open_days, "
          "post_status, ps_funded, signatory_support, structure_id, type, units, year, year_days, year_first_day, "
          "year_last_day")


def folder_with(tmp_path: Path, when: str) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "base.yaml").write_text(BASE, encoding="utf-8")
    (folder / CASE).write_text(f"rules:\n  - id: T.case\n    label: A test rule\n    source: {SOURCE}\n"
                               f"    when: {when}\n    then: {{method: historical}}\n", encoding="utf-8")
    return folder


def case_problems(tmp_path: Path, when: str) -> list[Problem]:
    """The problems of the case file (the small folder lacks what the program relies on: those name the folder)."""
    with pytest.raises(InputError) as exc:
        load_rulebook(folder_with(tmp_path, when))
    return [p for p in exc.value.problems if p.file != str(tmp_path / "rules")]


def load_rulebook_anyway(tmp_path: Path, when: str) -> list[Problem]:
    """The case file's problems when the rulebook is loaded (none expected); the folder's own are set aside."""
    try:
        load_rulebook(folder_with(tmp_path, when))
    except InputError as exc:
        return [p for p in exc.problems if p.file != str(tmp_path / "rules")]
    return []


@pytest.mark.parametrize("when, message", [
    ("{yaer: 2024}", f"unknown field 'yaer' (facts have: {FIELDS})"),
    ("{units: {between: 3}}", "unknown operator 'between' (allowed: eq, ne, gt, gte, lt, lte, in)"),
    ("{units: {gt: 1, lt: 3}}", "one operator per field entry, got ['gt', 'lt'] for units"),
    ("{type: {in: A1}}", "`in` takes a list, got 'A1'"),
    ("{type: {in: []}}", "`in` for type needs at least one value"),
    ("{family: {in: []}}", "`in` for type needs at least one value"),
    ("{any: []}", "`any` takes a non-empty list of conditions"),
    ("{all: {year: 2024}}", "`all` takes a non-empty list of conditions"),
    ("{units: [1, 2]}", "a list is only allowed under `in`, got [1, 2]"),
    ("{units: {gt: {param: x, field: y}}}",
     "an operand is a literal, {param: name} or {field: name}, got {'param': 'x', 'field': 'y'}"),
    ("{year: 2024-01-01}", "unsupported literal datetime.date(2024, 1, 1)"),
    ("[{units: 1}]", "a condition is a mapping, got [{'units': 1}]"),
    ("{not: [{units: 1}]}", "a condition is a mapping, got [{'units': 1}]"),
    ("{family: GAMMA}", "unknown family 'GAMMA' (known: ALPHA, BETA)"),
    ("{family: {in: [ALPHA, GAMMA]}}", "unknown family 'GAMMA' (known: ALPHA, BETA)"),
    ("{family: {in: ALPHA}}", "`family: {in: [...]}` takes a list"),
    ("{family: 5}", "a family is named by its name, got 5"),
    ("{family: {name: ALPHA}}", "a family is named by its name, got {'name': 'ALPHA'}"),
    ("{family: [in]}", "a family is named by its name, got ['in']"),
    ("{year: {gt: {param: t.nope}}}", "unknown parameter 't.nope'"),
    ("{units: {lte: {field: nope}}}", "unknown field 'nope'"),
], ids=["field", "operator", "two_operators", "in_not_a_list", "in_empty", "family_in_empty", "any_empty",
        "all_not_a_list", "bare_list", "operand", "date_literal", "not_a_mapping", "not_of_a_list", "family",
        "family_in", "family_in_not_a_list", "family_number", "family_mapping", "family_list_in", "parameter",
        "field_operand"])
def test_a_bad_condition_is_one_problem_with_file_key_and_message(tmp_path, when, message):
    assert case_problems(tmp_path, when) == [Problem(CASE, None, "T.case.when", message)]


def test_two_bad_operands_are_two_problems(tmp_path):
    # (problems are listed sorted by file, row, key and message)
    assert case_problems(tmp_path, "{year: {param: t.nope}, units: {gt: {field: nope}}}") == [
        Problem(CASE, None, "T.case.when", "unknown field 'nope'"),
        Problem(CASE, None, "T.case.when", "unknown parameter 't.nope'")]


@pytest.mark.parametrize("when", [
    "{all: [{family: ALPHA}, {units: {gte: {param: t.threshold}}}]}",  # a family inside all / any
    "{any: [{not: {family: BETA}}, {year: 2024}]}",
    "{converted_on_day: {field: year_first_day}}",  # a bare {field: ...} is an equality, not an operator
    "{units: 2.5, in_territory: true, post_status: null}",  # literals: number, true/false, null
    "{not: {}}",
], ids=["family_in_all", "family_in_any_not", "field_equality", "literals", "not_empty"])
def test_allowed_conditions_load(tmp_path, when):
    assert load_rulebook_anyway(tmp_path, when) == []


FAMILIES = {"ALPHA": ("A1", "A2"), "BETA": ("B1",)}


def c(value):
    return Operand("const", value)


@pytest.mark.parametrize("raw, node", [
    # an empty condition holds; so does its negation's empty mapping: `not: {}` is not "never"
    (None, TRUE),
    ({}, TRUE),
    ({"not": {}}, TRUE),
    ({"not": None}, TRUE),
    ({"all": [{"family": "ALPHA"}, {"year": 2024}]},
     All((Any_((Cmp("type", "eq", c("A1")), Cmp("type", "eq", c("A2")))), Cmp("year", "eq", c(2024))))),
    ({"any": [{"not": {"family": "ALPHA"}}]}, Any_((All((Cmp("type", "ne", c("A1")), Cmp("type", "ne", c("A2")))),))),
    ({"converted_on_day": {"field": "year_first_day"}}, Cmp("converted_on_day", "eq", Operand("field",
                                                                                              "year_first_day"))),
    ({"not": {"converted_on_day": {"field": "year_first_day"}}},
     Cmp("converted_on_day", "ne", Operand("field", "year_first_day"))),
    ({"post_status": None}, Cmp("post_status", "eq", c(None))),
    ({"ctg_start_day": {"lt": 1.5}}, Cmp("ctg_start_day", "lt", c(1.5))),
], ids=["none", "empty", "not_empty", "not_none", "family_in_all", "family_in_any_not", "field_equality",
        "field_inequality", "null", "float"])
def test_normal_forms(raw, node):
    assert parse(raw, FAMILIES) == node


def test_a_date_is_not_a_literal_even_inside_in():
    # YAML reads 2024-01-01 as a date: conditions compare day numbers (year_first_day...), never dates.
    with pytest.raises(ConditionError) as info:
        parse({"year": {"in": [2024, dt.date(2024, 1, 1)]}}, FAMILIES)
    assert str(info.value) == "unsupported literal datetime.date(2024, 1, 1)"
