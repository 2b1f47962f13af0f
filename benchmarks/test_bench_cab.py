"""Territory scale: the CAB (109 structures) over 2022-2030, as `ctg simulate` runs it.

Run: python -m pytest benchmarks --benchmark-only
"""

from pathlib import Path

import pytest

from ctg_funding.rulebook import load_rulebook
from ctg_funding.scenario.file import load_scenario
from ctg_funding.simulation import simulate

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", ["cab-historical", "cab-per-unit", "cab-per-unit-floor"])
def test_simulate_cab_2022_2030(benchmark, name):
    """Load rules, dataset and scenario, then simulate the nine years (what the CLI does, without printing)."""

    def run():
        scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml", load_rulebook())
        return simulate(scenario)

    result = benchmark(run)
    assert len(result.years) == 9
    assert all(e.balanced for e in result.envelopes)
