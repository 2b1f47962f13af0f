"""The `ctg` commands: parse, call, write. No rule or figure lives here.

Exit codes: 0 done, 1 the audit found findings, 2 bad input or usage.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from ..analysis.compare import VIEWS, compare_views, envelope_totals
from ..analysis.explain import explanation
from ..collector import gc_paused
from ..errors import InputError, Problem
from ..i18n import _
from ..inputs.dataset import load_dataset
from ..output import compare as compare_out
from ..output import simulate as simulate_out
from ..output import validate as validate_out
from ..output import writers
from ..output.explain import explain_json, explain_text
from ..output.rules import rules_tables
from ..scenario.file import load_scenario, schema_of
from ..simulation import SimulationResult, choose_engine
from ..simulation import simulate as run
from .options import (
    Presentation,
    check_output,
    csv_dialect_option,
    format_option,
    guarded,
    lang_option,
    load_rules,
    output_option,
    parse_years,
    progress,
    report_warnings,
    rules_inputs,
    rules_option,
    run_options,
    scenario_inputs,
    strict_option,
    wide_option,
    write_output,
)


@click.command()
@lang_option
@click.argument("dataset", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True)
@output_option
@strict_option
@rules_option
@wide_option
@guarded
def validate(dataset: Path, fmt: str, output: Path | None, strict: bool, rules_dir: Path | None,
             wide: bool) -> None:
    """Check a dataset (folder or .xlsx) and report every problem at once; implausible values are warnings
    (errors with --strict).

    DATASET is a folder of CSV files (territory.yaml or territories.csv, collectivites.csv, structures.csv,
    cej.csv, and optionally activity.csv and payments.csv) or one .xlsx workbook with those sheets: see
    docs/datasets.md. Each problem names its file, row and column.

    \b
    Examples:
      ctg validate data/cab
      ctg validate data/cab --format json --output problems.json
    """
    check_output(output, [dataset, *rules_inputs(rules_dir)], fmt)
    rulebook = load_rules(rules_dir)
    ds = load_dataset(dataset, schema_of(rulebook))
    if strict and ds.warnings:
        raise InputError(ds.warnings)
    summary = validate_out.dataset_summary(ds, rulebook)
    if fmt == "json":
        writers.emit(writers.to_json(summary), output)
    else:
        writers.emit(writers.render_tables(validate_out.summary_tables(summary),
                                           None if wide else writers.TERMINAL_WIDTH), output)


@click.command()
@lang_option
@click.argument("scenario", type=click.Path(path_type=Path))
@format_option
@output_option
@click.option("--year", "year_text", help="One year (2026) or a range (2022..2026) within the scenario.")
@run_options
@guarded
def simulate(scenario: Path, fmt: str, output: Path | None, year_text: str | None, engine: str | None, quiet: bool,
             strict: bool, rules_dir: Path | None, csv_dialect: str | None, wide: bool) -> None:
    """Allocate the bonus territoire per structure and year, with totals and the envelope check.

    SCENARIO is a scenario file (scenarios/*.yaml, see docs/scenarios.md): it names its dataset (the N-1 CEJ
    amounts of cej.csv make each family's envelope), its years, the parameters it overrides (the redistribution
    method...) and its dated changes. The rules come from rules/*.yaml (or --rules DIR).

    \b
    Examples:
      ctg simulate scenarios/cab-per-unit.yaml --year 2026
      ctg simulate scenarios/cab-historical.yaml --format xlsx --output cab-historical.xlsx
    """
    check_output(output, [*scenario_inputs(scenario), *rules_inputs(rules_dir)], fmt)
    sc = load_scenario(scenario, load_rules(rules_dir))
    report_warnings([sc.dataset], strict)
    years = parse_years(year_text, sc.years)
    engine = choose_engine(sc, years, engine)
    with gc_paused(engine == "vector"):  # through the outputs too: the run's objects stay until the end
        with progress(quiet, "simulate") as step:
            result = run(sc, years, engine=engine, progress=step)
        write_simulation(result, fmt, output, Presentation(csv_dialect, wide))


def write_simulation(result: SimulationResult, fmt: str, output: Path | None, how: Presentation) -> None:
    """A run written in the format asked; only what the format needs is made (the CSV is the allocation table,
    written line by line)."""
    write_output(fmt, output, lambda: simulate_out.simulate_tables(result),
                 lambda: simulate_out.simulate_json(result, streamed=True),
                 provenance=simulate_out.provenance_rows(result), how=how,
                 csv_writer=lambda f, dialect: simulate_out.write_allocations_csv(result, f, dialect))


@click.command()
@lang_option
@click.argument("scenario_a", type=click.Path(path_type=Path))
@click.argument("scenario_b", type=click.Path(path_type=Path))
@click.option("--by", type=click.Choice(VIEWS), default="commune", show_default=True, help="Group amounts by.")
@click.option("--year", "year_text", help="One year (2026) or a range (2022..2026) common to both scenarios.")
@click.option("--only-changed", is_flag=True, help="Leave out the rows with no difference.")
@click.option("--format", "fmt", type=click.Choice((*writers.FORMATS, "html")), default="table", show_default=True)
@output_option
@run_options
@guarded
def compare(scenario_a: Path, scenario_b: Path, by: str, year_text: str | None, only_changed: bool, fmt: str,
            output: Path | None, engine: str | None, quiet: bool, strict: bool, rules_dir: Path | None,
            csv_dialect: str | None, wide: bool) -> None:
    """Two redistributions side by side, with the difference B - A, by structure, commune, manager, family...

    SCENARIO_A and SCENARIO_B are scenario files (scenarios/*.yaml); both are computed over the years they
    share (or --year within them), each on its own dataset, and every line counts (the new-places line too).

    \b
    Examples:
      ctg compare scenarios/cab-historical.yaml scenarios/cab-per-unit.yaml --by commune --year 2026
      ctg compare scenarios/cab-historical.yaml scenarios/cab-per-unit.yaml --format html --output compare.html
    """
    check_output(output, [*scenario_inputs(scenario_a), *scenario_inputs(scenario_b), *rules_inputs(rules_dir)],
                 fmt)
    rulebook = load_rules(rules_dir)
    a, b = load_scenario(scenario_a, rulebook), load_scenario(scenario_b, rulebook)
    report_warnings([a.dataset, b.dataset], strict)
    common = (max(a.years[0], b.years[0]), min(a.years[1], b.years[1]))
    if common[0] > common[1]:
        raise InputError([Problem(str(scenario_b), None, "years", f"no year in common with {scenario_a}")])
    years = parse_years(year_text, common)
    with progress(quiet, "compare A") as step:
        ra = run(a, years, engine=choose_engine(a, years, engine), progress=step)
    with progress(quiet, "compare B") as step:
        rb = run(b, years, engine=choose_engine(b, years, engine), progress=step)
    views_by = compare_views(ra, rb, years, only_changed)
    envelopes = {"a": envelope_totals(ra, years), "b": envelope_totals(rb, years)}
    if fmt == "html":
        from ..output.html_compare import render_html

        writers.emit(render_html(views_by, envelopes), output)
        if output:
            click.echo(f"wrote {output}", err=True)
        return
    tables = [compare_out.compare_table(views_by[by], envelopes)]
    if fmt == "xlsx":  # one sheet per view, and the envelopes
        tables += [compare_out.compare_table(c) for v, c in views_by.items() if v != by]
        tables.append(compare_out.compare_envelopes_table(envelopes))
    write_output(fmt, output, tables, compare_out.compare_json(views_by[by], envelopes), csv_table=tables[0],
                 provenance=compare_out.provenance_rows(views_by[by]), how=Presentation(csv_dialect, wide))


@click.command()
@lang_option
@click.argument("scenario", type=click.Path(path_type=Path))
@click.argument("structure_id")
@click.option("--year", type=int, required=True, help="The year to explain.")
@click.option("--format", "fmt", type=click.Choice(("table", "json", "html")), default="table", show_default=True,
              help="Output format; html: a self-contained page whose rules link to the rules page.")
@output_option
@click.option("--rules-page", default="rules.html", show_default=True,
              help="With --format html: the rules page (ctg rules --format html) the rules link to, relative to "
                   "the explanation's page.")
@click.option("--engine", type=click.Choice(("durable", "vector")), default="durable", show_default=True,
              help="Rules evaluator and allocator; both give the same explanation.")
@strict_option
@rules_option
@guarded
def explain(scenario: Path, structure_id: str, year: int, fmt: str, output: Path | None, rules_page: str,
            engine: str, strict: bool, rules_dir: Path | None) -> None:
    """Why this structure gets this amount in this year: facts, rules, sources, parameters, arithmetic.

    SCENARIO is a scenario file (scenarios/*.yaml): its dataset, parameters and changes are the ones used.
    STRUCTURE_ID is a structure's id in that dataset (structures.csv, column id) or one the scenario opens.

    \b
    Examples:
      ctg explain scenarios/cab-historical.yaml COORD-SAINT-LEONARD --year 2026
      ctg explain scenarios/cab-historical.yaml COORD-SAINT-LEONARD --year 2026 --format html -o explain.html
    """
    check_output(output, [*scenario_inputs(scenario), *rules_inputs(rules_dir)], fmt)
    sc = load_scenario(scenario, load_rules(rules_dir))
    report_warnings([sc.dataset], strict)
    if structure_id not in sc.structures:
        raise InputError([Problem(str(scenario), None, None, f"unknown structure {structure_id!r} in the "
                                                             "scenario's dataset")])
    years = parse_years(str(year), sc.years)
    data = explanation(run(sc, years, engine=engine), structure_id, year)
    if fmt == "json":
        writers.emit(writers.to_json(explain_json(data)), output)
    elif fmt == "html":
        from ..output.html_explain import explain_html

        writers.emit(explain_html(data, rules_page), output)
    else:
        writers.emit(writers.wrap_text(explain_text(data)), output)


@click.command()
@lang_option
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--territories", type=click.IntRange(1), default=3, show_default=True, help="Number of CTGs.")
@click.option("--structures", type=click.IntRange(0), default=200, show_default=True, help="Number of structures.")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same files.")
@click.option("--first-year", type=click.IntRange(2022, 2090), default=2022, show_default=True)
@click.option("--years", type=click.IntRange(1, 10), default=10, show_default=True, help="Years of the scenario.")
@click.option("--force", is_flag=True, help="Replace the dataset in a folder that is not empty.")
@guarded
def generate(out: Path, territories: int, structures: int, seed: int, first_year: int, years: int,
             force: bool) -> None:
    """Write a synthetic dataset of several territories (territories.csv) and a scenario.yaml beside it.

    OUT is the folder to write (created if needed; one that is not empty is refused without --force). Its
    figures are random and mean nothing: it is for trying ctg at national scale.

    \b
    Examples:
      ctg generate /tmp/national --territories 1000 --structures 60000 --seed 1
      ctg simulate /tmp/national/scenario.yaml --year 2026 --format csv --output national.csv
    """
    from ..inputs.generate import generate as write_dataset

    path = write_dataset(out, territories, structures, seed, first_year, years, force)
    click.echo(f"wrote {out} ({territories} territories, {structures} structures) and {path}", err=True)


@click.command()
@lang_option
@click.option("--at", "at", type=click.DateTime(formats=["%Y-%m-%d"]), help="Date (default: today).")
@click.option("--format", "fmt", type=click.Choice((*writers.FORMATS, "html")), default="table", show_default=True,
              help="Output format; html: one self-contained page of every rule and parameter.")
@output_option
@click.option("--dataset", type=click.Path(path_type=Path),
              help="With --format html or json: count the structures of this dataset each rule touches.")
@click.option("--year", type=int,
              help="With --dataset: the year to evaluate (default: the year of --at).")
@rules_option
@csv_dialect_option
@wide_option
@guarded
def rules(at: Any, fmt: str, output: Path | None, dataset: Path | None, year: int | None,
          rules_dir: Path | None, csv_dialect: str | None, wide: bool) -> None:
    """Every rule and parameter in force at a date, with its source and status.

    The rules are read from the rules folder (`rules/*.yaml`, or --rules DIR). With --format html, one
    self-contained page lists every rule (its condition and outcome in words, an anchor per rule such as
    rules.html#R3.floor) and every dated value of each parameter. With --dataset, each rule also says how many
    of the dataset's structures it touched in --year (the dataset under the rules as they stand).

    \b
    Examples:
      ctg rules --at 2026-01-01
      ctg rules --format html --output rules.html
      ctg rules --format html --dataset data/cab --year 2026 --output rules.html
    """
    check_output(output, [*rules_inputs(rules_dir), *([dataset] if dataset else [])], fmt)
    when = at.date() if at else dt.date.today()
    rulebook = load_rules(rules_dir)
    usage = None
    if dataset is not None:
        if fmt not in ("html", "json"):
            raise InputError([Problem("--dataset", None, None, _("counts the structures each rule touches in "
                                                                 "--format html or json only"))])
        from ..analysis.rule_usage import rule_usage

        usage = rule_usage(load_dataset(dataset, schema_of(rulebook)), rulebook,
                           parse_years(str(year or when.year))[0])
    elif year is not None:
        raise InputError([Problem("--year", None, None, _("is the year of --dataset: give --dataset too"))])
    if fmt == "html":
        from ..output.html_rules import rules_html

        writers.emit(rules_html(rulebook, when, usage), output)
        if output:
            click.echo(_("wrote {path}").format(path=output), err=True)
        return
    tables, data = rules_tables(rulebook, when)
    write_output(fmt, output, tables, {**data, "structures_touched": usage.as_dict()} if usage else data,
                 how=Presentation(csv_dialect, wide))
