"""R5's paid structure-years (new_places.paid_rows), worked out by hand: after N-1, eligible, R5 fired, and more
places than in N-1, compared in integers (beyond int64 too)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ctg_funding.allocation.new_places import paid_rows
from ctg_funding.engine.coded import CodedEvaluations
from ctg_funding.engine.resolve import Evaluation


class Frame:
    def __init__(self, sids: list[str], unit_days: list[int], year_days: list[int], scale: int,
                 years: list[int] | None = None) -> None:
        self.structure_id = np.array(sids, dtype=object)
        self.unit_days = np.array(unit_days, dtype=np.int64)
        self.year_days = np.array(year_days, dtype=np.int64)
        self.year = np.array(years or [2024] * len(sids), dtype=np.int64)
        self.scale = scale

    def __len__(self) -> int:
        return len(self.structure_id)


def r5(rows: list[bool], eligible: list[bool] | None = None) -> CodedEvaluations:
    """Evaluations where R5 fired on `rows` (and the row is eligible, unless `eligible` says otherwise)."""
    eligible = eligible or [True] * len(rows)
    tails = [Evaluation("", 0, "EAJE", "places", "bonus_territoire", e, None, (), None, None, None, None,
                        ("R5.new_places",) if f else ()).tail() for f, e in zip(rows, eligible, strict=True)]
    return CodedEvaluations(None, np.arange(len(rows)), tails)


def test_paid_rows_on_both_sides_of_n1_places():
    # Scale 10; places = unit-days / (10 x year days). A 36,500 / 3,650 = 10 places, as in N-1: not more. B 36,510:
    # 10.003 > 10. C 36,490 < 10. D has no N-1 places (0): 1 unit-day is more. F: 1,220 / 3,660 = 1/3, N-1 1/3:
    # not more; G 1,221 / 3,660 > 1/3. E is more but R5 did not fire on it.
    frame = Frame(list("ABCDEFG"), [36500, 36510, 36490, 1, 99999, 1220, 1221], [365] * 5 + [366] * 2, 10)
    n1 = {"A": Fraction(10), "B": Fraction(10), "C": Fraction(10), "F": Fraction(1, 3), "G": Fraction(1, 3)}
    fired = [True, True, True, True, False, True, True]
    got = paid_rows(frame, r5(fired), n1, 2023)
    assert got.dtype == bool and got.tolist() == [False, True, False, True, False, False, True]
    # Not eligible (B), or in N-1 itself or before it: not paid.
    assert paid_rows(frame, r5(fired, [True, False] + [True] * 5), n1, 2023).tolist() == [
        False, False, False, True, False, False, True]
    assert paid_rows(frame, r5(fired), n1, 2024).tolist() == [False] * 7
    assert paid_rows(frame, r5([False] * 7), n1, 2023).tolist() == [False] * 7


def test_paid_rows_beyond_int64():
    # 2^62 unit-days over 365 days and scale 1 against N-1 places 2^62 / 365 - 1/365: the product 2^62 x 365
    # overflows int64, and is more.
    frame = Frame(["A"], [2**62], [365], 1)
    assert paid_rows(frame, r5([True]), {"A": Fraction(2**62 - 1, 365)}, 2023).tolist() == [True]
    assert paid_rows(frame, r5([True]), {"A": Fraction(2**62, 365)}, 2023).tolist() == [False]




def test_paid_rows_compare_exact_integers_not_floats():
    # 2^62 + 1 unit-days against N-1 places of 2^62 / 365 over 365 days: (2^62 + 1) x 365 > 2^62 x 365, more by
    # one unit-day; as floats both sides are 2^62 x 365 (2^62 + 1 has no double of its own).
    frame = Frame(["A"], [2**62 + 1], [365], 1)
    assert paid_rows(frame, r5([True]), {"A": Fraction(2**62, 365)}, 2023).tolist() == [True]
    assert paid_rows(frame, r5([True]), {"A": Fraction(2**62 + 1, 365)}, 2023).tolist() == [False]
