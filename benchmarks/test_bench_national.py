"""Both engines on the CAB, the durable engine on 5,000 structures, and the durable engine's memory over repeated
runs (the vector engine on 60,000 structures, stage by stage and end to end: test_bench_end_to_end.py).

Run: python -m pytest benchmarks --benchmark-only
Peak memory (ru_maxrss of the process, in MB) and structure-years per second are in each benchmark's extra_info
(`--benchmark-json out.json` keeps them).
"""

from __future__ import annotations

import gc
import resource
import time
from pathlib import Path

import pytest

from ctg_funding.inputs.generate import generate
from ctg_funding.rulebook import load_rulebook
from ctg_funding.scenario.file import load_scenario
from ctg_funding.simulation import simulate

ROOT = Path(__file__).resolve().parent.parent


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def current_rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def _scenario(tmp_path_factory, territories: int, structures: int):
    folder = tmp_path_factory.mktemp(f"g{territories}x{structures}")
    return load_scenario(generate(folder / "data", territories, structures, seed=1), load_rulebook())


def _record(benchmark, result, started: float) -> None:
    n = len(result.structure_years)
    benchmark.extra_info["structure_years"] = n
    benchmark.extra_info["peak_rss_mb"] = round(peak_rss_mb(), 1)
    mean = benchmark.stats.stats.mean if benchmark.stats else time.perf_counter() - started
    benchmark.extra_info["structure_years_per_s"] = round(n / mean)


@pytest.mark.parametrize("engine", ["durable", "vector"])
def test_cab_2022_2030(benchmark, engine):
    scenario = load_scenario(ROOT / "scenarios" / "cab-per-unit-floor.yaml", load_rulebook())
    started = time.perf_counter()
    result = benchmark(simulate, scenario, engine=engine)
    _record(benchmark, result, started)
    assert all(e.balanced for e in result.envelopes)


def test_durable_5000_structures_10_years(benchmark, tmp_path_factory):
    scenario = _scenario(tmp_path_factory, 80, 5_000)
    started = time.perf_counter()
    result = benchmark.pedantic(simulate, args=(scenario,), kwargs={"engine": "durable"}, rounds=1, iterations=1)
    _record(benchmark, result, started)
    assert all(e.balanced for e in result.envelopes)


def test_durable_memory_flat_over_10_runs(benchmark, tmp_path_factory):
    scenario = _scenario(tmp_path_factory, 20, 1_000)
    simulate(scenario, engine="durable")
    gc.collect()
    before = current_rss_mb()

    def ten_runs():
        for _ in range(10):
            simulate(scenario, engine="durable")
        gc.collect()

    benchmark.pedantic(ten_runs, rounds=1, iterations=1)
    growth = current_rss_mb() - before
    benchmark.extra_info["rss_growth_mb_over_10_runs"] = round(growth, 1)
    benchmark.extra_info["peak_rss_mb"] = round(peak_rss_mb(), 1)
    assert growth < 50
