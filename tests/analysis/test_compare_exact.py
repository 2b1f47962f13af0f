"""`ctg compare` to the letter on a small case worked by hand: the year view in year order, the rows left out by
--only-changed and how many, every row by default, and the sums of a comparison with nothing in it.

The case (tests/support/case_runner.write_case), historical, 2022-2023, two EAJE of the territory:
    A   COM-A, 10 places, N-1 CEJ 1,000.00 -> 1,000.00 a year
    B   COM-B, 20 places, N-1 CEJ 3,000.00 -> 3,000.00 a year
Scenario "closure" closes A on 2023-07-01: open 181 of 365 days in 2023, 1,000 x 181/365 = 495.890410... ->
495.89 (docs/funding-rules.md R2, pro rata temporis); 2022 and B do not change.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.case_runner import write_case

from ctg_funding.analysis.compare import compare
from ctg_funding.cli import main
from ctg_funding.rulebook import load_rulebook
from ctg_funding.scenario.file import load_scenario
from ctg_funding.simulation import simulate

CASE = {"name": "plain", "years": [2022, 2023], "parameters": {"redistribution.method": "historical"},
        "structures": [{"id": "A", "type": "EAJE", "units": 10},
                       {"id": "B", "type": "EAJE", "units": 20, "commune": "COM-B"}],
        "cej": {"A": "1000.00", "B": "3000.00"}}
CLOSURE = {**CASE, "name": "closure", "changes": [{"on": "2023-07-01", "structure": "A", "close": True}]}
EMPTY = {"name": "empty", "years": [2022, 2023], "structures": [], "cej": {}}


@pytest.fixture
def pair(tmp_path) -> tuple[Path, Path]:
    return write_case(dict(CASE), tmp_path / "plain"), write_case(dict(CLOSURE), tmp_path / "closure")


def compare_json(a: Path, b: Path, *args: str) -> dict:
    result = CliRunner().invoke(main, ["compare", str(a), str(b), "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def rows(data: dict) -> list[tuple]:
    return [(r["key"], r["a"], r["b"], r["difference"], r["difference_pct"]) for r in data["rows"]]


def test_by_year_rows_come_in_year_order_not_by_difference(pair):
    # 2022: 1,000.00 + 3,000.00 = 4,000.00 on both sides, difference 0.00.
    # 2023: 4,000.00 -> 495.89 + 3,000.00 = 3,495.89: -504.11; -504.11 x 100 / 4,000.00 = -12.60275 -> -12.60 %.
    # The larger difference is 2023's; the rows still come 2022 first.
    data = compare_json(*pair, "--by", "year")
    assert rows(data) == [("2022", "4000.00", "4000.00", "0.00", 0.0),
                          ("2023", "4000.00", "3495.89", "-504.11", -12.6)]
    assert data["rows_without_difference_left_out"] == 0


def test_only_changed_says_how_many_rows_it_left_out(pair):
    # By structure over 2022-2023: A 2,000.00 -> 1,000.00 + 495.89 = 1,495.89, -504.11; -504.11 x 100 / 2,000.00
    # = -25.2055 -> -25.21 %. B 6,000.00 on both sides: left out, 1 row. The totals count it:
    # 2,000.00 + 6,000.00 = 8,000.00 and 1,495.89 + 6,000.00 = 7,495.89.
    data = compare_json(*pair, "--by", "structure", "--only-changed")
    assert rows(data) == [("A", "2000.00", "1495.89", "-504.11", -25.21)]
    assert data["rows_without_difference_left_out"] == 1
    assert data["totals"] == {"a": "8000.00", "b": "7495.89", "difference": "-504.11"}


def test_compare_shows_every_row_unless_asked_otherwise(pair):
    rulebook = load_rulebook()
    a, b = (simulate(load_scenario(path, rulebook)) for path in pair)
    every = compare(a, b, "year", [2022, 2023])
    assert [(r.key, str(r.difference)) for r in every.rows] == [("2022", "0.00"), ("2023", "-504.11")]
    assert every.hidden == 0
    changed = compare(a, b, "year", [2022, 2023], only_changed=True)
    assert ([r.key for r in changed.rows], changed.hidden) == (["2023"], 1)


@pytest.mark.parametrize("by", ["structure", "year"])
def test_a_comparison_with_nothing_in_it_sums_to_zero_euros(tmp_path, by):
    # No structure and no CEJ action: no row, no envelope, nothing outside the envelope; every sum is 0.00.
    empty = write_case(dict(EMPTY), tmp_path)
    data = compare_json(empty, empty, "--by", by)
    assert data["rows"] == []
    assert data["totals"] == {"a": "0.00", "b": "0.00", "difference": "0.00"}
    zero = {"envelope": "0.00", "allocated": "0.00", "released": "0.00", "outside_envelope": "0.00"}
    assert data["envelopes"] == {"a": zero, "b": zero}


def test_nothing_outside_the_envelope_is_written_as_zero_euros(pair):
    # No new places (R5), no ALSH (R8), no growth of places (R9): 0.00 outside the envelope. The envelope is the
    # CEJ's 4,000.00 a year, 8,000.00 over the two years; A's 1,000.00 - 495.89 = 504.11 of 2023 is released.
    data = compare_json(*pair)
    assert data["envelopes"]["a"] == {"envelope": "8000.00", "allocated": "8000.00", "released": "0.00",
                                      "outside_envelope": "0.00"}
    assert data["envelopes"]["b"] == {"envelope": "8000.00", "allocated": "7495.89", "released": "504.11",
                                      "outside_envelope": "0.00"}
