"""The hand-worked YAML cases of tests/cases/ (the arithmetic is written beside each case), with both engines."""

from pathlib import Path

import pytest
from support.case_runner import load_cases, run_case

CASES = load_cases(Path(__file__).resolve().parents[1] / "cases")


@pytest.mark.parametrize("engine", ["durable", "vector"])
@pytest.mark.parametrize("case", [c for _n, c in CASES], ids=[n for n, _c in CASES])
def test_case(case, engine, tmp_path):
    run_case(case, tmp_path, engine)
