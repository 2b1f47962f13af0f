"""The allocation on columns, directly: the vector allocator's line blocks (LineBlock) and its integer helpers,
a run's lines (results.Lines), the renewal's N-1 amounts read as tables (renewal.allocated_cents, n1_cents), R8's
floor test on integers (plancher.below_floor) and R9's places summed per territory-year (eligible_places). Every
expected figure is worked out by hand in a comment."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from ctg_funding.allocation import policy, vector
from ctg_funding.allocation.plancher import below_floor
from ctg_funding.allocation.renewal import Base, allocated_cents, n1_cents
from ctg_funding.allocation.results import Lines
from ctg_funding.allocation.trajectoire import eligible_places
from ctg_funding.allocation.vector import LineBlock, PackedLine
from ctg_funding.engine.coded import CodedEvaluations
from ctg_funding.engine.resolve import Evaluation
from ctg_funding.inputs.model import CejAction


def packed(sid: str, year: int = 2022, cents: int = 100, line: str = "bonus_territoire",
           rules: list[str] | None = None) -> PackedLine:
    return PackedLine(year=year, structure_id=sid, family="EAJE", line=line, unit="places", eligible=cents > 0,
                      reason=None if cents > 0 else "CLOSED", rules=rules or ["R2.eaje"], method="per_unit",
                      weight=Fraction(1), rate=Fraction(5, 3), capped=False, units_num=10, units_den=1,
                      n1_cents=cents, num=cents * 3, den100=300, cents=cents, open_days=365, year_days=365,
                      base_num=cents * 3, base_den100=300, cap_cents=None, renewed_from=None)


def block(lines: list[PackedLine]) -> LineBlock:
    """The lines as the vector allocator holds them: a NumPy array per field, the rules a list."""
    columns = {}
    for name in PackedLine._fields:
        values = [getattr(ln, name) for ln in lines]
        if name == "rules":
            columns[name] = values
        elif name in ("weight", "rate", "reason", "cap_cents", "renewed_from"):
            columns[name] = np.array(values + [None], dtype=object)[:-1]
        else:
            columns[name] = np.array(values)
    return LineBlock(columns)


A, B, C = packed("A", cents=100, rules=["R2.eaje", "R3.per_unit"]), packed("B", cents=0), packed("C", cents=7)

# ------------------------------------------------------------------------------------------------- LineBlock


def test_a_block_reads_as_its_lines():
    lines = block([A, B, C])
    assert len(lines) == 3 and len(block([])) == 0
    assert list(lines) == [A, B, C]
    first = next(iter(lines))
    assert type(first.year) is int and type(first.cents) is int and type(first.eligible) is bool
    assert lines.column("structure_id").tolist() == ["A", "B", "C"]
    assert lines.column("rules") == [A.rules, B.rules, C.rules]


@pytest.mark.parametrize(("index", "want"), [(0, A), (1, B), (2, C), (-1, C), (-2, B), (-3, A)])
def test_a_block_s_line_by_index(index, want):
    assert block([A, B, C])[index] == want


@pytest.mark.parametrize("index", [3, 4, -4, -5])
def test_a_block_s_index_out_of_range(index):
    with pytest.raises(IndexError, match=r"^line index out of range$"):
        block([A, B, C])[index]


def test_a_block_s_slices_and_rows_taken():
    lines = block([A, B, C])
    part = lines[1:3]
    assert isinstance(part, LineBlock) and list(part) == [B, C] and part.column("rules") == [B.rules, C.rules]
    assert list(lines[:0]) == [] and list(lines[::-1]) == [C, B, A]
    taken = lines.take(np.array([2, 0]))
    assert isinstance(taken, LineBlock) and list(taken) == [C, A]
    assert taken.column("rules") == [C.rules, A.rules] and taken.column("cents").tolist() == [7, 100]
    assert len(lines.take(np.array([], dtype=np.intp))) == 0


# ------------------------------------------------------------------------------------------------- Lines


def test_lines_hold_objects_and_blocks_in_order():
    lines = Lines([A])
    lines.append(B)
    assert lines.parts() == [[A, B]]  # appended to the list before it
    lines.extend(block([C, A]))
    lines.extend(block([]))  # an empty block is no part
    lines.append(C)
    lines.extend([B])
    parts = lines.parts()
    assert [type(p) for p in parts] == [list, LineBlock, list] and parts[0] == [A, B] and parts[2] == [C, B]
    assert list(lines) == [A, B, C, A, C, B] and len(lines) == 6
    parts.append("not mine")
    assert len(lines.parts()) == 3  # a copy
    more = Lines()
    more.extend(lines)
    assert list(more) == [A, B, C, A, C, B] and [type(p) for p in more.parts()] == [list, LineBlock, list]
    assert len(Lines()) == 0 and list(Lines()) == [] and Lines().parts() == []


@pytest.mark.parametrize(("index", "want"), [(0, "A"), (1, "B"), (2, "C"), (3, "A"), (4, "C"), (-1, "C"),
                                             (-2, "A"), (-4, "B"), (-5, "A")])
def test_lines_by_index_across_parts(index, want):
    lines = Lines([A, B])
    lines.extend(block([C, A]))
    lines.append(C)
    assert lines[index].structure_id == want


@pytest.mark.parametrize("index", [5, 6, -6])
def test_lines_index_out_of_range(index):
    lines = Lines([A, B])
    lines.extend(block([C, A]))
    lines.append(C)
    with pytest.raises(IndexError, match=r"^line index out of range$"):
        lines[index]


# ---------------------------------------------------------------------------------------- integer helpers


def test_row_codes_number_distinct_rows_in_order_of_first_appearance():
    assert vector._row_codes([np.array([1, 1, 2, 1]), np.array([True, False, True, True])]).tolist() == [0, 1, 2, 0]
    rng = np.random.default_rng(7)
    columns = [rng.integers(0, k, 300) for k in (2, 3, 5, 7)] + [rng.integers(0, 2, 300).astype(bool)]
    first: dict[tuple, int] = {}
    want = [first.setdefault(row, len(first)) for row in zip(*(c.tolist() for c in columns), strict=True)]
    assert vector._row_codes(columns).tolist() == want
    assert len(first) > 100


def test_divmod_in_int64_floors_towards_minus_infinity():
    # 7 = 3 x 2 + 1; -7 = -4 x 2 + 1; 10^15 = 333,333,333,333,333 x 3 + 1; 0 = 0 x 5 + 0
    num = np.array([7, -7, 10**15, 0], dtype=object)
    den = np.array([2, 2, 3, 5], dtype=object)
    q, r = vector._divmod(num, den)
    assert q.tolist() == [3, -4, 333_333_333_333_333, 0] and r.tolist() == [1, 1, 1, 0]
    assert q.dtype == np.int64 and r.dtype == np.int64


@pytest.mark.parametrize(("num", "den", "q", "r"), [
    # 2^70 + 5 = 64 x 2^64 + 5: the numerator beyond int64
    ([2**70 + 5, 7], [2**64, 2], [64, 3], [5, 1]),
    # 5 = 0 x 2^65 + 5: the denominator beyond int64
    ([5, 9], [2**65, 4], [0, 2], [5, 1]),
    # -(2^70) - 1 = -65 x 2^64 + (2^64 - 1)
    ([-(2**70) - 1], [2**64], [-65], [2**64 - 1]),
])
def test_divmod_beyond_int64_on_python_ints(num, den, q, r):
    got_q, got_r = vector._divmod(np.array(num, dtype=object), np.array(den, dtype=object))
    assert got_q.tolist() == q and got_r.tolist() == r


def test_codes_of_groups_by_hand():
    # Groups of rows 0 0 0 | 1 1 | 2 with codes 2 0 2 | 1 1 | 0 (three codes): group 0 has codes 0 and 2.
    gr = SimpleNamespace(evs=SimpleNamespace(tails=[(), (), ()], code=np.array([2, 0, 2, 1, 1, 0])),
                         g_of=np.array([0, 0, 0, 1, 1, 2]), ng=3)
    assert vector._codes_of_groups(gr) == [(0, 2), (1,), (0,)]
    one = SimpleNamespace(evs=SimpleNamespace(tails=[()], code=np.array([0, 0])), g_of=np.array([0, 1]), ng=2)
    assert vector._codes_of_groups(one) == [(0,), (0,)]


class Column:
    """Evaluations that only give columns (what _no_share reads)."""

    def __init__(self, **columns) -> None:
        self.columns = columns

    def column(self, name: str) -> np.ndarray:
        return self.columns[name]


def test_no_share_takes_out_eligible_rows_without_units_under_per_unit_only():
    # Groups: 0 per_unit (rows 0-2), 1 historical (row 3), 2 per_unit handed to the exact allocator (row 4).
    # Only row 0 is eligible with no units in a per_unit group the vector allocator keeps.
    reasons = np.array([None, None, "CLOSED", None, None], dtype=object)
    gr = SimpleNamespace(evs=Column(reason=reasons), reasons=reasons.copy(),
                         policies=[SimpleNamespace(method="per_unit"), SimpleNamespace(method="historical"),
                                   SimpleNamespace(method="per_unit")],
                         routed=np.array([False, False, True]), g_of=np.array([0, 0, 0, 1, 2]),
                         elig=np.array([True, True, False, True, True]),
                         big_u=np.array([0, 5, 0, 0, 0], dtype=object))
    vector._no_share(gr)
    assert gr.elig.tolist() == [False, True, False, True, True]
    assert gr.reasons.tolist() == [policy.NO_SHARE_NO_UNITS, None, "CLOSED", None, None]
    assert reasons.tolist() == [None, None, "CLOSED", None, None]  # the evaluations' column is left as it was


# ---------------------------------------------------------------------------------------------- below_floor


@pytest.mark.parametrize(("cents", "below"), [(27599, True), (27600, False), (27601, False), (0, True)])
def test_below_floor_by_hand(cents, below):
    # 0.15 EUR per hour x 1,840 hours = 276.00 EUR = 27,600 cents: 15 x 100 x 1,840 = 2,760,000 against
    # cents x 100 x 1.
    assert below_floor(15, 100, cents, 1840, 1) is below


def test_below_floor_on_arrays_with_fractions_of_hours():
    # 3/20 EUR per hour x 1,840/3 hours = 92.00 EUR = 9,200 cents: 3 x 100 x 1,840 = 552,000 against
    # cents x 20 x 3 = 551,940 (9,199), 552,000 (9,200), 552,060 (9,201); a floor of 0 is never above anyone.
    got = below_floor(np.array([3, 3, 3, 0], dtype=object), np.array([20, 20, 20, 1], dtype=object),
                      np.array([9199, 9200, 9201, 0], dtype=object), np.array([1840] * 4, dtype=object),
                      np.array([3, 3, 3, 3], dtype=object))
    assert np.asarray(got, dtype=bool).tolist() == [True, False, False, False]


# ------------------------------------------------------------------------------------------------- _decide


def decided(monkeypatch, evaluations: list[Evaluation], codes: list[int], groups: list[tuple[str, int, str]],
            g_of: list[int]) -> tuple[SimpleNamespace, list[tuple]]:
    """_decide on hand-made groups, family_policy recording what it is asked (ALSH groups are exact_only)."""
    calls = []

    def family_policy(book, family, year, forced, caps, base):
        calls.append((book, family, year, forced, caps, base))
        return SimpleNamespace(exact_only=family == "ALSH", family=family)

    monkeypatch.setattr(policy, "family_policy", family_policy)
    coded = CodedEvaluations(None, np.array(codes), [e.tail() for e in evaluations])
    gr = SimpleNamespace(evs=coded, g_of=np.array(g_of), ng=len(groups), g_terr=[g[0] for g in groups],
                         g_year=[g[1] for g in groups], g_fam=[g[2] for g in groups], policies=[])
    bases = {("T", 2022): Base(0, None), ("U", 2022): Base(1, 2021)}
    vector._decide(gr, lambda tid: f"book {tid}", bases)
    return gr, calls


def test_decide_reads_forced_methods_and_the_caps_of_eligible_rows(monkeypatch):
    # Code 0: no method, cap.a, eligible; code 1: historical forced, cap.b but not eligible (its cap does not
    # count); code 2: per_unit forced, no cap. Groups: T EAJE codes {0, 1}, T ALSH {2}, U EAJE {0, 2}.
    def tail(method, cap, eligible):
        return Evaluation("", 0, "EAJE", "places", "bonus_territoire", eligible, None, (), method, None, cap, None)

    evs = [tail(None, "cap.a", True), tail("historical", "cap.b", False), tail("per_unit", None, True)]
    gr, calls = decided(monkeypatch, evs, [1, 0, 2, 0, 2, 2], [("T", 2022, "EAJE"), ("T", 2022, "ALSH"),
                                                               ("U", 2022, "EAJE")], [0, 0, 1, 2, 2, 2])
    assert calls == [("book T", "EAJE", 2022, frozenset({"historical"}), frozenset({"cap.a"}), Base(0, None)),
                     ("book T", "ALSH", 2022, frozenset({"per_unit"}), frozenset(), Base(0, None)),
                     ("book U", "EAJE", 2022, frozenset({"per_unit"}), frozenset({"cap.a"}), Base(1, 2021))]
    assert [p.family for p in gr.policies] == ["EAJE", "ALSH", "EAJE"]
    assert gr.routed.dtype == bool and gr.routed.tolist() == [False, True, False]


# -------------------------------------------------------------------------------------------------- _round


def rounding(envelopes: list[int], big: int = 1) -> tuple[SimpleNamespace, SimpleNamespace, SimpleNamespace]:
    """Three groups: 0 rows B A C, 1 rows D E and a released amount of D, 2 (routed) row F; every figure times
    `big` over denominators times `big` (the same amounts)."""
    gr = SimpleNamespace(n=6, ng=3, g_of=np.array([0, 0, 0, 1, 1, 2]), starts=np.array([0, 3, 5]),
                         sizes=np.array([3, 2, 1]), routed=np.array([False, False, True]),
                         frame=SimpleNamespace(structure_id=np.array(list("BACDEF"), dtype=object)),
                         envelope=np.array(envelopes, dtype=object))
    am = SimpleNamespace(num=np.array([10 * big, 10 * big, 10 * big, 10 * big, 8 * big, 1], dtype=object),
                         den=np.array([3 * big, 4 * big, 2], dtype=object), moved=np.zeros(3, dtype=bool),
                         moved_total={})
    items = SimpleNamespace(group=np.array([1]), num=np.array([14 * big], dtype=object),
                            rows=[(1, 3, "D", "CLOSED", 14 * big, [])])
    return gr, am, items


@pytest.mark.parametrize("big", [1, 2**64])
def test_round_by_hand(big):
    # Group 0: 10 cents among B, A, C, 10/3 each: 3 each and 1 left, remainders tied: to the smallest id, A.
    # Group 1: 8 cents: D 10/4 = 2 r 2, E 8/4 = 2 r 0, D's released 14/4 = 3 r 2: 7 and 1 left; D's line and its
    # released amount tie (same remainder, same id): the line comes first. Group 2 is routed (the exact allocator
    # rounds it): F's 1/2 is floored to 0 and takes none of its envelope's cents. With `big`, the figures go
    # beyond int64: the same cents.
    gr, am, items = rounding([10, 8, 99], big)
    assert vector._round(gr, am, items).tolist() == [3, 4, 3, 3, 2, 0, 3]


@pytest.mark.parametrize("big", [1, 2**64])
def test_round_with_as_many_cents_left_as_amounts(big):
    # Group 0 with 12 cents: 9 floored, 3 left for 3 amounts: 4 each.
    gr, am, items = rounding([12, 8, 0], big)
    assert vector._round(gr, am, items).tolist() == [4, 4, 4, 3, 2, 0, 3]


@pytest.mark.parametrize(("envelope", "left"), [(13, 4), (8, -1)])
def test_round_refuses_amounts_that_do_not_add_up(envelope, left):
    gr, am, items = rounding([envelope, 8, 0])
    with pytest.raises(ArithmeticError, match=rf"^amounts do not add up to the envelope \({left} cents left over\)$"):
        vector._round(gr, am, items)


def test_round_with_no_released_amount():
    # Group 1 without its released amount: 5 cents for D 10/4 and E 8/4 (2 r 2, 2 r 0): D gets the cent.
    gr, am, _items = rounding([10, 5, 0])
    items = SimpleNamespace(group=np.zeros(0, dtype=np.int64), num=np.zeros(0, dtype=object), rows=[])
    assert vector._round(gr, am, items).tolist() == [3, 4, 3, 3, 2, 0]


# ----------------------------------------------------------------------------------------- renewal (R7)


def obj(sid: str, year: int, cents: int, line: str = "bonus_territoire") -> SimpleNamespace:
    return SimpleNamespace(structure_id=sid, year=year, cents=cents, line=line)


def table(frame: pd.DataFrame) -> list[tuple]:
    return [(s, int(y), int(c)) for s, y, c in zip(frame["sid"], frame["year"], frame["cents"], strict=True)]


def test_allocated_cents_of_objects_and_blocks_envelope_lines_only():
    # bonus_territoire and pilotage are envelope lines; R5's and R8's lines are outside the envelope.
    objects = [obj("A", 2025, 500), obj("B", 2025, 70, "pilotage"), obj("A", 2025, 999, "bonus_places_nouvelles")]
    cols = block([packed("C", 2025, 30), packed("D", 2025, 40, line="plancher_alsh"), packed("E", 2025, 0)])
    lines = Lines(objects)
    lines.extend(cols)
    want = [("A", 2025, 500), ("B", 2025, 70), ("C", 2025, 30), ("E", 2025, 0)]
    assert table(allocated_cents(lines)) == want
    assert table(allocated_cents(objects)) == want[:2]
    assert table(allocated_cents(cols)) == want[2:]
    for empty in ([], Lines(), block([])):
        got = allocated_cents(empty)
        assert list(got.columns) == ["sid", "year", "cents"] and len(got) == 0


def cej(sid: str, last_year: int, amount: str) -> CejAction:
    return CejAction(contract_id=f"C-{sid}-{last_year}", collectivite_id="COM-A", structure_id=sid,
                     last_year=last_year, amount=Decimal(amount))


ROWS = (["A", "B", "C", "A", "C", "A", "B", "B"], [2022, 2022, 2022, 2026, 2026, 2026, 2023, 2026],
        ["T", "T", "T", "T", "T", "U", "T", "T"])
CEJ = [cej("A", 2021, "1000.50"), cej("A", 2022, "300"), cej("B", 2020, "200")]
BASES = {("T", 2022): Base(0, None), ("T", 2023): Base(0, None), ("T", 2026): Base(1, 2025),
         ("U", 2026): Base(0, None)}
ALLOCATED = pd.DataFrame({"sid": ["A", "A", "B"], "year": np.array([2025, 2024, 2025], dtype=object),
                          "cents": [777, 5, 9]})


def test_n1_cents_from_the_cej_and_from_the_base_year():
    # From the CEJ (T 2022, T 2023, U 2026): the actions that ended before the year. A 2022: 1,000.50 (its 2022
    # action has not ended) = 100,050 cents; B: 200.00; C: none. A in U 2026: 1,000.50 + 300 = 130,050.
    # Renewed (T 2026, from 2025): A 777 and B 9 allocated in 2025 (A's 2024 amount is not its base year's); C
    # was allocated nothing: 0.
    got = n1_cents(*ROWS, CEJ, BASES, ALLOCATED)
    assert got.dtype == np.int64
    assert got.tolist() == [100050, 20000, 0, 777, 0, 130050, 20000, 9]


def test_n1_cents_without_allocations_or_cej():
    from_cej = [100050, 20000, 0, 0, 0, 130050, 20000, 0]
    assert n1_cents(*ROWS, CEJ, BASES, None).tolist() == from_cej
    assert n1_cents(*ROWS, CEJ, BASES, ALLOCATED.iloc[:0]).tolist() == from_cej
    assert n1_cents(*ROWS, [], BASES, ALLOCATED).tolist() == [0, 0, 0, 777, 0, 0, 0, 9]
    empty = n1_cents([], [], [], CEJ, BASES, ALLOCATED)
    assert empty.dtype == np.int64 and empty.shape == (0,)


# ---------------------------------------------------------------------------------------------- R9 places


def test_eligible_places_summed_per_territory_year():
    # Code 0: eligible, R9 applies; code 1: R9 but not eligible; code 2: eligible, no R9. Scale 10: unit-days 15
    # are 1.5 places. T 2022: (15 + 20) / 10 = 7/2; T 2023: 7/10; U 2022: 5/10; U 2023: (2^62 + 1 + 2^62 + 3) / 10
    # = (2^63 + 4) / 10 (beyond int64, and beyond a float's 53 bits: summed as Python ints).
    def tail(eligible, formulas):
        return Evaluation("", 0, "EAJE", "places", "bonus_territoire", eligible, None, (), None, None, None, None,
                          formulas).tail()

    r9 = ("R9.bonus_trajectoire",)
    evs = CodedEvaluations(None, np.array([0, 0, 1, 2, 0, 0, 0, 0]), [tail(True, r9), tail(False, r9), tail(True, ())])
    days = SimpleNamespace(territory_id=np.array(list("TTTTTUUU"), dtype=object),
                           year=np.array([2022, 2022, 2022, 2022, 2023, 2022, 2023, 2023], dtype=np.int64),
                           unit_days=np.array([15, 20, 100, 100, 7, 5, 2**62 + 1, 2**62 + 3], dtype=np.int64), scale=10)
    got = eligible_places(days, evs)
    assert got == {("T", 2022): Fraction(7, 2), ("T", 2023): Fraction(7, 10), ("U", 2022): Fraction(1, 2),
                   ("U", 2023): Fraction(2**63 + 4, 10)}
    assert all(type(y) is int for _t, y in got)
    assert eligible_places(days, CodedEvaluations(None, np.array([1] * 8), evs.tails)) == {}


def test_n1_cents_of_rows_given_as_object_columns():
    # Years read from a table may come as Python ints in an object array: merged as int64 all the same.
    sids, years, tids = ROWS
    got = n1_cents(np.array(sids, dtype=object), np.array(years, dtype=object), np.array(tids, dtype=object), CEJ,
                   BASES, ALLOCATED)
    assert got.tolist() == [100050, 20000, 0, 777, 0, 130050, 20000, 9]

