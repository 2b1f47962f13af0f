"""Rule conditions said in words, from their normal form: hand-written conditions in both languages, families
folded back from the types they expand to, and the shipped rulebook rendered without a YAML key left."""

import datetime as dt
from decimal import Decimal

from ctg_funding.output.rule_words import (
    SUBJECTS,
    condition_words,
    in_force_words,
    outcome_words,
    rule_condition_words,
    rule_parameters,
    value_words,
)
from ctg_funding.rulebook import Rule, Source, load_rulebook
from ctg_funding.rulebook.conditions import TRUE, parse
from ctg_funding.rulebook.facts import FIELDS, day_number

FAMILIES = {"EAJE": ("EAJE", "MAM"), "RPE": ("RPE",), "LAEP": ("LAEP",), "ALSH": ("ALSH", "ALSH_PERI"),
            "PILOTAGE": ("COORDINATION",)}
LABELS = {"pilotage.deadline_year": "Last year of unconverted posts", "pilotage.min_etp": "Minimum ETP"}


def words(raw, families=FAMILIES):
    return condition_words(parse(raw, families), families, LABELS.get)


def test_the_brief_s_example_families_and_a_false_bool():
    raw = {"family": {"in": ["EAJE", "RPE", "LAEP", "ALSH"]}, "ps_funded": False}
    assert words(raw) == ("the structure's family is EAJE, RPE, LAEP or ALSH and it does not receive its "
                          "prestation de service")


def test_the_same_condition_in_french(french):
    raw = {"family": {"in": ["EAJE", "RPE", "LAEP", "ALSH"]}, "ps_funded": False}
    assert words(raw) == ("la famille de la structure est EAJE, RPE, LAEP ou ALSH et elle ne perçoit pas sa "
                          "prestation de service")


def test_types_that_do_not_make_whole_families_stay_types():
    assert words({"type": {"in": ["EAJE", "RPE"]}}) == "the structure's type is EAJE or RPE"
    assert words({"type": {"in": ["EAJE", "MAM", "RPE"]}}) == "the structure's family is EAJE or RPE"
    assert words({"type": "COORDINATION"}) == "the structure's family is PILOTAGE"
    assert words({"type": "COORDINATION"}, {}) == "the structure's type is COORDINATION"


def test_not_in_is_said_as_neither_nor():
    assert words({"not": {"family": {"in": ["EAJE", "RPE"]}}}) == "the structure's family is neither EAJE nor RPE"
    assert words({"not": {"commune_id": {"in": ["A", "B", "C"]}}}) == "the structure's commune is neither A, B nor C"
    assert words({"not": {"post_status": "charge_cooperation"}}) == "its post's status is not charge_cooperation"


def test_bools_say_their_clause_whichever_way_they_are_written():
    assert words({"in_territory": False}) == "it lies outside the CTG territory"
    assert words({"not": {"in_territory": False}}) == "it lies in the CTG territory"
    assert words({"signatory_support": {"ne": True}}) == "no signatory collectivité supports it"
    assert words({"has_cej": True}) == "it had CEJ funding in N-1"


def test_numbers_years_and_dates_with_params_and_fields():
    assert words({"units": {"lt": {"param": "pilotage.min_etp"}}}) == (
        "the number of its units (places, ETP or hours) is less than pilotage.min_etp (Minimum ETP)")
    assert words({"year": {"gt": {"param": "pilotage.deadline_year"}}}) == (
        "the year is after pilotage.deadline_year (Last year of unconverted posts)")
    assert words({"year": {"gte": 2026}}) == "the year is 2026 or later"
    assert words({"open_days": 0}) == "the number of days it is open in the year equals 0"
    assert words({"units": {"gte": 2.5}}) == "the number of its units (places, ETP or hours) is at least 2.5"
    assert words({"converted_on_day": {"gt": {"field": "year_first_day"}}}) == (
        "the date its post became chargé de coopération falls after 1 January of the year")
    assert words({"ctg_end_day": {"lte": day_number(dt.date(2030, 12, 31))}}) == (
        "the last day of its CTG falls on or before 2030-12-31")


