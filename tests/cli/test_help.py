"""Each command's help explains its positional arguments, where its data comes from, and gives an example that
names the command."""

import pytest
from click.testing import CliRunner

from ctg_funding.cli import main

COMMANDS = main.commands


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_help_explains_the_arguments_and_gives_an_example(name):
    result = CliRunner().invoke(main, [name, "--help"], terminal_width=120)
    assert result.exit_code == 0, result.output
    text = result.output
    description = text.split("\n", 1)[1].split("Options:")[0]  # after the usage line
    for param in COMMANDS[name].params:
        if param.param_type_name == "argument":
            assert param.human_readable_name in description, (name, param.human_readable_name)
    assert "Examples:" in description and f"ctg {name} " in description


def test_audit_says_where_the_payments_come_from():
    text = CliRunner().invoke(main, ["audit", "--help"]).output
    assert "payments.csv" in text
