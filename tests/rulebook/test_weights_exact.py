"""Weight expressions, exactly: each refusal's whole message, the length limit at its boundary, every node that the
check lets through followed by one it must refuse (the check goes on past an allowed node), and exact values."""

import ast
from fractions import Fraction

import pytest

from ctg_funding.rulebook.weights import MAX_LENGTH, WeightError, evaluate_weight, parse_weight

FIELDS = {"units", "qpv_zrr", "occupancy_rate"}
ALLOWED = "(only numbers, fields, + - * /, parentheses, min(...) and max(...))"


def refusal(text: str) -> str:
    with pytest.raises(WeightError) as info:
        parse_weight(text, FIELDS)
    return str(info.value)


def test_the_length_limit_is_500_characters_included():
    assert MAX_LENGTH == 500
    # "11" then 249 times "+1": 2 + 2 x 249 = 500 characters, worth 11 + 249 = 260.
    at_limit = "11" + "+1" * 249
    assert len(at_limit) == 500
    assert evaluate_weight(parse_weight(at_limit, FIELDS), {}) == 260
    over = at_limit + "0"  # 501 characters (the last 1 becomes 10)
    assert refusal(over) == "weight expression longer than 500 characters"


@pytest.mark.parametrize("text, message", [
    # not Python at all: Python's own words after the colon
    ("units +", "weight expression 'units +' is not a valid formula: invalid syntax"),
    ("(units", "weight expression '(units' is not a valid formula: '(' was never closed"),
    # a float literal too large for a float is named as written, not as 'inf'
    ("1e999", "weight expression '1e999': the number 1e999 is too large"),
    ("units * -1e999", "weight expression 'units * -1e999': the number 1e999 is too large"),
    # calls: only min and max, with positional arguments, at least one
    ("max()", "weight expression 'max()': only min(...) and max(...) may be called"),
    ("open(1)", "weight expression 'open(1)': only min(...) and max(...) may be called"),
    ("max(units, key=1)", "weight expression 'max(units, key=1)': only min(...) and max(...) may be called"),
    # min and max are functions, not fields, when not called
    ("min + 1", "weight expression 'min + 1': unknown field 'min' (allowed: occupancy_rate, qpv_zrr, units)"),
    ("nope * 2", "weight expression 'nope * 2': unknown field 'nope' (allowed: occupancy_rate, qpv_zrr, units)"),
], ids=["syntax", "unclosed", "inf", "inf_negated", "call_no_argument", "call_other", "call_keyword", "bare_min",
        "unknown_field"])
def test_each_refusal_in_full(text, message):
    assert refusal(text) == message


@pytest.mark.parametrize("text", [
    "-units + units.real",      # a signed operand (UnaryOp) is checked first, then the attribute
    "-(units.real)",            # the sign itself (USub) is checked first, then the attribute
    "1 + units.real",           # a number first
    "max(1, units.real)",       # a call first
    "max(1) + (1 + units.real)",  # the name of a call (max) first
    "units + units.real",       # a field first
], ids=["unary", "sign", "number", "call", "callee", "field"])
def test_the_check_goes_on_after_an_allowed_node(text):
    assert refusal(text) == f"weight expression {text!r}: an attribute (a.b) is not allowed {ALLOWED}"


@pytest.mark.parametrize("text, expected", [
    ("units * 0.5", Fraction(5)),               # 10 x 0.5 = 5: a finite float is allowed, exactly
    ("0.1 + 0.2", Fraction(3, 10)),             # exact decimals: 1/10 + 2/10 = 3/10 (not 0.30000000000000004)
    ("min(units, 4) * max(qpv_zrr, 2)", Fraction(8)),  # min(10, 4) x max(1, 2) = 4 x 2
    ("units / 4 - 1", Fraction(3, 2)),          # 10 / 4 - 1 = 5/2 - 1 = 3/2
])
def test_values_are_exact(text, expected):
    assert evaluate_weight(parse_weight(text, FIELDS), {"units": Fraction(10), "qpv_zrr": Fraction(1)}) == expected


def test_evaluate_refuses_a_tree_the_check_has_not_seen():
    # evaluate_weight walks any tree it is given; what it does not know is refused by name, never run.
    with pytest.raises(WeightError) as info:
        evaluate_weight(ast.parse("[units]", mode="eval"), {"units": Fraction(1)})
    assert str(info.value) == "List is not allowed"
