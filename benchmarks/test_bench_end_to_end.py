"""What a user waits for at national scale: each stage of `ctg simulate` (load, simulate, write the CSV, write the
xlsx) and the whole command, on 60,000 structures of 1,000 territories over 10 years (generated, seed 7).

Run: python -m pytest benchmarks --benchmark-only
Each stage runs once (a national run is too long to repeat); peak memory (ru_maxrss, MB) and sizes are in each
benchmark's extra_info (`--benchmark-json out.json` keeps them). benchmarks/end_to_end.py prints the same stages
for the CAB, 6,000, 60,000 and 120,000 structures as a table (the one in README.md).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
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


def test_whole_command_csv(benchmark, national, tmp_path):
    """`ctg simulate SCENARIO --engine vector --format csv --output FILE` in its own process, start to exit."""
    output = tmp_path / "national.csv"
    command = [sys.executable, "-m", "ctg_funding", "simulate", str(national), "--engine", "vector", "--format",
               "csv", "--output", str(output), "--lang", "en", "--quiet"]

    def run() -> float:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _pid, status, usage = os.wait4(process.pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        return usage.ru_maxrss / 1024

    peak = benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info["peak_rss_mb"] = round(peak)
    assert output.stat().st_size > 0
