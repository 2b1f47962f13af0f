"""The cell parsers, value by value: what each accepts (and the exact value it gives), and the exact message of each
refusal. Bounds are tried just inside and just outside. Expected values are written by hand from the parsers'
documented forms (docs/datasets.md: `.` or `,` decimals, French or ISO dates, `;`-separated ids).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ctg_funding.inputs import cells

# ------------------------------------------------------------------------------------------------ accepted values


@pytest.mark.parametrize(("text", "options", "expected"), [
    ("1234.56", {}, "1234.56"),
    ("1234,56", {}, "1234.56"),  # French decimal comma
    ("1 234,5", {}, "1234.5"),  # French thousands separator (space)
    ("1\u00a0234", {}, "1234"),  # no-break space
    ("1\u202f234", {}, "1234"),  # narrow no-break space
    (" 12 ", {}, "12"),
    ("+7", {}, "7"),
    ("0", {}, "0"),  # zero is not negative
    ("0.5", {}, "0.5"),
    ("-1", {"allow_negative": True}, "-1"),
    ("-2,5", {"allow_negative": True}, "-2.5"),
    ("-0.00", {"allow_negative": True}, "0.00"),  # -0.00 is zero, shown without its sign
    ("-0", {}, "0"),  # minus zero is not negative either
    ("1.23", {"max_places": 2}, "1.23"),  # exactly max_places decimals
    ("1.23456", {}, "1.23456"),  # no limit without max_places
    ("123456789012345", {}, "123456789012345"),  # 15 integer digits
], ids=["point", "comma", "space-thousands", "nbsp-thousands", "narrow-nbsp", "stripped", "plus", "zero", "half",
        "negative-allowed", "negative-comma", "minus-zero", "minus-zero-default", "max-places-exact", "no-limit",
        "fifteen-digits"])
def test_parse_decimal_accepts(text, options, expected):
    value = cells.parse_decimal(text, **options)
    assert type(value) is Decimal
    assert str(value) == expected


@pytest.mark.parametrize(("text", "options", "message"), [
    ("abc", {}, "expected a number such as 1234.56 or 1234,56, got 'abc'"),
    ("1.234,5", {}, "expected a number such as 1234.56 or 1234,56, got '1.234,5'"),  # both separators
    ("1234567890123456", {}, "expected a number such as 1234.56 or 1234,56, got '1234567890123456'"),
    ("-1", {}, "must not be negative, got '-1'"),
    ("-0.01", {}, "must not be negative, got '-0.01'"),
    ("1.234", {"max_places": 2}, "at most 2 decimals allowed, got '1.234'"),
    ("0,5", {"max_places": 0}, "at most 0 decimals allowed, got '0,5'"),
], ids=["text", "both-separators", "sixteen-digits", "negative", "small-negative", "three-places", "zero-places"])
def test_parse_decimal_refuses(text, options, message):
    with pytest.raises(cells.CellError) as info:
        cells.parse_decimal(text, **options)
    assert str(info.value) == message


@pytest.mark.parametrize(("text", "options", "expected"), [
    ("12.3", {}, "12.30"),  # normalised to cents
    ("7", {}, "7.00"),
    ("1 987,4", {}, "1987.40"),
    ("0", {}, "0.00"),
    ("-5.5", {"allow_negative": True}, "-5.50"),
    ("-0", {"allow_negative": True}, "0.00"),
], ids=["one-place", "whole", "french", "zero", "negative-allowed", "minus-zero"])
def test_parse_money_accepts(text, options, expected):
    value = cells.parse_money(text, **options)
    assert type(value) is Decimal
    assert str(value) == expected


@pytest.mark.parametrize(("text", "options", "message"), [
    ("-5", {}, "must not be negative, got '-5'"),
    ("1.234", {}, "at most 2 decimals allowed, got '1.234'"),
    ("1.2345", {"allow_negative": True}, "at most 2 decimals allowed, got '1.2345'"),
    ("x", {}, "expected a number such as 1234.56 or 1234,56, got 'x'"),
], ids=["negative", "three-places", "four-places", "text"])
def test_parse_money_refuses(text, options, message):
    with pytest.raises(cells.CellError) as info:
        cells.parse_money(text, **options)
    assert str(info.value) == message


# ------------------------------------------------------------------------------------------------ whole numbers


@pytest.mark.parametrize(("text", "options", "expected"), [
    ("2021", {}, 2021),
    (" 2021 ", {}, 2021),
    ("2021.0", {}, 2021),  # a spreadsheet's whole number
    ("-3", {}, -3),
    ("1", {"low": 1, "high": 3}, 1),  # just inside both bounds
    ("3", {"low": 1, "high": 3}, 3),
    ("2", {"low": 1, "high": 3}, 2),
    ("5", {"low": 1}, 5),  # only a lower bound
    ("-5", {"high": 3}, -5),  # only an upper bound
    ("2000", {"low": 2000, "high": 2100}, 2000),
    ("2100.0", {"low": 2000, "high": 2100}, 2100),
], ids=["plain", "stripped", "dot-zero", "negative", "low", "high", "middle", "low-only", "high-only", "year-low",
        "year-high"])
def test_parse_int_accepts(text, options, expected):
    value = cells.parse_int(text, **options)
    assert type(value) is int
    assert value == expected


@pytest.mark.parametrize(("text", "options", "message"), [
    ("abc", {}, "expected a whole number, got 'abc'"),
    ("2021.5", {}, "expected a whole number, got '2021.5'"),
    ("1e3", {}, "expected a whole number, got '1e3'"),
    ("0", {"low": 1, "high": 3}, "expected a whole number between 1 and 3, got 0"),
    ("4", {"low": 1, "high": 3}, "expected a whole number between 1 and 3, got 4"),
    ("4.0", {"low": 1, "high": 3}, "expected a whole number between 1 and 3, got 4"),
    ("0", {"low": 1}, "expected a whole number between 1 and None, got 0"),
    ("4", {"high": 3}, "expected a whole number between None and 3, got 4"),
    ("1999", {"low": 2000, "high": 2100}, "expected a whole number between 2000 and 2100, got 1999"),
    ("2101", {"low": 2000, "high": 2100}, "expected a whole number between 2000 and 2100, got 2101"),
], ids=["text", "fraction", "exponent", "below", "above", "above-dot-zero", "below-low-only", "above-high-only",
        "year-below", "year-above"])
def test_parse_int_refuses(text, options, message):
    with pytest.raises(cells.CellError) as info:
        cells.parse_int(text, **options)
    assert str(info.value) == message


# ----------------------------------------------------------------------------------------------------- booleans


@pytest.mark.parametrize(("text", "expected"), [
    ("true", True), ("TRUE", True), (" Vrai ", True), ("oui", True), ("yes", True), ("1", True),
    ("false", False), ("FALSE", False), ("faux", False), (" Non ", False), ("no", False), ("0", False),
])
def test_parse_bool_accepts(text, expected):
    assert cells.parse_bool(text) is expected


@pytest.mark.parametrize("text", ["maybe", "2", "t"])
def test_parse_bool_refuses(text):
    with pytest.raises(cells.CellError) as info:
        cells.parse_bool(text)
    assert str(info.value) == f"expected true or false, got {text!r}"


# -------------------------------------------------------------------------------------------------------- dates


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-07-01", dt.date(2024, 7, 1)),
    (" 2024-07-01 ", dt.date(2024, 7, 1)),
    ("01/07/2024", dt.date(2024, 7, 1)),  # French: day first
    ("31/12/2025", dt.date(2025, 12, 31)),
    ("2024-07-01 00:00", dt.date(2024, 7, 1)),
    ("2024-07-01T00:00:00", dt.date(2024, 7, 1)),
    ("2024-07-01 00:00:00", dt.date(2024, 7, 1)),
], ids=["iso", "stripped", "french", "french-end", "midnight", "midnight-t-seconds", "midnight-seconds"])
def test_parse_date_accepts(text, expected):
    assert cells.parse_date(text) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("2024-02-30", "'2024-02-30' is not a valid date (day is out of range for month)"),
    ("2024-13-01", "'2024-13-01' is not a valid date (month must be in 1..12)"),
    ("31/02/2024", "'31/02/2024' is not a valid date (day is out of range for month)"),
    ("01/13/2024", "'01/13/2024' is not a valid date (month must be in 1..12)"),
    ("2024-02-30 00:00", "'2024-02-30 00:00' is not a valid date (day is out of range for month)"),
    ("2024-07-01 12:00", "expected a date such as 2024-07-01, got '2024-07-01 12:00'"),
    ("1/7/2024", "expected a date such as 2024-07-01, got '1/7/2024'"),
    ("tomorrow", "expected a date such as 2024-07-01, got 'tomorrow'"),
], ids=["iso-day", "iso-month", "french-day", "french-month", "midnight-day", "noon", "short-french", "text"])
def test_parse_date_refuses(text, message):
    with pytest.raises(cells.CellError) as info:
        cells.parse_date(text)
    assert str(info.value) == message


# ------------------------------------------------------------------------------------------------------ id lists


@pytest.mark.parametrize(("text", "expected"), [
    ("", ()),
    ("  ", ()),
    ("[]", ()),
    (" [] ", ()),
    ("A", ("A",)),
    (" A; B ,C ", ("A", "B", "C")),
    ("A,B", ("A", "B")),
], ids=["blank", "spaces", "brackets", "brackets-spaces", "one", "mixed-separators", "commas"])
def test_parse_id_list_accepts(text, expected):
    assert cells.parse_id_list(text) == expected


@pytest.mark.parametrize("text", ["A;;B", "A;", ";A", "A; ;B", "A,,B"])
def test_parse_id_list_refuses(text):
    with pytest.raises(cells.CellError) as info:
        cells.parse_id_list(text)
    assert str(info.value) == f"empty id in list {text!r}; separate ids with ';'"
