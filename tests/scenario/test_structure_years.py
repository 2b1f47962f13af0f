"""Structure-years (and structure-days): the fast path for structures no change touches gives what the general path
gives, and both say from which year a CEJ action is the structure's N-1 funding."""

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from support.case_runner import write_case
from support.strategies import examples

from ctg_funding.inputs.dataset import Dataset
from ctg_funding.inputs.model import Collectivite, Structure, Territory
from ctg_funding.rulebook import load_rulebook
from ctg_funding.scenario.file import load_scenario
from ctg_funding.scenario.structure_years import (
    _Context,
    _steady_day,
    _steady_years,
    _structure_year,
    first_days,
    structure_years,
)

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


def test_a_cej_action_is_n_minus_1_from_the_year_after_its_last_year(tmp_path):
    # R1: a CEJ action counts from the year after its `last_year` (docs/funding-rules.md: "A CEJ ending in 2021
    # counts from 2022"). S and T each have one action ending in 2022; S has a scenario change (the general path),
    # T none (the fast path). has_cej (the rules' "having CEJ funding in N-1") is false in 2022, the action's own
    # last year, and true from 2023, in the structure-years of the years and on 1 January of each (first_days).
    # U has no action at all: false every year.
    case = {"name": "has_cej", "years": [2022, 2024], "parameters": {"redistribution.method": "historical"},
            "structures": [{"id": "S", "type": "EAJE", "units": 10}, {"id": "T", "type": "EAJE", "units": 10},
                           {"id": "U", "type": "EAJE", "units": 10}],
            "changes": [{"on": dt.date(2023, 3, 1), "structure": "S", "units": 12}],
            "cej": {"S": {"amount": 1000, "last_year": 2022}, "T": {"amount": 500, "last_year": 2022}}}
    scenario = load_scenario(write_case(case, tmp_path), load_rulebook())
    want = {("S", 2022): False, ("S", 2023): True, ("S", 2024): True, ("T", 2022): False, ("T", 2023): True,
            ("T", 2024): True, ("U", 2022): False, ("U", 2023): False, ("U", 2024): False}
    assert {(sy.structure.id, sy.year): sy.has_cej for sy in structure_years(scenario)} == want
    assert {(sy.structure.id, sy.year): sy.has_cej for sy in first_days(scenario, [2022, 2023, 2024])} == want
