"""What a review of the columnar code changed: a territory-year without a base is an error, not read from the CEJ;
text comparisons on codes only for text values (None compares as `==` does)."""

from __future__ import annotations

import numpy as np
import pytest

from ctg_funding.allocation.renewal import FIRST, Base, n1_cents
from ctg_funding.engine.vector import mask
from ctg_funding.rulebook.conditions import Cmp, Operand


def test_a_territory_year_without_a_base_is_an_error():
    bases = {("T1", 2024): FIRST, ("T1", 2025): Base(1, 2024)}
    with pytest.raises(KeyError):
        n1_cents(["A", "B"], [2024, 2026], ["T1", "T1"], [], bases, None)


def test_rows_take_their_base_of_their_own_territory_year():
    # T1 2025 renews 2024 (A was allocated 700 cents then); T2 2025 is still from the CEJ (none here: 0).
    import pandas as pd

    bases = {("T1", 2025): Base(1, 2024), ("T2", 2025): FIRST}
    allocated = pd.DataFrame({"sid": ["A", "B"], "year": [2024, 2024], "cents": [700, 300]})
    assert n1_cents(["A", "B"], [2025, 2025], ["T1", "T2"], [], bases, allocated).tolist() == [700, 0]


@pytest.mark.parametrize(("op", "value", "want"), [
    ("eq", None, [False, True, False]), ("ne", None, [True, False, True]),
    ("eq", "x", [True, False, False]), ("ne", "x", [False, True, True]),
    ("eq", "nowhere", [False, False, False]),
])
def test_text_columns_compare_as_equality_does(op, value, want):
    column = np.array(["x", None, "y"], dtype=object)
    texts: dict = {}
    got = mask(Cmp("f", op, Operand("const", value)), {"f": column}, 3, texts)
    assert got.tolist() == want
    assert got.tolist() == [bool(v) for v in (column == value if op == "eq" else column != value)]
    assert ("f" in texts) == isinstance(value, str)  # codes only for a text value
