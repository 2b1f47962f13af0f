"""A bad rules folder is refused with every problem, whole: the file, the key a Caf officer must fix, and the exact
English message (docs/mutation.md: the mutants of these texts and of their file/key arguments).

Each case copies the shipped rules/ to a temporary folder and breaks one thing, most often by adding the file
`zz_case.yaml` (it sorts after every shipped file, so the shipped ones are read first); the test asserts the exact
list of problems of the InputError that load_rulebook raises, as (file, row, key, message).
"""

import shutil
from fractions import Fraction
from pathlib import Path

import pytest

from ctg_funding.errors import InputError
from ctg_funding.rulebook import coerce_value, load_rulebook

RULES = Path(__file__).resolve().parents[2] / "rules"
CASE = "zz_case.yaml"
SOURCE = '{text: "a test source", status: assumed}'

# Every formula the program implements (rulebook/required.py RULES), in alphabetical order.
IMPLEMENTED = ("bonus_trajectoire, envelope, floor, historical, largest_remainder, new_places, no_eligible_structure, "
               "per_unit, pilotage_kept, plancher_alsh, pro_rata_temporis, qpv_zrr_tranche_1, released, renewal, "
               "weighted")


def rule(rid: str | None = "T.case", when: str | None = "{units: 3}", then: str | None = "{method: historical}",
         extra: str = "") -> str:
    """One rule of a `rules:` list, as YAML lines (each key left out when given None)."""
    lines = [f"  - id: {rid}" if rid is not None else "  - label: A test rule"]
    if rid is not None:
        lines.append("    label: A test rule")
    lines.append(f"    source: {SOURCE}")
    if when is not None:
        lines.append(f"    when: {when}")
    if then is not None:
        lines.append(f"    then: {then}")
    if extra:
        lines.append(f"    {extra}")
    return "\n".join(lines) + "\n"


def rules(*items: str) -> str:
    return "rules:\n" + "".join(items)


def param(name: str = "test.param", value: str = "2600", extra: str = "") -> str:
    """One parameter of a `parameters:` mapping, as YAML lines."""
    text = (f"  {name}:\n    label: A test parameter\n    unit: EUR\n    source: {SOURCE}\n"
            f"    values:\n      2021-01-01: {value}\n")
    return text + (f"    {extra}\n" if extra else "")


def params(*items: str) -> str:
    return "parameters:\n" + "".join(items)


def problems_of(folder: Path) -> list[tuple]:
    with pytest.raises(InputError) as exc:
        load_rulebook(folder)
    return [(p.file, p.row, p.column, p.message) for p in exc.value.problems]


def refused(tmp_path: Path, text: str | bytes) -> list[tuple]:
    """The problems of the shipped rules plus the file zz_case.yaml holding `text`."""
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    (folder / CASE).write_bytes(data)
    return problems_of(folder)


