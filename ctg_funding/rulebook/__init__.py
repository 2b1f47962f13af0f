"""The rulebook: `rules/*.yaml` loaded and checked (`load`), the dated parameters and rules as the program reads
them (`model`), the condition language (`conditions`) over the facts a rule may test (`facts`), weight expressions
(`weights`), and what the Python code relies on in the rules (`required`)."""

from .load import coerce_value, default_rules_dir, load_rulebook
from .model import STATUSES, Parameter, Rule, Rulebook, Source

__all__ = ["STATUSES", "Parameter", "Rule", "Rulebook", "Source", "coerce_value", "default_rules_dir",
           "load_rulebook"]
