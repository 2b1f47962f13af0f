"""Reading a scenario file's shape (scenario.file.read_scenario_file): each problem in the words users get."""

from pathlib import Path

import pytest

from ctg_funding.errors import InputError
from ctg_funding.scenario.file import ScenarioFile, read_scenario_file


def problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        read_scenario_file(path)
    return [str(p) for p in caught.value.problems]


def test_a_missing_scenario_file_is_named_whole(tmp_path):
    path = tmp_path / "absent.yaml"
    assert problems(path) == [f"{path}: no such scenario file"]


def test_a_scenario_file_that_is_not_a_mapping_says_which_keys_it_needs(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    assert problems(path) == ["list.yaml: a scenario file is a mapping with the keys name, dataset and years (and "
                              "parameters, changes): see docs/scenarios.md"]


def test_each_refused_key_is_named_with_its_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\ndataset: d\nyears: [2022, 2023]\nexplode: 1\n", encoding="utf-8")
    assert problems(path) == ["bad.yaml, key explode: unknown key"]


def test_a_well_formed_file_is_read_as_its_model(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("name: x\ndataset: ../d\nyears: [2022, 2023]\n", encoding="utf-8")
    sf = read_scenario_file(path)
    assert isinstance(sf, ScenarioFile) and (sf.name, sf.dataset) == ("x", "../d")
