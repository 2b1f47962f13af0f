"""Runs the YAML cases of tests/cases/: a small dataset and a scenario, written to files and read back by the real
reader, then simulated; the expected amounts are worked out by hand in each case file.

A case:

    - name: ...
      years: [2022, 2022]               # optional, default [2022, 2022]
      parameters: {...}                 # scenario overrides
      changes: [...]                    # scenario changes
      territory: {end: 2025-12-31}      # optional overrides of the default territory (CTG 2021-2025), e.g.
                                        # renewals: [2030-12-31] for a second CTG 2026-2030 in the dataset
      structures:                       # id and type required; defaults below
        - {id: A, type: EAJE, units: 10, commune: COM-A}
      cej: {A: 1000}                    # N-1 CEJ amount per structure
      cej_last_year: 2021               # optional: N-1, the CEJ's last year (default 2021)
      expect:
        2022:
          amounts: {A: "1000.00"}       # allocated amounts (bonus_territoire or pilotage line)
          new_places: {A: "3600.00"}    # R5 bonus_places_nouvelles lines (the complete list for that year)
          plancher_alsh: {A: "6000.00"}     # R8 lines (the complete list for that year)
          bonus_trajectoire: {A: "3200.00"} # R9 lines (the complete list for that year)
          lines: {plancher_alsh: {A: "6000.00"}}  # the same for any line named (complete for that year)
          reasons: {B: CLOSED}          # reason of ineligible structures (null for eligible)
          released: [{structure: B, reason: CLOSED, amount: "500.00"}]   # complete list for that year
          envelopes: {EAJE: {envelope: "1500.00", allocated: "1000.00", released: "500.00",
                             renewed_from: 2025}}   # R7: the year the envelope renews (null: the CEJ)
      error: "text"                     # instead of expect: the scenario must be refused with this text

Each case runs with both engines (`run_case(..., engine=)`): the hand-worked figures hold for either.

Default collectivités: COM-A and COM-B (signatory communes of the territory), NONSIG (a commune of the territory
that did not sign), COM-OUT (a commune outside the territory), ASSO (an association).
"""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from ctg_funding.errors import InputError
from ctg_funding.inputs.model import ENVELOPE_LINES
from ctg_funding.rulebook import load_rulebook
from ctg_funding.scenario.file import load_scenario
from ctg_funding.simulation import simulate
from ctg_funding.strict_yaml import load_yaml

COLLECTIVITES = [
    # id, name, kind, signatory, qpv_zrr, tranche
    ("COM-A", "Commune A", "commune", "true", "false", "2"),
    ("COM-B", "Commune B", "commune", "true", "true", "1"),
    ("NONSIG", "Commune non signataire", "commune", "false", "false", "3"),
    ("COM-OUT", "Commune hors territoire", "commune", "true", "false", "2"),
    ("ASSO", "Association", "association", "false", "", ""),
]
STRUCTURE_COLUMNS = ["id", "name", "type", "commune_id", "manager_id", "supported_by", "ps_funded", "opened",
                     "closed", "units", "post_status", "converted_on"]


def _csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows([["" if v is None else v for v in row] for row in rows])


