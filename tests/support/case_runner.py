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
        - {id: B, type: EAJE, extra: {occupancy: 80}}   # extra columns of structures.csv (weight fields)
      cej: {A: 1000}                    # N-1 CEJ amount per structure, or {amount: 1000, last_year: 2022}, or a
                                        # list of them (one CEJ action each)
      cej_last_year: 2021               # optional: the CEJ actions' last year unless an action says (default 2021)
      activity: {A: {2022: 12}}         # optional: activity.csv, units per structure and year
      rule_dates: {R3.closed: {until: 2023-01-01}}   # optional: `from` / `until` added to rules of a copy of rules/
      expect:
        2022:
          amounts: {A: "1000.00"}       # allocated amounts (bonus_territoire or pilotage line)
          new_places: {A: "3600.00"}    # R5 bonus_places_nouvelles lines (the complete list for that year)
          plancher_alsh: {A: "6000.00"}     # R8 lines (the complete list for that year)
          bonus_trajectoire: {A: "3200.00"} # R9 lines (the complete list for that year)
          lines: {plancher_alsh: {A: "6000.00"}}  # the same for any line named (complete for that year)
          reasons: {B: CLOSED}          # reason of ineligible structures (null for eligible)
          released: [{structure: B, reason: CLOSED, amount: "500.00"}]   # complete list for that year (an
                                        # entry may also give the `rules` its amount cites)
          envelopes: {EAJE: {envelope: "1500.00", allocated: "1000.00", released: "500.00",
                             renewed_from: 2025}}   # R7: the year the envelope renews (null: the CEJ)
          warnings: [[EAJE, floor_unmet, {deficit: 500}]]   # the year's warnings, the complete list in order:
                                        # family, kind and (optional) figures
          rules: {A: [R2.eaje, R3.historical]}   # the rules the line cites, in order
          trace: {A: [[historical, {cej: 1000}]]}   # the steps of `ctg explain` (allocation.trace), figures exact
          new_places_trace: {A: [...]}      # the same for the structure's R5 line
          trajectoire_trace: {A: [...]}     # the same for the structure's R9 line
          new_places_rules: {A: [R5.new_places, R2.eaje]}   # the rules the R5 line cites
          parameters: {EAJE: [redistribution.method]}       # the parameters that decided a family's envelope
      error: "text"                     # instead of expect: the scenario must be refused with this text

Every case runs on both engines (`engine`: durable-rules and the exact allocator, or the vector evaluator and
allocator) and must give the amounts worked out by hand with each.

