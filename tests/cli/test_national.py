"""National scale: datasets of several territories (territories.csv), `ctg generate`, `--engine`."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from ctg_funding.cli import main
from ctg_funding.errors import InputError
from ctg_funding.inputs.generate import generate
from ctg_funding.rulebook import load_rulebook
from ctg_funding.scenario.file import load_scenario, schema_of
from ctg_funding.scenario.structure_years import structure_years
from ctg_funding.simulation import simulate

ROOT = Path(__file__).resolve().parents[2]
RULEBOOK = load_rulebook()


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_generate_writes_a_valid_dataset_and_a_scenario_that_simulates(tmp_path):
    result = run("generate", "--territories", "4", "--structures", "150", "--seed", "3", str(tmp_path / "g"))
    assert result.exit_code == 0, result.output
    assert run("validate", str(tmp_path / "g")).exit_code == 0
    out = run("simulate", str(tmp_path / "g" / "scenario.yaml"), "--engine", "vector", "--format", "json", "-q")
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert {e["territory"] for e in data["envelopes"]} == {f"CTG-{t:04d}" for t in range(4)}
    assert all(e["balanced"] for e in data["envelopes"])
    assert len(data["years"]) == 10


def test_generate_is_deterministic(tmp_path):
    generate(tmp_path / "a", 2, 50, seed=7)
    generate(tmp_path / "b", 2, 50, seed=7)
    for name in ("territories.csv", "collectivites.csv", "structures.csv", "cej.csv", "scenario.yaml"):
        assert (tmp_path / "a" / name).read_text() == (tmp_path / "b" / name).read_text()


def test_envelopes_are_per_territory_and_an_outside_structure_counts_where_its_cej_was(tmp_path):
    path = generate(tmp_path / "g", 3, 200, seed=11)
    scenario = load_scenario(path, RULEBOOK)
    result = simulate(scenario, years=[scenario.years[0]], engine="vector")
    sys_ = {sy.structure.id: sy for sy in structure_years(scenario, [scenario.years[0]])}
    outside = [a for a in scenario.dataset.cej if not sys_[a.structure_id].in_territory]
    assert outside, "the generator places some structures outside every territory"
    holder = {c: t.id for t in scenario.dataset.territories for c in t.communes}
    for action in outside:
        assert sys_[action.structure_id].territory_id == holder[action.collectivite_id]
    # R1 per territory: each (territory, family) envelope is the N-1 CEJ total of the structures it holds.
    want: dict[tuple[str, str], Decimal] = {}
    for a in scenario.dataset.cej:
        sy = sys_[a.structure_id]
        key = (sy.territory_id, RULEBOOK.family_of_type(sy.structure.type))
        want[key] = want.get(key, Decimal(0)) + a.amount
    got = {(e.territory, e.family): e.envelope for e in result.envelopes if e.envelope}
    assert got == want


def test_territories_csv_and_territory_yaml_together_are_refused(tmp_path):
    generate(tmp_path / "g", 2, 20, seed=1)
    (tmp_path / "g" / "territory.yaml").write_text((ROOT / "data" / "cab" / "territory.yaml").read_text())
    result = run("validate", str(tmp_path / "g"))
    assert result.exit_code == 2
    assert "not both" in result.output


def test_a_commune_in_two_territories_is_refused_with_its_row(tmp_path):
    generate(tmp_path / "g", 2, 20, seed=1)
    f = tmp_path / "g" / "territories.csv"
    lines = f.read_text().splitlines()
    lines[2] = lines[2].replace("C0001-00", "C0000-00", 1)
    f.write_text("\n".join(lines) + "\n")
    from ctg_funding.inputs.dataset import load_dataset

    try:
        load_dataset(tmp_path / "g", schema_of(RULEBOOK))
    except InputError as exc:
        text = str(exc)
        assert "territories.csv" in text and "row 3" in text and "C0000-00" in text
    else:
        raise AssertionError("expected the dataset to be refused")


def test_each_territory_keeps_its_own_ctg_dates_and_pilotage_deadline(tmp_path):
    path = generate(tmp_path / "g", 3, 30, seed=5)
    scenario = load_scenario(path, RULEBOOK)
    territories = {t.id: t for t in scenario.dataset.territories}
    assert [bool(t.renewals) for t in territories.values()] == [False, True, False]  # one in three is renewed
    for sy in structure_years(scenario, [2030]):
        t = territories[sy.territory_id]
        # The first day of its first CTG, the last day of its last (a renewal in the dataset, or its own end).
        assert (sy.ctg_start, sy.ctg_end) == (t.start, t.renewals[-1] if t.renewals else t.end)
        rulebook = scenario.rulebook_for(sy.territory_id)
        assert rulebook.value("pilotage.deadline_year", 2030) == t.pilotage_deadline_year
        assert rulebook.param("pilotage.deadline_year").source.text == (
            f"territories.csv of {t.id} (pilotage_deadline_year)")


def test_the_cab_json_gains_only_a_territory_key():
    out = run("simulate", str(ROOT / "scenarios" / "cab-historical.yaml"), "--format", "json")
    data = json.loads(out.output)
    assert {e["territory"] for e in data["envelopes"]} == {"CTG-CAB-2021"}
    assert all(r["territory"] == "CTG-CAB-2021" for r in data["released"])


def test_compare_of_two_national_scenarios_with_the_vector_engine(tmp_path):
    # Two redistributions of one generated multi-territory dataset: the vector engine gives the same comparison
    # as the durable reference, row for row, and the differences by commune add up to the difference of totals.
    # Compared over the first CTGs' years (2022-2025), where both share the envelopes of the CEJ: a renewed CTG's
    # envelopes are what each redistribution allocated in the previous CTG's last year (R7), which differ.
    generate(tmp_path / "n", 12, 600, seed=11)
    scenario_a = tmp_path / "n" / "scenario.yaml"
    text = scenario_a.read_text(encoding="utf-8")
    scenario_b = tmp_path / "n" / "historical.yaml"
    scenario_b.write_text(text.replace("per_unit", "historical"), encoding="utf-8")
    assert "historical" in scenario_b.read_text(encoding="utf-8")
    outputs = {}
    for engine in ("vector", "durable"):
        out = run("compare", str(scenario_b), str(scenario_a), "--by", "commune", "--engine", engine,
                  "--year", "2022..2025", "--format", "json", "-q")
        assert out.exit_code == 0, out.output
        outputs[engine] = json.loads(out.output)
    assert outputs["vector"] == outputs["durable"]
    data = outputs["vector"]
    assert len(data["rows"]) > 12
    assert any(Decimal(r["difference"]) for r in data["rows"])  # the two redistributions do differ
    total = sum(Decimal(r["difference"]) for r in data["rows"])
    assert total == Decimal(data["totals"]["difference"])
    assert data["envelopes"]["a"]["envelope"] == data["envelopes"]["b"]["envelope"]
