"""Weight expressions are parsed against a closed grammar and never executed as Python."""

from fractions import Fraction

import pytest
import yaml
from click.testing import CliRunner
from support.case_runner import write_case

from ctg_funding.cli import main
from ctg_funding.rulebook.weights import WeightError, evaluate_weight, parse_weight

FIELDS = {"units", "occupancy_rate", "qpv_zrr"}


@pytest.mark.parametrize("text, expected", [
    ("1", Fraction(1)),
    ("units * 2", Fraction(20)),                        # 10 x 2
    ("1 + qpv_zrr", Fraction(2)),                       # 1 + 1
    ("occupancy_rate / 100", Fraction(61, 100)),        # 61 / 100
    ("max(units, 12) - min(1, 2)", Fraction(11)),       # 12 - 1
    ("-(-units)", Fraction(10)),
])
def test_allowed_expressions(text, expected):
    tree = parse_weight(text, FIELDS)
    assert evaluate_weight(tree, {"units": Fraction(10), "occupancy_rate": Fraction(61), "qpv_zrr": Fraction(1)}) \
        == expected


@pytest.mark.parametrize("text", [
    "__import__('os').system('true')",
    "units.__class__",
    "open('x').read()",
    "[units][0]",
    "units if units else 1",
    "lambda: 1",
    "units ** 1000000",
    "unknown_field + 1",
    "'text'",
    "max(units, key=1)",
])
def test_refused_expressions(text):
    with pytest.raises(WeightError):
        parse_weight(text, FIELDS)


def test_division_by_zero_is_an_error_not_a_crash():
    with pytest.raises(WeightError, match="division by zero"):
        evaluate_weight(parse_weight("units / (units - units)", FIELDS), {"units": Fraction(3)})


@pytest.mark.parametrize("text", ["__import__('os').system('touch {marker}')", "units.__class__"])
def test_cli_refuses_malicious_weight_with_exit_2_and_never_runs_it(tmp_path, text):
    marker = tmp_path / "MARKER"
    case = {"name": "weighted", "structures": [{"id": "A", "type": "ALSH", "units": 10}], "cej": {"A": 100},
            "parameters": {"redistribution.method": "weighted",
                           "redistribution.weight": text.format(marker=marker)}}
    scenario = write_case(case, tmp_path / "case")
    assert yaml.safe_load(scenario.read_text())["parameters"]["redistribution.weight"].startswith(text[:8])
    result = CliRunner().invoke(main, ["simulate", str(scenario)])
    assert result.exit_code == 2
    # The problem names the scenario file and the parameter, like any bad input.
    assert "scenario.yaml, key parameters.redistribution.weight: weight expression" in result.output
    assert "Traceback" not in result.output
    assert not marker.exists()


@pytest.mark.parametrize("text, what", [
    ("units ** 2", "the operator **"), ("units % 2", "the operator %"), ("units // 2", "the operator //"),
    ("not units", "the operator not"), ("~units", "the operator ~"), ("units.real", "an attribute (a.b)"),
    ("units[0]", "indexing (a[b])"), ("units < 1", "a comparison"), ("units and 1", "and / or"),
    ("units if 1 else 2", "if ... else"), ("lambda: 1", "lambda"), ("'a'", "a text"), ("[1]", "a list"),
    ("(1, 2)", "a tuple"), ("{1: 2}", "a mapping"), ("{1}", "a set"), ("(x := 1)", "an assignment (:=)"),
    ("f'{units}'", "a text"), ("[x for x in units]", "this construct (ListComp)"),
])
def test_a_refused_expression_says_what_is_not_allowed(text, what):
    with pytest.raises(WeightError) as info:
        parse_weight(text, FIELDS)
    assert str(info.value) == (f"weight expression {text!r}: {what} is not allowed (only numbers, fields, + - * /, "
                               "parentheses, min(...) and max(...))")


def test_signs_and_missing_values():
    # -units + 20 with 5 units: -5 + 20 = 15; +units: 5.
    assert evaluate_weight(parse_weight("-units + 20", FIELDS), {"units": Fraction(5)}) == 15
    assert evaluate_weight(parse_weight("+units", FIELDS), {"units": Fraction(5)}) == 5
    with pytest.raises(WeightError, match="^no value for field 'occupancy_rate'$"):
        evaluate_weight(parse_weight("occupancy_rate", FIELDS), {"units": Fraction(5)})