Default collectivités: COM-A (tranche 2), COM-B (QPV, tranche 1) and COM-Q (QPV, tranche 2), signatory communes of
the territory; NONSIG (tranche 3, a commune of the territory that did not sign), COM-OUT (a commune outside the
territory), ASSO (an association).
"""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from ctg_funding.analysis.explain import explanation
from ctg_funding.errors import InputError
from ctg_funding.inputs.model import ENVELOPE_LINES
from ctg_funding.rulebook import default_rules_dir, load_rulebook
from ctg_funding.scenario.file import load_scenario
from ctg_funding.simulation import simulate
from ctg_funding.strict_yaml import load_yaml

COLLECTIVITES = [
    # id, name, kind, signatory, qpv_zrr, tranche
    ("COM-A", "Commune A", "commune", "true", "false", "2"),
    ("COM-B", "Commune B", "commune", "true", "true", "1"),
    ("COM-Q", "Commune QPV de tranche 2", "commune", "true", "true", "2"),
    ("NONSIG", "Commune non signataire", "commune", "false", "false", "3"),
    ("COM-OUT", "Commune hors territoire", "commune", "true", "false", "2"),
    ("ASSO", "Association", "association", "false", "", ""),
]
UNIT_AND_LINE = {"EAJE": ("places", "bonus_territoire"), "RPE": ("ETP", "bonus_territoire"),
                 "LAEP": ("opening hours", "bonus_territoire"), "ALSH": ("attendance hours", "bonus_territoire"),
                 "JEUNESSE_FORFAIT": ("lump sum", "bonus_territoire"), "PILOTAGE": ("ETP", "pilotage")}
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
                 "end": "2025-12-31", "pilotage_deadline_year": 2025, "communes": ["COM-A", "COM-B", "COM-Q", "NONSIG"]}
    territory.update(case.get("territory", {}))
    (data / "territory.yaml").write_text(yaml.safe_dump(territory), encoding="utf-8")
    _csv(data / "collectivites.csv", ["id", "name", "kind", "signatory", "qpv_zrr", "tranche"],
         [list(c) for c in COLLECTIVITES])
    rows = []
    extra = sorted({k for s in case["structures"] for k in s.get("extra", {})})  # extra numeric columns
    for s in case["structures"]:
        commune = s.get("commune", "COM-A")
        is_post = s["type"] == "COORDINATION"
        supported = s.get("supported_by", [commune])
        rows.append([
            s["id"], s.get("name", s["id"]), s["type"], commune, s.get("manager", commune),
            ";".join(supported), str(s.get("ps_funded", True)).lower(), s.get("opened", "2019-01-01"),
            s.get("closed", ""), s.get("units", 1), s.get("post_status", "coordinateur_cej" if is_post else ""),
            s.get("converted_on", ""), *(s.get("extra", {}).get(k, "") for k in extra),
        ])
    _csv(data / "structures.csv", STRUCTURE_COLUMNS + extra, rows)
    communes = {s["id"]: s.get("commune", "COM-A") for s in case["structures"]}
    actions = []
    for sid, given in case.get("cej", {}).items():
        for index, action in enumerate(given if isinstance(given, list) else [given]):
            action = action if isinstance(action, dict) else {"amount": action}
            actions.append([f"CEJ-{communes[sid]}" + (f"-{index + 1}" if index else ""), communes[sid], sid,
                            action.get("last_year", case.get("cej_last_year", 2021)), action["amount"]])
    _csv(data / "cej.csv", ["contract_id", "collectivite_id", "structure_id", "last_year", "amount"], actions)
    if "activity" in case:
        _csv(data / "activity.csv", ["structure_id", "year", "units"],
             [[sid, year, units] for sid, by_year in case["activity"].items() for year, units in by_year.items()])
    scenario = {"name": case["name"], "dataset": "data", "years": case.get("years", [2022, 2022]),
                "parameters": case.get("parameters", {}), "changes": case.get("changes", [])}
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(scenario, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def rules_with_dates(case: dict[str, Any], folder: Path) -> Path | None:
    """A copy of rules/ in `folder` with the case's `rule_dates` (`from`, `until`) added to its rules; None when the
    case has none (the shipped rules are used)."""
    if "rule_dates" not in case:
        return None
    rules = folder / "rules"
    shutil.copytree(default_rules_dir(), rules)
    for rid, dates in case["rule_dates"].items():
        (path,) = [p for p in rules.glob("*.yaml") if f"- id: {rid}\n" in p.read_text(encoding="utf-8")]
        header = f"  - id: {rid}\n"
        added = "".join(f"    {key}: {value}\n" for key, value in dates.items())
        path.write_text(path.read_text(encoding="utf-8").replace(header, header + added, 1), encoding="utf-8")
    return rules


def load_cases(directory: Path) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(directory.glob("*.yaml")):
        # The project's loader: plain YAML 1.1 would read a change's `on:` key as the boolean True.
        for case in load_yaml(path.read_text(encoding="utf-8"), path.name):
            # A case's name is its test id: ASCII only, since pytest escapes other characters in ids (crèche ->
            # cr\xe8che) and a run given such an id back (as mutation testing does) may not find the test.
            assert case["name"].isascii(), f"{path.name}: case name not ASCII: {case['name']!r}"
            out.append((f"{path.stem}: {case['name']}", case))
    return out


# The keys of a year's expectations that list the lines paid outside the envelope, and their line.
OUTSIDE = {"new_places": "bonus_places_nouvelles", "plancher_alsh": "plancher_alsh",
           "bonus_trajectoire": "bonus_trajectoire"}
_SHIPPED: list = []  # the shipped rulebook, loaded once (a Rulebook is never changed: overrides make a new one)


def shipped_rulebook():
    if not _SHIPPED:
        _SHIPPED.append(load_rulebook())
    return _SHIPPED[0]


def run_case(case: dict[str, Any], folder: Path, engine: str = "durable") -> None:
    scenario_path = write_case(case, folder)
    rules = rules_with_dates(case, folder)
    rulebook = load_rulebook(rules) if rules else shipped_rulebook()
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
        new_places = {ln.structure_id: ln for ln in result.lines
                      if ln.year == year and ln.line == "bonus_places_nouvelles"}
        named = {**{line: expect[key] for key, line in OUTSIDE.items() if key in expect}, **expect.get("lines", {})}
        for line, amounts in named.items():  # complete for that year
            got = {ln.structure_id: ln.amount for ln in result.lines if ln.year == year and ln.line == line}
            want = {sid: Decimal(str(v)) for sid, v in amounts.items()}
            assert got == want, f"{year} {line}: expected {want}, got {got}"
        for sid, amount in expect.get("amounts", {}).items():
            got_amount = lines[sid].amount
            assert got_amount == Decimal(str(amount)), f"{year} {sid}: expected {amount}, got {got_amount}"
        for sid, reason in expect.get("reasons", {}).items():
            assert lines[sid].reason == reason, f"{year} {sid}: expected reason {reason}, got {lines[sid].reason}"
            assert lines[sid].eligible == (reason is None)
        if "released" in expect:
            got = sorted((r.structure_id or "", r.reason, r.amount, r.destination)
                         for r in result.released if r.year == year)
            want = sorted((r.get("structure") or "", r["reason"], Decimal(str(r["amount"])),
                           r.get("destination", "caf")) for r in expect["released"])
            assert got == want, f"{year} released: expected {want}, got {got}"
        for ln in lines.values():  # the unit and line of payment of each family (docs/funding-rules.md R2)
            assert (ln.unit, ln.line) == UNIT_AND_LINE[ln.family], f"{year} {ln.structure_id}: {ln.unit}, {ln.line}"
        families = {ln.structure_id: ln.family for ln in lines.values()}
        for r in result.released:  # a released amount counts in the envelope of its structure's family
            if r.year == year:
                assert r.territory == "CTG-TEST", f"{year} released {r}: territory {r.territory}"
                if r.structure_id is not None:
                    assert r.family == families[r.structure_id], f"{year} released {r}: family {r.family}"
        for entry in expect.get("released", []):
            if "rules" in entry:
                got_rules = [r.rules for r in result.released if r.year == year and r.reason == entry["reason"]
                             and (r.structure_id or "") == (entry.get("structure") or "")]
                assert got_rules == [entry["rules"]], f"{year} released {entry}: rules {got_rules}"
        for sid, rules in expect.get("rules", {}).items():
            assert lines[sid].rules == rules, f"{year} {sid}: expected rules {rules}, got {lines[sid].rules}"
        for sid, steps in expect.get("trace", {}).items():
            assert_steps(explanation(result, sid, year)["trace"], steps, f"{year} {sid} trace")
        for sid, rules in expect.get("new_places_rules", {}).items():
            assert new_places[sid].rules == rules, f"{year} {sid}: R5 rules {new_places[sid].rules}"
        for ln in new_places.values():  # an R5 line says what it is, whatever the allocator
            sy = result.structure_years[f"{ln.structure_id}|{year}"]
            assert (ln.family, ln.unit, ln.eligible, ln.method, ln.base, ln.share) == \
                ("EAJE", "new places", True, "new_places", ln.exact, Fraction(sy.open_days, sy.year_days)), ln
        for family, names in expect.get("parameters", {}).items():
            e = next(x for x in result.envelopes if x.year == year and x.family == family)
            assert list(e.parameters) == names, f"{year} {family}: parameters {e.parameters}"
        for sid, steps in expect.get("new_places_trace", {}).items():
            [other] = explanation(result, sid, year)["other_lines"]
            assert_steps(other["trace"], steps, f"{year} {sid} new places trace")
        for sid, steps in expect.get("trajectoire_trace", {}).items():
            [other] = [o for o in explanation(result, sid, year)["other_lines"] if o["line"] == "bonus_trajectoire"]
            assert_steps(other["trace"], steps, f"{year} {sid} trajectoire trace")
        for family, env in expect.get("envelopes", {}).items():
            e = next(x for x in result.envelopes if x.year == year and x.family == family)
            for key, value in env.items():  # euros with their two decimals, as every output writes them
                assert str(getattr(e, key)) == str(value), f"{year} {family} {key}: expected {value}, " \
                                                           f"got {getattr(e, key)!r}"
        if "warnings" in expect:
            warnings = [w for w in result.warnings if w.year == year]  # in the order the outputs show them
            got = [[w.family, w.kind] for w in warnings]
            want = expect["warnings"]
            assert got == [w[:2] for w in want], f"{year} warnings: expected {want}, got {got}"
            for warning, wanted in zip(warnings, want, strict=True):
                assert warning.territory == "CTG-TEST", warning
                for name, value in (wanted[2] if len(wanted) > 2 else {}).items():
                    actual = getattr(warning, name)
                    ok = actual == value if isinstance(actual, str) else Fraction(actual) == Fraction(str(value))
                    assert ok, f"{year} {warning}: {name} expected {value}"
        for e in result.envelopes:
            assert e.allocated + e.released == e.envelope, f"{year} {e.family}: envelope not balanced"


def assert_steps(got: list, want: list, where: str) -> None:
    """The steps of a trace against [kind, {figure: value}] pairs worked out by hand (numbers as exact fractions:
    "1/2", "33.33", 19630)."""
    assert [s.kind for s in got] == [kind for kind, _figures in want], f"{where}: {[s.kind for s in got]}"
    for step, (kind, figures) in zip(got, want, strict=True):
        assert set(step.figures) == set(figures), f"{where} {kind}: figures {sorted(step.figures)}"
        for name, value in figures.items():
            actual = step.figures[name]
            if isinstance(value, (int, float, str)) and not isinstance(value, bool) and _number(actual):
                ok = Fraction(actual) == Fraction(str(value))
            else:
                ok = actual == value
            assert ok, f"{where} {kind}.{name}: expected {value}, got {actual}"


def _number(value: Any) -> bool:
    return isinstance(value, (int, Fraction, Decimal)) and not isinstance(value, bool)
