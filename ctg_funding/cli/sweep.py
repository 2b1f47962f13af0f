"""`ctg sweep`: a grid of scenarios run as Dask tasks, one summary row per scenario.

Exit codes: 0 done, 2 bad input or usage (the sweep file, its base scenario, any value of the grid: before any
task starts).
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..analysis.sweep import Sweep, load_sweep
from ..errors import Problem
from ..files import read_text
from ..i18n import _
from ..output import sweep as sweep_out
from ..output import writers
from ..strict_yaml import load_yaml
from .options import (
    OutputRefused,
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
    quiet_option,
    report_warnings,
    rules_inputs,
    rules_option,
    scenario_inputs,
    strict_option,
    wide_option,
    write_output,
)


def sweep_inputs(path: Path) -> list[Path]:
    """The sweep file, its base scenario and that scenario's dataset (as far as the files can be read)."""
    out = [path]
    try:
        out += scenario_inputs(path.parent / str(load_yaml(read_text(path), path.name)["base"]))
    except Exception:  # noqa: BLE001 - the real load reports the problem
        pass
    return out


def per_structure_files(folder: Path, sweep: Sweep, inputs: list[Path]) -> dict[str, Path]:
    """The file of each scenario (and of the base) in --per-structure's folder, checked before anything runs."""
    if not folder.parent.is_dir():  # (a file there is refused by the option itself)
        raise OutputRefused([Problem(str(folder), None, None, _("cannot write it: the folder {parent} does not "
                                                                "exist").format(parent=folder.parent))])
    files = {name: folder / f"{name}.csv" for name in [sweep.base_point.name, *(p.name for p in sweep.points)]}
    if folder.is_dir():
        for path in files.values():
            check_output(path, inputs)
    return files


@click.command()
@lang_option
@click.argument("sweep_file", metavar="SWEEP", type=click.Path(path_type=Path))
@format_option
@output_option
@click.option("--year", "year_text", help="One year (2026) or a range (2022..2026) within the base scenario's.")
@click.option("--by-year", is_flag=True, help="Also the figures of each scenario and year (in csv: instead of the "
                                              "summary).")
@click.option("--per-structure", "per_structure", type=click.Path(file_okay=False, path_type=Path),
              help="Also write each scenario's amounts per structure, beside the base's, to FOLDER/NAME.csv.")
@click.option("--scheduler", help="Address of a running Dask scheduler (tcp://host:8786) to run the tasks on; "
                                  "default: a local cluster started and closed by the command.")
@click.option("--workers", type=click.IntRange(1), help="Worker processes of the local cluster (default: the "
                                                        "machine's cores, at most one per scenario).")
@click.option("--engine", type=click.Choice(("vector", "durable")), default="vector", show_default=True,
              help="Rules evaluator and allocator of every run (both give the same amounts).")
@quiet_option
@strict_option
@rules_option
@csv_dialect_option
@wide_option
@guarded
def sweep(sweep_file: Path, fmt: str, output: Path | None, year_text: str | None, by_year: bool,
          per_structure: Path | None, scheduler: str | None, workers: int | None, engine: str, quiet: bool,
          strict: bool, rules_dir: Path | None, csv_dialect: str | None, wide: bool) -> None:
    """Run a grid of scenarios (a base scenario with some parameters varied), one Dask task per scenario, and
    write one summary row per scenario: its values, envelope, allocated, released, the spread of amount per unit
    in each family, and how many structures lose more than 5% and 10% against the base scenario.

    SWEEP is a sweep file (scenarios/sweep-*.yaml, see docs/sweeps.md): its `base` scenario file (relative to
    the sweep file's folder) and, under `vary`, each parameter to vary with its values; every combination is
    run. The dataset is the base scenario's; the rules come from rules/*.yaml (or --rules DIR).

    \b
    Examples:
      ctg sweep scenarios/sweep-cab.yaml --year 2026
      ctg sweep scenarios/sweep-cab.yaml --format xlsx --output sweep.xlsx --per-structure sweep-structures
      ctg sweep scenarios/sweep-cab.yaml --scheduler tcp://127.0.0.1:8786 --format json
    """
    inputs = [*sweep_inputs(sweep_file), *rules_inputs(rules_dir)]
    check_output(output, inputs, fmt)
    plan = load_sweep(sweep_file, load_rules(rules_dir))
    report_warnings([plan.base.dataset], strict)
    years = parse_years(year_text, plan.base.years)
    files = per_structure_files(per_structure, plan, inputs) if per_structure else {}
    from ..analysis.sweep_dask import connect, run_sweep

    tasks = len(plan.points) + 1
    with connect(scheduler, workers or min(os.cpu_count() or 1, tasks)) as client, \
            progress(quiet, "sweep", "scenario") as step:
        report = run_sweep(client, plan, years, engine, keep_amounts=bool(files), progress=step)
    how = Presentation(csv_dialect, wide)
    if files:
        per_structure.mkdir(exist_ok=True)
        for outcome in [report.base, *report.outcomes]:
            writers.emit(writers.render_csv(sweep_out.per_structure_table(report, outcome),
                                            writers.CSV_DIALECTS[csv_dialect] if csv_dialect else None),
                         files[outcome.point.name])
        click.echo(_("wrote {n} files in {path}").format(n=len(files), path=per_structure), err=True)
    tables = sweep_out.sweep_tables(report, by_year)
    if fmt in ("csv", "xlsx"):  # one row per scenario with every figure first
        tables = [sweep_out.wide_table(report), *tables[1:]]
    write_output(fmt, output, tables, sweep_out.sweep_json(report, by_year),
                 csv_table=sweep_out.by_year_table(report) if by_year else tables[0],
                 provenance=sweep_out.provenance_rows(report), how=how)