# -- one rule or parameter at fault: (the text of zz_case.yaml, the problems it must raise)
CASES = {
    "rule_without_id": (
        # The second rule (index 1) has no id: it is named by its place in the list.
        rules(rule("T.first"), rule(rid=None)),
        [(CASE, None, "rules[1]", "a rule needs an id")]),
    "rule_with_empty_id": (
        rules(rule(rid='""')),
        [(CASE, None, "rules[0]", "a rule needs an id")]),
    "rule_that_is_text": (
        rules(rule("T.first"), "  - just a sentence\n"),
        [(CASE, None, "rules[1]", "a rule needs an id")]),
    "rule_with_an_empty_outcome": (
        rules(rule(then="{}")),
        [(CASE, None, "T.case.then", "a rule needs an outcome (then)")]),
    "rule_whose_outcome_is_all_null": (
        # `formula: null` is no outcome at all (a key given no value is as if absent).
        rules(rule(when=None, then="{formula: null}")),
        [(CASE, None, "T.case.then", "a rule needs an outcome (then)")]),
    "method_rule_without_condition": (
        rules(rule(when=None)),
        [(CASE, None, "T.case.when", "a rule with an outcome needs a condition (when)")]),
    "classify_rule_without_condition": (
        rules(rule(when=None, then="{family: EAJE}")),
        [(CASE, None, "T.case.when", "a classify rule's condition is `type: {in: [...]}`"),
         (CASE, None, "T.case.when", "a rule with an outcome needs a condition (when)")]),
    "classify_rule_on_units": (
        rules(rule(when="{units: 3}", then="{family: EAJE}")),
        [(CASE, None, "T.case.when", "a classify rule's condition is `type: {in: [...]}`")]),
    "classify_rule_with_type_inside_all": (
        # The types of a classify rule are read at the top of its condition only.
        rules(rule(when="{all: [{type: {in: [EAJE]}}]}", then="{family: EAJE}")),
        [(CASE, None, "T.case.when", "a classify rule's condition is `type: {in: [...]}`")]),
    "classify_rule_with_type_ne": (
        # A valid condition on the type, but not a list of the types the family covers.
        rules(rule(when="{type: {ne: EAJE}}", then="{family: EAJE}")),
        [(CASE, None, "T.case.when", "a classify rule's condition is `type: {in: [...]}`")]),
    "exclusion_without_reason": (
        rules(rule(then="{eligible: false}", extra="priority: 77")),
        [(CASE, None, "T.case", "an exclusion rule needs a reason and an integer priority")]),
    "exclusion_without_priority": (
        rules(rule(then="{eligible: false, reason: NO_UNITS}")),
        [(CASE, None, "T.case", "an exclusion rule needs a reason and an integer priority")]),
    "unknown_formula": (
        rules(rule(when=None, then="{formula: magic}")),
        [(CASE, None, "T.case.then.formula",
          f"formula 'magic' is not implemented by the program (implemented: {IMPLEMENTED})")]),
    "unknown_cap_parameter": (
        rules(rule(then="{cap_per_unit: nope, reason: CAPPED}")),
        [(CASE, None, "T.case.then.cap_per_unit", "unknown parameter 'nope'")]),
    "priority_already_used": (
        # R3.outside_territory (eligibility.yaml, read before zz_case.yaml) has priority 10.
        rules(rule(then="{eligible: false, reason: NO_UNITS}", extra="priority: 10")),
        [(CASE, None, "T.case.priority", "priority 10 already used by R3.outside_territory")]),
    "rule_id_already_used": (
        # Every rule after the repeated one is still read: the rule without id below is reported too.
        rules(rule("R2.rpe"), rule(rid=None)),
        [(CASE, None, "R2.rpe", "rule id already used in families.yaml"),
         (CASE, None, "rules[1]", "a rule needs an id")]),
    "two_bad_rules": (
        # A refused rule does not stop the reading of the next ones.
        rules(rule(rid=None), rule(when=None)),
        [(CASE, None, "T.case.when", "a rule with an outcome needs a condition (when)"),
         (CASE, None, "rules[0]", "a rule needs an id")]),
    "parameter_already_defined": (
        # Every parameter after the repeated one is still read: the bad value of test.after is reported too.
        params(param("pilotage.deadline_year"), param("test.after", "lots")),
        [(CASE, None, "pilotage.deadline_year", "parameter already defined in pilotage.yaml"),
         (CASE, None, "test.after.values.2021-01-01", "expected a number, got 'lots'")]),
    "parameter_not_a_mapping": (
        "parameters:\n  test.param: 5\n",
        [(CASE, None, "test.param", "expected a mapping of keys and values, got 5")]),
    "parameter_with_a_then_key": (
        # `then` is a key of rules, not of parameters: the keys allowed are those of a parameter.
        params(param(extra="then: {method: historical}")),
        [(CASE, None, "test.param.then",
          "unknown key (allowed: choices, description, label, source, type, unit, values)")]),
    "rule_description_with_a_third_language": (
        # The description is a text or {en, fr}: a mapping with another language is refused at that language's
        # key, listing the languages (not pydantic's name of the union member it tried, nor the text's error).
        rules(rule(extra="description: {en: an English text, de: ein deutscher Text}")),
        [(CASE, None, "T.case.description.de", "unknown key (allowed: en, fr)")]),
    "rule_description_a_number": (
        # Neither a text nor a mapping: reported as the text it should be.
        rules(rule(extra="description: 5")),
        [(CASE, None, "T.case.description", "expected text, got 5")]),
    "rule_label_with_a_third_language": (
        rules(rule(extra="").replace("label: A test rule", "label: {en: A test rule, de: Eine Testregel}")),
        [(CASE, None, "T.case.label.de", "unknown key (allowed: en, fr)")]),
    "rule_label_without_english": (
        rules(rule(extra="").replace("label: A test rule", "label: {fr: Une regle de test}")),
        [(CASE, None, "T.case.label.en", "a value is required")]),
    "file_not_a_mapping": (
        "- a\n- b\n",
        [(CASE, None, None, "expected a mapping with parameters and rules")]),
    "rules_not_a_list": (
        "rules: 5\n",
        [(CASE, None, "rules", "expected a list, such as [A, B], got 5")]),
    "unknown_top_key": (
        "description: a file\nparams: {}\n",
        [(CASE, None, "params", "unknown key")]),
    "binary_file": (
        b"rules:\n\0\n",
        [(CASE, 2, None, "is not a text file (it holds binary data): give a CSV or YAML text file, saved as UTF-8")]),
}


