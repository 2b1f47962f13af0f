"""Structure-years and structure-days worked out by hand (scenario.structure_years): open days, units pro rata
temporis and units on the first open day, after dated changes and the dataset's yearly units (activity.csv), on a
small dataset written by support.case_runner and read by the real loader.

A structure's days open are the days d with opened <= d < closed (docs/scenarios.md); a change applies from its
date on; activity.csv's units of a year hold until a scenario change sets the units."""

from __future__ import annotations

from decimal import Decimal

import pytest
from support.case_runner import write_case

from ctg_funding.rulebook import default_rules_dir, load_rulebook
from ctg_funding.scenario.file import Scenario, load_scenario
from ctg_funding.scenario.structure_years import first_days, structure_years

CASE = {
    "name": "structure-years", "years": [2022, 2023],
    "structures": [
        {"id": "S", "type": "EAJE", "units": 10},                         # units changed mid-2022, activity.csv
        {"id": "O", "type": "EAJE", "units": 10, "opened": "2022-01-02"},  # no change: opens on 2 January
        {"id": "C", "type": "EAJE", "units": 10},                         # closes on 1 January 2023
        {"id": "M", "type": "EAJE", "units": 10},                         # changes manager
    ],
    "activity": {"S": {2022: 12, 2023: 14}},
    "changes": [
        {"on": "2022-07-01", "structure": "S", "units": 20},
        {"on": "2023-01-01", "structure": "C", "close": True},
        {"on": "2022-03-01", "structure": "M", "manager": "COM-B"},
    ],
}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Scenario:
    return load_scenario(write_case(CASE, tmp_path_factory.mktemp("sy")), load_rulebook(default_rules_dir()))


def figures(sys_: list) -> dict[str, tuple[int, Decimal, Decimal]]:
    return {sy.id: (sy.open_days, sy.unit_days, sy.units) for sy in sys_}


def test_units_pro_rata_temporis_after_changes_and_activity(scenario):
    assert figures(structure_years(scenario)) == {
        # 2022: activity.csv's 12 places from 1 January to 30 June (31+28+31+30+31+30 = 181 days), then the
        # change's 20 from 1 July (184 days): 12 x 181 + 20 x 184 = 2,172 + 3,680 = 5,852 place-days; its units
        # on its first open day are activity's 12.
        "S|2022": (365, Decimal(5852), Decimal(12)),
        # 2023: the change set the units, so activity.csv's 14 no longer holds: 20 x 365 = 7,300.
        "S|2023": (365, Decimal(7300), Decimal(20)),
        # Opened 2 January 2022: 364 days of 10 places = 3,640; all of 2023: 3,650.
        "O|2022": (364, Decimal(3640), Decimal(10)),
        "O|2023": (365, Decimal(3650), Decimal(10)),
        # Open all 2022 (3,650); closed from 1 January 2023: no day open.
        "C|2022": (365, Decimal(3650), Decimal(10)),
        "C|2023": (0, Decimal(0), Decimal(10)),
        "M|2022": (365, Decimal(3650), Decimal(10)),
        "M|2023": (365, Decimal(3650), Decimal(10)),
    }


def test_a_manager_change_holds_from_its_date(scenario):
    # write_case gives each structure its commune, COM-A, as manager; M's changes to COM-B on 1 March 2022.
    assert {sy.id: sy.structure.manager_id for sy in structure_years(scenario, only={"M", "S"})} == {
        "M|2022": "COM-B", "M|2023": "COM-B", "S|2022": "COM-A", "S|2023": "COM-A"}


def test_first_days_count_what_is_there_on_1_january(scenario):
    assert figures(first_days(scenario, [2022, 2023])) == {
        # S on 1 January 2022: activity.csv's 12 places (the change comes on 1 July); 2023: the change's 20.
        "S|2022": (1, Decimal(12), Decimal(12)),
        "S|2023": (1, Decimal(20), Decimal(20)),
        # O opens on 2 January 2022: not there on 1 January 2022.
        "O|2022": (0, Decimal(0), Decimal(10)),
        "O|2023": (1, Decimal(10), Decimal(10)),
        # C's first closed day is 1 January 2023.
        "C|2022": (1, Decimal(10), Decimal(10)),
        "C|2023": (0, Decimal(0), Decimal(10)),
        "M|2022": (1, Decimal(10), Decimal(10)),
        "M|2023": (1, Decimal(10), Decimal(10)),
    }


@pytest.mark.parametrize("only", [{"O"}, {"O", "NOT-IN-THE-SCENARIO"}], ids=["one", "one_and_an_unknown_id"])
def test_only_the_structures_asked_are_given(scenario, only):
    assert [sy.id for sy in structure_years(scenario, [2022], only=only)] == ["O|2022"]
    assert [sy.id for sy in first_days(scenario, [2022, 2023], only=only)] == ["O|2022", "O|2023"]
