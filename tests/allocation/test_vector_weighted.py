"""The vector allocator computes `weighted` and `released.destination: redistribute` itself (no family-year handed
to the exact allocator), with every figure the exact allocator records: random small datasets, both engines."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.case_runner import write_case
from support.strategies import cases, examples

from ctg_funding.allocation import exact, policy, vector
from ctg_funding.errors import InputError
from ctg_funding.rulebook import load_rulebook, required
from ctg_funding.scenario.file import load_scenario
from ctg_funding.simulation import simulate

RULEBOOK = load_rulebook()

WEIGHTS = ["units * open_days / year_days", "max(1, min(tranche, occupancy / 40))", "occupancy / 3",
           "1 / occupancy", "occupancy - 2", "qpv_zrr", "tranche / (units - 1)", "-occupancy + 70",
           "min(occupancy, units, 7 / 2) * 2"]


@st.composite
def weighted_or_redistributed(draw):
    """A random case whose families are weighted (any expression, some failing) or redistribute what they
    release (any method), with an extra column `occupancy` that some structures lack."""
    case = draw(cases())
    for k, s in enumerate(case["structures"]):  # the first has one: the column is in structures.csv
        occupancy = draw(st.sampled_from([0, 1, 2, 3, 60, 100] + [None] * bool(k)))
        if occupancy is not None:
            s["extra"] = {"occupancy": occupancy}
    params = case["parameters"]
    if draw(st.booleans()):
        params["redistribution.method"] = "weighted"
    if params["redistribution.method"] == "weighted":
        params["redistribution.weight"] = draw(st.sampled_from(WEIGHTS))
    else:
        params["released.destination"] = "redistribute"
    return case


def _records(result) -> dict:
    """Every figure of the allocation's records (what the JSON, explain and trace read)."""
    lines = sorted((ln.year, ln.structure_id, ln.line, ln.family, ln.unit, ln.units, ln.eligible, ln.reason,
                    tuple(ln.rules), ln.method, ln.n1_amount, ln.share, ln.weight, ln.rate, ln.base, ln.extra,
                    ln.exact, ln.amount, ln.capped, ln.cap, ln.renewed_from) for ln in result.lines)
    released = [(r.year, r.family, r.structure_id, r.reason, r.exact, r.destination, tuple(r.rules), r.amount,
                 r.territory) for r in result.released]
    envelopes = [(e.territory, e.year, e.family, e.envelope, e.allocated, e.released, e.redistributed, e.method,
                  e.rate, e.floor, e.parameters, e.units_total, e.floor_deficit, e.floor_excess, e.moved,
                  e.renewed_from) for e in result.envelopes]
    return {"lines": lines, "released": sorted(released, key=repr), "envelopes": sorted(envelopes, key=repr),
            "warnings": sorted(result.warnings)}


def _run(scenario, engine: str):
    try:
        return _records(simulate(scenario, engine=engine))
    except InputError as exc:
        return [p.message for p in exc.problems]


def _never_routed(*_args, **_kwargs):
    raise AssertionError("a family-year was handed to the exact allocator")


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(weighted_or_redistributed())
def test_vector_gives_every_figure_of_the_exact_allocator(case):
    with tempfile.TemporaryDirectory() as tmp:
        scenario = load_scenario(write_case(case, Path(tmp)), RULEBOOK)
    want = _run(scenario, "durable")
    with mock.patch.object(vector.exact, "allocate_family", _never_routed):
        got = _run(scenario, "vector")
    assert got == want


@pytest.mark.parametrize("params", [
    {required.METHOD: "weighted", required.WEIGHT: "units"},
    {required.METHOD: "historical", required.DESTINATION: "redistribute"},
    {required.METHOD: "per_unit", required.DESTINATION: "redistribute"},
    {required.METHOD: "weighted", required.WEIGHT: "units", required.DESTINATION: "redistribute"},
])
def test_weighted_and_redistribute_are_not_routed(params):
    case = {"name": "routed", "parameters": dict(params),
            "structures": [{"id": "A", "type": "EAJE", "units": 10}, {"id": "B", "type": "EAJE", "units": 10,
                                                                       "ps_funded": False}],
            "cej": {"A": "100.00", "B": "50.00"}}
    with tempfile.TemporaryDirectory() as tmp:
        scenario = load_scenario(write_case(case, Path(tmp)), RULEBOOK)
    pol = policy.family_policy(scenario.rulebook, "EAJE", 2022, [None], [])
    assert (pol.method, pol.destination, pol.exact_only) == (params[required.METHOD],
                                                             params.get(required.DESTINATION, "caf"), False)
    with mock.patch.object(vector.exact, "allocate_family", _never_routed):
        result = simulate(scenario, engine="vector")
    assert sum(e.allocated + e.released for e in result.envelopes if e.family == "EAJE") == 150


def test_a_cap_that_is_not_whole_cents_is_still_routed():
    # A cap of 30,200.005 EUR per ETP: its ceiling is not a whole number of cents (see released.yaml).
    case = {"name": "odd cap", "years": [2026, 2026],
            "parameters": {"ctg.renewed_until": "2030-12-31", "pilotage.cap_per_etp": 30200.005},
            "structures": [{"id": "P", "type": "COORDINATION", "units": 1, "post_status": "charge_cooperation",
                            "converted_on": "2025-01-01"}], "cej": {"P": "40000.00"}}
    with tempfile.TemporaryDirectory() as tmp:
        scenario = load_scenario(write_case(case, Path(tmp)), RULEBOOK)
    calls = []
    real = exact.allocate_family

    def spy(pol, *args, **kwargs):
        calls.append((pol.family, pol.year))
        return real(pol, *args, **kwargs)

    with mock.patch.object(vector.exact, "allocate_family", spy):
        simulate(scenario, engine="vector")
    assert calls == [("PILOTAGE", 2026)]


def _refusing(family: str, text: str):
    """family_policy, with `text` as the weight of `family`'s weighted family-years (an expression the scenario's
    check would have refused: only a scenario built without load_scenario can bring one to the allocators)."""
    real = policy.family_policy

    def decide(*args, **kwargs):
        pol = real(*args, **kwargs)
        return dataclasses.replace(pol, weight=text) if pol.family == family and pol.method == "weighted" else pol
    return decide


@pytest.mark.parametrize(("refused_family", "want"), [
    # EAJE's expression is refused, and no row of any family fails: the refusal is what both allocators say.
    ("EAJE", "weight expression 'units ** 2': the operator ** is not allowed"),
    # RPE's is refused, but EAJE comes first and one of its rows divides by zero: that error comes first.
    ("RPE", "division by zero in the weight expression for E0 in 2024"),
])
def test_a_refused_expression_is_raised_where_the_exact_allocator_raises_it(refused_family, want):
    case = {"name": "refused", "years": [2024, 2024],
            "parameters": {"redistribution.method": "weighted", "redistribution.weight": "1 / (units - 1)"
                           if refused_family == "RPE" else "units"},
            "structures": [{"id": "E0", "type": "EAJE", "units": 1}, {"id": "E1", "type": "EAJE", "units": 3},
                           {"id": "R0", "type": "RPE", "units": 2}],
            "cej": {"E0": 100, "E1": 100, "R0": 100}}
    with tempfile.TemporaryDirectory() as tmp:
        scenario = load_scenario(write_case(case, Path(tmp)), RULEBOOK)
    with mock.patch.object(policy, "family_policy", _refusing(refused_family, "units ** 2")):
        got = {engine: _run(scenario, engine) for engine in ("durable", "vector")}
    assert got["durable"] == got["vector"]
    assert len(got["vector"]) == 1 and want in got["vector"][0]
