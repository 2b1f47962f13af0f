"""The JSON written as it is encoded (writers.write_json), with arrays made while they are written
(writers.Streamed): the same text as to_json, which holds the whole document."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from ctg_funding.output.writers import Streamed, to_json, write_json

ROWS = [{"year": 2024, "amount": Decimal("12.30"), "rules": ["R1", "R2"], "name": "Crèche « Les P'tits »"},
        {"year": 2025, "amount": Decimal("0.00"), "rules": [], "name": None}]


def written(data, batch: int = 65_536) -> str:
    out = io.StringIO()
    write_json(data, out, batch)
    return out.getvalue()


@pytest.mark.parametrize("batch", [1, 2, 7, 65_536])
def test_the_same_text_as_to_json_whatever_the_batch(batch):
    data = {"scenario": "s", "years": [2024, 2025], "allocations": ROWS, "empty": [], "nested": {"a": {"b": 1}}}
    assert written(data, batch) == to_json(data)


def test_a_streamed_array_is_written_as_the_list_it_makes():
    made = []

    def rows():
        for row in ROWS:
            made.append(row["year"])  # made while written, once
            yield row

    data = {"allocations": Streamed(rows, len(ROWS)), "after": 1}
    assert written(data) == to_json({"allocations": ROWS, "after": 1})
    assert made == [2024, 2025]


def test_an_empty_streamed_array_is_an_empty_list():
    def nothing():
        yield from ()

    streamed = Streamed(nothing, 0)
    assert len(streamed) == 0 and not streamed and list(streamed) == []
    assert written({"allocations": streamed}) == to_json({"allocations": []}) == '{\n  "allocations": []\n}\n'
