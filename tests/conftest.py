"""Settings shared by every test. Every test starts in English, whatever the locale of the machine that runs it
(tests of the French interface ask for it with --lang fr or i18n.set_language). Under mutation testing
(scripts/mutation.py), hypothesis draws its examples from a fixed seed and keeps no database, so that the same
mutant always meets the same examples, and does not shrink."""

import pytest
from hypothesis import Phase, settings
from support.strategies import MUTATION

from ctg_funding import i18n

if MUTATION:
    # No shrinking: a mutant is killed by the first failing example; making it smaller only costs time.
    settings.register_profile("mutation", derandomize=True, database=None,
                              phases=[Phase.explicit, Phase.reuse, Phase.generate])
    settings.load_profile("mutation")


@pytest.fixture(autouse=True)
def english(monkeypatch):
    monkeypatch.setenv("CTG_LANG", "en")
    i18n.set_language("en")
    yield
    i18n.set_language("en")
