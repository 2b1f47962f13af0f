"""The vector engine on columns, directly: the evaluations kept as codes (engine/coded.py), `evaluate` given a
frame (both engines, the empty frame), a frame's fact columns read per territory-year (engine/facts.py) and the
text comparisons done on codes (engine/vector.py). Expected values are worked out by hand, or are those of the
reference path (durable-rules on a list of structure-years, fact_columns read object by object)."""

from __future__ import annotations

import numpy as np
import pytest
from support.case_runner import rules_with_dates, shipped_rulebook, write_case

from ctg_funding.engine import ENGINES, evaluate, vector
from ctg_funding.engine.coded import TAIL, CodedEvaluations
from ctg_funding.engine.compile import compile_rulebook, params_used
from ctg_funding.engine.facts import fact_columns, territory_years
from ctg_funding.engine.resolve import Evaluation
from ctg_funding.errors import InputError
from ctg_funding.inputs.generate import generate
from ctg_funding.rulebook import load_rulebook
from ctg_funding.rulebook.conditions import TRUE, All, Any_, Cmp, Operand
from ctg_funding.scenario.file import load_scenario
from ctg_funding.scenario.frame import year_frame

# ------------------------------------------------------------------------------------- CodedEvaluations by hand


class FakeFrame:
    """The little of a frame (scenario/frame.py) that CodedEvaluations reads: ids, years, take, row_of."""

    def __init__(self, sids: list[str], years: list[int]) -> None:
        self.structure_id = np.array(sids, dtype=object)
        self.year = np.array(years, dtype=np.int64)
        self.taken: list[list[int]] = []

    def take(self, rows: np.ndarray) -> FakeFrame:
        self.taken.append(rows.tolist())
        return FakeFrame(self.structure_id[rows].tolist(), self.year[rows].tolist())

    def ids(self) -> np.ndarray:
        return np.array([f"{s}|{y}" for s, y in zip(self.structure_id, self.year.tolist(), strict=True)],
                        dtype=object)

    def row_of(self, key: str) -> int:
        return self.ids().tolist().index(key)


def ev(sid: str, year: int, family: str, eligible: bool, reason: str | None = None,
       fired: tuple[str, ...] = ("R2.x",), formulas: tuple[str, ...] = ()) -> Evaluation:
    return Evaluation(sid, year, family, "places", "bonus_territoire", eligible, reason, fired, None, None, None,
                      None, formulas, None, "R2.x")


EVS = [ev("A", 2022, "EAJE", True), ev("B", 2022, "ALSH", False, "CLOSED", ("R2.y", "R3.closed")),
       ev("C", 2023, "EAJE", True), ev("D", 2023, "RPE", True, formulas=("R9.bonus",))]


@pytest.fixture
def coded() -> CodedEvaluations:
    # Rows A, B, C, D; A and C share one tail (code 0), B is code 1, D code 2: codes in order of first appearance.
    return CodedEvaluations.of(FakeFrame(["A", "B", "C", "D"], [2022, 2022, 2023, 2023]), EVS)


def test_codes_are_numbered_in_order_of_first_appearance(coded):
    assert coded.code.tolist() == [0, 1, 0, 2] and coded.code.dtype == np.int64
    assert coded.tails == [EVS[0].tail(), EVS[1].tail(), EVS[3].tail()]
    assert len(coded) == 4


def test_a_row_is_its_evaluation_with_its_own_id_and_year(coded):
    for i, want in enumerate(EVS):
        got = coded.at(i)
        assert got == want
        assert type(got.year) is int
    assert coded.at_code(1) == Evaluation("", 0, *EVS[1].tail())
    assert coded.at_code(2).formulas == ("R9.bonus",)


def test_a_mapping_by_key_like_the_durable_dict(coded):
    assert list(coded) == ["A|2022", "B|2022", "C|2023", "D|2023"]
    assert coded["C|2023"] == EVS[2] and coded["B|2022"] == EVS[1]
    assert dict(coded) == {f"{e.structure_id}|{e.year}": e for e in EVS}


def test_columns_hold_every_row_s_field(coded):
    eligible = coded.column("eligible")
    assert eligible.dtype == bool and eligible.tolist() == [True, False, True, True]
    for name in TAIL:
        col = coded.column(name)
        assert col.tolist() == [getattr(e, name) for e in EVS], name
        assert col.shape == (4,)
        assert coded.column(name) is col  # computed once
    assert coded.column("family").dtype == object
    assert coded.column("fired").tolist()[1] == ("R2.y", "R3.closed")
    assert coded.column("reason").tolist() == [None, "CLOSED", None, None]


def test_codes_where_tests_each_code_once(coded):
    seen = []

    def test(e):
        seen.append(e.family)
        return e.family == "EAJE" or "R9.bonus" in e.formulas

    assert coded.codes_where(test).tolist() == [True, False, True, True]
    assert seen == ["EAJE", "ALSH", "RPE"]
    assert coded.codes_where(lambda e: 1 if e.eligible else 0).dtype == bool
    assert coded.codes_where(lambda e: not e.eligible).tolist() == [False, True, False, False]
    empty = CodedEvaluations(FakeFrame([], []), np.zeros(0, dtype=np.int64), [])
    got = empty.codes_where(lambda e: True)
    assert got.dtype == bool and got.shape == (0,)


