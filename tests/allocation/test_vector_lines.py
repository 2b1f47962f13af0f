"""The vector allocator's line blocks against the exact allocator's lines, field by field, on a year where every
method meets: per_unit with a structure without units, historical with pro rata temporis and a cap, and weighted
(which the vector allocator does itself: only a cap that is not whole cents is handed to the exact allocator). The
reference is the durable engine with the exact allocator (differential)."""

from __future__ import annotations

import numpy as np
import pytest
from support.case_runner import shipped_rulebook, write_case

from ctg_funding.allocation.vector import LineBlock
from ctg_funding.scenario.file import load_scenario
from ctg_funding.simulation import simulate

FIELDS = ("year", "structure_id", "family", "line", "unit", "units", "eligible", "reason", "rules", "method",
          "n1_amount", "share", "weight", "rate", "base", "extra", "exact", "amount", "capped", "cap", "renewed_from")

CASE = {
    "name": "blocks", "years": [2022, 2023],
    "parameters": {"redistribution.method": "historical", "redistribution.method.EAJE": "per_unit",
                   "redistribution.method.ALSH": "weighted", "redistribution.weight": "1 + qpv_zrr"},
    "structures": [
        {"id": "E1", "type": "EAJE", "units": 10}, {"id": "E2", "type": "EAJE", "units": 0},
        {"id": "E3", "type": "EAJE", "units": 5, "closed": "2023-07-01"},
        {"id": "E4", "type": "EAJE", "units": 7, "supported_by": ["NONSIG"]},
        {"id": "A1", "type": "ALSH", "units": 3650}, {"id": "A2", "type": "ALSH", "units": 1000, "commune": "COM-B"},
        {"id": "R1", "type": "RPE", "units": 1, "opened": "2022-03-01"}, {"id": "R2", "type": "RPE", "units": 2},
        {"id": "L1", "type": "LAEP", "units": 300}, {"id": "J1", "type": "ACCUEIL_JEUNES", "units": 1},
    ],
    "cej": {"E1": 1000, "E3": 333.33, "E4": 50, "A1": 500, "A2": 250, "R1": 700, "R2": 1234.56, "L1": 99.99,
            "J1": 400},
}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    scenario = load_scenario(write_case(CASE, tmp_path_factory.mktemp("blocks")), shipped_rulebook())
    return {engine: simulate(scenario, engine=engine) for engine in ("durable", "vector")}


def as_tuple(line) -> tuple:
    return tuple(getattr(line, name) for name in FIELDS)


def test_the_blocks_hold_the_exact_allocator_s_lines(results):
    want, got = results["durable"], results["vector"]
    # (in the order of each year's groups: the vector allocator's blocks, then the routed family-years)
    assert sorted(map(as_tuple, got.lines), key=str) == sorted(map(as_tuple, want.lines), key=str)
    assert len(got.lines) == len(want.lines) == 20
    assert sorted(((r.year, r.structure_id, r.reason, r.amount, r.rules) for r in got.released), key=str) == sorted(
        ((r.year, r.structure_id, r.reason, r.amount, r.rules) for r in want.released), key=str)
    envelope = lambda e: (e.year, e.family, e.envelope, e.allocated, e.released, e.method, e.rate)  # noqa: E731
    assert sorted(map(envelope, got.envelopes), key=str) == sorted(map(envelope, want.envelopes), key=str)
    # What makes this case: a weighted family (ALSH) beside per_unit and historical ones, a row without units,
    # pro rata temporis, an ineligible row.
    lines = list(want.lines)
    assert {ln.method for ln in lines} >= {"weighted", "per_unit", "historical"}
    assert any(ln.reason == "NO_UNITS" for ln in lines) and any(ln.share < 1 for ln in lines)
    assert any(not ln.eligible and ln.reason != "NO_UNITS" for ln in lines)


def test_each_year_s_block_holds_every_family_weighted_too(results):
    got = results["vector"]
    blocks = [p for p in got.lines.parts() if isinstance(p, LineBlock)]
    assert [sorted(set(b.column("year").tolist())) for b in blocks] == [[2022], [2023]]
    for b in blocks:
        assert b.column("family").tolist().count("ALSH") == 3  # the weighted family (A1, A2, J1), in the block
        assert len(b) == 10  # every structure: no family-year handed to the exact allocator
    # Lines of the same kind (same fired rules, method, eligibility, no pro rata...) share one list of rules,
    # computed once: E1 and E3 in 2022 (both per_unit, eligible, open all year).
    rules = dict(zip(blocks[0].column("structure_id").tolist(), blocks[0].column("rules"), strict=True))
    assert rules["E1"] is rules["E3"] and rules["E1"] == ["R2.eaje", "R3.per_unit"]
    assert rules["E2"] is not rules["E1"]


def test_the_block_s_figures_are_integers(results):
    block = next(p for p in results["vector"].lines.parts() if isinstance(p, LineBlock))
    for name in ("cents", "n1_cents", "open_days", "year_days"):
        assert np.asarray(block.column(name)).dtype.kind == "i", name