def write_case(case: dict[str, Any], folder: Path) -> Path:
    """Write the case's dataset and scenario; return the scenario path."""
    data = folder / "data"
    data.mkdir(parents=True)
    territory = {"id": "CTG-TEST", "name": "Test CTG", "caf": "Caf test", "start": "2021-01-01",
                 "end": "2025-12-31", "pilotage_deadline_year": 2025, "communes": ["COM-A", "COM-B", "NONSIG"]}
    territory.update(case.get("territory", {}))
    (data / "territory.yaml").write_text(yaml.safe_dump(territory), encoding="utf-8")
    _csv(data / "collectivites.csv", ["id", "name", "kind", "signatory", "qpv_zrr", "tranche"],
         [list(c) for c in COLLECTIVITES])
    rows = []
    for s in case["structures"]:
        commune = s.get("commune", "COM-A")
        is_post = s["type"] == "COORDINATION"
        supported = s.get("supported_by", [commune])
        rows.append([
            s["id"], s.get("name", s["id"]), s["type"], commune, s.get("manager", commune),
            ";".join(supported), str(s.get("ps_funded", True)).lower(), s.get("opened", "2019-01-01"),
            s.get("closed", ""), s.get("units", 1), s.get("post_status", "coordinateur_cej" if is_post else ""),
            s.get("converted_on", ""),
        ])
    _csv(data / "structures.csv", STRUCTURE_COLUMNS, rows)
    communes = {s["id"]: s.get("commune", "COM-A") for s in case["structures"]}
    _csv(data / "cej.csv", ["contract_id", "collectivite_id", "structure_id", "last_year", "amount"],
         [[f"CEJ-{communes[sid]}", communes[sid], sid, case.get("cej_last_year", 2021), amount]
          for sid, amount in case.get("cej", {}).items()])
    scenario = {"name": case["name"], "dataset": "data", "years": case.get("years", [2022, 2022]),
                "parameters": case.get("parameters", {}), "changes": case.get("changes", [])}
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(scenario, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def load_cases(directory: Path) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(directory.glob("*.yaml")):
        # The project's loader: plain YAML 1.1 would read a change's `on:` key as the boolean True.
        for case in load_yaml(path.read_text(encoding="utf-8"), path.name):
            out.append((f"{path.stem}: {case['name']}", case))
    return out


# The keys of a year's expectations that list the lines paid outside the envelope, and their line.
OUTSIDE = {"new_places": "bonus_places_nouvelles", "plancher_alsh": "plancher_alsh",
           "bonus_trajectoire": "bonus_trajectoire"}


def run_case(case: dict[str, Any], folder: Path, engine: str = "durable") -> None:
    scenario_path = write_case(case, folder)
    rulebook = load_rulebook()
    if "error" in case:
        try:
            scenario = load_scenario(scenario_path, rulebook)
            simulate(scenario, engine=engine)
        except InputError as exc:
            assert case["error"] in str(exc), f"expected {case['error']!r} in:\n{exc}"
            return
        raise AssertionError(f"expected the scenario to be refused with {case['error']!r}")
    result = simulate(load_scenario(scenario_path, rulebook), engine=engine)
    for year, expect in case["expect"].items():
        lines = {ln.structure_id: ln for ln in result.lines if ln.year == year and ln.line in ENVELOPE_LINES}
        named = {**{line: expect[key] for key, line in OUTSIDE.items() if key in expect}, **expect.get("lines", {})}
        for line, amounts in named.items():  # complete for that year
            got = {ln.structure_id: ln.amount for ln in result.lines if ln.year == year and ln.line == line}
            want = {sid: Decimal(str(v)) for sid, v in amounts.items()}
            assert got == want, f"{year} {line}: expected {want}, got {got}"
        for sid, amount in expect.get("amounts", {}).items():
            assert lines[sid].amount == Decimal(str(amount)), (
                f"{year} {sid}: expected {amount}, got {lines[sid].amount}\n{lines[sid]}")
        for sid, reason in expect.get("reasons", {}).items():
            assert lines[sid].reason == reason, f"{year} {sid}: expected reason {reason}, got {lines[sid].reason}"
            assert lines[sid].eligible == (reason is None)
        if "released" in expect:
            got = sorted((r.structure_id or "", r.reason, r.amount, r.destination)
                         for r in result.released if r.year == year)
            want = sorted((r.get("structure") or "", r["reason"], Decimal(str(r["amount"])),
                           r.get("destination", "caf")) for r in expect["released"])
            assert got == want, f"{year} released: expected {want}, got {got}"
        for family, env in expect.get("envelopes", {}).items():
            e = next(x for x in result.envelopes if x.year == year and x.family == family)
            for key, value in env.items():
                want = value if key == "renewed_from" else Decimal(str(value))
                assert getattr(e, key) == want, f"{year} {family} {key}: expected {value}, got {getattr(e, key)}"
        for e in result.envelopes:
            assert e.allocated + e.released == e.envelope, f"{year} {e.family}: envelope not balanced"
