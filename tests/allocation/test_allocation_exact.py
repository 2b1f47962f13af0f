"""Direct tests of the allocation's lines, figure by figure, worked out by hand: what the YAML cases do not check
(every field of an R8 or R9 line, the rules a line cites, which CTG a year belongs to), and branches that only a
direct call reaches (a floor of None, amounts above 2^53 cents, a commune without a tranche)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest
from support.case_runner import shipped_rulebook, write_case

from ctg_funding.allocation import policy, renewal
from ctg_funding.allocation.new_places import NewPlacesLine, new_places_lines
from ctg_funding.allocation.plancher import PlancherLine, plancher_lines
from ctg_funding.allocation.renewal import Base
from ctg_funding.allocation.results import Line
from ctg_funding.allocation.trajectoire import Growth, TrajectoireLine, trajectoire_lines
from ctg_funding.allocation.vector import _order_keys
from ctg_funding.engine import ENGINES
from ctg_funding.inputs.model import Collectivite, CollectiviteKind, Period
from ctg_funding.scenario.file import load_scenario
from ctg_funding.simulation import simulate


def run(case: dict, tmp_path, engine: str):
    """Simulate a case written as the YAML cases are (tests/support/case_runner.py)."""
    return simulate(load_scenario(write_case({"name": "direct", **case}, tmp_path), shipped_rulebook()),
                    engine=engine)


# --- R8, the ALSH floor --------------------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ENGINES)
def test_plancher_lines_record_every_figure(engine, tmp_path):
    # Floor 0.15 EUR per hour in 2023 (rules/alsh_floor.yaml), historical.
    # E: 3,650 hours a year, opened 2023-07-01: open 184 of 365 days, 3,650 x 184/365 = 1,840 hours; no CEJ, so
    #   bonus 0.00: target 0.15 x 1,840 = 276, top-up 276 - 0 = 276.00, pro rata temporis.
    # F: 10,000 hours all year, CEJ 1,000: target 0.15 x 10,000 = 1,500, top-up 1,500 - 1,000 = 500.00.
    result = run({"years": [2023, 2023], "parameters": {"redistribution.method": "historical"},
                  "structures": [{"id": "E", "type": "ALSH", "units": 3650, "opened": "2023-07-01"},
                                 {"id": "F", "type": "ALSH", "units": 10000}],
                  "cej": {"F": 1000}}, tmp_path, engine)
    got = [ln for ln in result.lines if ln.line == "plancher_alsh"]
    floor = Fraction(15, 100)
    e = PlancherLine(year=2023, structure_id="E", family="ALSH", line="plancher_alsh", unit="attendance hours",
                     units=Fraction(1840), eligible=True, reason=None,
                     rules=["R8.plancher_alsh", "R2.alsh", "R2.pro_rata_temporis"], method="plancher_alsh",
                     share=Fraction(184, 365), rate=floor, base=Fraction(276), exact=Fraction(276),
                     amount=Decimal("276.00"), floor=floor, target=Fraction(276), bonus=Decimal("0.00"))
    f = PlancherLine(year=2023, structure_id="F", family="ALSH", line="plancher_alsh", unit="attendance hours",
                     units=Fraction(10000), eligible=True, reason=None, rules=["R8.plancher_alsh", "R2.alsh"],
                     method="plancher_alsh", share=Fraction(1), rate=floor, base=Fraction(500), exact=Fraction(500),
                     amount=Decimal("500.00"), floor=floor, target=Fraction(1500), bonus=Decimal("1000.00"))
    assert got == [e, f]


def _alsh_line(units: Fraction, amount: str) -> Line:
    return Line(year=2023, structure_id="A", family="ALSH", line="bonus_territoire", unit="attendance hours",
                units=units, eligible=True, reason=None, rules=[], method="historical", share=Fraction(1),
                amount=Decimal(amount))


EVALUATIONS = {"A|2023": SimpleNamespace(formulas=["R8.plancher_alsh"], classify_rule="R2.alsh")}


def test_plancher_no_floor_in_the_territory():
    # floor_of gives None (no floor in force where the structure lies): no line, whatever the amount.
    assert plancher_lines(2023, [_alsh_line(Fraction(10000), "0.00")], EVALUATIONS, lambda sid: None) == []


def test_plancher_compares_amounts_above_2_53_cents_exactly():
    # Floor 1 EUR per hour, U = (2^60 + 224) / 100 = 11,529,215,046,068,472 hours: target U EUR = 2^60 + 224 cents.
    # Bonus 2^60 + 200 cents = 11,529,215,046,068,471.76 EUR: 24 cents short of the target, so a 0.24 line. (As a
    # float, 2^60 + 200 cents would round to 2^60 + 256, above the target: the test must be on integers.)
    hours = Fraction(2**60 + 224, 100)
    bonus = Decimal(2**60 + 200) / 100
    [line] = plancher_lines(2023, [_alsh_line(hours, str(bonus))], EVALUATIONS, lambda sid: Fraction(1))
    assert (line.target, line.bonus, line.exact, line.amount) == (hours, bonus, Fraction(24, 100), Decimal("0.24"))


# --- R9, the bonus trajectoire -------------------------------------------------------------------------------

def _sy(sid: str, territory: str, unit_days: int, open_days: int, year_days: int = 365) -> SimpleNamespace:
    return SimpleNamespace(id=f"{sid}|2025", territory_id=territory, structure=SimpleNamespace(id=sid),
                           unit_days=unit_days, open_days=open_days, year_days=year_days)


def test_trajectoire_lines_record_every_figure():
    # T1 reaches tier 3 (growth 112/100 - 1 = 12%), 1,000 EUR per place; T2 reaches no tier.
    # In order: A in T2 (no tier: no line), B in T1 with no places (no line), C in T1 open 73 of 365 days with
    # 10 places (730 place-days / 365 = 2 places: 2 x 1,000 = 2,000.00, pro rata temporis), D in T1 all year with
    # 3 places (1,095 / 365 = 3 places: 3,000.00).
    growth = Growth(2023, Fraction(100), Fraction(112), 3, Fraction(12, 100), Fraction(1000))
    growths = {("T1", 2025): growth, ("T2", 2025): Growth(2023, Fraction(100), Fraction(100))}
    sys_ = [_sy("A", "T2", 3650, 365), _sy("B", "T1", 0, 0), _sy("C", "T1", 730, 73), _sy("D", "T1", 1095, 365)]
    ev = SimpleNamespace(eligible=True, formulas=["R9.bonus_trajectoire"], classify_rule="R2.eaje", family="EAJE",
                         unit="places")
    got = trajectoire_lines(2025, sys_, {sy.id: ev for sy in sys_}, growths)

    def line(sid, places, share, rules):
        return TrajectoireLine(year=2025, structure_id=sid, family="EAJE", line="bonus_trajectoire", unit="places",
                               units=Fraction(places), eligible=True, reason=None, rules=rules,
                               method="bonus_trajectoire", share=share, rate=Fraction(1000),
                               base=Fraction(places * 1000), exact=Fraction(places * 1000),
                               amount=Decimal(f"{places * 1000}.00"), territory="T1", growth=growth)

    assert got == [line("C", 2, Fraction(1, 5), ["R9.bonus_trajectoire", "R2.eaje", "R2.pro_rata_temporis"]),
                   line("D", 3, Fraction(1), ["R9.bonus_trajectoire", "R2.eaje"])]


# --- R5, new places ------------------------------------------------------------------------------------------

def test_new_places_commune_without_tranche_counts_as_tranche_3():
    # A commune with no tranche given and not QPV/ZRR is paid at the tranche 3 rate (docs/funding-rules.md R5):
    # 12 places against 10 in N-1 = 2 new places x 2,600 = 5,200.00.
    commune = Collectivite(id="X", name="X", kind=CollectiviteKind.COMMUNE, signatory=True)
    sy = SimpleNamespace(id="N|2022", structure=SimpleNamespace(id="N", commune_id="X"), unit_days=Decimal(12 * 365),
                         open_days=365, year_days=365)
    ev = SimpleNamespace(fired=["R5.new_places"], eligible=True, classify_rule="R2.eaje", family="EAJE")
    rates = {1: Fraction(3600), 2: Fraction(3100), 3: Fraction(2600)}
    [line] = new_places_lines(2022, [sy], {sy.id: ev}, {"N": Fraction(10)}, 2021, {"X": commune}, rates)
    assert line == NewPlacesLine(year=2022, structure_id="N", family="EAJE", line="bonus_places_nouvelles",
                                 unit="new places", units=Fraction(2), eligible=True, reason=None,
                                 rules=["R5.new_places", "R2.eaje"], method="new_places", rate=Fraction(2600),
                                 base=Fraction(5200), exact=Fraction(5200), amount=Decimal("5200.00"),
                                 share=Fraction(1), n1=2021, places_n1=Fraction(10), commune_id="X", tranche=3,
                                 qpv=False)


# --- R7, renewal ---------------------------------------------------------------------------------------------

FIRST_CTG = Period(dt.date(2021, 1, 1), dt.date(2026, 1, 1))
RENEWED = Period(dt.date(2026, 1, 2), dt.date(2030, 12, 31))


@pytest.mark.parametrize(("periods", "year", "index"), [
    ([FIRST_CTG, RENEWED], 2026, 0),  # a CTG begun on 2 January: 1 January 2026 is still in the first
    ([FIRST_CTG, RENEWED], 2027, 1),
    ([FIRST_CTG, Period(dt.date(2026, 1, 15), dt.date(2030, 12, 31))], 2026, 0),  # begun mid-January
    ([Period(dt.date(2021, 1, 1), dt.date(2025, 12, 31)), Period(dt.date(2026, 1, 1), dt.date(2030, 12, 31))],
     2026, 1),  # begun on 1 January: that year is the renewal's
    ([Period(dt.date(2021, 1, 1), dt.date(2025, 12, 31))], 2020, 0),  # before the first CTG: the first
], ids=["begun-2-january", "next-year", "begun-15-january", "begun-1-january", "before-the-first"])
def test_period_index(periods, year, index):
    assert renewal.period_index(periods, year) == index


def test_rounds_renewal_after_its_base_year():
    # T: 2025 from the CEJ (round 0), 2026 renews 2025 (round 1), 2027 renews 2026 (round 2).
    bases = {("T", 2025): Base(0, None), ("T", 2026): Base(1, 2025), ("T", 2027): Base(1, 2026)}
    assert renewal.rounds(bases) == [{("T", 2025)}, {("T", 2026)}, {("T", 2027)}]
    assert renewal.rounds({("T", 2025): Base(0, None)}) == [{("T", 2025)}]


# --- policy ----------------------------------------------------------------------------------------------------

def test_released_without_a_rule_or_reason():
    # An amount released with no rule named for it cites R3.released only; without a reason, CAPPED / "".
    assert policy.cap_release(None, None) == ("CAPPED", ["R3.released"])
    assert policy.cap_release("R4.post_capped", "POST_CAPPED") == ("POST_CAPPED", ["R4.post_capped", "R3.released"])
    assert policy.ineligible_release(None, None) == ("", ["R3.released"])


# --- the records of lines, released amounts and envelopes, both allocators ----------------------------------

@pytest.mark.parametrize("engine", ENGINES)
def test_released_in_order_and_envelope_records(engine, tmp_path):
    # EAJE historical: A and B not PS-funded, their CEJ 100.00 and 50.00 released in structure order; C eligible,
    # no CEJ, 0.00 (historical: no units recorded on the envelope, whoever is eligible). RPE per_unit
    # (its own method) with nobody eligible (R not PS-funded): its whole envelope, 300.00, released after them
    # (families in name order, a family's whole envelope after its structures' amounts). LAEP per_unit: L alone,
    # 200.00 over 2 opening hours a year: its line has weight 1 and rate 100.00 per unit; the envelope records
    # its 2 units. The historical envelope records no units.
    result = run({"parameters": {"redistribution.method": "historical", "redistribution.method.RPE": "per_unit",
                                 "redistribution.method.LAEP": "per_unit"},
                  "structures": [{"id": "A", "type": "EAJE", "units": 10, "ps_funded": False},
                                 {"id": "B", "type": "EAJE", "units": 10, "ps_funded": False},
                                 {"id": "C", "type": "EAJE", "units": 10},
                                 {"id": "L", "type": "LAEP", "units": 2},
                                 {"id": "R", "type": "RPE", "units": 1, "ps_funded": False}],
                  "cej": {"A": 100, "B": 50, "L": 200, "R": 300}}, tmp_path, engine)
    assert [(r.family, r.structure_id, r.reason, r.amount) for r in result.released] == [
        ("EAJE", "A", "NOT_PS_FUNDED", Decimal("100.00")), ("EAJE", "B", "NOT_PS_FUNDED", Decimal("50.00")),
        ("RPE", None, "NO_ELIGIBLE_STRUCTURE", Decimal("300.00"))]
    envelopes = {e.family: e for e in result.envelopes}
    assert envelopes["EAJE"].units_total is None
    assert envelopes["LAEP"].units_total == 2
    laep = result.line("L", 2022)
    assert (laep.weight, laep.rate, laep.amount) == (1, 100, Decimal("200.00"))


# ------------------------------------------------------------------------------------ ranking remainders exactly


def test_remainders_are_ranked_as_exact_integers_even_beyond_int64():
    # vector._round ranks a group's remainders (integers over the group's one denominator) through int64 keys in the
    # same order. Within int64 the keys are the values themselves; beyond it, their ranks among the distinct values.
    # 2**64 + 1 and 2**64 + 2 are one apart: as float64 both are 18446744073709551616.0, a float ranking would tie
    # them; the exact ranks of [2**64 + 2, 7, 2**64 + 1, 2**64 + 2] among the distinct values 7 < 2**64 + 1 < 2**64 + 2
    # are [2, 0, 1, 2].
    big = np.array([2**64 + 2, 7, 2**64 + 1, 2**64 + 2, 0], dtype=object)[:-1]
    assert float(2**64 + 1) == float(2**64 + 2)
    assert _order_keys(big).tolist() == [2, 0, 1, 2]
    assert _order_keys(big).dtype == np.int64
    small = np.array([5, 3, 2**62, 5, 0], dtype=object)[:-1]
    assert _order_keys(small).tolist() == [5, 3, 2**62, 5]
    assert _order_keys(small).dtype == np.int64
