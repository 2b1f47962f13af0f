"""The rules page (`ctg rules --format html`): whole and self-contained (no script, nothing fetched), every rule
and parameter of `ctg rules --format json` on it with its anchor, conditions and outcomes in words, each dated
value, the structures of a dataset each rule touched, in both languages; and drawn by a real headless browser
where one is installed."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from support.html import Page, assert_self_contained, ctg, png_rows

from ctg_funding.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def rules_page(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("rules") / "rules.html"
    ctg("rules", "--format", "html", "--dataset", str(ROOT / "data" / "cab"), "--year", "2026", "--at",
        "2026-01-01", "--output", str(out))
    return out


def test_the_rules_page_lists_every_rule_and_parameter_of_the_json_with_its_anchor(rules_page):
    html = rules_page.read_text(encoding="utf-8")
    page = Page(html)
    data = json.loads(ctg("rules", "--format", "json", "--at", "2026-01-01"))
    rule_ids = {r["id"] for r in data["rules"]}
    params = {p["name"] for p in data["parameters"]}
    assert rule_ids <= page.ids, rule_ids - page.ids
    assert {f"param-{p}" for p in params} <= page.ids
    for rid in rule_ids:
        assert rid in page.words
    for name in params:
        assert name in page.words
    assert "#R3.floor" in page.hrefs and "#param-pilotage.cap_per_etp" in page.hrefs
    assert_self_contained(html, page)


def test_the_rules_page_says_conditions_outcomes_values_and_structures_touched(rules_page):
    words = Page(rules_page.read_text(encoding="utf-8")).words
    assert ("the structure's family is EAJE, RPE, LAEP or ALSH and it does not receive its prestation de "
            "service") in words
    assert "not eligible: NOT_PS_FUNDED (priority 30)" in words
    assert "family PILOTAGE, unit: ETP, paid on the pilotage line" in words
    # every dated value of a parameter, and its date
    assert "2019-01-01 3,100 EUR/place" in words and "2021-01-01 3,600 EUR/place" in words
    # the CAB's 109 structures in 2026, under the rules as they stand (its CTG ended in 2025, no renewal)
    assert "109 of 109 structures" in words  # R1.ctg_not_in_force
    assert "22 of 109 structures" in words  # R2.eaje
    assert "not tested on structures (no condition)" in words


def test_the_rules_page_in_french(tmp_path):
    out = tmp_path / "regles.html"
    ctg("rules", "--format", "html", "--at", "2026-01-01", "--output", str(out), "--lang", "fr")
    html = out.read_text(encoding="utf-8")
    words = Page(html).words
    assert '<html lang="fr">' in html
    assert "Bonus territoire CTG : les règles" in words
    assert "la famille de la structure est EAJE, RPE, LAEP ou ALSH et elle ne perçoit pas sa prestation" in words
    assert "non éligible : NOT_PS_FUNDED (priorité 30)" in words
    assert "01/01/2021 30\u202f200 EUR/ETP" in words


def test_rules_page_counts_match_the_json_counts(rules_page):
    data = json.loads(ctg("rules", "--format", "json", "--dataset", str(ROOT / "data" / "cab"), "--year", "2024"))
    touched = data["structures_touched"]
    assert (touched["year"], touched["structures"]) == (2024, 109)
    assert touched["rules"]["R2.alsh"] == 61 and touched["rules"]["R1.ctg_not_in_force"] == 0
    assert touched["rules"]["R3.historical"] is None  # no condition: never fires


@pytest.mark.parametrize("args, message", [
    (["--format", "csv", "--dataset", "data/cab"], "--format html or json"),
    (["--year", "2026"], "give --dataset too"),
    (["--format", "html", "--dataset", "no/such/folder"], "no/such/folder"),
])
def test_rules_options_refused_with_exit_2(args, message):
    result = CliRunner().invoke(main, ["rules", *args])
    assert result.exit_code == 2 and message in result.output, result.output
    assert "Traceback" not in result.output


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(_chromium() is None, reason="no headless Chromium installed (chromium or chromium-browser)")
def test_a_headless_browser_draws_the_rules_page(rules_page, tmp_path):
    shot = tmp_path / "rules.png"
    subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1200,1600", f"--screenshot={shot}", rules_page.as_uri()],
                   check=True, capture_output=True, timeout=120)
    width, height, rows = png_rows(shot.read_bytes(), most=500)  # the title, the legend and the contents
    assert (width, height) == (1200, 1600)
    pixels = [row[i:i + 3] for row in rows for i in range(0, len(row), len(row) // width)]
    dark = sum(1 for px in pixels if sum(px) < 3 * 128)
    assert 0.005 < dark / len(pixels) < 0.5, dark / len(pixels)  # text on a light page, not a blank one
