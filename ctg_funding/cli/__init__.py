"""The `ctg` command line: one click group (`main`), the commands (`commands`, `audit`, `sweep`) and what they share
(`options`). Commands parse, call and write; no rule or figure lives here."""

from __future__ import annotations

import click

from .audit import audit
from .commands import compare, explain, generate, rules, simulate, validate
from .sweep import sweep


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ctg_funding")
def main() -> None:
    """Caf bonus territoire CTG: convert CEJ amounts, redistribute them, explain and audit every euro.

    Each command's help (ctg COMMAND --help) says what its arguments are, where its data comes from, and gives
    an example. The formats are described in docs/.
    """


for _command in (audit, compare, explain, generate, rules, simulate, sweep, validate):
    main.add_command(_command)

__all__ = ["main"]
