"""The engine, exactly: small rulebooks written here (not the shipped ones), on structure-years built by hand, where
the boundary of an operator, a rule's dates in force, a parameter's value or a fact's field decides eligibility;
both evaluators, with the expected outcome worked out by hand. Also the shapes the engine's parts promise (the
compiled form of a rule, the NumPy type of each column, one code per distinct set of fired rules) and the errors
the durable-rules wrapper must raise.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest

from ctg_funding.engine import evaluate
from ctg_funding.engine.compile import CompiledRule, compile_rule
from ctg_funding.engine.durable import DurableError, DurableEvaluator
from ctg_funding.engine.facts import build_fact, fact_columns
from ctg_funding.engine.vector import patterns
from ctg_funding.errors import InputError
from ctg_funding.inputs.model import Structure
from ctg_funding.rulebook import Parameter, Rule, Rulebook, Source
from ctg_funding.rulebook.conditions import TRUE, All, Cmp, Operand, parse
from ctg_funding.scenario.structure_years import StructureYear

ENGINES = ["durable", "vector"]
SOURCE = Source("a test source", "assumed")
START = dt.date(2021, 1, 1)


def rule(rid: str, when, then: dict, priority: int | None = None, start: dt.date | None = None,
         until: dt.date | None = None) -> Rule:
    return Rule(id=rid, labels=(("en", rid),), source=SOURCE, when=when, then=then, file="test.yaml",
                priority=priority, start=start, until=until)


def param(name: str, type_: str, *values: tuple[dt.date, object]) -> Parameter:
    return Parameter(name=name, labels=(("en", name),), unit="", type=type_, source=SOURCE, values=tuple(values),
                     file="test.yaml")


CLASSIFY = rule("C.eaje", {"type": {"in": ["EAJE"]}}, {"family": "EAJE", "unit": "places"})


def rulebook(*rules: Rule, parameters: tuple[Parameter, ...] = ()) -> Rulebook:
    return Rulebook(parameters={p.name: p for p in parameters}, rules={r.id: r for r in (CLASSIFY, *rules)},
                    version="test")


def sy(sid: str, year: int = 2024, *, type_: str = "EAJE", units: str = "10", territory: str = "T",
       in_territory: bool = True) -> StructureYear:
    structure = Structure(id=sid, name=sid, type=type_, commune_id="C1", manager_id="C1", supported_by=("C1",),
                          ps_funded=True, opened=dt.date(2010, 1, 1), units=Decimal(units))
    days = (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days
    return StructureYear(structure=structure, year=year, open_days=days, unit_days=Decimal(units) * days,
                         units=Decimal(units), in_territory=in_territory, signatory_support=True, ps_funded=True,
                         has_cej=True, territory_id=territory, ctg_start=START, ctg_end=dt.date(2030, 12, 31))


def eligible(structure_years, book: Rulebook, engine: str, rulebook_of=None) -> dict[str, bool]:
    return {k: e.eligible for k, e in evaluate(structure_years, book, engine, rulebook_of).items()}


# -- operators at their boundary: units 9, 10 and 11 against 10; the rule excludes where it holds

HOLDS = {  # op: does `units op 10` hold for 9, 10, 11
    "lt": (True, False, False), "lte": (True, True, False), "gt": (False, False, True),
    "gte": (False, True, True), "eq": (False, True, False), "ne": (True, False, True),
}
TEN = (param("t.ten", "number", (START, Decimal("10"))), param("t.ten_int", "integer", (START, 10)))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("operand", [10, 10.0, {"param": "t.ten"}, {"param": "t.ten_int"}],
                         ids=["int", "float", "number_param", "integer_param"])
@pytest.mark.parametrize("op", list(HOLDS))
@pytest.mark.parametrize("negated", [False, True], ids=["as_is", "negated"])
def test_each_operator_at_its_boundary(engine, operand, op, negated):
    when = {"units": {op: operand}}
    book = rulebook(rule(f"X.{op}", {"not": when} if negated else when, {"eligible": False, "reason": "X"},
                         priority=1), parameters=TEN)
    holds = HOLDS[op]
    if negated:
        holds = tuple(not h for h in holds)
    assert eligible([sy("U9", units="9"), sy("U10", units="10"), sy("U11", units="11")], book, engine) == {
        "U9|2024": not holds[0], "U10|2024": not holds[1], "U11|2024": not holds[2]}


# -- dates in force: a rule applies to a year from its `from` (year's last day on or after it) until its `until`
# (year's first day on or before it)

@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("start, until, excluded_years", [
    (dt.date(2024, 12, 31), None, {2024, 2025}),   # in force on the last day of 2024
    (dt.date(2025, 1, 1), None, {2025}),
    (None, dt.date(2024, 1, 1), {2023, 2024}),     # in force on the first day of 2024
    (None, dt.date(2023, 12, 31), {2023}),
    (dt.date(2024, 6, 1), dt.date(2024, 6, 30), {2024}),
], ids=["from_last_day", "from_next_year", "until_first_day", "until_year_before", "one_month"])
def test_dates_in_force_at_their_boundary(engine, start, until, excluded_years):
    book = rulebook(rule("X.dated", {"units": {"gte": 0}}, {"eligible": False, "reason": "DATED"}, priority=1,
                         start=start, until=until))
    got = eligible([sy("S", 2023), sy("S", 2024), sy("S", 2025)], book, engine)
    assert got == {f"S|{y}": y not in excluded_years for y in (2023, 2024, 2025)}


@pytest.mark.parametrize("engine", ENGINES)
def test_an_empty_condition_with_dates_in_force_holds_in_those_years_only(engine):
    # `when: {}` holds always; with `from`, it is "always, from that date": both parts are combined.
    book = rulebook(rule("M.later", {}, {"method": "per_unit"}, start=dt.date(2025, 1, 1)))
    got = {k: e.method for k, e in evaluate([sy("S", 2024), sy("S", 2025)], book, engine).items()}
    assert got == {"S|2024": None, "S|2025": "per_unit"}


def test_a_rule_compiles_to_its_condition_and_its_dates_as_day_numbers():
    when = {"units": {"gt": 2}}
    families = {"EAJE": ("EAJE",)}
    assert compile_rule(rule("A", when, {"method": "per_unit"}), families) == CompiledRule("A", parse(when, {}))
    # day numbers since 1970-01-01: 2024-01-01 is 54 x 365 + 13 leap days (1972 ... 2020) = 19,723;
    # 2024-03-01 is 31 + 29 days later = 19,783; 2024-06-30 is 31 + 29 + 31 + 30 + 31 + 29 days later = 19,904.
    dated = rule("B", when, {"method": "per_unit"}, start=dt.date(2024, 3, 1), until=dt.date(2024, 6, 30))
    assert compile_rule(dated, families) == CompiledRule("B", All((
        Cmp("units", "gt", Operand("const", 2)),
        Cmp("year_last_day", "gte", Operand("const", 19783)),
        Cmp("year_first_day", "lte", Operand("const", 19904)))))
    assert compile_rule(rule("C", {}, {"method": "per_unit"}), families) == CompiledRule("C", TRUE)


# -- the classify rule: the line it gives, and exactly one per structure-year

@pytest.mark.parametrize("engine", ENGINES)
def test_the_line_is_the_classify_rules_or_bonus_territoire(engine):
    book = Rulebook(parameters={}, rules={r.id: r for r in (
        rule("C.eaje", {"type": {"in": ["EAJE"]}}, {"family": "EAJE", "unit": "places"}),
        rule("C.coord", {"type": {"in": ["COORDINATION"]}}, {"family": "PILOTAGE", "unit": "ETP",
                                                                 "line": "pilotage"}))}, version="test")
    got = {k: (e.family, e.unit, e.line, e.classify_rule)
           for k, e in evaluate([sy("E"), sy("P", type_="COORDINATION")], book, engine).items()}
    assert got == {"E|2024": ("EAJE", "places", "bonus_territoire", "C.eaje"),
                   "P|2024": ("PILOTAGE", "ETP", "pilotage", "C.coord")}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_structure_year_no_rule_fires_on_is_named(engine):
    # Only the classify rule, which does not cover LAEP: nothing fires on the second structure-year.
    with pytest.raises(InputError) as info:
        evaluate([sy("E"), sy("L", type_="LAEP")], rulebook(), engine)
    assert [(p.file, p.row, p.column, p.message) for p in info.value.problems] == [
        ("rules", None, None, "structure L of type 'LAEP' must match exactly one classify rule in 2024, matched: none")]


# -- parameters read by conditions, with their types

@pytest.mark.parametrize("engine", ENGINES)
def test_a_text_parameter_compared_with_a_text_field(engine):
    # The parameter names the type excluded; territory T2 has another value than T.
    kind = param("t.kind", "text", (START, "EAJE"))
    book = rulebook(rule("C.laep", {"type": {"in": ["LAEP"]}}, {"family": "LAEP", "unit": "places"}),
                    rule("X.kind", {"type": {"param": "t.kind"}}, {"eligible": False, "reason": "KIND"}, priority=1),
                    parameters=(kind,))
    other = book.with_overrides({"t.kind": param("t.kind", "text", (START, "LAEP"))})
    books = {"T": book, "T2": other}
    structure_years = [sy("E"), sy("L", type_="LAEP"), sy("E2", territory="T2"), sy("L2", type_="LAEP", territory="T2")]
    assert eligible(structure_years, book, engine, books.__getitem__) == {
        "E|2024": False, "L|2024": True, "E2|2024": True, "L2|2024": False}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_parameter_that_is_true_or_false_compared_with_a_flag(engine):
    # A flag parameter (not a type rules/ offers, but the evaluators take any value a fact can carry): excluded
    # where the structure's in_territory equals it.
    flag = param("t.flag", "choice", (START, True), (dt.date(2025, 1, 1), False))
    book = rulebook(rule("X.flag", {"in_territory": {"param": "t.flag"}}, {"eligible": False, "reason": "FLAG"},
                         priority=1), parameters=(flag,))
    structure_years = [sy("IN", 2024), sy("OUT", 2024, in_territory=False), sy("IN", 2025),
                       sy("OUT", 2025, in_territory=False)]
    assert eligible(structure_years, book, engine) == {
        "IN|2024": False, "OUT|2024": True, "IN|2025": True, "OUT|2025": False}


# -- the columns of the vector evaluator: the NumPy type of the table of fields, the values of build_fact

def test_columns_have_the_type_of_their_field():
    structure_years = [sy("A", 2024, units="1.5"), sy("B", 2025, in_territory=False)]
    cols = fact_columns(structure_years, {"year", "year_days", "units", "in_territory", "type", "open_days"}, [],
                        lambda _t: rulebook())
    assert {k: v.dtype for k, v in cols.items()} == {
        "year": np.dtype("int64"), "year_days": np.dtype("int64"), "units": np.dtype("float64"),
        "in_territory": np.dtype("bool"), "type": np.dtype("object"), "open_days": np.dtype("int64")}
    assert {k: v.tolist() for k, v in cols.items()} == {
        "year": [2024, 2025], "year_days": [366, 365], "units": [1.5, 10.0], "in_territory": [True, False],
        "type": ["EAJE", "EAJE"], "open_days": [366, 365]}


Y25, Y26 = dt.date(2025, 1, 1), dt.date(2026, 1, 1)


@pytest.mark.parametrize("values, dtype, column", [  # the values in force in 2024, 2025 and 2026
    (((START, True), (Y25, False)), "bool", [True, False, False]),
    (((START, 7), (Y25, True)), "int64", [7, 1, 1]),
    (((START, 7), (Y25, Decimal("2.5"))), "float64", [7.0, 2.5, 2.5]),
    (((START, True), (Y25, Decimal("2.5"))), "float64", [1.0, 2.5, 2.5]),
    (((START, 7), (Y25, True), (Y26, Decimal("2.5"))), "float64", [7.0, 1.0, 2.5]),
    (((Y25, Decimal("2.5")),), "float64", [0.0, 2.5, 2.5]),  # no value in 2024: 0
    (((START, 2**70), (Y25, Decimal("2.5"))), "float64", [2.0**70, 2.5, 2.5]),  # too large for int64: a float
    (((START, dt.date(1970, 1, 11)),), "int64", [10, 10, 10]),  # a date: its day number
    (((START, 7), (Y25, "seven")), "object", [7, "seven", "seven"]),
    (((START, "EAJE"),), "object", ["EAJE", "EAJE", "EAJE"]),
], ids=["bool", "int_and_bool", "int_and_number", "bool_and_number", "int_bool_and_number", "none_and_number",
        "huge_and_number", "date", "mixed", "text"])
def test_a_parameter_column_has_the_narrowest_type_of_its_values(values, dtype, column):
    book = rulebook(parameters=(param("t.p", "number", *values),))
    structure_years = [sy("A", 2024), sy("A", 2025), sy("A", 2026)]
    cols = fact_columns(structure_years, {"p__t__p"}, ["t.p"], lambda _t: book)
    assert list(cols) == ["p__t__p"]
    assert cols["p__t__p"].dtype == np.dtype(dtype)
    assert cols["p__t__p"].tolist() == column
    assert [build_fact(s, ["t.p"], lambda _t: book)["p__t__p"] for s in structure_years] == column


def test_no_structure_years_give_empty_columns():
    # A field's column keeps its field's type; a parameter's has no values, and the narrowest type of none is bool.
    book = rulebook(parameters=(param("t.p", "number", (START, Decimal("2.5"))),))
    cols = fact_columns([], {"units", "type", "year_days", "p__t__p"}, ["t.p"], lambda _t: book)
    assert {k: (v.dtype, v.shape) for k, v in cols.items()} == {
        "units": (np.dtype("float64"), (0,)), "type": (np.dtype("object"), (0,)),
        "year_days": (np.dtype("int64"), (0,)), "p__t__p": (np.dtype("bool"), (0,))}


def test_only_the_parameters_asked_become_columns():
    book = rulebook(parameters=(param("t.a", "integer", (START, 1)), param("t.b", "integer", (START, 2))))
    cols = fact_columns([sy("A")], {"p__t__b"}, ["t.a", "t.b"], lambda _t: book)
    assert {k: v.tolist() for k, v in cols.items()} == {"p__t__b": [2]}


# -- one code per distinct set of fired rules

def test_no_rows_no_codes():
    first, code = patterns(np.zeros((0, 0), dtype=bool))
    assert (first.tolist(), code.tolist()) == ([], [])
    first, code = patterns(np.zeros((2, 0), dtype=bool))
    assert (first.tolist(), code.tolist()) == ([0], [0, 0])


def rows_of_64(*fired: tuple[int, ...]) -> np.ndarray:
    matrix = np.zeros((len(fired), 64), dtype=bool)
    for i, cols in enumerate(fired):
        matrix[i, list(cols)] = True
    return matrix


EXPONENT = (48, 49, 50, 51, 57, 58, 59, 60, 61, 62, 63)


@pytest.mark.parametrize("fired", [
    ((), (56,)),                          # 8 bytes read as one number: +0 and -0 if read as a float
    (EXPONENT + (7,), EXPONENT + (6,)),   # two different NaNs if read as a float
    ((0,), (63,), (0,), ()),
], ids=["signed_zero", "nan", "ends"])
def test_rows_that_fired_different_rules_get_different_codes(fired):
    matrix = rows_of_64(*fired)
    first, code = patterns(matrix)
    distinct = len(set(fired))
    assert len(first) == distinct
    for i in range(len(fired)):
        for j in range(len(fired)):
            assert (code[i] == code[j]) == (fired[i] == fired[j]), (i, j)
        assert fired[int(first[code[i]])] == fired[i]


@pytest.mark.parametrize("engine", ENGINES)
def test_with_a_single_rule_rows_it_did_not_fire_on_are_told_apart(engine):
    # One compiled rule (the classify rule): the first structure-year fires it, the second none.
    with pytest.raises(InputError) as info:
        evaluate([sy("E"), sy("E", 2025), sy("R", type_="RPE")], rulebook(), engine)
    assert [p.message for p in info.value.problems] == [
        "structure R of type 'RPE' must match exactly one classify rule in 2024, matched: none"]


# -- the durable-rules wrapper: errors raised with what they are

CATCH_RULES = [CompiledRule("seen_probe", parse({"units": {"gte": 0}}, {}))]


class _ExplodingSet(set):
    def add(self, item):
        super().add(item)
        raise ValueError("seen broke")


class _BrokenSeen(DurableEvaluator):
    """The catch-all rule's action fails after recording the fact (its `_seen` set raises once written)."""

    _seen = property(lambda self: self.__dict__["_probe"],
                     lambda self, value: self.__dict__.__setitem__("_probe", _ExplodingSet(value)))


def test_an_error_in_the_catch_all_action_is_raised_naming_it():
    with pytest.raises(DurableError) as info:
        _BrokenSeen(CATCH_RULES).evaluate([{"id": "f1", "units": 1}])
    assert str(info.value) == "error inside a rule action: __catch_all__: ValueError('seen broke')"


def test_a_text_error_from_the_engine_is_raised_with_that_text_as_its_cause(monkeypatch):
    evaluator = DurableEvaluator([CompiledRule("text_error_probe", parse({"units": {"gte": 0}}, {}))])
    monkeypatch.setattr(evaluator._ruleset, "do_actions", lambda _handle, complete: complete("lost lease", None))
    with pytest.raises(DurableError) as info:
        evaluator.evaluate([{"id": "f1", "units": 1}])
    assert str(info.value) == "rules engine error: lost lease"
    assert isinstance(info.value.__cause__, DurableError)
    assert str(info.value.__cause__) == "lost lease"

