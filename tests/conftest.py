"""Settings shared by every test: under mutation testing (scripts/mutation.py), hypothesis draws its examples from a
fixed seed and keeps no database, so that the same mutant always meets the same examples, and does not shrink."""

from hypothesis import Phase, settings
from support.strategies import MUTATION

if MUTATION:
    # No shrinking: a mutant is killed by the first failing example; making it smaller only costs time.
    settings.register_profile("mutation", derandomize=True, database=None,
                              phases=[Phase.explicit, Phase.reuse, Phase.generate])
    settings.load_profile("mutation")
