"""A scenario checked against its dataset and the rules (scenario.file.load_scenario, build_scenario): each problem of
a bad scenario named whole (file, key, message), what a good one gives (its name, sources, new structures, CTGs),
and the scenario of a dataset under the rules as they stand.

The dataset is support.case_runner's small one: territory CTG-TEST (CTG 2021-2025, pilotage deadline 2025) over
the signatory communes COM-A, COM-B, COM-Q and NONSIG; COM-OUT a signatory commune outside it; ASSO an
association. Its structures here: S (EAJE, opened 2019-01-01), P (a coordination post) and L (EAJE, opened
2022-06-01)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.case_runner import write_case

from ctg_funding.errors import InputError, Problem
from ctg_funding.inputs.dataset import load_dataset
from ctg_funding.inputs.model import Period
from ctg_funding.rulebook import Source, default_rules_dir, load_rulebook
from ctg_funding.scenario.file import ScenarioFile, build_scenario, load_scenario, scenario_for_dataset, schema_of

RULEBOOK = load_rulebook(default_rules_dir())
F = "scenario.yaml"  # problems name the scenario file by its name
STRUCTURES = [{"id": "S", "type": "EAJE", "units": 10}, {"id": "P", "type": "COORDINATION"},
              {"id": "L", "type": "EAJE", "units": 10, "opened": "2022-06-01"}]
ON = "2022-03-01"
# A complete structure to open (id and opened default to the change's structure and date).
NEW = {"name": "Nouvelle", "type": "EAJE", "commune_id": "COM-A", "manager_id": "COM-A", "supported_by": "COM-A",
       "ps_funded": True, "units": 12}
UNKNOWN_Z = {"on": ON, "structure": "Z", "units": 3}  # a bad change after another: it must still be checked


def _unknown_z(index: int) -> Problem:
    return Problem(F, None, f"changes[{index}].structure", f"unknown structure 'Z' (Z, {ON})")


def scenario_file(tmp_path: Path, *, structures: list[dict[str, Any]] | None = None, **scenario: Any) -> Path:
    """The small dataset written by the case runner, with this scenario file (years 2022-2023 unless given)."""
    path = write_case({"name": "x", "structures": structures or STRUCTURES}, tmp_path)
    path.write_text(yaml.safe_dump({"name": "x", "dataset": "data", "years": [2022, 2023], **scenario},
                                   allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def problems_of(tmp_path: Path, **scenario: Any) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        load_scenario(scenario_file(tmp_path, **scenario), RULEBOOK)
    return caught.value.problems


CHANGE_CASES = [
    ("date_before_the_first_year", [{"on": "2021-12-31", "structure": "S", "units": 3}],
     [Problem(F, None, "changes[0].on",
              "date 2021-12-31 is outside the scenario's years 2022..2023 (S, 2021-12-31)")]),
    ("date_after_the_last_year", [{"on": "2024-01-01", "structure": "S", "units": 3}],
     [Problem(F, None, "changes[0].on",
              "date 2024-01-01 is outside the scenario's years 2022..2023 (S, 2024-01-01)")]),
    ("open_an_existing_id", [{"on": ON, "structure": "S", "open": NEW}, UNKNOWN_Z],
     [Problem(F, None, "changes[0].structure",
              f"cannot open 'S': a structure with this id already exists (S, {ON})"), _unknown_z(1)]),
    ("open_the_same_id_twice", [{"on": ON, "structure": "Q", "open": NEW}, {"on": ON, "structure": "Q", "open": NEW}],
     [Problem(F, None, "changes[1].structure",
              f"cannot open 'Q': a structure with this id already exists (Q, {ON})")]),
    ("open_with_another_id", [{"on": ON, "structure": "N", "open": {**NEW, "id": "M"}}, UNKNOWN_Z],
     [Problem(F, None, "changes[0].open.id",
              f"the opened structure's id differs from the change's structure (N, {ON})"), _unknown_z(1)]),
    ("open_with_a_bad_cell", [{"on": ON, "structure": "Q", "open": {**NEW, "ps_funded": "maybe"}}, UNKNOWN_Z],
     [Problem(F, None, "changes[0].open.ps_funded", "expected true or false, got 'maybe'"), _unknown_z(1)]),
    ("open_then_a_bad_change", [{"on": ON, "structure": "Q", "open": NEW}, UNKNOWN_Z], [_unknown_z(1)]),
    ("unknown_structure_then_a_bad_change", [UNKNOWN_Z, {"on": ON, "structure": "S", "manager": "MM"}],
     [_unknown_z(0), Problem(F, None, "changes[1].manager", f"unknown manager 'MM' (S, {ON})")]),
    ("convert_what_is_not_a_post", [{"on": ON, "structure": "S", "convert_to": "charge_cooperation"}],
     [Problem(F, None, "changes[0].convert_to",
              f"S is a EAJE, not a coordination post: it cannot be converted (S, {ON})")]),
    ("unknown_supporters", [{"on": ON, "structure": "S", "supported_by": ["COM-A", "XX", "YY"]}],
     [Problem(F, None, "changes[0].supported_by", f"unknown collectivité 'XX' (S, {ON})"),
      Problem(F, None, "changes[0].supported_by", f"unknown collectivité 'YY' (S, {ON})")]),
    ("unknown_manager", [{"on": ON, "structure": "S", "manager": "MM"}],
     [Problem(F, None, "changes[0].manager", f"unknown manager 'MM' (S, {ON})")]),
    ("close_on_the_opening_day", [{"on": "2022-06-01", "structure": "L", "close": True}],
     [Problem(F, None, "changes[0].on",
              "closing date 2022-06-01 is not after the structure's opening 2022-06-01 (L, 2022-06-01)")]),
    ("close_before_the_opening", [{"on": "2022-05-31", "structure": "L", "close": True}],
     [Problem(F, None, "changes[0].on",
              "closing date 2022-05-31 is not after the structure's opening 2022-06-01 (L, 2022-05-31)")]),
]


@pytest.mark.parametrize(("changes", "expected"), [c[1:] for c in CHANGE_CASES], ids=[c[0] for c in CHANGE_CASES])
def test_each_bad_change_is_named_with_its_key_structure_and_date(tmp_path, changes, expected):
    assert problems_of(tmp_path, changes=changes) == expected


PARAMETER_CASES = [
    ("unknown_then_bad_value", {"nope": 1, "redistribution.method": "bogus"},
     [Problem(F, None, "parameters.nope", "unknown parameter (see `ctg rules`)"),
      Problem(F, None, "parameters.redistribution.method",
              "expected one of historical, per_unit, weighted, got 'bogus'")]),
    ("dated_value_without_a_date", {"redistribution.method": {"abc": "per_unit"}},
     [Problem(F, None, "parameters.redistribution.method", "dated values need dates as keys, got 'abc'")]),
    ("weight_with_an_unknown_field", {"redistribution.weight": "units * foo"},
     [Problem(F, None, "parameters.redistribution.weight",
              "weight expression 'units * foo': unknown field 'foo' (allowed: open_days, qpv_zrr, tranche, units, "
              "year_days)")]),
]


@pytest.mark.parametrize(("parameters", "expected"), [c[1:] for c in PARAMETER_CASES],
                         ids=[c[0] for c in PARAMETER_CASES])
def test_each_bad_parameter_is_named_with_its_key(tmp_path, parameters, expected):
    assert problems_of(tmp_path, parameters=parameters) == expected


def test_changes_on_the_first_and_last_days_of_the_years_are_inside(tmp_path):
    changes = [{"on": "2022-01-01", "structure": "S", "units": 11}, {"on": "2023-12-31", "structure": "S", "units": 12}]
    scenario = load_scenario(scenario_file(tmp_path, changes=changes), RULEBOOK)
    assert [(c.on, c.units) for c in scenario.changes] == [(dt.date(2022, 1, 1), 11), (dt.date(2023, 12, 31), 12)]


def test_an_opened_structure_is_read_from_its_cells_and_its_columns_may_weigh(tmp_path):
    # A null cell is blank (closed), a list of supporters is joined with ";", an extra numeric column
    # (occupancy_rate, which no structure of the dataset has) becomes a field the weight expression may use.
    opened = {**NEW, "supported_by": ["COM-A", "COM-B"], "closed": None, "occupancy_rate": 80}
    path = scenario_file(tmp_path, parameters={"redistribution.weight": "occupancy_rate / 100"},
                         changes=[{"on": ON, "structure": "Q", "open": opened}])
    q = load_scenario(path, RULEBOOK).new_structures["Q"]
    assert (q.id, q.name, q.type, q.commune_id, q.manager_id, q.supported_by, q.ps_funded, q.opened, q.closed,
            q.units, q.extra) == ("Q", "Nouvelle", "EAJE", "COM-A", "COM-A", ("COM-A", "COM-B"), True,
                                  dt.date(2022, 3, 1), None, Decimal(12), {"occupancy_rate": Decimal(80)})


def test_every_documented_weight_field_is_allowed(tmp_path):
    path = scenario_file(tmp_path, parameters={"redistribution.weight": "units * open_days / year_days * tranche "
                                                                        "+ qpv_zrr"})
    assert load_scenario(path, RULEBOOK).rulebook.param("redistribution.weight").values == (
        (dt.date(1900, 1, 1), "units * open_days / year_days * tranche + qpv_zrr"),)


def test_a_good_scenario_keeps_its_name_path_years_and_description(tmp_path):
    path = scenario_file(tmp_path, name="My scenario", description="What it assumes", years=[2022, 2024])
    scenario = load_scenario(path, RULEBOOK)
    assert (scenario.name, scenario.path, scenario.years, scenario.description) == (
        "My scenario", path, (2022, 2024), "What it assumes")


def test_overrides_and_territory_figures_name_their_source_and_file(tmp_path):
    # docs/scenarios.md: "a scenario's value shows the source `scenario <file name>` with status `assumed`"; the
    # territory's pilotage deadline (2025) comes from territory.yaml, as a seed for every date.
    path = scenario_file(tmp_path, parameters={"redistribution.method": {dt.date(2023, 1, 1): "per_unit",
                                                                         dt.date(2022, 1, 1): "historical"}})
    scenario = load_scenario(path, RULEBOOK)
    for rulebook in (scenario.rulebook, scenario.rulebook_for("CTG-TEST")):
        method = rulebook.param("redistribution.method")
        assert (method.values, method.source, method.file) == (
            ((dt.date(2022, 1, 1), "historical"), (dt.date(2023, 1, 1), "per_unit")),
            Source("scenario scenario.yaml", "assumed"), "scenario.yaml")
    deadline = scenario.rulebook_for("CTG-TEST").param("pilotage.deadline_year")
    assert (deadline.values, deadline.source, deadline.file) == (
        ((dt.date(1900, 1, 1), 2025),), Source("territory.yaml of CTG-TEST (pilotage_deadline_year)", "seed"),
        "territory.yaml")


CTG = Period(dt.date(2021, 1, 1), dt.date(2025, 12, 31))


@pytest.mark.parametrize(("renewed_until", "expected"), [
    # The renewal starts the day after the CTG's end (2025-12-31) and lasts until ctg.renewed_until.
    ("2030-12-31", (CTG, Period(dt.date(2026, 1, 1), dt.date(2030, 12, 31)))),
    ("2026-01-01", (CTG, Period(dt.date(2026, 1, 1), dt.date(2026, 1, 1)))),
    ("2025-12-31", (CTG,)),
], ids=["five_years", "one_day", "ending_with_the_ctg"])
def test_the_assumed_renewal_follows_the_last_ctg(tmp_path, renewed_until, expected):
    path = scenario_file(tmp_path, parameters={"ctg.renewed_until": dt.date.fromisoformat(renewed_until)})
    assert load_scenario(path, RULEBOOK).ctg_periods("CTG-TEST") == expected


def test_a_scenario_built_without_a_file_names_its_problems_scenario(tmp_path):
    dataset = load_dataset(scenario_file(tmp_path).parent / "data", schema_of(RULEBOOK))
    sf = ScenarioFile(name="x", dataset="data", years=(2022, 2022), parameters={"nope": 1})
    with pytest.raises(InputError) as caught:
        build_scenario(sf, dataset, RULEBOOK, None)
    assert caught.value.problems == [Problem("scenario", None, "parameters.nope",
                                             "unknown parameter (see `ctg rules`)")]


def test_the_scenario_of_a_dataset_has_the_rules_as_they_stand(tmp_path):
    dataset = load_dataset(scenario_file(tmp_path).parent / "data", schema_of(RULEBOOK))
    scenario = scenario_for_dataset(dataset, RULEBOOK, (2022, 2023))
    assert (scenario.name, scenario.path, scenario.years, scenario.changes, scenario.new_structures,
            scenario.description) == ("CTG-TEST (rules as they stand)", None, (2022, 2023), [], {}, "")
    assert scenario.dataset is dataset
    assert (scenario.rulebook.parameters, scenario.rulebook.overrides) == (RULEBOOK.parameters, {})
    assert scenario.rulebook_for("CTG-TEST").param("pilotage.deadline_year").values == (
        (dt.date(1900, 1, 1), 2025),)


def test_plausibility_is_judged_within_a_family_of_types(tmp_path):
    # EAJE, MAM and CRECHE_FAMILIALE of 10 places and a MICRO_CRECHE_PAJE of 5,000 are one family (EAJE): its
    # median is (10 + 10) / 2 = 10 and 5,000 > 100 x 10. Judged type by type, no type has the 3 values a median
    # needs. Figures are shown with two decimals; the micro-crèche is row 5 of structures.csv (header row 1).
    structures = [{"id": "A", "type": "EAJE", "units": 10}, {"id": "B", "type": "MAM", "units": 10},
                  {"id": "C", "type": "CRECHE_FAMILIALE", "units": 10},
                  {"id": "D", "type": "MICRO_CRECHE_PAJE", "units": 5000}]
    scenario = load_scenario(scenario_file(tmp_path, structures=structures), RULEBOOK)
    assert scenario.dataset.warnings == [Problem(
        "structures.csv", 5, "units",
        "implausible units 5,000.00: more than 100 times the median of the EAJE family in this dataset (10.00); "
        "check it")]
