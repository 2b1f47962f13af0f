"""Update the French catalogue from the code: every msgid marked with _(), N_() or ngettext() in ctg_funding/
is added to ctg_funding/locale/fr/LC_MESSAGES/ctg.po (untranslated ones listed on stdout), and msgids no longer
in the code are dropped. Run it after changing a text for people, then translate the new entries.

    python scripts/i18n_catalogue.py          # update the catalogue, list what is untranslated
    python scripts/i18n_catalogue.py --check  # exit 1 if a msgid is missing or untranslated (a test runs it)
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ctg_funding"
PO = PACKAGE / "locale" / "fr" / "LC_MESSAGES" / "ctg.po"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


def extracted() -> Catalog:
    catalog = Catalog(locale="fr", project="ctg_funding")
    for filename, lineno, message, _comments, _context in extract_from_dir(
            PACKAGE, method_map=[("**.py", "python")], keywords=KEYWORDS):
        catalog.add(message, locations=[(filename, lineno)])
    return catalog


def _translated(string: object) -> bool:
    if isinstance(string, str):
        return bool(string)
    return bool(string) and all(string)  # plural forms


def main(check: bool) -> int:
    with PO.open("rb") as f:
        current = read_po(f, locale="fr")
    template = extracted()
    current.update(template, no_fuzzy_matching=True)
    current.obsolete.clear()
    missing = [m.id for m in current if m.id and not _translated(m.string)]
    if check:
        for msgid in missing:
            print(f"untranslated: {msgid!r}")
        return 1 if missing else 0
    with PO.open("wb") as f:
        write_po(f, current, width=120, omit_header=False, no_location=True, sort_output=True)
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main("--check" in sys.argv))
