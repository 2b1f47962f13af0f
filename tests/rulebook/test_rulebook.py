"""Loading rules/: every mistake refused with the file and the key named; the shipped rulebook loads and is sourced.

Each refusal case copies the shipped rules/ to a temporary folder and adds one YAML file holding the mistake, so
that the error must name that file (and not a shipped one).
"""

import datetime as dt
import shutil
import types
from decimal import Decimal
from pathlib import Path

import pytest

from ctg_funding.errors import InputError
from ctg_funding.rulebook import STATUSES, Parameter, Rule, Source, default_rules_dir, load_rulebook

RULES = Path(__file__).resolve().parents[2] / "rules"
CASE = "zz_case.yaml"  # sorts after every shipped file: the shipped ones are read first

# The 14 structure types a dataset may use (docs/datasets.md, structures.csv `type`).
CONTRACT_TYPES = {
    "EAJE", "CRECHE_FAMILIALE", "MICRO_CRECHE_PAJE", "MAM", "RPE", "LAEP", "ALSH_PERI", "ALSH_EXTRA", "ALSH",
    "ACCUEIL_JEUNES", "SEJOURS", "BAFA_BAFD", "LUDOTHEQUE", "COORDINATION",
}

SOURCE = '{text: "a test source", status: assumed}'


def refused(tmp_path: Path, text: str) -> list:
    """Load the shipped rules plus one file `text`; return the problems of the InputError it must raise."""
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    (folder / CASE).write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_rulebook(folder)
    return exc.value.problems


def one_problem(problems: list, column: str | None, *words: str):
    """The single problem of the case file at `column`, whose message holds every word."""
    mine = [p for p in problems if p.file == CASE]
    assert len(mine) == 1, problems
    problem = mine[0]
    assert problem.column == column, problem
    for word in words:
        assert word in problem.message, problem
    assert CASE in str(problem)
    return problem


def rule(when: str = "{year: 2024}", then: str = "{method: historical}", extra: str = "", rid: str = "T.case",
         source: str = SOURCE) -> str:
    lines = [f"  - id: {rid}", "    label: A test rule"]
    if source:
        lines.append(f"    source: {source}")
    if when:
        lines.append(f"    when: {when}")
    lines.append(f"    then: {then}")
    if extra:
        lines.append(f"    {extra}")
    return "rules:\n" + "\n".join(lines) + "\n"


def test_the_case_file_itself_is_valid(tmp_path):
    # The cases below each change one thing of this rule; unchanged, it loads.
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    (folder / CASE).write_text(rule(), encoding="utf-8")
    rulebook = load_rulebook(folder)
    assert rulebook.rules["T.case"].file == CASE


def test_a_rule_without_source_is_refused(tmp_path):
    one_problem(refused(tmp_path, rule(source="")), "T.case", "needs a source")


@pytest.mark.parametrize("status", ["guessed", "Seed", ""])
def test_a_rule_whose_source_status_is_unknown_is_refused(tmp_path, status):
    one_problem(refused(tmp_path, rule(source=f'{{text: "a text", status: "{status}"}}')), "T.case",
                "needs a source", "seed | national | assumed")


def test_a_rule_whose_source_has_no_text_is_refused(tmp_path):
    one_problem(refused(tmp_path, rule(source="{status: seed}")), "T.case", "needs a source")


def test_an_unknown_key_in_a_rule_is_refused(tmp_path):
    one_problem(refused(tmp_path, rule(extra="priorty: 3")), "T.case.priorty", "unknown key")


def test_an_unknown_key_in_a_rule_outcome_is_refused(tmp_path):
    one_problem(refused(tmp_path, rule(then="{methode: historical}")), "T.case.then.methode", "unknown key")


PARAM = """parameters:
  test.param:
    label: A test parameter
    unit: EUR
    source: {text: "a test source", status: assumed}
    values:
      2021-01-01: 2600
"""


def test_an_unknown_key_in_a_parameter_is_refused(tmp_path):
    one_problem(refused(tmp_path, PARAM + "    valeur: 3\n"), "test.param.valeur", "unknown key")


def test_each_mistake_in_a_rule_or_parameter_says_what_is_expected(tmp_path):
    # The whole message of each mistake, at the key a Caf officer must fix.
    cases = {
        "no_label": (rule().replace("    label: A test rule\n", ""), "T.case", "needs a label"),
        "no_then": (rule().replace("    then: {method: historical}\n", ""), "T.case.then",
                    "a rule needs an outcome (then)"),
        "then_key": (rule(then="{methode: historical}"), "T.case.then.methode",
                     "unknown key (allowed: cap_per_unit, eligible, family, formula, line, method, posts, reason, "
                     "unit, volet)"),
        "rule_key": (rule(extra="priorty: 3"), "T.case.priorty",
                     "unknown key (allowed: description, from, id, label, priority, source, then, until, when)"),
        "param_key": (PARAM + "    valeur: 3\n", "test.param.valeur",
                      "unknown key (allowed: choices, description, label, source, type, unit, values)"),
        "not_a_date": (PARAM.replace("2021-01-01: 2600", "first: 2600"), "test.param.values.first",
                       "the key must be a date (YYYY-MM-DD)"),
        "no_values": (PARAM.replace("    values:\n      2021-01-01: 2600\n", "    values: {}\n"),
                      "test.param.values", "needs dated values: {2021-01-01: <value>}"),
        "no_param_label": (PARAM.replace("    label: A test parameter\n", ""), "test.param", "needs a label"),
        "priority_text": (rule(extra="priority: high"), "T.case.priority", "expected a whole number, got 'high'"),
        "values_not_mapping": (PARAM.replace("    values:\n      2021-01-01: 2600\n", "    values: 5\n"),
                               "test.param.values", "expected a mapping of keys and values, got 5"),
    }
    for name, (text, column, message) in cases.items():
        problem = one_problem(refused(tmp_path / name, text), column)
        assert problem.message == message, (name, problem)


