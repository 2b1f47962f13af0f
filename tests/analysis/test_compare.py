"""`ctg compare`: two redistributions side by side."""

import json
import re
import tempfile
from decimal import Decimal
from html.parser import HTMLParser
from itertools import combinations
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.case_runner import write_case
from support.strategies import cases, examples

from ctg_funding.analysis.compare import VIEWS, Row, compare, compare_views, envelope_totals
from ctg_funding.cli import main
from ctg_funding.rulebook import load_rulebook
from ctg_funding.scenario.file import load_scenario
from ctg_funding.simulation import simulate

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("cab-*.yaml"))
RULEBOOK = load_rulebook()


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def compare_json(a: Path, b: Path, *args: str) -> dict:
    result = run("compare", str(a), str(b), "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize("by", VIEWS)
def test_a_scenario_compared_with_itself_shows_no_difference(by):
    data = compare_json(ROOT / "scenarios/cab-per-unit.yaml", ROOT / "scenarios/cab-per-unit.yaml", "--by", by)
    assert data["rows"]
    assert all(r["difference"] == "0.00" and r["a"] == r["b"] for r in data["rows"])
    assert data["totals"]["difference"] == "0.00"
    assert data["envelopes"]["a"] == data["envelopes"]["b"]
    only = compare_json(ROOT / "scenarios/cab-per-unit.yaml", ROOT / "scenarios/cab-per-unit.yaml", "--by", by,
                        "--only-changed")
    assert only["rows"] == []


@pytest.mark.parametrize("a, b", list(combinations(SCENARIOS, 2))[:6], ids=lambda p: p.stem)
def test_differences_by_commune_add_up_to_the_difference_of_the_totals(a, b):
    rb = load_rulebook()
    ra, rb_ = simulate(load_scenario(a, rb)), simulate(load_scenario(b, rb))
    years = ra.years
    by_commune = compare(ra, rb_, "commune", years)
    total_a = sum((ln.amount for ln in ra.lines), Decimal(0))
    total_b = sum((ln.amount for ln in rb_.lines), Decimal(0))
    assert sum(r.difference for r in by_commune.rows) == total_b - total_a
    for view in VIEWS:
        c = compare(ra, rb_, view, years)
        assert (c.total_a, c.total_b) == (total_a, total_b)


@settings(max_examples=examples(25), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.sampled_from(["historical", "per_unit", "weighted"]))
def test_differences_add_up_on_random_scenarios_of_one_dataset(case, other_method):
    with tempfile.TemporaryDirectory() as tmp:
        a = load_scenario(write_case(case, Path(tmp) / "a"), RULEBOOK)
        case_b = {**case, "parameters": {**case["parameters"], "redistribution.method": other_method,
                                          "redistribution.weight": "1 + qpv_zrr"}}
        b = load_scenario(write_case(case_b, Path(tmp) / "b"), RULEBOOK)
        ra, rb = simulate(a), simulate(b)
    for view in VIEWS:
        c = compare(ra, rb, view, ra.years)
        assert sum(r.difference for r in c.rows) == c.total_b - c.total_a
        assert c.total_a == sum((ln.amount for ln in ra.lines), Decimal(0))


def test_rows_are_sorted_by_largest_absolute_difference():
    data = compare_json(ROOT / "scenarios/cab-historical.yaml", ROOT / "scenarios/cab-per-unit.yaml",
                        "--by", "structure", "--year", "2026")
    diffs = [abs(Decimal(r["difference"])) for r in data["rows"]]
    assert diffs == sorted(diffs, reverse=True)
    assert len(diffs) > 10 and diffs[0] > diffs[-1]


def test_differences_and_percentages_of_a_closure_worked_by_hand():
    # cab-closure: Casablanca (N-1 96,367.41) closes on 2024-07-01: 2024 keeps 96,367.41 x 182/366 = 47,920.41
    # (docs/funding-rules.md R2). By structure, 2024, only what changed: that one crèche.
    #   B - A = 47,920.41 - 96,367.41 = -48,447.00; as a share of A: -48,447.00 / 96,367.41 = -0.5027322 -> -50.27 %
    # And the other way round (A = the closure): +48,447.00; 48,447.00 / 47,920.41 = 1.0109889 -> +101.10 %.
    historical, closure = ROOT / "scenarios/cab-historical.yaml", ROOT / "scenarios/cab-closure.yaml"
    data = compare_json(historical, closure, "--by", "structure", "--year", "2024", "--only-changed")
    assert [(r["key"], r["a"], r["b"], r["difference"], r["difference_pct"]) for r in data["rows"]] == \
        [("EAJE-BSM-CASABLANCA", "96367.41", "47920.41", "-48447.00", -50.27)]
    assert data["totals"]["difference"] == "-48447.00"
    back = compare_json(closure, historical, "--by", "structure", "--year", "2024", "--only-changed")
    assert [(r["difference"], r["difference_pct"]) for r in back["rows"]] == [("48447.00", 101.1)]
    assert back["totals"]["difference"] == "48447.00"


def test_every_view_of_a_small_comparison_worked_by_hand(tmp_path):
    # One dataset, two methods, 2022-2023. A (COM-A, managed by COM-A): 10 places, N-1 3,000; B (COM-B): 20 places,
    # no CEJ, managed by ASSO in 2022 and by COM-B from 2023-01-01.
    # historical: A 3,000.00 a year, B 0.00. per_unit: 3,000 / 30 places = 100 a place: A 1,000.00, B 2,000.00.
    case = {"name": "views", "years": [2022, 2023],
            "structures": [{"id": "A", "type": "EAJE", "units": 10},
                           {"id": "B", "type": "EAJE", "units": 20, "commune": "COM-B", "manager": "ASSO"}],
            "changes": [{"on": "2023-01-01", "structure": "B", "manager": "COM-B"}], "cej": {"A": 3000}}
    results = {}
    for method in ("historical", "per_unit"):
        path = write_case({**case, "parameters": {"redistribution.method": method}}, tmp_path / method)
        results[method] = simulate(load_scenario(path, RULEBOOK))
    views = compare_views(results["historical"], results["per_unit"], [2022, 2023])

    def rows(view):
        return [(r.key, r.label, str(r.a), str(r.b), str(r.difference), r.difference_pct) for r in views[view].rows]

    # A: 2 x 3,000 = 6,000 -> 2 x 1,000 = 2,000: -4,000, -4,000 / 6,000 = -66.67 %; B: 0 -> 4,000 (no percentage).
    # Equal differences are listed by key.
    assert rows("structure") == [("A", "A", "6000.00", "2000.00", "-4000.00", -66.67),
                                 ("B", "B", "0.00", "4000.00", "4000.00", None)]
    assert rows("commune") == [("COM-A", "Commune A", "6000.00", "2000.00", "-4000.00", -66.67),
                               ("COM-B", "Commune B", "0.00", "4000.00", "4000.00", None)]
    # The manager in force each year: B's 2,000 of 2022 to ASSO, of 2023 to COM-B.
    assert rows("manager") == [("COM-A", "Commune A", "6000.00", "2000.00", "-4000.00", -66.67),
                               ("ASSO", "Association", "0.00", "2000.00", "2000.00", None),
                               ("COM-B", "Commune B", "0.00", "2000.00", "2000.00", None)]
    assert rows("family") == [("EAJE", "EAJE", "6000.00", "6000.00", "0.00", 0.0)]
    assert rows("year") == [("2022", "2022", "3000.00", "3000.00", "0.00", 0.0),
                            ("2023", "2023", "3000.00", "3000.00", "0.00", 0.0)]
    assert rows("line") == [("bonus_territoire", "bonus_territoire", "6000.00", "6000.00", "0.00", 0.0)]
    assert (views["structure"].total_a, views["structure"].total_b) == (Decimal("6000.00"), Decimal("6000.00"))
    assert compare(results["historical"], results["per_unit"], "family", [2022, 2023], only_changed=True).rows == []
    assert [r.key for r in compare(results["historical"], results["per_unit"], "structure", [2023],
                                   only_changed=True).rows] == ["A", "B"]
    assert envelope_totals(results["per_unit"], [2022, 2023]) == {
        "envelope": Decimal("6000.00"), "allocated": Decimal("6000.00"), "released": Decimal("0.00"),
        "outside_envelope": Decimal("0.00")}
    with pytest.raises(ValueError, match="unknown view 'gestionnaire'"):
        compare(results["historical"], results["per_unit"], "gestionnaire", [2022])


@pytest.mark.parametrize("a, b, pct", [
    ("8.00", "8.01", 0.12),  # 0.01 x 100 / 8 = 0.125: half to even gives 0.12 (half up would give 0.13)
    ("8.00", "8.03", 0.38),  # 0.375 -> 0.38 (8 is even)
    ("8.00", "7.99", -0.12),  # -0.125 -> -0.12
    ("3.00", "4.00", 33.33),  # 100 / 3 = 33.333...
    ("0.00", "5.00", None),  # no percentage of nothing
])
def test_percentages_are_rounded_half_to_even(a, b, pct):
    assert Row("k", "k", Decimal(a), Decimal(b)).difference_pct == pct


def test_new_places_scenario_shows_the_r5_line_outside_the_envelope():
    # Outreau 60 -> 72 places on 2025-01-01, tranche 1 (QPV): 12 x 3,600 = 43,200.00 a year, 2025..2030 = 6 years.
    data = compare_json(ROOT / "scenarios/cab-historical.yaml", ROOT / "scenarios/cab-new-places.yaml",
                        "--by", "line")
    rows = {r["key"]: r for r in data["rows"]}
    assert rows["bonus_places_nouvelles"]["difference"] == "259200.00"  # 6 x 43,200
    assert rows["bonus_territoire"]["difference"] == "0.00"
    # Outside the envelope on both sides, from 2023: the national ALSH floor (R8) of the three accueils de
    # loisirs without CEJ, 9,600 + 6,900 + 4,300 hours x 0.15 = 3,120.00 a year, 2023..2030 = 24,960.00.
    assert rows["plancher_alsh"]["difference"] == "0.00"
    assert data["envelopes"]["a"]["outside_envelope"] == "24960.00"
    assert data["envelopes"]["b"]["outside_envelope"] == "284160.00"  # 259,200.00 + 24,960.00
    assert data["envelopes"]["a"]["envelope"] == data["envelopes"]["b"]["envelope"]


def test_closure_scenario_by_year():
    # Casablanca (N-1 96,367.41) closes 2024-07-01: 2024 keeps 182/366 of it = 47,920.41; ALSH Condette
    # (N-1 from cej.csv) loses its support from 2026. Compared with cab-historical, 2022 and 2023 do not change.
    data = compare_json(ROOT / "scenarios/cab-historical.yaml", ROOT / "scenarios/cab-closure.yaml", "--by", "year")
    rows = {r["key"]: Decimal(r["difference"]) for r in data["rows"]}
    assert rows["2022"] == rows["2023"] == 0
    assert rows["2024"] == Decimal("47920.41") - Decimal("96367.41")


def test_xlsx_has_one_sheet_per_view_with_numbers(tmp_path):
    out = tmp_path / "cmp.xlsx"
    result = run("compare", str(ROOT / "scenarios/cab-historical.yaml"), str(ROOT / "scenarios/cab-per-unit.yaml"),
                 "--format", "xlsx", "--output", str(out), "--year", "2026")
    assert result.exit_code == 0, result.output
    from openpyxl import load_workbook

    book = load_workbook(out)
    assert {f"by_{v}" for v in VIEWS} | {"envelopes"} <= set(book.sheetnames)
    sheet = book["by_commune"]
    headers = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=headers.index("difference") + 1)
    assert isinstance(cell.value, float) and "€" in cell.number_format


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for _name, value in attrs:
            if value and re.match(r"^\s*(https?:|//|ftp:)", value):
                self.urls.append(value)


