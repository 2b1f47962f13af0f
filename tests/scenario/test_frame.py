"""Structure-years as columns (scenario.frame): `year_frame` against `structure_years`, the reference.

Differential: row for row, the frame's objects are those structure_years makes, its arrays hold their values
(unit-days exactly, times the frame's scale), and each column is what fact_columns reads from the reference
objects (same dtype, same values), on the CAB scenarios, generated multi-territory datasets, a hand-made scenario
with every kind of change and random ones. Then rows worked out by hand, the scale, the int64 limit and the empty
cases.

A structure's days open in a year are the days d with opened <= d < closed (docs/scenarios.md).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support.case_runner import write_case
from support.strategies import examples

from ctg_funding.engine.facts import fact_columns
from ctg_funding.inputs.dataset import Dataset
from ctg_funding.inputs.generate import generate
from ctg_funding.inputs.model import Activity, CejAction, Collectivite, Structure, Territory
from ctg_funding.rulebook import default_rules_dir, load_rulebook
from ctg_funding.rulebook.facts import FIELDS
from ctg_funding.scenario.file import Change, Scenario, load_scenario
from ctg_funding.scenario.frame import LIMIT, YearFrame, day_frame, year_frame
from ctg_funding.scenario.structure_years import StructureYear, first_days, structure_years

REPO = Path(__file__).resolve().parents[2]
CAB_SCENARIOS = sorted(p.name for p in (REPO / "scenarios").glob("cab-*.yaml"))


@pytest.fixture(scope="module")
def rulebook():
    return load_rulebook(default_rules_dir())


def no_rulebook(territory_id: str) -> Any:
    raise AssertionError("fact_columns reads no rulebook when no parameter is asked")


def check(frame: YearFrame, ref: list[StructureYear]) -> None:
    """Everything the frame says, against the reference objects `ref` (its rows, in order)."""
    n = len(ref)
    assert len(frame) == n
    # The columns first, before any object is made: they must not come from the objects.
    for field in FIELDS:
        want = fact_columns(ref, {field.name}, [], no_rulebook)[field.name]
        got = frame.column(field.name)
        assert got.dtype == want.dtype, field.name
        assert got.shape == (n,), field.name
        assert got.tolist() == want.tolist(), field.name
        assert frame.column(field.name) is got  # cached
    for name, dtype, values in [
        ("structure_id", object, [sy.structure.id for sy in ref]),
        ("year", np.int64, [sy.year for sy in ref]),
        ("territory_id", object, [sy.territory_id for sy in ref]),
        ("open_days", np.int64, [sy.open_days for sy in ref]),
        ("year_days", np.int64, [sy.year_days for sy in ref]),
    ]:
        array = getattr(frame, name)
        assert array.dtype == dtype and array.tolist() == values, name
    scaled = [sy.unit_days * frame.scale for sy in ref]
    assert all(v == v.to_integral_value() for v in scaled)  # the scale makes every row's unit-days whole
    assert [Decimal(v) for v in frame.unit_days.tolist()] == scaled
    assert all(type(v) is int for v in frame.unit_days.tolist())
    assert frame.unit_days.dtype == (np.int64 if all(v < LIMIT for v in scaled) else object)
    assert frame.ids().dtype == object and frame.ids().tolist() == [sy.id for sy in ref]
    ids = [sy.id for sy in ref]
    assert [frame.row_of(key) for key in ids] == [ids.index(key) for key in ids]  # the first row of a key
    # The objects, made on demand: every field (StructureYear's == leaves out id and year_days), then kept.
    assert list(frame) == ref
    assert [(sy.id, sy.year_days) for sy in frame] == [(sy.id, sy.year_days) for sy in ref]
    assert all(frame[i] is sy for i, sy in enumerate(frame))
    if n:
        assert frame[-1] == ref[-1] and frame[-n] == ref[0]
    for i in (n, -n - 1):
        with pytest.raises(IndexError) as error:
            frame[i]
        assert error.value.args == (i,)


def check_takes(frame: YearFrame, ref: list[StructureYear]) -> None:
    """Frames of some rows (reversed, every third with a row twice, a mask), and rows of those, checked whole."""
    n = len(ref)
    picks = [list(range(n - 1, -1, -1)), [*range(0, n, 3), *([n // 2] if n else [])]]
    for rows in picks:
        part = frame.take(np.array(rows, dtype=np.intp))
        check(part, [ref[r] for r in rows])
        inner = list(range(0, len(rows), 2))
        check(part.take(np.array(inner, dtype=np.intp)), [ref[rows[i]] for i in inner])
    mask = frame.year == frame.year[0] if n else np.zeros(0, dtype=bool)
    check(frame.take(mask), [sy for sy, keep in zip(ref, mask.tolist(), strict=True) if keep])


# ------------------------------------------------------------------------------------------ the CAB, generated


@pytest.mark.parametrize("name", CAB_SCENARIOS)
def test_the_cab_scenarios_row_for_row(name, rulebook):
    scenario = load_scenario(REPO / "scenarios" / name, rulebook)
    ref = structure_years(scenario)
    frame = year_frame(scenario)
    assert frame.scenario is scenario and frame.years == scenario.year_list
    check(frame, ref)
    check_takes(frame, ref)


def test_the_cab_with_years_and_only(rulebook):
    # Years out of order (the rows follow the list), and a selection with a changed structure and an unknown id.
    scenario = load_scenario(REPO / "scenarios" / "cab-closure.yaml", rulebook)
    changed = {c.structure for c in scenario.changes}
    only = {*changed, *sorted(scenario.structures)[:5], "NO-SUCH-STRUCTURE"}
    years = [2026, 2022, 2024]
    frame = year_frame(scenario, years, only)
    assert frame.years == years
    check(frame, structure_years(scenario, years, only))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_multi_territory_datasets(seed, rulebook, tmp_path):
    scenario = load_scenario(generate(tmp_path / "national", territories=3, structures=60, seed=seed, years=4),
                             rulebook)
    ref = structure_years(scenario)
    frame = year_frame(scenario)
    assert len({sy.territory_id for sy in ref}) == 3
    check(frame, ref)
    check_takes(frame, ref)


# ------------------------------------------------------------------------- every kind of change, by hand

CASE = {
    "name": "frame", "years": [2023, 2025],  # 2024 is a leap year
    "structures": [
        {"id": "ACT", "type": "EAJE", "units": 10},                                  # activity.csv, 3 places
        {"id": "AFTER", "type": "EAJE", "units": 4, "opened": "2027-01-01"},       # after the years
        {"id": "BEFORE", "type": "EAJE", "units": 4, "opened": "2010-01-01", "closed": "2020-06-01"},
        {"id": "CH-CLOSE", "type": "EAJE", "units": 6},
        {"id": "CH-CONV", "type": "COORDINATION", "units": "0.5", "converted_on": ""},
        {"id": "CH-MAN", "type": "EAJE", "units": 5},
        {"id": "CH-PS", "type": "EAJE", "units": 5, "ps_funded": False},
        {"id": "CH-SUP", "type": "EAJE", "units": 5},
        {"id": "CH-UNITS", "type": "EAJE", "units": 10},
        {"id": "CLOSE-DEC31", "type": "EAJE", "units": 2, "closed": "2024-12-31"},
        {"id": "CLOSE-JAN1", "type": "EAJE", "units": 2, "closed": "2024-01-01"},
        {"id": "CONVERTED", "type": "COORDINATION", "units": 1, "post_status": "charge_cooperation",
         "converted_on": "2024-04-01"},
        {"id": "DEC31", "type": "EAJE", "units": 3, "opened": "2023-12-31"},
        {"id": "JAN1", "type": "EAJE", "units": 1, "opened": "2024-01-01"},
        {"id": "MID", "type": "EAJE", "units": "2.5", "opened": "2023-03-15", "closed": "2025-07-10"},
        {"id": "OUT", "type": "EAJE", "units": 8, "commune": "COM-OUT", "supported_by": [], "ps_funded": False},
        {"id": "UNSIGNED", "type": "ALSH", "units": 900, "supported_by": ["NONSIG"], "manager": "ASSO"},
    ],
    "activity": {"ACT": {2023: "12.125", 2025: 0, 2030: "99.5555"}, "CH-UNITS": {2023: 9, 2025: 11}, "MID": {2024: 4}},
    "cej": {"ACT": {"amount": 1000, "last_year": 2023}, "MID": {"amount": 500, "last_year": 2024},
            "OUT": {"amount": 100, "last_year": 2021}},
    "changes": [
        {"on": "2024-06-15", "structure": "CH-CLOSE", "close": True},
        {"on": "2024-02-29", "structure": "CH-UNITS", "units": "7.5"},
        {"on": "2023-07-01", "structure": "CH-SUP", "supported_by": ["NONSIG"]},
        {"on": "2025-01-01", "structure": "CH-CONV", "convert_to": "charge_cooperation"},
        {"on": "2023-12-31", "structure": "CH-PS", "ps_funded": True},
        {"on": "2024-01-01", "structure": "CH-MAN", "manager": "COM-B"},
        {"on": "2024-05-01", "structure": "NEW", "open": {"type": "EAJE", "commune_id": "COM-A",
                                                         "manager_id": "COM-A", "supported_by": "COM-A",
                                                         "ps_funded": True, "units": 3, "name": "New"}},
        {"on": "2025-12-31", "structure": "NEW", "close": True},
    ],
}


@pytest.fixture(scope="module")
def hand_made(tmp_path_factory, rulebook) -> Scenario:
    return load_scenario(write_case(CASE, tmp_path_factory.mktemp("frame")), rulebook)


def test_every_kind_of_change_row_for_row(hand_made):
    ref = structure_years(hand_made)
    frame = year_frame(hand_made)
    check(frame, ref)
    check_takes(frame, ref)


@pytest.mark.parametrize("years", [[2024], [2025, 2023], [2024, 2024, 2023], [2022, 2026]])
@pytest.mark.parametrize("only", [None, {"CH-UNITS", "MID", "NEW", "NOPE"}, {"ACT"}, {"JAN1", "CH-CONV"}])
def test_every_kind_of_change_with_years_and_only(hand_made, years, only):
    check(year_frame(hand_made, years, only), structure_years(hand_made, years, only))


def test_rows_worked_out_by_hand(hand_made):
    frame = year_frame(hand_made)
    # ACT's 12.125 places of 2023 (activity.csv) have the most decimal places of the units used: 3, so the
    # unit-days are held in thousandths (its 99.5555 places of 2030, a year not asked, are not used).
    assert frame.scale == 1000
    got = {key: (int(frame.open_days[row]), int(frame.unit_days[row]))
           for row, key in enumerate(frame.ids().tolist())}
    assert {key: got[key] for key in [
        "MID|2023", "MID|2024", "MID|2025", "JAN1|2023", "JAN1|2024", "DEC31|2023", "DEC31|2024",
        "CLOSE-JAN1|2023", "CLOSE-JAN1|2024", "CLOSE-DEC31|2024", "CLOSE-DEC31|2025", "BEFORE|2023", "AFTER|2025",
        "ACT|2023", "ACT|2024", "ACT|2025", "CH-UNITS|2023", "CH-UNITS|2024", "CH-UNITS|2025", "CH-CLOSE|2024",
        "NEW|2024", "NEW|2025",
    ]} == {
        # Opened 15 March 2023: 365 - (31 + 28 + 14) = 292 days x 2.5 = 730 place-days = 730,000 thousandths.
        "MID|2023": (292, 730_000),
        # 2024, leap: all 366 days, at activity.csv's 4 places: 1,464.
        "MID|2024": (366, 1_464_000),
        # Closed 10 July 2025: 31 + 28 + 31 + 30 + 31 + 30 + 9 = 190 days x 2.5 = 475.
        "MID|2025": (190, 475_000),
        # Opened on 1 January 2024: no day of 2023, every day of 2024 (366).
        "JAN1|2023": (0, 0), "JAN1|2024": (366, 366_000),
        # Opened on 31 December 2023: that one day (3 places), then all of 2024 (3 x 366 = 1,098).
        "DEC31|2023": (1, 3_000), "DEC31|2024": (366, 1_098_000),
        # Closed on 1 January 2024: open every day of 2023 (2 x 365 = 730), none of 2024.
        "CLOSE-JAN1|2023": (365, 730_000), "CLOSE-JAN1|2024": (0, 0),
        # Closed on 31 December 2024: open until the 30th, 365 days (730 place-days); none of 2025.
        "CLOSE-DEC31|2024": (365, 730_000), "CLOSE-DEC31|2025": (0, 0),
        # Closed before the years, opened after them: no day open.
        "BEFORE|2023": (0, 0), "AFTER|2025": (0, 0),
        # activity.csv: 12.125 places in 2023 (x 365 = 4,425.625), the dataset's 10 in 2024 (3,660), 0 in 2025.
        "ACT|2023": (365, 4_425_625), "ACT|2024": (366, 3_660_000), "ACT|2025": (365, 0),
        # A structure with a change, with activity.csv: 9 places all 2023 (3,285); in 2024 10 places until 28
        # February (31 + 28 = 59 days: 590), then the change's 7.5 from 29 February (366 - 59 = 307 days: 2,302.5),
        # 2,892.5 in all; in 2025 the change's 7.5 holds over activity.csv's 11 (x 365 = 2,737.5).
        "CH-UNITS|2023": (365, 3_285_000), "CH-UNITS|2024": (366, 2_892_500), "CH-UNITS|2025": (365, 2_737_500),
        # Closed on 15 June 2024: 31 + 29 + 31 + 30 + 31 + 14 = 166 days x 6 = 996.
        "CH-CLOSE|2024": (166, 996_000),
        # Opened by the scenario on 1 May 2024: 366 - (31 + 29 + 31 + 30) = 245 days x 3 = 735; closed on 31
        # December 2025: 364 days x 3 = 1,092.
        "NEW|2024": (245, 735_000), "NEW|2025": (364, 1_092_000),
    }
    # The facts of a few rows: the leap year's 366 days, 2024's first and last days (19,723 and 19,723 + 365
    # days after 1 January 1970), CEJ funding in N-1 from the year after its last year, the conversion's day.
    row = frame.row_of("MID|2024")
    assert [int(frame.column(f)[row]) for f in ("year_days", "year_first_day", "year_last_day")] == [366, 19_723,
                                                                                                    20_088]
    assert [bool(frame.column("has_cej")[frame.row_of(f"MID|{y}")]) for y in (2023, 2024, 2025)] == [False, False,
                                                                                                    True]
    assert [bool(frame.column("has_cej")[frame.row_of(f"ACT|{y}")]) for y in (2023, 2024)] == [False, True]
    # CH-CONV: a coordinateur CEJ converted on 1 January 2025 (day 20,089), a chargé de coopération from then on.
    conv = [frame.row_of(f"CH-CONV|{y}") for y in (2024, 2025)]
    assert frame.column("post_status")[conv].tolist() == ["coordinateur_cej", "charge_cooperation"]
    assert frame.column("converted_on_day")[conv].tolist() == [10**7, 20_089]  # 10**7: never
    # CH-MAN's manager from 1 January 2024; CH-SUP supported by a non-signatory from 1 July 2023 (open before,
    # so 2023 still counts); CH-PS funded from 31 December 2023 (one open day of 2023 is enough).
    assert [frame.column("manager_id")[frame.row_of(f"CH-MAN|{y}")] for y in (2023, 2024)] == ["COM-A", "COM-B"]
    assert [bool(frame.column("signatory_support")[frame.row_of(f"CH-SUP|{y}")]) for y in (2023, 2024)] == [
        True, False]
    assert [bool(frame.column("ps_funded")[frame.row_of(f"CH-PS|{y}")]) for y in (2023, 2024)] == [True, True]
    out = frame.row_of("OUT|2023")
    assert [frame.column(f)[out] for f in ("in_territory", "signatory_support", "ps_funded", "has_cej")] == [
        False, False, False, True]


def test_the_scale_counts_only_the_units_of_the_rows_asked(hand_made):
    # Without ACT (12.125) or without 2023 (its year), the most decimal places are 2.5's and 7.5's: one.
    assert year_frame(hand_made, only=set(hand_made.structures) - {"ACT"}).scale == 10
    assert year_frame(hand_made, [2024, 2025]).scale == 10
    # CH-UNITS alone: 10 and activity's 9 and 11 are whole, the change's 7.5 is not.
    assert year_frame(hand_made, only={"CH-UNITS"}).scale == 10
    # JAN1 alone: whole units, unit-days kept as they are.
    frame = year_frame(hand_made, only={"JAN1"})
    assert frame.scale == 1 and frame.unit_days.tolist() == [0, 366, 365]


def test_row_of_and_take(hand_made):
    frame = year_frame(hand_made)
    assert frame.row_of("ACT|2023") == 0 and frame.row_of("ACT|2025") == 2 and frame.row_of("AFTER|2023") == 3
    for key in ["ACT|2026", "ACT|2022", "NOPE|2023", "ACT", "ACT|02023", "|2023", "ACT|2023|"]:
        with pytest.raises(KeyError) as error:
            frame.row_of(key)
        assert error.value.args == (key,)
    part = frame.take(np.array([5, 2, 5]))
    assert part.ids().tolist() == ["AFTER|2025", "ACT|2025", "AFTER|2025"]
    assert part.row_of("AFTER|2025") == 0 and part.row_of("ACT|2025") == 1
    for key in ["ACT|2023", "UNSIGNED|2025"]:  # in the frame, not in its part (one before its rows, one after)
        with pytest.raises(KeyError):
            part.row_of(key)
    assert part.scale == frame.scale and part.years == frame.years and part.scenario is frame.scenario
    assert part[0] is frame[5] and part[2] is frame[5]  # one object per row of the scenario, shared


# ----------------------------------------------------------------------------------------- the int64 limit

BIG = {
    "name": "big units", "years": [2023, 2023],
    "structures": [
        # Open one day (31 December): unit-days = units. 2**62 = 4,611,686,018,427,387,904 hundred-millionths.
        {"id": "AT", "type": "EAJE", "units": "46116860184.27387904", "opened": "2023-12-31"},
        {"id": "BELOW", "type": "EAJE", "units": "46116860184.27387903", "opened": "2023-12-31"},
        # Closed before the year: huge units, but no unit-day.
        {"id": "CLOSED", "type": "EAJE", "units": "999999999999999.99999999", "closed": "2020-01-01"},
        # Open all year: 999,999,999,999,999.5 x 365 = 364,999,999,999,999,817.5.
        {"id": "HUGE", "type": "EAJE", "units": "999999999999999.5"},
        {"id": "SMALL", "type": "EAJE", "units": 2},
    ],
    "changes": [{"on": "2023-07-01", "structure": "SMALL", "units": "999999999999999.25"}],
}


def test_unit_days_past_int64_are_python_ints(tmp_path, rulebook):
    scenario = load_scenario(write_case(BIG, tmp_path), rulebook)

    def unit_days(only: set[str]) -> tuple[Any, list[int]]:
        frame = year_frame(scenario, only=only)
        ref = structure_years(scenario, only=only)
        check(frame, ref)
        check_takes(frame, ref)
        return frame.unit_days.dtype, frame.unit_days.tolist()

    # In hundred-millionths (8 places): 2**62 is the limit, one less fits.
    assert unit_days({"AT"}) == (object, [2**62])
    assert unit_days({"BELOW"}) == (np.int64, [2**62 - 1])
    assert unit_days({"BELOW", "CLOSED"}) == (np.int64, [2**62 - 1, 0])
    assert unit_days({"AT", "BELOW"}) == (object, [2**62, 2**62 - 1])
    # In tenths: 3,649,999,999,999,998,175 fits; in hundredths (SMALL's change) it does not.
    assert unit_days({"HUGE"}) == (np.int64, [3_649_999_999_999_998_175])
    assert unit_days({"HUGE", "SMALL"}) == (object, [36_499_999_999_999_981_750, 18_400_000_000_000_022_400])
    # SMALL: 2 places x 181 days (1 January to 30 June) = 362, then 999,999,999,999,999.25 x 184 days =
    # 183,999,999,999,999,862; 183,999,999,999,999,862 + 362 = 184,000,000,000,000,224, in hundredths.
    assert unit_days({"SMALL"}) == (object, [18_400_000_000_000_022_400])
    # A frame's rows that all fit are int64 again, even none.
    frame = year_frame(scenario, only={"AT", "CLOSED"})
    assert frame.unit_days.dtype == object
    for rows, want in [([1], [0]), ([], []), ([1, 1], [0, 0])]:
        part = frame.take(np.array(rows, dtype=np.intp))
        assert (part.unit_days.dtype, part.unit_days.tolist()) == (np.int64, want)
    assert frame.take(np.array([1, 0])).unit_days.tolist() == [0, 2**62]


# ---------------------------------------------------------------------------------------------- empty cases


def test_no_structure(tmp_path, rulebook):
    scenario = load_scenario(write_case({"name": "empty", "years": [2023, 2024], "structures": []}, tmp_path),
                             rulebook)
    for frame in [year_frame(scenario), year_frame(load_scenario(REPO / "scenarios" / "cab-closure.yaml", rulebook),
                                                   only=set()),
                  year_frame(scenario, only={"NOPE"})]:
        check(frame, [])
        assert frame.scale == 1 and frame.unit_days.dtype == np.int64
        assert len(frame.take(np.array([], dtype=np.intp))) == 0
        with pytest.raises(KeyError):
            frame.row_of("NOPE|2023")


def test_column_of_no_fact_field(hand_made):
    with pytest.raises(KeyError):
        year_frame(hand_made).column("p__ctg__renewed_until")


# ------------------------------------------------------------------------------------------ random scenarios

T1 = Territory(id="T1", name="T1", caf="C", start=dt.date(2021, 1, 1), end=dt.date(2024, 12, 31),
               pilotage_deadline_year=2024, communes=("A1", "A2"), renewals=(dt.date(2027, 12, 31),))
T2 = Territory(id="T2", name="T2", caf="C", start=dt.date(2022, 7, 1), end=dt.date(2026, 6, 30),
               pilotage_deadline_year=2026, communes=("B1",))
COLLS = {cid: Collectivite(id=cid, name=cid, kind="commune", signatory=cid != "A2", tranche=2)
         for cid in ("A1", "A2", "B1", "OUT")}
DAYS = [dt.date(y, m, d) for y in range(2020, 2028) for m, d in ((1, 1), (1, 2), (2, 28), (2, 29) if y % 4 == 0
                                                                 else (3, 1), (12, 30), (12, 31))]
dates = st.one_of(st.sampled_from(DAYS), st.dates(dt.date(2019, 1, 1), dt.date(2028, 12, 31)))
units = st.one_of(st.integers(0, 3).flatmap(lambda p: st.decimals(0, 500, places=p)),
                  st.sampled_from([Decimal("1E+1"), Decimal("12.50"), Decimal("46116860184.27387904")]))
IDS = ["A", "B", "C", "D", "E|1"]  # an id with the key's separator: the year is after the last one


@st.composite
def structures(draw: Any, sid: str) -> Structure:
    opened = draw(dates)
    closed = draw(st.one_of(st.none(), dates.filter(lambda d: d > opened)))
    post = draw(st.sampled_from([None, "coordinateur_cej", "charge_cooperation"]))
    return Structure(id=sid, name=sid, type="COORDINATION" if post else "EAJE", commune_id=draw(st.sampled_from(
        list(COLLS))), manager_id=draw(st.sampled_from(list(COLLS))), supported_by=tuple(draw(st.lists(
            st.sampled_from(list(COLLS)), max_size=2))), ps_funded=draw(st.booleans()), opened=opened, closed=closed,
        units=draw(units), post_status=post, converted_on=draw(dates) if post == "charge_cooperation" else None)


@st.composite
def changes(draw: Any, sid: str) -> Change:
    kind = draw(st.sampled_from(["close", "units", "supported_by", "convert_to", "ps_funded", "manager"]))
    value = {"close": True, "units": draw(units), "supported_by": draw(st.lists(st.sampled_from(list(COLLS)),
                                                                                 max_size=2)),
             "convert_to": "charge_cooperation", "ps_funded": draw(st.booleans()),
             "manager": draw(st.sampled_from(list(COLLS)))}[kind]
    return Change(on=draw(st.dates(dt.date(2022, 1, 1), dt.date(2025, 12, 31))), structure=sid, **{kind: value})


@st.composite
def scenarios(draw: Any) -> Scenario:
    sids = draw(st.lists(st.sampled_from(IDS), unique=True, max_size=4))
    given = {sid: draw(structures(sid)) for sid in sids}
    new = {sid: draw(structures(sid)) for sid in draw(st.lists(st.sampled_from(["N1", "N2"]), unique=True))}
    touched = [*given, *new]
    changed = [draw(changes(sid)) for sid in draw(st.lists(st.sampled_from(touched), max_size=4))] if touched else []
    opened = [Change(on=s.opened, structure=sid, open={"type": s.type}) for sid, s in new.items()]
    activity = [Activity(structure_id=sid, year=year, units=draw(units))
                for sid, year in draw(st.lists(st.tuples(st.sampled_from(touched), st.integers(2021, 2026)),
                                               unique=True, max_size=5))] if touched else []
    cej = [CejAction(contract_id=f"C{i}", collectivite_id=draw(st.sampled_from(list(COLLS))), structure_id=sid,
                     last_year=draw(st.integers(2020, 2026)), amount=Decimal(100))
           for i, sid in enumerate(draw(st.lists(st.sampled_from(touched), max_size=3)) if touched else [])]
    dataset = Dataset(path=None, territories=[T1, T2], collectivites=COLLS, structures=given, cej=cej,
                      activity=activity)
    return Scenario(name="random", path=None, dataset=dataset, years=(2022, 2025), rulebook=None,
                    territory_rulebooks={}, changes=sorted([*changed, *opened], key=lambda c: c.on),
                    new_structures=new)


@settings(max_examples=examples(150), deadline=None)
@given(scenarios(), st.lists(st.integers(2021, 2026), max_size=3),
       st.one_of(st.none(), st.sets(st.sampled_from([*IDS, "N1", "N2"]))))
def test_random_scenarios_row_for_row(scenario, years, only):
    ref = structure_years(scenario, years, only)
    frame = year_frame(scenario, years, only)
    assert frame.years == (years or [2022, 2023, 2024, 2025])
    check(frame, ref)
    check_takes(frame, ref)


# ------------------------------------------------------------------ day_frame: the rows of first_days (R9's 1 January)


@pytest.mark.parametrize("name", CAB_SCENARIOS)
def test_the_cab_first_days_row_for_row(name, rulebook):
    scenario = load_scenario(REPO / "scenarios" / name, rulebook)
    years = [*scenario.year_list, scenario.year_list[-1] + 1]
    check(day_frame(scenario, years), first_days(scenario, years))


@pytest.mark.parametrize("years", [[2024], [2025, 2023], [2022, 2023, 2024, 2025, 2026]])
@pytest.mark.parametrize("only", [None, {"CH-UNITS", "MID", "NEW", "NOPE"}, {"ACT"}, {"JAN1", "CH-CONV"}])
def test_every_kind_of_change_on_first_days(hand_made, years, only):
    ref = first_days(hand_made, years, only)
    frame = day_frame(hand_made, years, only)
    check(frame, ref)
    check_takes(frame, ref)


def test_first_days_worked_out_by_hand(hand_made):
    frame = day_frame(hand_made, [2023, 2024])
    days = dict(zip(frame.ids().tolist(), frame.open_days.tolist(), strict=True))
    # JAN1 opens on 1 January 2024: closed on 1 January 2023 (0 days), open on 1 January 2024 (1 day), while its
    # year rows count every day of 2024 (366: a leap year) and none of 2023.
    assert days["JAN1|2023"] == 0 and days["JAN1|2024"] == 1
    assert dict(zip(year_frame(hand_made, [2023, 2024]).ids().tolist(),
                    year_frame(hand_made, [2023, 2024]).open_days.tolist(), strict=True))["JAN1|2024"] == 366
    # Year days stay the year's, not the span's.
    assert frame.year_days.tolist()[:2] == [365, 366]


@settings(max_examples=examples(80), deadline=None)
@given(scenarios(), st.lists(st.integers(2021, 2026), min_size=1, max_size=3),
       st.one_of(st.none(), st.sets(st.sampled_from([*IDS, "N1", "N2"]))))
def test_random_scenarios_on_first_days(scenario, years, only):
    check(day_frame(scenario, years, only), first_days(scenario, years, only))
