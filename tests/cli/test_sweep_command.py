"""`ctg sweep`: the command on a local cluster of two worker processes, its outputs (per-structure files, csv,
xlsx, French) against separate `ctg simulate` runs, and bad sweep files refused before any task starts (exit 2,
file, key and message, no traceback)."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ctg_funding.cli import main

ROOT = Path(__file__).resolve().parents[2]
CAB_PER_UNIT = ROOT / "scenarios" / "cab-per-unit.yaml"


def run(*args: str):
    return CliRunner().invoke(main, [*args])


@pytest.fixture(scope="module")
def scheduler():
    """An in-process cluster of two worker threads, given to the command as --scheduler (its start costs
    nothing; the process cluster the command starts by default is tested once, below)."""
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def write_sweep(folder: Path, vary: dict, base: Path = CAB_PER_UNIT, **extra) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump({"name": "test sweep", "base": str(base), "vary": vary, **extra},
                                   sort_keys=False), encoding="utf-8")
    return path


def simulate_alone(tmp_path: Path, name: str, values: dict, year: str) -> dict:
    """`ctg simulate --format json` of a copy of the base scenario with the values written in its parameters."""
    data = yaml.safe_load(CAB_PER_UNIT.read_text(encoding="utf-8"))
    data["dataset"] = str((CAB_PER_UNIT.parent / data["dataset"]).resolve())
    data["parameters"] = {**data["parameters"], **values}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    out = run("simulate", str(path), "--year", year, "--format", "json", "--engine", "vector")
    assert out.exit_code == 0, out.output
    return json.loads(out.output)


VARY = {"redistribution.method": ["historical", "per_unit"], "pilotage.deadline_year": [2025, 2027]}


def test_the_sweep_runs_on_a_local_cluster_of_two_worker_processes(tmp_path):
    # The default: the command starts a LocalCluster of --workers processes on 127.0.0.1 and closes it.
    sweep = write_sweep(tmp_path, VARY)
    out = run("sweep", str(sweep), "--workers", "2", "--year", "2026", "--format", "json", "-q")
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert [s["name"] for s in data["scenarios"]] == ["base", "S1", "S2", "S3", "S4"]
    for s in data["scenarios"]:
        values = {} if s["name"] == "base" else s["values"]
        alone = simulate_alone(tmp_path, s["name"], values, "2026")
        for key in ("envelope", "allocated", "released"):
            assert Decimal(s[key]) == sum(Decimal(e[key]) for e in alone["envelopes"]), (s["name"], key)
    # 2026 is after the CTG's deadline (2025): under 2027 the four unconverted posts and Le Portel's keep their
    # pilotage funding, so less is released than under 2025 (the base's deadline).
    released = {s["name"]: Decimal(s["released"]) for s in data["scenarios"]}
    assert released["S2"] < released["S1"] == released["base"]


def test_per_structure_files_hold_each_structures_amounts_as_simulate_gives_them(scheduler, tmp_path):
    sweep = write_sweep(tmp_path, VARY)
    folder = tmp_path / "structures"
    out = run("sweep", str(sweep), "--scheduler", scheduler, "--year", "2025..2026", "--per-structure",
              str(folder), "--format", "csv", "--csv-dialect", "en", "--output", str(tmp_path / "sweep.csv"))
    assert out.exit_code == 0, out.output
    assert sorted(p.name for p in folder.iterdir()) == ["S1.csv", "S2.csv", "S3.csv", "S4.csv", "base.csv"]
    base = simulate_alone(tmp_path, "base", {}, "2025..2026")
    base_total = _totals(base)
    for name, values in [("base", {}), ("S1", {"redistribution.method": "historical", "pilotage.deadline_year": 2025}),
                         ("S4", {"redistribution.method": "per_unit", "pilotage.deadline_year": 2027})]:
        alone = simulate_alone(tmp_path, name, values, "2025..2026")
        rows = list(csv.DictReader(io.StringIO((folder / f"{name}.csv").read_text(encoding="utf-8"))))
        by_year = {(r["structure_id"], y): Decimal(r[str(y)]) for r in rows for y in (2025, 2026)}
        paid = {}
        for a in alone["allocations"]:
            key = (a["structure_id"], a["year"])
            paid[key] = paid.get(key, Decimal(0)) + Decimal(a["amount"])
        assert {k: v for k, v in by_year.items() if k in paid} == paid
        assert all(v == 0 for k, v in by_year.items() if k not in paid)
        totals = _totals(alone)
        for r in rows:
            sid = r["structure_id"]
            assert Decimal(r["total"]) == totals.get(sid, 0)
            assert Decimal(r["base"]) == base_total.get(sid, 0)
            assert Decimal(r["difference"]) == totals.get(sid, 0) - base_total.get(sid, 0)
    summary = list(csv.DictReader(io.StringIO((tmp_path / "sweep.csv").read_text(encoding="utf-8"))))
    assert [r["scenario"] for r in summary] == ["base", "S1", "S2", "S3", "S4"]
    assert "EAJE median" in summary[0] and summary[0]["losing > 5%"] == ""


def _totals(data: dict) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for a in data["allocations"]:
        out[a["structure_id"]] = out.get(a["structure_id"], Decimal(0)) + Decimal(a["amount"])
    return out


def test_the_example_sweep_in_every_format(scheduler, tmp_path):
    example = str(ROOT / "scenarios" / "sweep-cab.yaml")
    table = run("sweep", example, "--scheduler", scheduler, "--year", "2026", "--by-year")
    assert table.exit_code == 0, table.output
    assert "Sweep: CAB - EAJE method x EAJE floor x pilotage deadline" in table.output
    assert "By year" in table.output and "S12" in table.output
    by_year = run("sweep", example, "--scheduler", scheduler, "--year", "2025..2026", "--by-year", "--format", "csv",
                  "--csv-dialect", "en")
    rows = list(csv.DictReader(io.StringIO(by_year.output)))
    assert [(r["scenario"], r["year"]) for r in rows[:3]] == [("base", "2025"), ("base", "2026"), ("S01", "2025")]
    xlsx = tmp_path / "sweep.xlsx"
    out = run("sweep", example, "--scheduler", scheduler, "--year", "2026", "--format", "xlsx", "-o", str(xlsx))
    assert out.exit_code == 0, out.output
    from openpyxl import load_workbook

    book = load_workbook(xlsx, read_only=True)
    assert book.sheetnames == ["provenance", "summary", "amount_per_unit"]
    rows = list(book["summary"].iter_rows(values_only=True))
    assert rows[0][:2] == ("scenario", "redistribution.method.EAJE") and len(rows) == 14
    assert isinstance(rows[1][4], (int, float))  # the envelope: a number (formatted in euros), not text


def test_the_sweep_speaks_french(scheduler, tmp_path):
    out = run("sweep", str(ROOT / "scenarios" / "sweep-cab.yaml"), "--scheduler", scheduler, "--year", "2026",
              "--lang", "fr")
    assert out.exit_code == 0, out.output
    assert "Balayage" in out.output and "perd > 5 %" in out.output and "médiane" in out.output
    assert "1\u202f920\u202f528,00" in out.output  # euros the French way (narrow no-break spaces)
    for english in ("Sweep:", "losing", "Amount per unit", "envelope", "median"):
        assert english not in out.output, english


# ------------------------------------------------------------------------------------------- bad files


@pytest.fixture
def no_task(monkeypatch):
    """Any attempt to reach a cluster fails the test: a refused sweep must be refused before."""
    from ctg_funding.analysis import sweep_dask

    def refuse(*args, **kwargs):
        raise AssertionError("a cluster was started for a sweep that should have been refused")

    monkeypatch.setattr(sweep_dask, "connect", refuse)


BASE = str(CAB_PER_UNIT)
BAD = [
    ("unknown parameter", {"name": "x", "base": BASE, "vary": {"redistribution.methode": ["per_unit"]}},
     "key vary.redistribution.methode: unknown parameter"),
    ("value refused", {"name": "x", "base": BASE, "vary": {"redistribution.method": ["historical", "lissage"]}},
     "key vary.redistribution.method[1]: expected one of historical, per_unit, weighted, got 'lissage'"),
    ("not a number", {"name": "x", "base": BASE, "vary": {"redistribution.floor_per_unit.EAJE": [0, "2 300"]}},
     "key vary.redistribution.floor_per_unit.EAJE[1]: expected a number, got '2 300'"),
    ("weight refused", {"name": "x", "base": BASE, "vary": {"redistribution.weight": ["places * 2"]}},
     "key vary.redistribution.weight[0]: weight expression 'places * 2': unknown field 'places'"),
    ("not a list", {"name": "x", "base": BASE, "vary": {"redistribution.method": "per_unit"}},
     "key vary.redistribution.method: expected a list, such as [A, B], got 'per_unit'"),
    ("no value", {"name": "x", "base": BASE, "vary": {"redistribution.method": []}},
     "key vary.redistribution.method: give at least one value"),
    ("twice", {"name": "x", "base": BASE, "vary": {"pilotage.deadline_year": [2025, 2025]}},
     "key vary.pilotage.deadline_year[1]: 2025 is given twice"),
    ("nothing varied", {"name": "x", "base": BASE, "vary": {}}, "key vary: give at least one parameter"),
    ("unknown key", {"name": "x", "base": BASE, "vary": {"redistribution.method": ["per_unit"]}, "years": [1, 2]},
     "key years: unknown key"),
    ("no name", {"base": BASE, "vary": {"redistribution.method": ["per_unit"]}}, "key name: a value is required"),
    ("no base file", {"name": "x", "base": "nowhere.yaml", "vary": {"redistribution.method": ["per_unit"]}},
     "key base: no such scenario file"),
]


@pytest.mark.parametrize("name, content, expected", BAD, ids=[b[0] for b in BAD])
def test_a_bad_sweep_file_is_refused_with_its_file_key_and_message(tmp_path, no_task, name, content, expected):
    path = tmp_path / "bad-sweep.yaml"
    path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    out = run("sweep", str(path))
    assert out.exit_code == 2, out.output
    assert f"bad-sweep.yaml, {expected}" in out.output
    assert "Traceback" not in out.output


def test_every_problem_of_a_sweep_file_is_reported_at_once(tmp_path, no_task):
    path = write_sweep(tmp_path, {"redistribution.methode": ["per_unit"], "redistribution.method": ["x", "x"],
                                  "pilotage.min_etp": ["half"]})
    out = run("sweep", str(path), "--format", "json")
    assert out.exit_code == 2
    problems = json.loads(out.stdout)["problems"]
    assert [(p["file"], p["column"]) for p in problems] == [
        ("sweep.yaml", "vary.pilotage.min_etp[0]"), ("sweep.yaml", "vary.redistribution.method[0]"),
        ("sweep.yaml", "vary.redistribution.method[1]"), ("sweep.yaml", "vary.redistribution.method[1]"),
        ("sweep.yaml", "vary.redistribution.methode")]


def test_yaml_mistakes_and_a_bad_base_scenario_name_their_own_file(tmp_path, no_task):
    path = tmp_path / "sweep.yaml"
    path.write_text("name: a\nname: b\nbase: x.yaml\nvary: {}\n", encoding="utf-8")
    out = run("sweep", str(path))
    assert out.exit_code == 2 and "sweep.yaml, row 2: invalid YAML: key 'name' appears twice" in out.output
    (tmp_path / "base.yaml").write_text("name: b\ndataset: nowhere\nyears: [2022, 2030]\nparamters: {}\n",
                                        encoding="utf-8")
    out = run("sweep", str(write_sweep(tmp_path, {"redistribution.method": ["per_unit"]}, tmp_path / "base.yaml")))
    assert out.exit_code == 2 and "base.yaml, key paramters: unknown key" in out.output
    assert "Traceback" not in out.output


def test_outputs_onto_the_inputs_are_refused(tmp_path, no_task):
    sweep = write_sweep(tmp_path, {"redistribution.method": ["per_unit"]})
    out = run("sweep", str(sweep), "--output", str(CAB_PER_UNIT))
    assert out.exit_code == 2 and "is one of this command's inputs" in out.output
    out = run("sweep", str(sweep), "--per-structure", str(sweep))
    assert out.exit_code == 2 and "--per-structure" in out.output and "is a file" in out.output
    out = run("sweep", str(sweep), "--format", "xlsx")
    assert out.exit_code == 2 and "give --output FILE.xlsx" in out.output


def test_an_unreachable_scheduler_is_a_problem_not_a_traceback(tmp_path, monkeypatch):
    from ctg_funding.analysis import sweep_dask

    monkeypatch.setattr(sweep_dask, "CONNECT_TIMEOUT", "0.5s")
    out = run("sweep", str(write_sweep(tmp_path, {"redistribution.method": ["per_unit"]})), "--scheduler",
              "tcp://127.0.0.1:9")
    assert out.exit_code == 2, out.output
    assert "--scheduler: cannot connect to the scheduler tcp://127.0.0.1:9" in out.output
