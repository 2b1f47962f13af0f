"""Structure-years (and structure-days): the fast path for structures no change touches gives what the general path
gives."""

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from support.strategies import examples

from ctg_funding.inputs.dataset import Dataset
from ctg_funding.inputs.model import Collectivite, Structure, Territory
from ctg_funding.scenario.structure_years import _Context, _steady_day, _steady_years, _structure_year

COLLS = {
    "A": Collectivite(id="A", name="A", kind="commune", signatory=True, tranche=2),
    "N": Collectivite(id="N", name="N", kind="commune", signatory=False, tranche=3),
}
TERRITORY = Territory(id="T", name="T", caf="C", start=dt.date(2021, 1, 1), end=dt.date(2025, 12, 31),
                      pilotage_deadline_year=2025, communes=("A",))
DATASET = Dataset(path=None, territories=[TERRITORY], collectivites=COLLS, structures={}, cej=[])
WHERE = {"territory_id": "T", "ctg_start": TERRITORY.start, "ctg_end": TERRITORY.end}
dates = st.dates(dt.date(2019, 1, 1), dt.date(2031, 1, 1))


@settings(max_examples=examples(100))
@given(dates, st.one_of(st.none(), dates), st.decimals(0, 500, places=2), st.sampled_from([(), ("A",), ("N",)]),
       st.booleans(), st.one_of(st.none(), st.integers(2019, 2030)), st.dictionaries(
           st.integers(2020, 2030), st.decimals(0, 99, places=1), max_size=3))
def test_steady_years_match_the_general_path(opened, closed, units, supported, ps, cej_from, activity):
    if closed is not None and closed <= opened:
        closed = None
    s = Structure(id="S", name="S", type="EAJE", commune_id="A", manager_id="A", supported_by=supported,
                  ps_funded=ps, opened=opened, closed=closed, units=units)
    years = list(range(2020, 2031))
    acts = {("S", y): u for y, u in activity.items()}
    fast = _steady_years(s, years, {"A"}, {"A"}, acts, cej_from, WHERE)
    slow = [_structure_year(s, [], y, {"A"}, DATASET, acts.get(("S", y)), cej_from is not None and cej_from < y,
                            WHERE) for y in years]
    assert fast == slow
    assert all(isinstance(sy.unit_days, Decimal) for sy in fast)


@given(dates, st.one_of(st.none(), dates), st.decimals(0, 500, places=2), st.sampled_from([(), ("A",), ("N",)]),
       st.booleans(), st.dictionaries(st.integers(2020, 2030), st.decimals(0, 99, places=1), max_size=3))
def test_a_steady_day_matches_the_general_path_over_one_day(opened, closed, units, supported, ps, activity):
    # R9 counts places on 1 January: the fast path for a structure no change touches gives what the general
    # path gives over the one-day span.
    if closed is not None and closed <= opened:
        closed = None
    s = Structure(id="S", name="S", type="EAJE", commune_id="A", manager_id="A", supported_by=supported,
                  ps_funded=ps, opened=opened, closed=closed, units=units)
    acts = {("S", y): u for y, u in activity.items()}
    ctx = _Context(territory={"A"}, territories={"T": TERRITORY}, territory_of={"S": "T"}, activity=acts,
                   by_structure={}, first_cej={}, signatories={"A"})
    for year in range(2020, 2031):
        day = dt.date(year, 1, 1)
        slow = _structure_year(s, [], year, {"A"}, DATASET, acts.get(("S", year)), False, WHERE,
                               (day, day + dt.timedelta(days=1)))
        assert _steady_day(s, day, ctx, False, WHERE) == slow