def test_numbers_and_dates_in_french(french):
    assert words({"units": {"gte": 2.5}}) == "le nombre de ses unités (places, ETP ou heures) atteint au moins 2,5"
    assert words({"year": {"gt": 2025}}) == "l'année est postérieure à 2025"
    assert words({"ctg_start_day": {"gt": day_number(dt.date(2021, 1, 1))}}) == (
        "le premier jour de sa CTG tombe après 01/01/2021")


def test_nesting_either_or_inside_and_and_brackets_inside_or():
    raw = {"family": "PILOTAGE", "any": [{"post_status": {"ne": "charge_cooperation"}},
                                         {"converted_on_day": {"gt": {"field": "year_first_day"}}}]}
    assert words(raw) == ("the structure's family is PILOTAGE and either its post's status is not "
                          "charge_cooperation or the date its post became chargé de coopération falls after "
                          "1 January of the year")
    raw = {"any": [{"year": 2024}, {"all": [{"in_territory": True}, {"open_days": {"gt": 10}}]}]}
    assert words(raw) == ("the year is 2024 or (it lies in the CTG territory and the number of days it is open in "
                          "the year is more than 10)")
    assert words({"any": [{"type": "EAJE"}, {"type": "MAM"}]}) == "the structure's family is EAJE"


def test_no_condition_is_always():
    assert condition_words(TRUE) == "always"


def test_every_fact_field_has_a_meaning():
    assert {f.name for f in FIELDS} == set(SUBJECTS)
    for name, subject in SUBJECTS.items():
        assert subject.kind in ("text", "number", "date", "year", "bool"), name
        assert subject.kind != "bool" or (subject.true and subject.false), name


def _rule(kind_then, **extra):
    return Rule(id="RX.test", labels=(("en", "test"),), source=Source("a text", "assumed"), when=None, then=kind_then,
                file="x.yaml", **extra)


def test_outcomes_in_words():
    assert outcome_words(_rule({"eligible": False, "reason": "NOT_PS_FUNDED"}, priority=30)) == (
        "not eligible: NOT_PS_FUNDED (priority 30)")
    assert outcome_words(_rule({"family": "RPE", "volet": "enfance", "unit": "ETP", "line": "bonus_territoire"})) == (
        "family RPE, unit: ETP, paid on the bonus_territoire line, volet enfance")
    assert outcome_words(_rule({"cap_per_unit": "pilotage.cap_per_etp", "reason": "POST_CAPPED"}),
                         {"pilotage.cap_per_etp": "Ceiling"}.get) == (
        "its amount is capped at pilotage.cap_per_etp (Ceiling) per unit; what is above is released (POST_CAPPED)")
    assert outcome_words(_rule({"method": "historical"})) == "method historical, whatever the scenario says"
    assert "largest remainder" in outcome_words(_rule({"formula": "largest_remainder"}))


def test_dates_in_force_and_values(french):
    assert in_force_words(_rule({"formula": "floor"}, start=dt.date(2027, 1, 1))) == "à partir du 01/01/2027"
    assert in_force_words(_rule({"formula": "floor"})) is None
    assert value_words(Decimal("30200")) == "30\u202f200"
    assert value_words(2025) == "2025" and value_words(None) == "aucune"


def test_the_shipped_rules_read_without_yaml():
    rulebook = load_rulebook()
    for rule in rulebook.rules.values():
        text = rule_condition_words(rule, rulebook)
        assert (text is None) == (rule.when is None), rule.id
        if text:
            assert not any(mark in text for mark in ("{", "}", "[", "_day", "ps_funded", "in_territory")), text
    rule = rulebook.rules["R4.post_below_min_etp"]
    assert rule_parameters(rule, rulebook) == ["pilotage.deadline_year", "pilotage.min_etp"]
    assert rule_parameters(rulebook.rules["R4.post_capped"], rulebook) == ["pilotage.cap_per_etp",
                                                                            "pilotage.deadline_year"]
    # a classify rule defines the families: it is said with types
    assert rule_condition_words(rulebook.rules["R2.pilotage"], rulebook) == "the structure's type is COORDINATION"
