"""Nothing silently wrong, no traceback: duplicates refused naming both rows, implausible values warned about,
files that are not UTF-8 text or are damaged refused with what to do, the root cause reported first, and any
corruption of any input file ending in exit 2 with the file and the row, nothing written."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.datasets import copy_cab, edit_csv, row_of
from support.strategies import examples

from ctg_funding.cli import main

ROOT = Path(__file__).resolve().parents[2]


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def scenario_on(data: Path, base: str = "cab-per-unit") -> Path:
    path = data.parent / f"{base}.yaml"
    text = (ROOT / "scenarios" / f"{base}.yaml").read_text(encoding="utf-8").replace("../data/cab", data.name)
    path.write_text(text, encoding="utf-8")
    return path


def no_traceback(out) -> None:
    assert out.exception is None or isinstance(out.exception, SystemExit), repr(out.exception)
    assert "Traceback" not in out.output


def duplicate_line(path: Path, line_number: int) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.append(lines[line_number - 1])
    path.write_text("".join(lines), encoding="utf-8")


# -- duplicates


@pytest.mark.parametrize("name, line, words", [
    ("cej.csv", 5, "the same CEJ action"),
    ("payments.csv", 20, "the same payment"),
    ("structures.csv", 7, "duplicate id"),
    ("collectivites.csv", 3, "duplicate id"),
])
def test_a_row_repeated_in_any_file_is_refused_naming_both_rows(tmp_path, name, line, words):
    data = copy_cab(tmp_path)
    duplicate_line(data / name, line)
    last = len((data / name).read_text(encoding="utf-8").splitlines())
    out = invoke("validate", str(data))
    assert out.exit_code == 2
    no_traceback(out)
    assert f"{name}, row {last}" in out.output and str(line) in out.output and words in out.output


def test_a_repeated_cej_action_no_longer_inflates_the_envelope(tmp_path):
    # An exact copy of a cej.csv row used to pass and add its amount to the envelope a second time
    # (1,920,528.00 became 1,922,515.40): it is refused before anything is computed.
    data = copy_cab(tmp_path)
    duplicate_line(data / "cej.csv", 2)
    out = invoke("simulate", str(scenario_on(data)), "--year", "2026", "--format", "json")
    assert out.exit_code == 2 and "repeats row 2" in out.output


def test_activity_units_given_twice_for_a_year_are_refused(tmp_path):
    data = copy_cab(tmp_path)
    (data / "activity.csv").write_text("structure_id,year,units\nEAJE-BSM-CELESTINE,2024,60\n"
                                       "EAJE-BSM-CELESTINE,2024,61\n", encoding="utf-8")
    out = invoke("validate", str(data))
    assert out.exit_code == 2 and "activity.csv, row 3" in out.output and "first at row 2" in out.output


# -- plausibility


def test_implausible_values_are_warnings_naming_file_row_and_column_and_errors_with_strict(tmp_path):
    data = copy_cab(tmp_path)
    row = row_of(data / "structures.csv", "id", "EAJE-BSM-CELESTINE")
    edit_csv(data / "structures.csv", row, "units", "999999999999")
    cej_row = row_of(data / "cej.csv", "structure_id", "ALSH-BAINCTHUN-EXTRA")
    edit_csv(data / "cej.csv", cej_row, "amount", "9999999999999.99")
    out = invoke("validate", str(data), "--format", "json")
    assert out.exit_code == 0
    warnings = json.loads(out.output)["warnings"]
    where = {(w["file"], w["row"], w["column"]) for w in warnings}
    assert ("structures.csv", row, "units") in where
    assert ("cej.csv", cej_row, "amount") in where
    strict = invoke("validate", str(data), "--strict")
    assert strict.exit_code == 2 and f"structures.csv, row {row}, column units: implausible units" in strict.output
    simulate = invoke("simulate", str(scenario_on(data)), "--year", "2026", "--format", "json")
    assert simulate.exit_code == 0 and "ctg: warning: structures.csv" in simulate.output
    assert invoke("simulate", str(scenario_on(data)), "--year", "2026", "--strict").exit_code == 2


def test_a_territory_whose_communes_hold_no_structure_is_a_warning(tmp_path):
    data = copy_cab(tmp_path)
    path = data / "territory.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[:text.index("communes:")] + "communes: [DANNES]\n", encoding="utf-8")
    (data / "structures.csv").write_text(
        "\n".join(line for line in (data / "structures.csv").read_text(encoding="utf-8").splitlines()
                  if ",DANNES," not in line) + "\n", encoding="utf-8")
    (data / "cej.csv").write_text(
        "\n".join(line for line in (data / "cej.csv").read_text(encoding="utf-8").splitlines()
                  if "DANNES-EXTRA" not in line) + "\n", encoding="utf-8")
    (data / "payments.csv").unlink()
    out = invoke("validate", str(data), "--strict")
    assert out.exit_code == 2
    assert "territory.yaml, key communes: no structure of the dataset lies in any commune of territory" in out.output


# -- encodings and damaged files


def latin1(text: str) -> bytes:
    return text.encode("latin-1", errors="replace")  # as a Windows editor saves it ('œ' has no latin-1 byte)


@pytest.mark.parametrize("name", ["structures.csv", "territory.yaml", "cej.csv"])
def test_a_file_saved_in_latin_1_is_refused_with_its_line_and_a_hint(tmp_path, name):
    data = copy_cab(tmp_path)
    text = (data / name).read_text(encoding="utf-8")
    if "é" not in text:
        text = text.replace("\n", "\n# é\n", 1) if name.endswith(".yaml") else text.replace("Annexe", "Annexé", 1)
    (data / name).write_bytes(latin1(text))
    out = invoke("validate", str(data))
    assert out.exit_code == 2
    no_traceback(out)
    line = text[: text.index("é")].count("\n") + 1
    assert f"{name}, row {line}: is not UTF-8 text" in out.output and "save it as UTF-8" in out.output


def test_a_scenario_saved_in_latin_1_is_refused_with_its_line(tmp_path):
    data = copy_cab(tmp_path)
    path = scenario_on(data)
    path.write_bytes(latin1(path.read_text(encoding="utf-8")))
    out = invoke("simulate", str(path))
    assert out.exit_code == 2
    no_traceback(out)
    assert f"{path.name}, row 1: is not UTF-8 text" in out.output  # "lissage par unité" is on line 1


def test_a_byte_order_mark_is_accepted(tmp_path):
    data = copy_cab(tmp_path)
    for name in ("structures.csv", "territory.yaml"):
        (data / name).write_bytes(b"\xef\xbb\xbf" + (data / name).read_bytes())
    assert invoke("validate", str(data)).exit_code == 0


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02PK\x03\x04" * 50, None, "latin"])
def test_a_missing_empty_binary_or_latin_1_structures_file_is_the_only_problem_reported(tmp_path, content):
    data = copy_cab(tmp_path)
    if content is None:
        (data / "structures.csv").unlink()
    elif content == "latin":
        (data / "structures.csv").write_bytes(latin1((data / "structures.csv").read_text(encoding="utf-8")))
    else:
        (data / "structures.csv").write_bytes(content)
    out = invoke("validate", str(data))
    assert out.exit_code == 2
    no_traceback(out)
    problems = [line for line in out.output.splitlines() if line.startswith("  ")]
    assert len(problems) == 1 and problems[0].startswith("  structures.csv"), out.output
    assert "unknown structure" not in out.output


def test_a_damaged_sheet_of_a_workbook_is_exit_2_with_what_to_do(tmp_path):
    data = copy_cab(tmp_path)
    from support.datasets import write_xlsx_export

    book = write_xlsx_export(data, tmp_path / "cab.xlsx")
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(book) as src, zipfile.ZipFile(damaged, "w") as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet2.xml":
                content = content[: len(content) // 2]  # cut mid-element
            dst.writestr(item, content)
    out = invoke("validate", str(damaged))
    assert out.exit_code == 2
    no_traceback(out)
    assert "damaged.xlsx" in out.output and "save it again as .xlsx" in out.output


def test_a_problem_of_validate_json_goes_to_the_output_file(tmp_path):
    data = copy_cab(tmp_path)
    edit_csv(data / "cej.csv", 2, "amount", "-5")
    report = tmp_path / "v.json"
    out = invoke("validate", str(data), "--format", "json", "--output", str(report))
    assert out.exit_code == 2
    problems = json.loads(report.read_text(encoding="utf-8"))["problems"]
    assert problems[0]["file"] == "cej.csv" and problems[0]["row"] == 2 and problems[0]["column"] == "amount"


@pytest.mark.parametrize("weight", ["1e-20", "1e308*10", "9" * 400, "units ** 2", "1e309", "1/(units-units)"])
def test_extreme_weight_expressions_never_give_a_traceback(tmp_path, weight):
    data = copy_cab(tmp_path)
    path = scenario_on(data, "cab-per-unit-floor")
    text = path.read_text(encoding="utf-8").replace("redistribution.weight: occupancy_rate / 100",
                                                    f'redistribution.weight: "{weight}"')
    path.write_text(text, encoding="utf-8")
    out = invoke("simulate", str(path), "--year", "2026", "--format", "json")
    no_traceback(out)
    assert out.exit_code in (0, 2)
    if out.exit_code == 2:
        assert f"{path.name}, key parameters.redistribution.weight" in out.output


def test_an_unexpected_error_is_exit_3_asking_to_report_it(monkeypatch):
    import ctg_funding.cli.commands as commands

    def broken(*args, **kwargs):
        raise RuntimeError("an impossible state")

    monkeypatch.setattr(commands, "run", broken)
    out = invoke("simulate", str(ROOT / "scenarios" / "cab-per-unit.yaml"), "--year", "2026")
    assert out.exit_code == 3
    no_traceback(out)
    assert "internal error (RuntimeError: an impossible state)" in out.output and "please report it" in out.output


def test_messages_speak_the_users_words(tmp_path):
    data = copy_cab(tmp_path)
    path = scenario_on(data)
    path.write_text(path.read_text(encoding="utf-8") + "changes:\n  - {on: 2024-01-01, structure: X, explode: 1}\n",
                    encoding="utf-8")
    out = invoke("simulate", str(path))
    assert "key changes[0].explode: unknown key" in out.output
    path.write_text("- just\n- a list\n", encoding="utf-8")
    out = invoke("simulate", str(path))
    assert "a scenario file is a mapping" in out.output and "Input should" not in out.output
    out = invoke("validate", str(data / "structures.csv"))
    assert "is a file, not a dataset" in out.output
    path.write_text(f"name: x\ndataset: {data}\nyears: [2030, 2022]\n", encoding="utf-8")
    out = invoke("simulate", str(path))
    assert out.exit_code == 2
    assert out.output.splitlines()[-1].strip() == f"{path.name}, key years: first year 2030 is after last year 2022"


# -- say why


def test_an_audit_of_a_year_no_ctg_covers_says_so():
    out = invoke("audit", str(ROOT / "data" / "cab"), "--year", "2026")
    assert out.exit_code == 1
    assert ("Warning: 2026: no CTG covers CTG-CAB-2021 this year" in out.output
            and "€1,920,528.00, is released" in out.output)


def test_weights_of_zero_say_why_and_no_structure_is_eligible_for_nothing(tmp_path):
    data = copy_cab(tmp_path)
    path = scenario_on(data, "cab-per-unit-floor")
    path.write_text(path.read_text(encoding="utf-8").replace("occupancy_rate / 100", '"0"'), encoding="utf-8")
    # 2025, the last year of the first CTG (its envelope is the CEJ's: from 2026 the renewed CTG's envelope is what
    # 2025 allocated, R7, which is nothing here).
    data_json = json.loads(invoke("simulate", str(path), "--year", "2025", "--format", "json").output)
    eaje = [a for a in data_json["allocations"] if a["family"] == "EAJE"]
    assert not any(a["eligible"] for a in eaje)
    assert {a["reason"] for a in eaje} >= {"ZERO_WEIGHT"}
    # The EAJE envelope, 1,122,004.94 (the N-1 CEJ amounts of the family), is released whole.
    assert data_json["warnings"] == ["2025 EAJE: the whole envelope, €1,122,004.94, is released: no structure "
                                     "of the family can receive a share (none is eligible, or none has units or a "
                                     "weight above 0)"]
    renewed = json.loads(invoke("simulate", str(path), "--year", "2026", "--format", "json").output)
    assert [(e["envelope"], e["renewed_from"]) for e in renewed["envelopes"] if e["family"] == "EAJE"] == [
        ("0.00", 2025)]


def test_compare_of_two_datasets_says_so_in_its_heading(tmp_path):
    data = copy_cab(tmp_path)
    edit_csv(data / "structures.csv", row_of(data / "structures.csv", "id", "EAJE-BSM-CELESTINE"), "units", "61")
    out = invoke("compare", str(ROOT / "scenarios" / "cab-per-unit.yaml"), str(scenario_on(data)), "--year",
                 "2026")
    assert "A and B read DIFFERENT DATASETS" in out.output
    assert "moves money within the envelope" not in out.output


# -- any corruption


def _files_digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


BYTES = st.one_of(st.binary(max_size=40), st.sampled_from([b"\xe9", b"\xff\xfe", b"\x00", b'"', b"\r", b";",
                                                           b",,,,,,", b"\n\n\n"]))


@settings(max_examples=examples(40), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(["structures.csv", "cej.csv", "collectivites.csv", "payments.csv", "territory.yaml"]),
       where=st.floats(0, 1), junk=BYTES, cut=st.booleans())
def test_any_corruption_is_exit_2_with_file_and_row_or_reads_and_no_file_changes(tmp_path_factory, name, where,
                                                                                 junk, cut):
    tmp = tmp_path_factory.mktemp("corrupt")
    data = copy_cab(tmp)
    content = (data / name).read_bytes()
    at = int(len(content) * where)
    (data / name).write_bytes(content[:at] + junk + (b"" if cut else content[at:]))
    scenario = scenario_on(data, "cab-audit")
    before = _files_digest(data)
    report = tmp / "report.json"
    out = invoke("audit", str(scenario), "--year", "2024", "--format", "json", "--output", str(report))
    no_traceback(out)
    assert _files_digest(data) == before
    if out.exit_code == 2:
        problems = json.loads(report.read_text(encoding="utf-8"))["problems"]
        assert problems and all(p["file"] for p in problems)
        assert any(p["row"] is not None or p["column"] for p in problems), problems
    else:
        assert out.exit_code in (0, 1), out.output
