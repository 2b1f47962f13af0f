"""Nothing lost: an output never lands on one of the command's inputs, and a write that fails or is interrupted
half way leaves the previous file whole and no partial file behind."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import pathlib
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.datasets import copy_cab

from ctg_funding.cli import main

ROOT = Path(__file__).resolve().parents[2]


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def cab(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the CAB dataset and a scenario on it."""
    data = copy_cab(tmp_path)
    scenario = tmp_path / "scenario.yaml"
    text = (ROOT / "scenarios" / "cab-audit.yaml").read_text(encoding="utf-8").replace("../data/cab", "cab")
    scenario.write_text(text, encoding="utf-8")
    return data, scenario


def _refused(out, target: Path) -> None:
    assert out.exit_code == 2, out.output
    assert "is one of this command's inputs" in out.output and "Traceback" not in out.output


@pytest.mark.parametrize("command", ["simulate", "explain", "compare", "audit"])
def test_output_onto_the_scenario_is_refused(cab, command):
    data, scenario = cab
    before = scenario.read_bytes()
    args = {"simulate": ["simulate", str(scenario)],
            "explain": ["explain", str(scenario), "EAJE-BSM-CELESTINE", "--year", "2024"],
            "compare": ["compare", str(ROOT / "scenarios" / "cab-historical.yaml"), str(scenario)],
            "audit": ["audit", str(scenario), "--year", "2024"]}[command]
    _refused(invoke(*args, "--format", "json", "--output", str(scenario)), scenario)
    assert scenario.read_bytes() == before


@pytest.mark.parametrize("name", ["structures.csv", "cej.csv", "territory.yaml", "payments.csv"])
def test_output_onto_a_dataset_file_is_refused(cab, name):
    data, scenario = cab
    before = digest(data)
    _refused(invoke("validate", str(data), "--format", "json", "--output", str(data / name)), data / name)
    _refused(invoke("audit", str(scenario), "--year", "2024", "--format", "csv", "--output", str(data / name)),
             data / name)
    assert digest(data) == before


def test_output_onto_a_rules_file_is_refused(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    for f in (ROOT / "rules").glob("*.yaml"):
        (rules / f.name).write_bytes(f.read_bytes())
    before = digest(rules)
    _refused(invoke("rules", "--rules", str(rules), "--format", "json", "--output", str(rules / "ctg.yaml")),
             rules / "ctg.yaml")
    assert digest(rules) == before


def test_output_onto_an_xlsx_dataset_or_a_link_to_an_input_is_refused(cab, tmp_path):
    data, scenario = cab
    book = tmp_path / "cab.xlsx"
    assert invoke("simulate", str(scenario), "--year", "2024", "--format", "xlsx", "-o", str(book)).exit_code == 0
    before = book.read_bytes()
    _refused(invoke("validate", str(book), "--format", "json", "--output", str(book)), book)
    assert book.read_bytes() == before
    link = tmp_path / "innocent.csv"
    link.symlink_to(data / "payments.csv")
    payments = (data / "payments.csv").read_bytes()
    _refused(invoke("audit", str(scenario), "--year", "2024", "--format", "csv", "-o", str(link)), link)
    assert (data / "payments.csv").read_bytes() == payments


@pytest.mark.parametrize("command", [
    ["simulate", "missing.yaml"], ["compare", "missing.yaml", "missing.yaml"], ["audit", "missing.yaml", "--year",
    "2022"], ["rules"], ["sweep", "missing.yaml"]], ids=["simulate", "compare", "audit", "rules", "sweep"])
def test_an_xlsx_without_output_is_refused_before_any_input_is_read(command):
    # The scenario files do not exist: were they read first, the problem would be "no such scenario file". The
    # workbook's missing --output is said first, before a run that could take minutes.
    result = invoke(*command, "--format", "xlsx")
    assert result.exit_code == 2, result.output
    last = result.output.strip().splitlines()[-1].strip()
    assert last == "--output: --format xlsx writes a file: give --output FILE.xlsx"


def test_generate_refuses_a_folder_that_holds_files_unless_forced(cab):
    data, _scenario = cab
    before = digest(data)
    out = invoke("generate", str(data), "--territories", "2", "--structures", "10")
    assert out.exit_code == 2 and "not empty" in out.output and "--force" in out.output
    assert digest(data) == before
    out = invoke("generate", str(data), "--territories", "2", "--structures", "10", "--force")
    assert out.exit_code == 0, out.output
    # The CAB's own territory.yaml and payments.csv would make a dataset of two kinds: they are gone; files that
    # are not dataset files (its README) are left alone.
    assert sorted(digest(data)) == ["README.md", "cej.csv", "collectivites.csv", "scenario.yaml", "structures.csv",
                                    "territories.csv"]


class _FullDisk:
    """A file whose writes fail with ENOSPC once `limit` characters have been written."""

    def __init__(self, inner, limit: int):
        self.inner, self.limit, self.written = inner, limit, 0

    def write(self, text: str) -> int:
        if self.written + len(text) > self.limit:
            self.inner.write(text[: max(self.limit - self.written, 0)])
            raise OSError(errno.ENOSPC, "No space left on device")
        self.written += len(text)
        return self.inner.write(text)

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.inner.close()


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_disk_full_half_way_leaves_the_previous_report_whole(cab, tmp_path, monkeypatch, fmt):
    _data, scenario = cab
    report = tmp_path / f"report.{fmt}"
    report.write_text("the previous report\n", encoding="utf-8")
    real_open = pathlib.Path.open

    def failing_open(self, mode="r", *args, **kwargs):
        handle = real_open(self, mode, *args, **kwargs)
        return _FullDisk(handle, 5000) if "w" in mode and self.name.endswith(".part") else handle

    monkeypatch.setattr(pathlib.Path, "open", failing_open)
    out = invoke("simulate", str(scenario), "--format", fmt, "--output", str(report))
    assert out.exit_code == 2, out.output
    assert f"{report}: cannot read or write it: No space left on device" in out.output
    assert report.read_text(encoding="utf-8") == "the previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".part" or ".part" in p.name) == []


def test_a_workbook_that_fails_half_way_leaves_the_previous_one_whole(cab, tmp_path, monkeypatch):
    import xlsxwriter

    _data, scenario = cab
    book = tmp_path / "report.xlsx"
    book.write_bytes(b"previous workbook")

    def half_close(self):
        Path(self.filename).write_bytes(b"PK\x03\x04 half a zip")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(xlsxwriter.Workbook, "close", half_close)
    out = invoke("simulate", str(scenario), "--year", "2024", "--format", "xlsx", "--output", str(book))
    assert out.exit_code == 2 and "No space left on device" in out.output
    assert book.read_bytes() == b"previous workbook"
    assert [p.name for p in tmp_path.iterdir() if ".part" in p.name] == []


def _ctg(*args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "ctg_funding", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, **kwargs)


@pytest.fixture(scope="module")
def national(tmp_path_factory) -> Path:
    """A generated dataset whose xlsx report takes seconds to write."""
    folder = tmp_path_factory.mktemp("national") / "g"
    out = invoke("generate", str(folder), "--territories", "10", "--structures", "1200", "--seed", "3")
    assert out.exit_code == 0, out.output
    return folder / "scenario.yaml"


def test_ctrl_c_during_a_long_write_leaves_the_previous_report_whole(national, tmp_path):
    report = tmp_path / "national.xlsx"
    report.write_bytes(b"previous report")
    proc = _ctg("simulate", str(national), "--engine", "vector", "--format", "xlsx", "-o", str(report), "-q")
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".national.xlsx.*.part")):  # the workbook is being written
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip() == "ctg: interrupted, nothing written"
    assert report.read_bytes() == b"previous report"
    assert [p.name for p in tmp_path.iterdir() if ".part" in p.name] == []


