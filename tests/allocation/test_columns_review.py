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


def test_the_renewals_read_a_block_s_columns_without_making_its_lines():
    from test_allocation_columns import A, C, block

    from ctg_funding.allocation.renewal import allocated_cents
    from ctg_funding.allocation.results import Lines

    lines = block([A, C])
    table = allocated_cents(Lines(lines))
    assert list(zip(table["sid"], table["year"], table["cents"], strict=True)) == [("A", 2022, 100), ("C", 2022, 7)]
    assert lines._lines is None  # no PackedLine made: 600,000 of them at national scale


def test_families_after_one_handed_to_the_exact_allocator_keep_their_envelopes(tmp_path):
    # PILOTAGE's cap is not whole cents (the exact allocator takes that family-year); RPE comes after it in the
    # year's groups and keeps its own envelope record: 500.00 allocated to R, nothing released.
    from support.case_runner import shipped_rulebook, write_case

    from ctg_funding.scenario.file import load_scenario
    from ctg_funding.simulation import simulate

    case = {"name": "after a routed family", "years": [2026, 2026],
            "parameters": {"ctg.renewed_until": "2030-12-31", "pilotage.cap_per_etp": 30200.005},
            "structures": [{"id": "P1", "type": "COORDINATION", "units": 1, "post_status": "charge_cooperation",
                            "converted_on": "2025-01-01"},
                           {"id": "P2", "type": "COORDINATION", "units": 1, "post_status": "charge_cooperation",
                            "converted_on": "2025-01-01"},
                           {"id": "R", "type": "RPE", "units": 1}],
            "cej": {"P1": 40000, "P2": 20000, "R": 500}}
    scenario = load_scenario(write_case(case, tmp_path), shipped_rulebook())
    envelopes = {engine: sorted((e.family, str(e.envelope), str(e.allocated), str(e.released))
                                for e in simulate(scenario, engine=engine).envelopes)
                 for engine in ("durable", "vector")}
    assert envelopes["vector"] == envelopes["durable"] == [("PILOTAGE", "60000.00", "50200.01", "9799.99"),
                                                           ("RPE", "500.00", "500.00", "0.00")]
