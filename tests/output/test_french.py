"""The French interface: every command's output on the CAB is in French (apart from ids, codes and proper names),
and the catalogue holds a translation for every text of the code."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ctg_funding.cli import main
from ctg_funding.inputs.dataset import load_dataset
from ctg_funding.rulebook import load_rulebook
from ctg_funding.scenario.file import schema_of

ROOT = Path(__file__).resolve().parents[2]
S = ROOT / "scenarios"

# Words that are English and not French: one of them in a French output is an untranslated text.
ENGLISH = set("""the and of to is are by for with from per amount amounts envelope released allocated year years rules
rule paid expected difference warning warnings scenario dataset since method rate units unit open days capped floor
lifted above below gives receives rounded largest remainder new eligible not yes no line lines findings
finding summary family families valid posts totals within outside whole check released
explanation explanations payments tolerance applied facts computation parameters value force january territory
supported signatory managed none share gets nothing""".split())

COMMANDS = [
    ["simulate", str(S / "cab-per-unit-floor.yaml"), "--year", "2026"],
    ["simulate", str(S / "cab-new-places.yaml"), "--year", "2025"],
    ["compare", str(S / "cab-historical.yaml"), str(S / "cab-per-unit.yaml"), "--year", "2026"],
    ["compare", str(S / "cab-historical.yaml"), str(S / "cab-per-unit.yaml"), "--by", "year", "--only-changed"],
    ["audit", str(S / "cab-audit.yaml"), "--year", "2022..2026"],
    ["audit", str(ROOT / "data" / "cab"), "--year", "2026"],
    ["validate", str(ROOT / "data" / "cab")],
    ["rules", "--at", "2026-01-01"],
    ["explain", str(S / "cab-historical.yaml"), "COORD-SAINT-LEONARD", "--year", "2026"],
    ["explain", str(S / "cab-per-unit-floor.yaml"), "EAJE-BSM-CELESTINE", "--year", "2026"],
    ["explain", str(S / "cab-closure.yaml"), "EAJE-BSM-CASABLANCA", "--year", "2024"],
    ["explain", str(S / "cab-new-places.yaml"), "EAJE-OUTREAU-LACORRE", "--year", "2025"],
    # The CTG after 2025 (R7), the ALSH floor (R8) and the bonus trajectoire (R9).
    ["simulate", str(S / "cab-renewal-historical.yaml"), "--year", "2026"],
    ["compare", str(S / "cab-renewal-historical.yaml"), str(S / "cab-renewal-per-unit.yaml"), "--year", "2026",
     "--by", "family"],
    ["explain", str(S / "cab-renewal-per-unit.yaml"), "EAJE-OUTREAU-NOUVEAU", "--year", "2026"],
    ["explain", str(S / "cab-renewal-historical.yaml"), "EAJE-BSM-CASABLANCA", "--year", "2026"],
    ["explain", str(S / "cab-historical.yaml"), "ALSH-BSM-FERME-BEAUREPAIRE", "--year", "2026"],
    ["explain", str(S / "cab-trajectoire.yaml"), "EAJE-OUTREAU-LACORRE", "--year", "2026"],
]


def proper_names() -> list[str]:
    """Texts that are the data's own (names of structures, collectivités, scenarios; payment notes): they are not
    translated."""
    ds = load_dataset(ROOT / "data" / "cab", schema_of(load_rulebook()))
    names = [s.name for s in ds.structures.values()] + [c.name for c in ds.collectivites.values()]
    names += [t.name for t in ds.territories] + [p.note for p in ds.payments if p.note]
    for path in S.glob("cab-*.yaml"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("name: "):
                names.append(line[6:].strip())
    return sorted(names, key=len, reverse=True)


NAMES = proper_names()


def english_words(text: str) -> set[str]:
    text = " ".join(text.split())  # long titles are wrapped: a name may run over two lines
    for name in NAMES:
        text = text.replace(" ".join(name.split()), " ")
    text = re.sub(r"\S*[_.\-/|]\S*", " ", text)  # ids, codes, file names, rule and parameter names
    return {w for w in re.findall(r"[A-Za-zÀ-ÿ']+", text.lower())} & ENGLISH


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(Path(x).name for x in a[:3]))
def test_every_command_speaks_french(args):
    out = CliRunner().invoke(main, [*args, "--lang", "fr"])
    assert out.exit_code in (0, 1), out.output
    assert english_words(out.output) == set(), out.output


def test_the_detector_sees_english(monkeypatch):
    # The check above must be able to fail: the same command in English is full of English words.
    out = CliRunner().invoke(main, [*COMMANDS[0], "--lang", "en"])
    assert {"envelope", "allocated", "released", "year"} <= english_words(out.output)


def test_the_language_follows_the_locale(monkeypatch):
    monkeypatch.delenv("CTG_LANG")
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    out = CliRunner().invoke(main, ["validate", str(ROOT / "data" / "cab")])
    assert "Jeu de données" in out.output and "structures par commune" in out.output.lower()
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    out = CliRunner().invoke(main, ["validate", str(ROOT / "data" / "cab")])
    assert "Dataset" in out.output


def test_every_text_of_the_code_has_a_french_translation():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import i18n_catalogue
    finally:
        sys.path.pop(0)
    assert i18n_catalogue.main(check=True) == 0