# `ctg` whose rule actions press Ctrl-C (SIGINT to its own process) the first time one fires, so that the signal
# arrives while durable-rules is evaluating, whatever the machine's speed.
_CTG_PRESSING_CTRL_C_IN_AN_ACTION = """
import os, signal, sys
from ctg_funding.engine import durable
original = durable.DurableEvaluator._recorder
pressed = []
def recorder(self, rule_id):
    action = original(self, rule_id)
    def pressing(c):
        if not pressed:
            pressed.append(rule_id)
            os.kill(os.getpid(), signal.SIGINT)
        action(c)
    return pressing
durable.DurableEvaluator._recorder = recorder
from ctg_funding.cli import main
sys.argv[0] = "ctg"
main()
"""


def test_ctrl_c_during_the_rules_evaluation_ends_with_130_and_one_line(cab, tmp_path):
    _data, scenario = cab
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run([sys.executable, "-c", _CTG_PRESSING_CTRL_C_IN_AN_ACTION, "simulate", str(scenario),
                           "--engine", "durable", "--format", "json", "-o", str(tmp_path / "out.json"), "-q"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 130, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.strip() == "ctg: interrupted, nothing written"
    assert not (tmp_path / "out.json").exists()


def test_concurrent_runs_on_the_same_output_leave_one_whole_report(tmp_path):
    report = tmp_path / "same.json"
    scenarios = [ROOT / "scenarios" / "cab-historical.yaml", ROOT / "scenarios" / "cab-per-unit.yaml"]
    procs = [_ctg("simulate", str(s), "--format", "json", "-o", str(report), "-q") for s in scenarios * 2]
    for proc in procs:
        proc.communicate(timeout=120)
        assert proc.returncode == 0
    data = json.loads(report.read_text(encoding="utf-8"))  # whole: it parses
    assert data["scenario"] in {"CAB - bonus territoire a l'identique (historical), CTG renewed to 2030",
                                "CAB - lissage par unité (per_unit), CTG renewed to 2030"}
    assert [p.name for p in tmp_path.iterdir()] == ["same.json"]


def test_a_generate_that_fails_half_way_leaves_no_partial_dataset(tmp_path, monkeypatch):
    import ctg_funding.inputs.generate as generate_module

    real_write = generate_module._write
    written = []

    def failing_write(path, header, rows):
        if written:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        written.append(path.name)
        real_write(path, header, rows)

    monkeypatch.setattr(generate_module, "_write", failing_write)
    out = invoke("generate", str(tmp_path / "national"), "--territories", "2", "--structures", "50")
    assert out.exit_code == 2 and "No space left on device" in out.output
    assert written == ["territories.csv"]
    assert list((tmp_path / "national").iterdir()) == []  # nothing of the half-written dataset
    assert [p.name for p in tmp_path.iterdir()] == ["national"]  # nor its temporary folder


def test_a_report_keeps_the_mode_of_the_file_it_replaces_or_gets_the_usual_one(tmp_path):
    # Written through a temporary file (created 0600), a report must still be readable as before.
    shared = tmp_path / "shared.json"
    shared.write_text("{}", encoding="utf-8")
    shared.chmod(0o640)
    args = ["simulate", str(ROOT / "scenarios" / "cab-per-unit.yaml"), "--year", "2026", "--format", "json"]
    assert invoke(*args, "-o", str(shared)).exit_code == 0
    assert shared.stat().st_mode & 0o777 == 0o640
    new = tmp_path / "new.json"
    umask = os.umask(0o022)
    try:
        assert invoke(*args, "-o", str(new)).exit_code == 0
    finally:
        os.umask(umask)
    assert new.stat().st_mode & 0o777 == 0o644
