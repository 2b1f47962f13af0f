"""Every test starts in English, whatever the locale of the machine that runs it (tests of the French interface
ask for it with --lang fr or i18n.set_language)."""

import pytest

from ctg_funding import i18n


@pytest.fixture(autouse=True)
def english(monkeypatch):
    monkeypatch.setenv("CTG_LANG", "en")
    i18n.set_language("en")
    yield
    i18n.set_language("en")