def test_take_keeps_the_codes_of_the_rows_taken(coded):
    rows = np.array([3, 0])
    taken = coded.take(rows)
    assert coded.frame.taken == [[3, 0]]  # the frame's own rows
    assert taken.code.tolist() == [2, 0] and taken.tails is coded.tails
    assert [taken.at(0), taken.at(1)] == [EVS[3], EVS[0]]
    other = FakeFrame(["X", "Y"], [2030, 2031])
    given = coded.take(rows, other)
    assert given.frame is other and coded.frame.taken == [[3, 0]]
    assert given.at(1) == Evaluation("Y", 2031, *EVS[0].tail())


# ---------------------------------------------------------------------------------- evaluate given a frame


CASE = {"name": "columns", "years": [2022, 2023],
        "parameters": {"redistribution.method": "historical"},
        "structures": [{"id": "A", "type": "EAJE", "units": 10},
                       {"id": "B", "type": "ALSH", "units": 3650, "closed": "2023-03-01"},
                       {"id": "C", "type": "EAJE", "units": 5, "supported_by": ["NONSIG"]},
                       {"id": "D", "type": "RPE", "units": 1, "opened": "2023-06-01"},
                       {"id": "E", "type": "LAEP", "units": 300, "commune": "COM-B"}],
        "cej": {"A": 1000, "B": 500}}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    return load_scenario(write_case(CASE, tmp_path_factory.mktemp("columns")), shipped_rulebook())


@pytest.mark.parametrize("engine", ENGINES)
def test_a_frame_is_evaluated_as_codes_that_read_as_the_reference_dict(scenario, engine):
    frame = year_frame(scenario, [2022, 2023])
    want = evaluate(list(frame), scenario.rulebook, "durable", scenario.rulebook_for)
    got = evaluate(frame, scenario.rulebook, engine, scenario.rulebook_for)
    assert isinstance(got, CodedEvaluations) and got.frame is frame
    assert len(got) == len(want) == 10
    assert list(got) == list(want)
    assert [got.at(i) for i in range(len(frame))] == list(want.values())
    assert len(got.tails) == len(set(got.tails)) < 10  # one tail per distinct evaluation
    assert {e.eligible for e in want.values()} == {True, False}


@pytest.mark.parametrize("engine", ENGINES)
def test_a_list_is_still_evaluated_as_a_dict(scenario, engine):
    sys_ = list(year_frame(scenario, [2022]))
    got = evaluate(sys_, scenario.rulebook, engine, scenario.rulebook_for)
    assert type(got) is dict and list(got) == [sy.id for sy in sys_]


@pytest.mark.parametrize("engine", ENGINES)
def test_an_empty_frame_is_empty_codes(scenario, engine):
    frame = year_frame(scenario, [2022], only=set())
    got = evaluate(frame, scenario.rulebook, engine, scenario.rulebook_for)
    assert isinstance(got, CodedEvaluations) and got.frame is frame
    assert len(got) == 0 and list(got) == [] and got.tails == []
    assert got.code.dtype == np.int64
    assert evaluate([], scenario.rulebook, engine, scenario.rulebook_for) == {}


# ------------------------------------------------------------------------------------------ facts of a frame


def test_territory_years_by_hand():
    # Territories coded in order of appearance B 0, A 1, C 2; years 2022 0, 2023 1, 2021 2 (3 of them): pair keys
    # t x 3 + y = B2022 0, A2022 3, B2023 1, A2022 3, C2021 8, A2021 5, coded in order of appearance 0 1 2 1 3 4.
    keys, code = territory_years(np.array(["B", "A", "B", "A", "C", "A"], dtype=object),
                                 np.array([2022, 2022, 2023, 2022, 2021, 2021]))
    assert keys == [("B", 2022), ("A", 2022), ("B", 2023), ("C", 2021), ("A", 2021)]
    assert code.tolist() == [0, 1, 2, 1, 3, 4]
    assert all(type(t) is str and type(y) is int for t, y in keys)
    keys, code = territory_years(np.array([], dtype=object), np.array([], dtype=np.int64))
    assert keys == [] and len(code) == 0


def test_a_frame_s_fact_columns_are_those_of_its_objects(tmp_path):
    # Three territories whose parameters differ (generated rulebooks): each parameter read once per
    # territory-year, spread to its rows, must equal what fact_columns reads object by object.
    path = generate(tmp_path / "national", territories=3, structures=30, seed=5, years=3)
    scenario = load_scenario(path, shipped_rulebook())
    frame = year_frame(scenario)
    compiled = compile_rulebook(scenario.rulebook)
    params = sorted(params_used(compiled))
    fields = vector.fields_used([r.condition for r in compiled])
    assert params and any(f.startswith("p__") for f in fields)
    got = fact_columns(frame, fields, params, scenario.rulebook_for)
    want = fact_columns(list(frame), fields, params, scenario.rulebook_for)
    assert sorted(got) == sorted(want)
    for name in want:
        assert got[name].dtype == want[name].dtype, name
        assert got[name].tolist() == want[name].tolist(), name
    assert len(set(frame.territory_id.tolist())) == 3
    no_params = fact_columns(frame, fields, [], scenario.rulebook_for)
    assert sorted(no_params) == sorted(f for f in want if not f.startswith("p__"))


