"""evaluate_weights (the weight expression over whole columns) on min and max of fractions, worked out by hand:
the comparisons cross-multiply numerators and denominators, so a value with a denominator other than 1 decides."""

from __future__ import annotations

from fractions import Fraction

import pytest

from ctg_funding.rulebook.weights import evaluate_weights, parse_weight


@pytest.mark.parametrize(("text", "want"), [
    ("max(1/3, 1/2)", Fraction(1, 2)),  # 1/2 > 1/3: 1 x 3 > 1 x 2
    ("max(1/2, 1/3)", Fraction(1, 2)),
    ("min(1/3, 1/2)", Fraction(1, 3)),
    ("min(1/2, 1/3)", Fraction(1, 3)),
    ("max(2/3, 3/5, 7/10)", Fraction(7, 10)),  # 0.667, 0.6, 0.7
    ("min(7/10, 2/3, 3/4)", Fraction(2, 3)),
])
def test_min_and_max_of_fractions(text, want):
    num, den, _failed = evaluate_weights(parse_weight(text, set()), lambda name: None, 2)
    assert [Fraction(a, b) for a, b in zip(num.tolist(), den.tolist(), strict=True)] == [want, want]