def test_two_values_for_the_same_date_are_refused(tmp_path):
    problem = one_problem(refused(tmp_path, PARAM + "      2021-01-01: 3100\n"), None, "appears twice", "2021")
    assert problem.row == 8  # the line of the second 2021-01-01


def test_a_parameter_value_of_the_wrong_type_is_refused(tmp_path):
    one_problem(refused(tmp_path, PARAM.replace("2600", "lots")), "test.param.values.2021-01-01", "number")


def test_an_unknown_parameter_in_a_condition_is_refused(tmp_path):
    one_problem(refused(tmp_path, rule(when="{year: {gt: {param: nope}}}")), "T.case.when",
                "unknown parameter 'nope'")


def test_an_unknown_field_in_a_condition_is_refused(tmp_path):
    one_problem(refused(tmp_path, rule(when="{yaer: 2024}")), "T.case.when", "unknown field 'yaer'")


def test_an_unknown_field_as_an_operand_is_refused(tmp_path):
    one_problem(refused(tmp_path, rule(when="{year: {gt: {field: nope}}}")), "T.case.when", "unknown field 'nope'")


def test_an_unknown_operator_is_refused(tmp_path):
    one_problem(refused(tmp_path, rule(when="{units: {between: 3}}")), "T.case.when", "unknown operator 'between'")


def test_an_unknown_family_is_refused(tmp_path):
    one_problem(refused(tmp_path, rule(when="{family: CRECHE}")), "T.case.when", "unknown family 'CRECHE'")
    one_problem(refused(tmp_path / "in", rule(when="{family: {in: [EAJE, CRECHE]}}")), "T.case.when",
                "unknown family 'CRECHE'")


def test_a_family_paid_outside_the_envelope_lines_is_refused(tmp_path):
    # A family is shared from the CEJ envelope: its line is bonus_territoire or pilotage. The other lines come from
    # their formulas (R5, R8); a family on one of them had no envelope line, and audit stopped on an internal error.
    then = "{family: NEW_FAMILY, volet: enfance, unit: places, line: bonus_places_nouvelles}"
    problem = one_problem(refused(tmp_path, rule(when="{type: {in: [LUDOTHEQUE]}}", then=then)), "T.case.then.line")
    assert problem.message == "Input should be 'bonus_territoire' or 'pilotage'"


def test_two_exclusion_rules_with_the_same_priority_are_refused(tmp_path):
    # R3.outside_territory (eligibility.yaml) has priority 10.
    text = rule(when="{units: 0}", then="{eligible: false, reason: NO_UNITS}", extra="priority: 10")
    one_problem(refused(tmp_path, text), "T.case.priority", "priority 10 already used by R3.outside_territory")


def test_an_exclusion_rule_without_priority_is_refused(tmp_path):
    text = rule(when="{units: 0}", then="{eligible: false, reason: NO_UNITS}")
    one_problem(refused(tmp_path, text), "T.case", "priority")


def test_a_rule_id_used_in_two_files_is_refused(tmp_path):
    problem = one_problem(refused(tmp_path, rule(rid="R2.rpe")), "R2.rpe", "already used in families.yaml")
    assert "families.yaml" in str(problem)


def test_a_parameter_defined_in_two_files_is_refused(tmp_path):
    text = PARAM.replace("test.param", "pilotage.deadline_year")
    one_problem(refused(tmp_path, text), "pilotage.deadline_year", "already defined in pilotage.yaml")


# -- the shipped rulebook


@pytest.fixture(scope="module")
def rulebook():
    return load_rulebook(RULES)


def test_the_shipped_rulebook_loads(rulebook):
    assert rulebook.rules and rulebook.parameters
    assert rulebook.version.startswith("sha256:")
    assert rulebook.value("pilotage.deadline_year", 2025) == 2025


def test_the_types_are_exactly_those_of_the_contract(rulebook):
    assert rulebook.types == CONTRACT_TYPES
    assert len(rulebook.types) == 14
    # and each type has exactly one family
    assert sum(len(types) for types in rulebook.families.values()) == 14