# ---------------------------------------------------------------------------------- text masks, on codes


def cmp(field: str, op: str, value, kind: str = "const") -> Cmp:
    return Cmp(field, op, Operand(kind, value))


COLS = {"type": np.array(["EAJE", None, "ALSH", "EAJE"], dtype=object),
        "other": np.array(["ALSH", None, "ALSH", "RPE"], dtype=object),
        "p__x": np.array(["EAJE", "EAJE", "RPE", "RPE"], dtype=object),
        "units": np.array([3, 0, 3, 1], dtype=np.int64)}


@pytest.mark.parametrize("texts", [None, {}])
def test_text_comparisons_are_those_of_the_strings(texts):
    assert vector.mask(cmp("type", "eq", "EAJE"), COLS, 4, texts).tolist() == [True, False, False, True]
    assert vector.mask(cmp("type", "ne", "EAJE"), COLS, 4, texts).tolist() == [False, True, True, False]
    # a value no row holds: the None row does not match it either
    assert vector.mask(cmp("type", "eq", "RPE"), COLS, 4, texts).tolist() == [False] * 4
    assert vector.mask(cmp("type", "ne", "RPE"), COLS, 4, texts).tolist() == [True] * 4
    # against a parameter and another field: compared row by row, not with the operand's name
    assert vector.mask(cmp("type", "eq", "x", "param"), COLS, 4, texts).tolist() == [True, False, False, False]
    assert vector.mask(cmp("type", "ne", "other", "field"), COLS, 4, texts).tolist() == [True, False, False, True]
    assert vector.mask(cmp("units", "eq", 3), COLS, 4, texts).tolist() == [True, False, True, False]
    node = Any_((All((cmp("type", "eq", "EAJE"), cmp("units", "gt", 1))), cmp("other", "eq", "RPE")))
    assert vector.mask(node, COLS, 4, texts).tolist() == [True, False, False, True]
    assert vector.mask(TRUE, COLS, 4, texts).tolist() == [True] * 4


def test_a_text_column_is_coded_once_and_kept():
    texts: dict = {}
    vector.mask(cmp("type", "eq", "EAJE"), COLS, 4, texts)
    codes, code_of = texts["type"]
    assert codes.tolist() == [0, 1, 2, 0] and len(code_of) == 3 and (code_of["EAJE"], code_of["ALSH"]) == (0, 2)
    assert set(texts) == {"type"}
    # The codes kept are those read by the next comparison (a planted code shows it): no coding again.
    texts["type"] = (np.array([5, 5, 6, 6]), {"EAJE": 6})
    assert vector.mask(cmp("type", "eq", "EAJE"), COLS, 4, texts).tolist() == [False, False, True, True]
    # inside All / Any_ too
    node = All((cmp("type", "eq", "EAJE"), TRUE))
    assert vector.mask(node, COLS, 4, texts).tolist() == [False, False, True, True]


class Rule:
    def __init__(self, condition) -> None:
        self.condition = condition


def test_fired_matrix_by_hand():
    rules = [Rule(cmp("type", "eq", "EAJE")), Rule(cmp("type", "ne", "EAJE")), Rule(TRUE),
             Rule(cmp("units", "lt", 1))]
    got = vector.fired_matrix(rules, COLS, 4)
    assert got.dtype == bool and got.shape == (4, 4)
    assert got.tolist() == [[True, False, True, False], [False, True, True, True],
                            [False, True, True, False], [True, False, True, False]]
    assert vector.fired_matrix([], COLS, 4).shape == (4, 0)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_frame_row_that_fires_no_rule_is_refused_as_a_list_s(tmp_path, engine):
    # R2.eaje (the EAJE's classify rule), R5 and R9 (which apply to an EAJE) end in 2021: in 2022 the EAJE fires
    # no rule at all, and must be refused with the reader's words, from a frame as from a list.
    until = {"until": "2021-06-30"}
    case = {"name": "unclassified", "rule_dates": {"R2.eaje": until, "R5.new_places": until,
                                                   "R9.bonus_trajectoire": until},
            "structures": [{"id": "A", "type": "EAJE", "units": 10}]}
    scenario = load_scenario(write_case(case, tmp_path), load_rulebook(rules_with_dates(case, tmp_path)))
    frame = year_frame(scenario, [2022])
    for rows in (frame, list(frame)):
        with pytest.raises(InputError, match="structure A of type 'EAJE' must match exactly one classify rule in "
                                             "2022, matched: none"):
            evaluate(rows, scenario.rulebook, engine, scenario.rulebook_for)
