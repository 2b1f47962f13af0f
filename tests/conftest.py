"""Settings shared by every test: under mutation testing (scripts/mutation.py), hypothesis draws its examples from a
fixed seed and keeps no database, so that the same mutant always meets the same examples."""

from hypothesis import settings
from support.strategies import MUTATION

if MUTATION:
    settings.register_profile("mutation", derandomize=True, database=None)
    settings.load_profile("mutation")
