"""What a loaded rulebook holds, read back against the text of the rules: labels (English, French), sources (text,
status, url), descriptions, parameter values of each type, the value in force in a year, and the rulebook's version.
`ctg explain`, `ctg rules` and the HTML report show these texts as the rules give them.
"""

import datetime as dt
import hashlib
import shutil
import types
from decimal import Decimal
from pathlib import Path

import pytest

from ctg_funding import i18n
from ctg_funding.rulebook import Source, load_rulebook
from ctg_funding.rulebook.facts import FIELD_BY_NAME, json_value

RULES = Path(__file__).resolve().parents[2] / "rules"
CASE = "zz_case.yaml"

# A file that loads beside the shipped ones, with the forms the shipped rules do not use: a label and a source text
# given as plain text, a url, a description as plain text, an English-only label, values of every type.
CASE_TEXT = """\
parameters:
  test.number:
    label: A number
    unit: EUR
    source: {text: "a plain source", status: national, url: "https://example.org/number"}
    values:
      2021-01-01: 2600
      2025-01-02: "3100.50"
  test.integer:
    label: {en: A whole number}
    type: integer
    source: {text: {en: an English source}, status: seed, url: "https://example.org/integer"}
    values:
      2021-01-01: 7
  test.date:
    label: A date
    type: date
    unit: date
    source: {text: a source, status: assumed}
    values:
      2021-01-01: 2030-12-31
      2022-01-01: "2031-06-30"
      2023-01-01: null
  test.text:
    label: A text
    type: text
    source: {text: a source, status: assumed}
    values:
      2021-01-01: 12
  test.choice:
    label: A choice
    type: choice
    choices: [a, b]
    source: {text: a source, status: assumed}
    values:
      2021-01-01: b
rules:
  - id: T.plain
    label: A plain label
    description: A plain description
    source: {text: "a plain rule source", status: seed, url: "https://example.org/rule"}
    when: {units: 3}
    then: {method: per_unit}
    priority: 10
  - id: T.english
    label: {en: An English label}
    source: {text: {en: an English rule source}, status: national}
    when: {units: 4}
    then: {family: null, method: weighted}
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("values") / "rules"
    shutil.copytree(RULES, folder)
    (folder / CASE).write_text(CASE_TEXT, encoding="utf-8")
    return folder


@pytest.fixture  # not module-scoped: mutation testing counts what a test runs in its own call, and setup too
def rulebook(folder):
    return load_rulebook(folder)


def in_french(read):
    i18n.set_language("fr")
    try:
        return read()
    finally:
        i18n.set_language("en")


def test_a_shipped_rule_reads_as_the_rules_write_it(rulebook):
    rule = rulebook.rules["R2.not_psu_type"]  # rules/eligibility.yaml
    assert rule.file == "eligibility.yaml"
    assert rule.label == "Micro-crèches PAJE and MAM are not PSU-funded, whatever the dataset says"
    assert in_french(lambda: rule.label) == \
        "Les micro-crèches PAJE et les MAM ne perçoivent pas la PSU, quoi qu'en dise le jeu de données"
    # Folded YAML text (`>`): the lines joined by spaces, one final newline.
    assert rule.description == (
        "docs/funding-rules.md R2 excludes these types from the bonus before any R3 condition is tested: a MAM or a "
        "micro-crèche PAJE is never eligible, wherever it lies and whoever supports it, so its reason is always "
        "NOT_PS_FUNDED (priority 5, ahead of R3's conditions).\n")
    assert in_french(lambda: rule.description) == (
        "docs/funding-rules.md R2 exclut ces types du bonus avant que toute condition de R3 soit examinée : une MAM "
        "ou une micro-crèche PAJE n'est jamais éligible, où qu'elle se trouve et qui que ce soit qui la soutienne ; "
        "son motif est donc toujours NOT_PS_FUNDED (priorité 5, avant les conditions de R3).\n")
    assert rule.source == Source(
        "docs/funding-rules.md R2 (micro-crèche PAJE, MAM: not PSU-funded); Cnaf: micro-crèches financed by the PAJE "
        "(CMG) and MAM receive no PSU; CTG CAB Annexe 1 (3 micro-crèches PAJE, 4 MAM)",
        "national", None,
        "docs/funding-rules.md R2 (micro-crèche PAJE, MAM : pas de PSU) ; Cnaf : les micro-crèches financées par la "
        "PAJE (CMG) et les MAM ne perçoivent pas la PSU ; CTG CAB annexe 1 (3 micro-crèches PAJE, 4 MAM)")
    assert rule.priority == 5
    assert dict(rule.then) == {"eligible": False, "reason": "NOT_PS_FUNDED"}


def test_a_shipped_parameter_reads_as_the_rules_write_it(rulebook):
    param = rulebook.parameters["pilotage.deadline_year"]  # rules/pilotage.yaml
    assert (param.name, param.unit, param.type, param.file) == ("pilotage.deadline_year", "year", "integer",
                                                                "pilotage.yaml")
    assert param.label == "Last year in which CEJ coordinator posts keep their pilotage funding unconverted"
    assert in_french(lambda: param.label) == \
        "Dernière année où les postes de coordinateur CEJ gardent leur financement au titre du pilotage sans évolution"
    assert param.source == Source(
        "CTG CAB 2021-2025, Article 6-b and Axe 12: en 2025, seuls les postes ... charge de cooperation territoriale "
        "continueront a beneficier de financements au titre du pilotage", "seed", None,
        "CTG CAB 2021-2025, article 6-b et axe 12 : en 2025, seuls les postes ... chargé de coopération territoriale "
        "continueront à bénéficier de financements au titre du pilotage")
    assert param.values == ((dt.date(2021, 1, 1), 2025),)


def test_plain_labels_sources_and_descriptions_read_the_same_in_every_language(rulebook):
    plain = rulebook.rules["T.plain"]
    assert plain.source == Source("a plain rule source", "seed", "https://example.org/rule", None)
    english = rulebook.rules["T.english"]
    assert english.source == Source("an English rule source", "national", None, None)
    for lang in ("en", "fr"):
        i18n.set_language(lang)
        assert (plain.label, plain.description, plain.source.text) == \
            ("A plain label", "A plain description", "a plain rule source"), lang
        assert (english.label, english.description, english.source.text) == \
            ("An English label", "", "an English rule source"), lang
    number = rulebook.parameters["test.number"]
    assert (number.name, number.label, number.unit, number.type, number.file) == \
        ("test.number", "A number", "EUR", "number", CASE)
    assert number.source == Source("a plain source", "national", "https://example.org/number", None)
    integer = rulebook.parameters["test.integer"]
    assert integer.source == Source("an English source", "seed", "https://example.org/integer", None)
    assert (integer.label, in_french(lambda: integer.label), integer.unit) == ("A whole number", "A whole number", "")


def test_a_key_given_no_value_in_an_outcome_is_left_out(rulebook):
    # `family: null` is no classification: T.english is a method rule.
    rule = rulebook.rules["T.english"]
    assert dict(rule.then) == {"method": "weighted"}
    assert rule.kind == "method"


def test_only_exclusion_rules_share_the_priorities(rulebook):
    # T.plain (a method rule) has priority 10, as the exclusion rule R3.outside_territory: no clash, it loads.
    assert rulebook.rules["T.plain"].priority == rulebook.rules["R3.outside_territory"].priority == 10


def test_each_parameter_value_is_read_as_its_type(rulebook):
    values = {name: rulebook.parameters[f"test.{name}"].values
              for name in ("number", "integer", "date", "text", "choice")}
    assert values == {
        "number": ((dt.date(2021, 1, 1), Decimal("2600")), (dt.date(2025, 1, 2), Decimal("3100.50"))),
        "integer": ((dt.date(2021, 1, 1), 7),),
        "date": ((dt.date(2021, 1, 1), dt.date(2030, 12, 31)), (dt.date(2022, 1, 1), dt.date(2031, 6, 30)),
                 (dt.date(2023, 1, 1), None)),
        "text": ((dt.date(2021, 1, 1), "12"),),
        "choice": ((dt.date(2021, 1, 1), "b"),),
    }


def test_a_year_uses_the_value_in_force_on_its_first_of_january(rulebook):
    # test.number: 2600 from 2021-01-01, 3100.50 from 2025-01-02 (a day too late for 2025).
    assert [rulebook.value("test.number", y) for y in (2020, 2021, 2025, 2026)] == \
        [None, Decimal("2600"), Decimal("2600"), Decimal("3100.50")]


def test_an_overridden_parameter_has_its_new_values_source_and_file(rulebook):
    base = rulebook.parameters["test.number"]
    source = Source("a scenario", "assumed")
    changed = base.overridden(((dt.date(2021, 1, 1), Decimal(5)),), source, "scenario.yaml")
    assert (changed.values, changed.source, changed.file) == \
        (((dt.date(2021, 1, 1), Decimal(5)),), source, "scenario.yaml")
    assert (changed.name, changed.label, changed.unit) == ("test.number", "A number", "EUR")
    overridden = rulebook.with_overrides({"test.number": changed})
    assert overridden.version == rulebook.version
    assert overridden.value("test.number", 2030) == Decimal(5)
    assert rulebook.value("test.number", 2030) == Decimal("3100.50")


def test_the_version_is_the_start_of_the_sha256_of_the_files(folder, rulebook):
    # The version names the rules' text: sha256 over each *.yaml file in name order, its name, a NUL byte, its
    # text, a NUL byte; its first 16 hexadecimal digits.
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.yaml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    assert rulebook.version == "sha256:" + digest.hexdigest()[:16]
    assert len(rulebook.version) == len("sha256:") + 16


def test_facts_without_a_value():
    # A parameter with no value (null) compares as zero (1970-01-01 for a date); a structure without a post status
    # has the empty text.
    assert json_value(None) == 0
    read = FIELD_BY_NAME["post_status"].read
    assert read(types.SimpleNamespace(structure=types.SimpleNamespace(post_status=None))) == ""