def test_html_report_is_self_contained(tmp_path):
    out = tmp_path / "cmp.html"
    result = run("compare", str(ROOT / "scenarios/cab-historical.yaml"), str(ROOT / "scenarios/cab-per-unit.yaml"),
                 "--format", "html", "--output", str(out))
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    parser = _Collector()
    parser.feed(html)
    assert {"table", "svg", "rect", "style"} <= set(parser.tags)
    # Nothing to fetch: no external URL anywhere, no script, no link or img element.
    assert parser.urls == []
    assert not re.search(r"https?://|url\(", html)
    assert not {"script", "link", "img", "iframe"} & set(parser.tags)
    assert "By commune" in html and "By family" in html and "@media print" in html


def test_compare_refuses_bad_year():
    result = run("compare", str(ROOT / "scenarios/cab-historical.yaml"), str(ROOT / "scenarios/cab-per-unit.yaml"),
                 "--year", "2040")
    assert result.exit_code == 2 and "outside" in result.output


@pytest.mark.parametrize("change, column, phrase", [
    ({"on": "2024-07-01", "structure": "NOPE", "close": True}, "changes[0].structure", "unknown structure 'NOPE'"),
    ({"on": "2031-01-01", "structure": "A", "close": True}, "changes[0].on", "outside the scenario's years"),
    ({"on": "2024-01-01", "structure": "A", "convert_to": "charge_cooperation"}, "changes[0].convert_to",
     "not a coordination post"),
])
def test_bad_changes_are_refused_with_file_entry_and_exit_2(tmp_path, change, column, phrase):
    case = {"name": "bad change", "years": [2022, 2030], "structures": [{"id": "A", "type": "EAJE", "units": 10}],
            "cej": {"A": 1000}, "changes": [change]}
    scenario = write_case(case, tmp_path)
    for command in (["simulate", str(scenario)], ["compare", str(scenario), str(scenario)]):
        result = run(*command)
        assert result.exit_code == 2
        assert f"scenario.yaml, key {column}: " in result.output and phrase in result.output
        assert "Traceback" not in result.output
