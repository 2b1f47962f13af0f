"""What the Python code relies on in rules/ is checked when the rules are loaded: a rule id, a formula or a
parameter that the program cites cannot go missing without the whole rulebook being refused, with the id named,
before anything runs."""

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ctg_funding.cli import main
from ctg_funding.errors import InputError
from ctg_funding.rulebook import load_rulebook, required

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"


def copy_rules(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    shutil.copytree(RULES, folder)
    return folder


def file_defining(folder: Path, text: str) -> Path:
    (path,) = [p for p in folder.glob("*.yaml") if text in p.read_text(encoding="utf-8")]
    return path


def remove_item(folder: Path, header: str, indent: int = 4) -> None:
    """Drop one YAML item: the line `header` and the lines below it indented by `indent` spaces or more."""
    path = file_defining(folder, header + "\n")
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(rf"{re.escape(header)}\n(?: {{{indent},}}.*\n)*")
    new = pattern.sub("", text, count=1)
    assert new != text
    path.write_text(new, encoding="utf-8")


def problems_of(folder: Path) -> list:
    with pytest.raises(InputError) as exc:
        load_rulebook(folder)
    return exc.value.problems


@pytest.mark.parametrize("rid", sorted(required.RULES))
def test_a_rulebook_without_a_rule_the_program_cites_is_refused(tmp_path, rid):
    folder = copy_rules(tmp_path)
    remove_item(folder, f"  - id: {rid}")
    problems = problems_of(folder)
    assert [p.column for p in problems] == [rid], problems
    assert "missing" in problems[0].message


@pytest.mark.parametrize("name", required.PARAMETERS)
def test_a_rulebook_without_a_parameter_the_program_reads_is_refused(tmp_path, name):
    folder = copy_rules(tmp_path)
    remove_item(folder, f"  {name}:")
    problems = problems_of(folder)
    assert name in [p.column for p in problems], problems
    if name not in {"redistribution.method"}:  # the shipped rules' conditions read no other of these
        missing = [p for p in problems if p.column == name]
        assert [p.message for p in missing] == [f"parameter {name} is missing: the program relies on it"]


# Issue 14: each of these deleted from rules/ on its own must stop a command at load, naming where the rules were
# read from and the id. Listed by hand, not read from rulebook.required, so that an id dropped from required.py
# (the check that would then let the deletion through) is noticed too.
DELETED = [("R3.largest_remainder", "rule"), ("R3.floor", "rule"), ("R2.pro_rata_temporis", "rule"),
           ("R3.no_eligible_structure", "rule"), ("R3.released", "rule"), ("R3.weighted", "rule"),
           ("R4.pilotage_kept", "rule"), ("R5.qpv_zrr_tranche_1", "rule"), ("audit.tolerance", "parameter")]


@pytest.mark.parametrize(("name", "kind"), DELETED, ids=[n for n, _k in DELETED])
def test_a_deleted_rule_or_parameter_stops_simulate_at_load_naming_the_folder_and_the_id(tmp_path, name, kind):
    folder = copy_rules(tmp_path)
    remove_item(folder, f"  - id: {name}" if kind == "rule" else f"  {name}:")
    out = CliRunner().invoke(main, ["simulate", str(ROOT / "scenarios" / "cab-per-unit.yaml"), "--rules",
                                    str(folder), "--year", "2026"])
    assert out.exit_code == 2
    assert "Traceback" not in out.output
    assert f"ctg: 1 problem found:\n  {folder}, key {name}: {kind} {name} is missing: the program relies on it\n" \
        in out.output


def test_a_renamed_rule_is_refused_by_simulate_with_the_file_and_the_id(tmp_path):
    folder = copy_rules(tmp_path)
    path = file_defining(folder, "- id: R3.released\n")
    path.write_text(path.read_text(encoding="utf-8").replace("- id: R3.released\n", "- id: R3.liberated\n"),
                    encoding="utf-8")
    out = CliRunner().invoke(main, ["simulate", str(ROOT / "scenarios" / "cab-per-unit.yaml"), "--rules",
                                    str(folder), "--year", "2026"])
    assert out.exit_code == 2
    assert "Traceback" not in out.output
    assert f"{path.name}, key R3.liberated" in out.output
    assert "R3.released" in out.output


def test_a_formula_the_program_does_not_implement_is_refused(tmp_path):
    folder = copy_rules(tmp_path)
    path = file_defining(folder, "- id: R3.floor\n")
    path.write_text(path.read_text(encoding="utf-8").replace("formula: floor}", "formula: plancher}"),
                    encoding="utf-8")
    problems = problems_of(folder)
    assert any(p.file == path.name and p.column == "R3.floor.then.formula" and "'plancher'" in p.message
               for p in problems), problems


def test_a_required_rule_with_another_formula_is_refused(tmp_path):
    folder = copy_rules(tmp_path)
    path = file_defining(folder, "- id: R3.per_unit\n")
    text = path.read_text(encoding="utf-8").replace("then: {formula: per_unit}", "then: {formula: weighted}", 1)
    path.write_text(text, encoding="utf-8")
    problems = problems_of(folder)
    assert [p.message for p in problems if p.column == "R3.per_unit.then"] == \
        ["the program relies on R3.per_unit as the rule of formula 'per_unit'"]


def test_the_shipped_rules_hold_every_formula_and_rule_the_program_relies_on():
    rulebook = load_rulebook(RULES)
    for rid, formula in required.RULES.items():
        assert rid in rulebook.rules
        assert rulebook.rules[rid].then.get("formula") == formula
    assert set(required.PARAMETERS) <= set(rulebook.parameters)
