"""The explanation page (`ctg explain --format html`): one structure-year in the rules page's look, its amount in
the page's language, its rules and parameters linked to the rules page's anchors, nothing fetched."""

from pathlib import Path

from support.html import Page, assert_self_contained, ctg

from ctg_funding.analysis.explain import explanation
from ctg_funding.output.html_explain import explain_html
from ctg_funding.rulebook import load_rulebook
from ctg_funding.scenario.file import load_scenario
from ctg_funding.simulation import simulate

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_explain_html_for_a_cab_post_links_its_rules_to_the_rules_page(tmp_path):
    out = tmp_path / "explain.html"
    ctg("explain", str(SCENARIOS / "cab-historical.yaml"), "COORD-SAINT-LEONARD", "--year", "2026", "--format",
        "html", "--output", str(out))
    html = out.read_text(encoding="utf-8")
    page = Page(html)
    assert "39,260.00" in page.words and "€39,260.00" in page.words
    assert "rules.html#R4.post_capped" in page.hrefs
    assert "rules.html#param-pilotage.cap_per_etp" in page.hrefs
    assert "capped at €30,200.00 per ETP x 1.3 ETP = €39,260.00" in page.words
    assert_self_contained(html, page)
    other = ctg("explain", str(SCENARIOS / "cab-historical.yaml"), "COORD-SAINT-LEONARD", "--year", "2026",
                "--format", "html", "--rules-page", "../doc/rules.html")
    assert "../doc/rules.html#R4.post_capped" in Page(other).hrefs


def test_explain_html_in_french_and_with_a_second_line(french):
    rulebook = load_rulebook()
    result = simulate(load_scenario(SCENARIOS / "cab-historical.yaml", rulebook), [2026])
    words = Page(explain_html(explanation(result, "COORD-SAINT-LEONARD", 2026))).words
    assert "39\u202f260,00\u00a0€" in words and "Montant 2026" in words and "sur la ligne pilotage" in words
    result = simulate(load_scenario(SCENARIOS / "cab-new-places.yaml", rulebook), [2025])
    html = explain_html(explanation(result, "EAJE-OUTREAU-LACORRE", 2025))
    assert "Aussi sur la ligne bonus_places_nouvelles (hors enveloppe)" in Page(html).words
    assert 'href="rules.html#R5.new_places"' in html
