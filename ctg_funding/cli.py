"""The `ctg` command line: parse, call, print. No rule or figure lives here.

Exit codes: 0 done, 1 the audit found findings, 2 bad input or usage.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from . import report, views
from .cli_audit import audit
from .cli_common import (
    _progress,
    _rulebook,
    _write,
    engine_option,
    format_option,
    guarded,
    output_option,
    parse_years,
    rules_option,
)
from .compare import VIEWS
from .dataset import load_dataset
from .errors import InputError, Problem
from .scenario import load_scenario, schema_of


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ctg_funding")
def main() -> None:
    """Caf bonus territoire CTG: convert CEJ amounts, redistribute them, explain and audit every euro."""


@main.command()
@click.argument("dataset", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True)
@output_option
@rules_option
@guarded
def validate(dataset: Path, fmt: str, output: Path | None, rules_dir: Path | None) -> None:
    """Check a dataset (folder or .xlsx) and report every problem at once."""
    rulebook = _rulebook(rules_dir)
    ds = load_dataset(dataset, schema_of(rulebook))
    summary = views.dataset_summary(ds, rulebook)
    if fmt == "json":
        report.emit(report.to_json(summary), output)
    else:
        report.emit(report.render_tables(views.summary_tables(summary)), output)


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@format_option
@output_option
@click.option("--year", "year_text", help="One year (2026) or a range (2022..2026) within the scenario.")
@engine_option
@click.option("--quiet", "-q", is_flag=True, help="No progress on the terminal.")
@rules_option
@guarded
def simulate(scenario: Path, fmt: str, output: Path | None, year_text: str | None, engine: str | None, quiet: bool,
             rules_dir: Path | None) -> None:
    """Allocate the bonus territoire per structure and year, with totals and the envelope check."""
    from .simulation import choose_engine
    from .simulation import simulate as run

    sc = load_scenario(scenario, _rulebook(rules_dir))
    years = parse_years(year_text, sc.years)
    with _progress(quiet, "simulate") as progress:
        result = run(sc, years, engine=choose_engine(sc, years, engine), progress=progress)
    tables = views.simulate_tables(result)
    _write(fmt, output, tables, views.simulate_json(result),
           csv_table=next(t for t in tables if t.sheet == "allocations"))


@main.command()
@click.argument("scenario_a", type=click.Path(path_type=Path))
@click.argument("scenario_b", type=click.Path(path_type=Path))
@click.option("--by", type=click.Choice(VIEWS), default="commune", show_default=True, help="Group amounts by.")
@click.option("--year", "year_text", help="One year (2026) or a range (2022..2026) common to both scenarios.")
@click.option("--only-changed", is_flag=True, help="Leave out the rows with no difference.")
@click.option("--format", "fmt", type=click.Choice((*report.FORMATS, "html")), default="table", show_default=True)
@output_option
@engine_option
@click.option("--quiet", "-q", is_flag=True, help="No progress on the terminal.")
@rules_option
@guarded
def compare(scenario_a: Path, scenario_b: Path, by: str, year_text: str | None, only_changed: bool, fmt: str,
            output: Path | None, engine: str | None, quiet: bool, rules_dir: Path | None) -> None:
    """Two redistributions side by side, with the difference B - A, by structure, commune, manager, family..."""
    from .compare import compare as run_compare
    from .compare import envelope_totals
    from .simulation import choose_engine
    from .simulation import simulate as run

    rulebook = _rulebook(rules_dir)
    a, b = load_scenario(scenario_a, rulebook), load_scenario(scenario_b, rulebook)
    common = (max(a.years[0], b.years[0]), min(a.years[1], b.years[1]))
    if common[0] > common[1]:
        raise InputError([Problem(str(scenario_b), None, "years", f"no year in common with {scenario_a}")])
    years = parse_years(year_text, common)
    with _progress(quiet, "compare A") as progress:
        ra = run(a, years, engine=choose_engine(a, years, engine), progress=progress)
    with _progress(quiet, "compare B") as progress:
        rb = run(b, years, engine=choose_engine(b, years, engine), progress=progress)
    views_by = {v: run_compare(ra, rb, v, years, only_changed) for v in VIEWS}
    envelopes = {"a": envelope_totals(ra, years), "b": envelope_totals(rb, years)}
    main_view = views_by[by]
    if fmt == "html":
        from .html_report import render_html

        report.emit(render_html(views_by, envelopes), output)
        if output:
            click.echo(f"wrote {output}", err=True)
        return
    tables = [views.compare_table(main_view, envelopes)]
    if fmt == "xlsx":  # one sheet per view, and the envelopes
        tables += [views.compare_table(c) for v, c in views_by.items() if v != by]
        tables.append(views.compare_envelopes_table(envelopes))
    _write(fmt, output, tables, views.compare_json(main_view, envelopes), csv_table=tables[0])


@main.command()
@click.argument("scenario", type=click.Path(path_type=Path))
@click.argument("structure_id")
@click.option("--year", type=int, required=True, help="The year to explain.")
@click.option("--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True)
@output_option
@rules_option
@guarded
def explain(scenario: Path, structure_id: str, year: int, fmt: str, output: Path | None,
            rules_dir: Path | None) -> None:
    """Why this structure gets this amount in this year: facts, rules, sources, parameters, arithmetic."""
    from .explain import explain_json, explain_text
    from .simulation import simulate as run

    sc = load_scenario(scenario, _rulebook(rules_dir))
    if structure_id not in sc.structures:
        raise InputError([Problem(str(scenario), None, None, f"unknown structure {structure_id!r} in the "
                                                             "scenario's dataset")])
    years = parse_years(str(year), sc.years)
    result = run(sc, years)
    if fmt == "json":
        report.emit(report.to_json(explain_json(result, structure_id, year)), output)
    else:
        report.emit(explain_text(result, structure_id, year), output)


@main.command()
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--territories", type=click.IntRange(1), default=3, show_default=True, help="Number of CTGs.")
@click.option("--structures", type=click.IntRange(0), default=200, show_default=True, help="Number of structures.")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same files.")
@click.option("--first-year", type=click.IntRange(2022, 2090), default=2022, show_default=True)
@click.option("--years", type=click.IntRange(1, 10), default=10, show_default=True, help="Years of the scenario.")
@guarded
def generate(out: Path, territories: int, structures: int, seed: int, first_year: int, years: int) -> None:
    """Write a synthetic dataset of several territories (territories.csv) and a scenario.yaml beside it."""
    from .generate import generate as run

    path = run(out, territories, structures, seed, first_year, years)
    click.echo(f"wrote {out} ({territories} territories, {structures} structures) and {path}", err=True)


@main.command()
@click.option("--at", "at", type=click.DateTime(formats=["%Y-%m-%d"]), help="Date (default: today).")
@format_option
@output_option
@rules_option
@guarded
def rules(at: Any, fmt: str, output: Path | None, rules_dir: Path | None) -> None:
    """Every rule and parameter in force at a date, with its source and status."""
    import datetime as dt

    from .explain import rules_tables

    when = at.date() if at else dt.date.today()
    rulebook = _rulebook(rules_dir)
    tables, data = rules_tables(rulebook, when)
    _write(fmt, output, tables, data)


main.add_command(audit)

if __name__ == "__main__":  # pragma: no cover
    main()
