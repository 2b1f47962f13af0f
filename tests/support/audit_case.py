"""The small audit case both audit test files use, and how they run `ctg audit` on it.

The case (support.case_runner.write_case): three EAJE of the territory, method historical, year 2022.
    EAJE-A   COM-A, 10 places, N-1 CEJ 1,000.00 -> due 1,000.00 (keeps its N-1 amount)
    EAJE-B   COM-B, 20 places, N-1 CEJ 3,000.00 -> due 3,000.00
    EAJE-D   COM-A, closed 2022-01-01 (open 0 days in 2022), N-1 CEJ 500.00 -> due 0.00, reason CLOSED,
             its 500.00 released
    EAJE envelope 2022 = 1,000.00 + 3,000.00 + 500.00 = 4,500.00; allocated 4,000.00, released 500.00.
"""

from __future__ import annotations

import copy
import csv
import json
from pathlib import Path

from click.testing import CliRunner

from ctg_funding.cli import main
from support.case_runner import write_case

HEADER = ["year", "structure_id", "line", "amount", "note"]
BT = "bonus_territoire"

CASE = {
    "name": "audit case",
    "years": [2022, 2022],
    "parameters": {"redistribution.method": "historical"},
    "structures": [
        {"id": "EAJE-A", "type": "EAJE", "units": 10},
        {"id": "EAJE-B", "type": "EAJE", "units": 20, "commune": "COM-B"},
        {"id": "EAJE-D", "type": "EAJE", "units": 15, "closed": "2022-01-01"},
    ],
    "cej": {"EAJE-A": "1000.00", "EAJE-B": "3000.00", "EAJE-D": "500.00"},
}
# What the rules give in 2022: every payment that matches them.
DUE = [(2022, "EAJE-A", BT, "1000.00"), (2022, "EAJE-B", BT, "3000.00")]


def write_payments(folder: Path, rows: list[tuple]) -> None:
    with (folder / "payments.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows([[*row, ""] if len(row) == 4 else list(row) for row in rows])


def build(tmp_path: Path, payments: list[tuple], case: dict | None = None) -> Path:
    """The case's dataset (tmp_path/data) and scenario, with payments.csv beside the dataset's files."""
    scenario = write_case(copy.deepcopy(case or CASE), tmp_path)
    write_payments(tmp_path / "data", payments)
    return scenario


def run(*args) -> object:
    return CliRunner().invoke(main, ["audit", *map(str, args)])


def audit_json(target: Path, years: str = "2022", *extra) -> tuple[int, dict]:
    result = run(target, "--year", years, "--format", "json", *extra)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


# Historical, CTG 2021-2025 renewed to 2030 (R7). EAJE-A: CEJ 1,000.00, closes 2025-07-01 (open 181 of 365 days):
# 2025 due 1,000 x 181/365 = 495.890410... -> 495.89. EAJE-B: CEJ 3,000.00, due 3,000.00 every year. The 2026
# envelope is what 2025 allocated, 495.89 + 3,000.00 = 3,495.89. B is paid 3,500.00 in 2026.
RENEWAL_CASE = {"name": "renewal audit", "years": [2025, 2026],
                "parameters": {"redistribution.method": "historical", "ctg.renewed_until": "2030-12-31"},
                "structures": [{"id": "EAJE-A", "type": "EAJE", "units": 10, "closed": "2025-07-01"},
                               {"id": "EAJE-B", "type": "EAJE", "units": 20}],
                "cej": {"EAJE-A": "1000.00", "EAJE-B": "3000.00"}}
RENEWAL_PAYMENTS = [(2025, "EAJE-A", BT, "495.89"), (2025, "EAJE-B", BT, "3000.00"), (2026, "EAJE-B", BT, "3500.00")]
