"""The hand-worked YAML cases of tests/cases/ (the arithmetic is written beside each case), each run on both
engines: durable-rules with the exact allocator, and the vector evaluator with the vector allocator. A mistake made
in both engines, or in a published figure, fails here, not only a disagreement between them."""

from pathlib import Path

import pytest
from support.case_runner import load_cases, run_case

from ctg_funding.engine import ENGINES

CASES = load_cases(Path(__file__).resolve().parents[1] / "cases")


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", [c for _n, c in CASES], ids=[n for n, _c in CASES])
def test_case(case, engine, tmp_path):
    run_case(case, tmp_path, engine)
