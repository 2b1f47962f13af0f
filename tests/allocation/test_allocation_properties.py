"""Properties of the allocation on random datasets and scenarios (R1, R3)."""

import tempfile
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.case_runner import write_case
from support.strategies import cases, examples, structures

from ctg_funding.allocation.exact import largest_remainder
from ctg_funding.rulebook import load_rulebook
from ctg_funding.scenario.file import load_scenario
from ctg_funding.simulation import simulate

RULEBOOK = load_rulebook()



@settings(max_examples=examples(60), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_envelope_balanced_and_nothing_negative(case):
    with tempfile.TemporaryDirectory() as tmp:
        result = simulate(load_scenario(write_case(case, Path(tmp)), RULEBOOK))
    cej_by_family: dict[str, Decimal] = {}
    for s in case["structures"]:
        if s["id"] in case["cej"]:
            family = RULEBOOK.family_of_type(s["type"])
            cej_by_family[family] = cej_by_family.get(family, Decimal(0)) + Decimal(case["cej"][s["id"]])
    for env in result.envelopes:
        # R1: the envelope is the family's N-1 CEJ total, every year; R3: allocated + released = envelope.
        assert env.envelope == cej_by_family.get(env.family, Decimal("0.00"))
        lines = [ln for ln in result.lines if ln.year == env.year and ln.family == env.family
                 and ln.line != "bonus_places_nouvelles"]  # R5 is paid outside the envelope
        released = [r for r in result.released if r.year == env.year and r.family == env.family]
        assert sum(ln.amount for ln in lines) == env.allocated
        assert sum(r.amount for r in released if r.destination == "caf") == env.released
        assert env.allocated + env.released == env.envelope
    assert all(ln.amount >= 0 for ln in result.lines)
    assert all(r.amount >= 0 for r in result.released)
    assert all(ln.amount == 0 for ln in result.lines if not ln.eligible)


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(structures(), st.data())
def test_historical_gives_each_eligible_structure_its_own_amount(ss, data):
    # Open all year, no floor, no redistribution: every eligible structure gets exactly its N-1 amount
    # (posts before the deadline; the cap applies only after it).
    for s in ss:
        s.pop("closed", None)
    cej = {s["id"]: str(data.draw(st.decimals(Decimal("0.01"), Decimal("50000"), places=2))) for s in ss}
    case = {"name": "historical", "structures": ss, "cej": cej, "years": [2022, 2025],
            "parameters": {"redistribution.method": "historical"}}
    with tempfile.TemporaryDirectory() as tmp:
        result = simulate(load_scenario(write_case(case, Path(tmp)), RULEBOOK))
    for ln in result.lines:
        if ln.line == "bonus_places_nouvelles":
            continue
        if ln.eligible:
            assert ln.amount == Decimal(cej[ln.structure_id])
        else:
            released = [r for r in result.released if r.year == ln.year and r.structure_id == ln.structure_id]
            assert [r.amount for r in released] == [Decimal(cej[ln.structure_id])]
            assert released[0].reason == ln.reason


@settings(max_examples=examples(100))
@given(st.lists(st.fractions(min_value=0, max_value=10**6, max_denominator=997), min_size=1, max_size=30))
def test_largest_remainder_adds_up_to_the_cent(amounts):
    # Rounding exact amounts whose total is a whole number of cents gives cents that add up to that total,
    # each within one cent of its exact amount.
    cents_total = sum(amounts) * 100
    extra = Fraction(1) - (cents_total - int(cents_total)) if cents_total.denominator != 1 else 0
    amounts = [amounts[0] + Fraction(extra, 100)] + amounts[1:]
    total = int(sum(amounts) * 100)
    rounded = largest_remainder([(f"S{i}", a) for i, a in enumerate(amounts)], total)
    assert sum(rounded) == total
    assert all(abs(c - a * 100) < 1 for c, a in zip(rounded, amounts, strict=True))