@pytest.mark.parametrize("text, expected", list(CASES.values()), ids=list(CASES))
def test_a_bad_rule_or_parameter_is_refused_with_its_problems(tmp_path, text, expected):
    assert refused(tmp_path, text) == expected


# -- the value of a parameter, checked against its type (coerce_value)
VALUES = {
    "number_list": ("number", "[1]", "expected a number, got [1]"),
    "number_bool": ("number", "true", "expected a number, got True"),
    "number_word": ("number", "lots", "expected a number, got 'lots'"),
    "integer_decimal": ("integer", "2.5", "expected a whole number, got 2.5"),
    "integer_bool": ("integer", "true", "expected a whole number, got True"),
    "integer_quoted": ("integer", '"5"', "expected a whole number, got '5'"),
    "date_word": ("date", "soon", "expected a date such as 2030-12-31, got 'soon'"),
    "choice_other": ("choice", "c", "expected one of a, b, got 'c'"),
    "text_list": ("text", "[1]", "expected text, got [1]"),
    "expression_mapping": ("expression", "{a: 1}", "expected text, got {'a': 1}"),
}


@pytest.mark.parametrize("ptype, value, message", list(VALUES.values()), ids=list(VALUES))
def test_a_parameter_value_of_the_wrong_type_is_refused_with_what_was_expected(tmp_path, ptype, value, message):
    extra = "type: " + ptype + ("\n    choices: [a, b]" if ptype == "choice" else "")
    assert refused(tmp_path, params(param(value=value, extra=extra))) == \
        [(CASE, None, "test.param.values.2021-01-01", message)]


def test_a_value_that_is_no_plain_number_is_refused_even_if_it_reads_as_one():
    # coerce_value is also called on scenario values: only int, float, text and Decimal are numbers.
    with pytest.raises(ValueError) as exc:
        coerce_value("number", Fraction(5))
    assert str(exc.value) == "expected a number, got Fraction(5, 1)"


def test_an_unknown_parameter_type_is_refused():
    with pytest.raises(ValueError) as exc:
        coerce_value("money", 5)
    assert str(exc.value) == "unknown parameter type 'money'"


# -- problems of the whole folder


def test_an_empty_folder_is_refused(tmp_path):
    assert problems_of(tmp_path) == [(str(tmp_path), None, None, "no rules: expected YAML files")]


def test_a_rule_the_program_cites_must_keep_its_id(tmp_path):
    # R1.envelope (ctg.yaml) renamed: the program finds its formula under another id and asks to keep the id.
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    ctg = folder / "ctg.yaml"
    ctg.write_text(ctg.read_text(encoding="utf-8").replace("- id: R1.envelope\n", "- id: R1.env\n"),
                   encoding="utf-8")
    assert problems_of(folder) == [
        ("ctg.yaml", None, "R1.env", "the program cites this rule (formula 'envelope') as R1.envelope: keep that id")]
