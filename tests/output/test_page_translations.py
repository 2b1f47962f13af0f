"""The rules and explanation pages speak French through the gettext catalogue: every English msgid their modules
write (`_("...")`, `N_("...")`) has a French translation with the same placeholders, and the catalogue stays
sorted by msgid so that two branches adding texts merge cleanly."""

import ast
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from ctg_funding.i18n import CATALOGUE

PACKAGE = Path(__file__).resolve().parents[2] / "ctg_funding"
MODULES = ["output/rule_words.py", "output/html_rules.py", "output/html_explain.py", "output/html_page.py"]


def msgids(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "N_")
                and node.args and isinstance(node.args[0], ast.Constant)):
            out.add(node.args[0].value)
    return out


def catalogue() -> dict[str, str]:
    with CATALOGUE.open("rb") as f:
        return {m.id: m.string for m in read_po(f, locale="fr") if m.id}


@pytest.mark.parametrize("module", MODULES)
def test_every_text_of_the_pages_has_a_french_translation_with_its_placeholders(module):
    french = catalogue()
    for msgid in sorted(msgids(PACKAGE / module)):
        assert french.get(msgid), f"no French for {msgid!r} ({module})"
        assert set(re.findall(r"{\w+}", msgid)) == set(re.findall(r"{\w+}", french[msgid])), msgid


def test_the_catalogue_is_sorted_by_msgid():
    with CATALOGUE.open("rb") as f:
        ids = [m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f, locale="fr") if m.id]
    assert ids == sorted(ids)
