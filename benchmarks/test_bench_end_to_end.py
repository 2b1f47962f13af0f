"""What a user waits for at national scale: each stage of `ctg simulate` (load, simulate, write the CSV, write the
xlsx) and the whole command, and the whole `ctg compare` and `ctg audit`, on 60,000 structures of 1,000
territories over 10 years (generated, seed 7).

Run: python -m pytest benchmarks --benchmark-only
Each stage runs once (a national run is too long to repeat); peak memory (ru_maxrss, MB) and sizes are in each
benchmark's extra_info (`--benchmark-json out.json` keeps them). benchmarks/end_to_end.py prints the same stages
for the CAB, 6,000, 60,000 and 120,000 structures as a table (the one in README.md).
"""

from __future__ import annotations

import csv
import os
import resource
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from ctg_funding.cli.commands import write_simulation
from ctg_funding.cli.options import Presentation
from ctg_funding.collector import gc_paused
from ctg_funding.i18n import set_language
from ctg_funding.inputs.generate import generate
from ctg_funding.rulebook import load_rulebook
from ctg_funding.scenario.file import load_scenario
from ctg_funding.simulation import simulate

STRUCTURES, TERRITORIES, YEARS = 60_000, 1_000, 10


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


@pytest.fixture(scope="module")
def national(tmp_path_factory) -> Path:
    """The generated national dataset's scenario file."""
    return generate(tmp_path_factory.mktemp("national") / "data", TERRITORIES, STRUCTURES, seed=7)


@pytest.fixture(scope="module")
def loaded(national):
    return load_scenario(national, load_rulebook())


@pytest.fixture(scope="module")
def result(loaded):
    with gc_paused():
        return simulate(loaded, engine="vector")


def test_stage_load(benchmark, national):
    """Rules, dataset and scenario read and checked."""
    scenario = benchmark.pedantic(load_scenario, args=(national, load_rulebook()), rounds=1, iterations=1)
    assert len(scenario.structures) == STRUCTURES
    benchmark.extra_info["peak_rss_mb"] = round(peak_rss_mb())


def test_stage_simulate(benchmark, loaded):
    """The vector run of every year (the collector paused, as the command does)."""
    def run():
        with gc_paused():
            return simulate(loaded, engine="vector")

    out = benchmark.pedantic(run, rounds=1, iterations=1)
    assert len(out.structure_years) == STRUCTURES * YEARS
    assert all(e.balanced for e in out.envelopes)
    benchmark.extra_info.update(structure_years=len(out.structure_years), lines=len(out.lines),
                                peak_rss_mb=round(peak_rss_mb()))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_stage_write(benchmark, result, fmt, tmp_path):
    """The allocation written as `--format csv` (the allocation table) or `--format xlsx` (every table)."""
    set_language("en")
    output = tmp_path / f"national.{fmt}"

    def write():
        with gc_paused():
            write_simulation(result, fmt, output, Presentation())

    benchmark.pedantic(write, rounds=1, iterations=1)
    if fmt == "csv":
        assert sum(1 for _ in output.open(encoding="utf-8")) == len(result.lines) + 1
    benchmark.extra_info.update(lines=len(result.lines), megabytes=round(output.stat().st_size / 2**20, 1),
                                peak_rss_mb=round(peak_rss_mb()))


def run_command(command: list[str], codes: tuple[int, ...] = (0,)) -> float:
    """Run a ctg command in its own process, start to exit; its peak memory (MB)."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(process.pid, 0)
    assert os.waitstatus_to_exitcode(status) in codes
    return usage.ru_maxrss / 1024


def ctg(*args: object) -> list[str]:
    return [sys.executable, "-m", "ctg_funding", *map(str, args), "--lang", "en", "--quiet"]


def test_whole_command_csv(benchmark, national, tmp_path):
    """`ctg simulate SCENARIO --engine vector --format csv --output FILE` in its own process, start to exit."""
    output = tmp_path / "national.csv"
    command = ctg("simulate", national, "--engine", "vector", "--format", "csv", "--output", output)
    peak = benchmark.pedantic(run_command, args=(command,), rounds=1, iterations=1)
    benchmark.extra_info["peak_rss_mb"] = round(peak)
    assert output.stat().st_size > 0


@pytest.fixture(scope="module")
def historical(national) -> Path:
    """The same dataset and years under redistribution.method: historical (scenario A of a compare)."""
    path = national.with_name("historical.yaml")
    text = national.read_text(encoding="utf-8")
    assert text.count("redistribution.method: per_unit") == 1
    path.write_text(text.replace("redistribution.method: per_unit", "redistribution.method: historical"),
                    encoding="utf-8")
    return path


def test_whole_command_compare(benchmark, national, historical, tmp_path):
    """`ctg compare A B --by structure --engine vector --format csv`: issue #12 asks for at most 1.5 times the two
    simulates (test_whole_command_csv and the same on A)."""
    output = tmp_path / "compare.csv"
    command = ctg("compare", historical, national, "--by", "structure", "--engine", "vector", "--format", "csv",
                  "--output", output)
    peak = benchmark.pedantic(run_command, args=(command,), rounds=1, iterations=1)
    benchmark.extra_info["peak_rss_mb"] = round(peak)
    assert sum(1 for _ in output.open(encoding="utf-8")) > STRUCTURES


def test_whole_command_audit(benchmark, historical, tmp_path):
    """`ctg audit --year 2022..2026` of the historical amounts of five years paid back as payments.csv, one payment
    in a thousand 1.00 too high (each an OVERPAID finding)."""
    lines = tmp_path / "historical.csv"
    run_command(ctg("simulate", historical, "--engine", "vector", "--format", "csv", "--output", lines))
    payments = historical.parent / "payments.csv"
    with lines.open(encoding="utf-8") as f, payments.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["year", "structure_id", "line", "amount", "note"])
        rows = (r for r in csv.DictReader(f) if int(r["year"]) <= 2026 and r["amount"] != "0.00")
        for i, r in enumerate(rows):
            amount = Decimal(r["amount"]) + (1 if i % 1000 == 0 else 0)
            writer.writerow([r["year"], r["structure_id"], r["line"], f"{amount:.2f}", ""])
    output = tmp_path / "audit.csv"
    command = ctg("audit", historical, "--year", "2022..2026", "--engine", "vector", "--format", "csv",
                  "--output", output)
    try:
        peak = benchmark.pedantic(run_command, args=(command, (1,)), rounds=1, iterations=1)  # 1: findings
    finally:
        payments.unlink()
    benchmark.extra_info["peak_rss_mb"] = round(peak)
    assert output.stat().st_size > 0
