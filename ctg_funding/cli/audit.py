"""`ctg audit`: the dataset's payments set beside the amounts the rules in force each year give (R6).

Exit codes: 0 no finding, 1 findings, 2 bad input or usage.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..analysis.audit import audit as run_audit
from ..analysis.audit import require_payments
from ..errors import InputError, Problem
from ..inputs.dataset import load_dataset
from ..output import writers
from ..output.audit import audit_json, audit_tables, explanations_text, findings_table
from ..output.simulate import provenance_rows
from ..scenario.file import Scenario, load_scenario, scenario_for_dataset, schema_of
from ..simulation import choose_engine, simulate
from .options import (
    Presentation,
    check_output,
    format_option,
    guarded,
    lang_option,
    load_rules,
    output_option,
    parse_years,
    progress,
    report_warnings,
    rules_inputs,
    run_options,
    scenario_inputs,
    write_output,
)


def _is_dataset(path: Path) -> bool:
    return path.is_dir() or path.suffix.lower() == ".xlsx"


def load_target(path: Path, year_text: str, rules_dir: Path | None) -> tuple[Scenario, list[int]]:
    """A scenario file with its years, or a dataset under the rules as they stand over the years asked."""
    rulebook = load_rules(rules_dir)
    if not path.exists():
        raise InputError([Problem(str(path), None, None, "no such dataset or scenario: expected a dataset "
                                                          "folder, an .xlsx workbook or a scenario .yaml file")])
    if _is_dataset(path):
        years = parse_years(year_text)
        dataset = load_dataset(path, schema_of(rulebook))
        scenario = scenario_for_dataset(dataset, rulebook, (years[0], years[-1]))
    else:
        scenario = load_scenario(path, rulebook)
        years = parse_years(year_text, scenario.years)
    require_payments(scenario.dataset)
    return scenario, years


@click.command()
@lang_option
@click.argument("target", metavar="DATASET_OR_SCENARIO", type=click.Path(path_type=Path))
@click.option("--year", "year_text", required=True,
              help="One year (2024) or a range (2022..2026); within the scenario's years for a scenario.")
@format_option
@output_option
@run_options
@guarded
def audit(target: Path, year_text: str, fmt: str, output: Path | None, engine: str | None, quiet: bool,
          strict: bool, rules_dir: Path | None, csv_dialect: str | None, wide: bool) -> None:
    """Recompute past years with the rules in force then and set the payments beside them: one finding per
    difference above the tolerance. Exit 0 without findings, 1 with findings, 2 on bad input.

    DATASET_OR_SCENARIO is a dataset (a folder or an .xlsx workbook), audited under the rules as they stand, or
    a scenario file (scenarios/*.yaml), whose parameters and changes apply. The payments come from the
    dataset's payments.csv (a `payments` sheet in a workbook; without one, nothing was paid): see
    docs/datasets.md.

    \b
    Examples:
      ctg audit scenarios/cab-audit.yaml --year 2022..2026
      ctg audit data/cab --year 2022..2025 --format xlsx --output audit.xlsx
    """
    check_output(output, [*(scenario_inputs(target) if target.suffix in (".yaml", ".yml") else [target]),
                          *rules_inputs(rules_dir)], fmt)
    scenario, years = load_target(target, year_text, rules_dir)
    report_warnings([scenario.dataset], strict)
    with progress(quiet, "audit") as step:
        expected = simulate(scenario, years, engine=choose_engine(scenario, years, engine), progress=step)
    result = run_audit(expected, scenario.dataset.payments)
    if fmt == "table":
        tables = audit_tables(result)
        width = None if wide else writers.TERMINAL_WIDTH
        writers.emit(writers.render_tables(tables[:3], width) + writers.wrap_text(explanations_text(result), width),
                     output)
    else:
        write_output(fmt, output, audit_tables(result, with_explanations=True), audit_json(result),
                     csv_table=findings_table(result, explanations=True),
                     provenance=provenance_rows(result.result), how=Presentation(csv_dialect, wide))
    if result.findings:
        sys.exit(1)