def test_every_rule_and_parameter_is_sourced(rulebook):
    for item in [*rulebook.rules.values(), *rulebook.parameters.values()]:
        assert isinstance(item.source, Source)
        assert item.source.text.strip(), item
        assert item.source.status in STATUSES, item
    assert set(STATUSES) == {"seed", "national", "assumed"}


def test_a_parameter_gives_the_value_in_force():
    param = Parameter(name="p", labels=(("en", "p"),), unit="EUR", type="number", source=Source("s", "assumed"),
                      values=((dt.date(2021, 1, 1), Decimal(2600)), (dt.date(2025, 1, 1), Decimal(3100))), file="f")
    assert param.at(dt.date(2020, 12, 31)) is None
    assert param.at(dt.date(2021, 1, 1)) == 2600
    assert param.at(dt.date(2024, 12, 31)) == 2600
    assert param.at(dt.date(2025, 1, 1)) == 3100
    assert param.at(dt.date(2040, 6, 1)) == 3100
    # `ctg rules` and `ctg explain` say since when: a value dated 1 January is in force on that very day.
    assert param.dated_value(dt.date(2020, 12, 31)) == (None, None)
    assert param.dated_value(dt.date(2021, 1, 1)) == (dt.date(2021, 1, 1), 2600)
    assert param.dated_value(dt.date(2025, 1, 1)) == (dt.date(2025, 1, 1), 3100)


def test_dated_values_are_read_in_date_order(tmp_path):
    # Written out of order in the file, the values are still in force from their own date.
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    (folder / CASE).write_text(PARAM.replace("      2021-01-01: 2600\n", "      2025-01-01: 3100\n"
                                             "      2021-01-01: 2600\n"), encoding="utf-8")
    rulebook = load_rulebook(folder)
    assert rulebook.value("test.param", 2024) == Decimal(2600)
    assert rulebook.value("test.param", 2025) == Decimal(3100)
    assert rulebook.value("test.param", 2020) is None


def test_a_rule_is_in_force_in_every_year_one_of_whose_days_lies_between_its_from_and_until():
    # `ctg rules --at` lists the rules in force: a rule with until 2023-01-01 still covers 2023 (its first day), one
    # from 2023-12-31 already covers 2023 (its last day); neither covers the year beyond.
    def dated(start, until):
        return Rule(id="T", labels=(("en", "t"),), source=Source("s", "assumed"), when={"year": 2000},
                    then={"method": "per_unit"}, file="f", start=start, until=until)

    ending = dated(None, dt.date(2023, 1, 1))
    assert [ending.in_force(y) for y in (2022, 2023, 2024)] == [True, True, False]
    starting = dated(dt.date(2023, 12, 31), None)
    assert [starting.in_force(y) for y in (2022, 2023, 2024)] == [False, True, True]
    both = dated(dt.date(2023, 12, 31), dt.date(2024, 1, 1))
    assert [both.in_force(y) for y in (2022, 2023, 2024, 2025)] == [False, True, True, False]


def test_families_and_their_classify_rules(rulebook):
    assert [rulebook.family_of_type(t) for t in ("MAM", "RPE", "ACCUEIL_JEUNES", "LUDOTHEQUE", "COORDINATION")] == \
        ["EAJE", "RPE", "ALSH", "JEUNESSE_FORFAIT", "PILOTAGE"]
    with pytest.raises(KeyError, match="CRECHE"):
        rulebook.family_of_type("CRECHE")
    assert [rulebook.classify_rule(f).id for f in ("EAJE", "PILOTAGE")] == ["R2.eaje", "R2.pilotage"]


def test_the_rules_folder_is_found(tmp_path, monkeypatch):
    from ctg_funding.rulebook import load as load_module

    monkeypatch.setenv("CTG_RULES_DIR", str(tmp_path))
    assert default_rules_dir() == tmp_path
    monkeypatch.delenv("CTG_RULES_DIR")
    assert default_rules_dir() == RULES  # a checkout: the repository's rules/
    # Installed from a wheel (no rules/ beside the package): the copy shipped as ctg_funding.rulesdata.
    monkeypatch.setattr(load_module, "__file__", str(tmp_path / "site" / "ctg_funding" / "rulebook" / "load.py"))
    shipped = types.SimpleNamespace(submodule_search_locations=[str(tmp_path / "site" / "ctg_funding" / "rulesdata")])
    asked = []
    monkeypatch.setattr(load_module.importlib.util, "find_spec", lambda name: asked.append(name) or shipped)
    assert default_rules_dir() == tmp_path / "site" / "ctg_funding" / "rulesdata"
    assert asked == ["ctg_funding.rulesdata"]
    monkeypatch.setattr(load_module.importlib.util, "find_spec", lambda _name: types.SimpleNamespace(
        submodule_search_locations=[]))
    with pytest.raises(InputError):
        default_rules_dir()
    monkeypatch.setattr(load_module.importlib.util, "find_spec", lambda _name: None)
    with pytest.raises(InputError) as info:
        default_rules_dir()
    assert [(p.file, p.row, p.column, p.message) for p in info.value.problems] == \
        [("rules", None, None, "no rules folder found: set CTG_RULES_DIR or use --rules")]
