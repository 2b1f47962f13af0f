"""What every `ctg` command shares: errors for people (exit 2, never a traceback), the common options, years,
writing an output, and progress on long runs."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from ..errors import InputError, Problem
from ..output import writers
from ..rulebook import Rulebook, load_rulebook

YEAR_BOUNDS = (2000, 2100)


def fail(problems: list[Problem], fmt: str | None = None) -> None:
    """Print every problem (and, for --format json, the JSON form on stdout), then exit 2."""
    if fmt == "json":
        click.echo(writers.to_json({"valid": False, "problems": [p.as_dict() for p in problems]}), nl=False)
    click.echo(f"ctg: {len(problems)} problem{'s' if len(problems) > 1 else ''} found:", err=True)
    for p in problems:
        click.echo(f"  {p}", err=True)
    sys.exit(2)


def guarded(func: Callable[..., Any]) -> Callable[..., Any]:
    """Bad input ends with the list of problems and exit code 2, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            fail(exc.problems, kwargs.get("fmt"))
        except OSError as exc:  # a file that cannot be read or written: say which, and why
            where = exc.filename or "a file"
            fail([Problem(str(where), None, None, f"cannot read or write it: {exc.strerror or exc}")])

    return wrapper


def load_rules(rules_dir: Path | None) -> Rulebook:
    """The rulebook of --rules (or the shipped one), checked."""
    return load_rulebook(rules_dir)


def parse_years(text: str | None, within: tuple[int, int] | None = None) -> list[int]:
    """`2026` or `2022..2026`, within the scenario's years when there is a scenario; no text: all of them."""
    def bad(message: str) -> InputError:
        return InputError([Problem("--year", None, None, message)])

    if not text:
        if within is None:
            raise bad("give a year (2024) or a range (2022..2026)")
        return list(range(within[0], within[1] + 1))
    try:
        if ".." in text:
            a, b = (int(x) for x in text.split("..", 1))
        else:
            a = b = int(text)
    except ValueError:
        raise bad(f"expected a year or a range such as 2022..2026, got {text!r}") from None
    if a > b:
        raise bad(f"{text}: the first year {a} is after the last year {b}")
    if within and (a < within[0] or b > within[1]):
        raise bad(f"{text} is outside the scenario's years {within[0]}..{within[1]}")
    if a < YEAR_BOUNDS[0] or b > YEAR_BOUNDS[1]:
        raise bad(f"{text} is outside the years this program covers ({YEAR_BOUNDS[0]}..{YEAR_BOUNDS[1]})")
    return list(range(a, b + 1))


def write_output(fmt: str, output: Path | None, tables: list[writers.Table], data: dict[str, Any],
                 csv_table: writers.Table | None = None) -> None:
    """Write a command's result in the format asked, to --output or the terminal."""
    if fmt == "json":
        writers.emit(writers.to_json(data), output)
    elif fmt == "csv":
        writers.emit(writers.render_csv(csv_table or tables[0]), output)
    elif fmt == "xlsx":
        if output is None:
            raise InputError([Problem("--output", None, None, "--format xlsx writes a file: give --output FILE.xlsx")])
        writers.write_xlsx(tables, output)
        click.echo(f"wrote {output}", err=True)
    else:
        writers.emit(writers.render_tables(tables), output)


@contextmanager
def progress(quiet: bool, label: str) -> Iterator[Callable[[int, int], None]]:
    """A callback `(done, total)` that shows `label: i/n years` on stderr once a run has taken more than a
    second, only on a terminal, never with --quiet (tqdm's delay and its off-terminal switch)."""
    bar = tqdm(desc=label, unit="year", delay=1, disable=True if quiet else None, file=sys.stderr, leave=False)
    try:
        def update(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)
        yield update
    finally:
        bar.close()


format_option = click.option("--format", "fmt", type=click.Choice(writers.FORMATS), default="table",
                             show_default=True, help="Output format.")
output_option = click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
                             help="Write to this file instead of the terminal.")
rules_option = click.option("--rules", "rules_dir", type=click.Path(file_okay=False, path_type=Path),
                            envvar="CTG_RULES_DIR", help="Rules folder (default: the rules shipped with ctg).")
quiet_option = click.option("--quiet", "-q", is_flag=True, help="No progress on the terminal.")
engine_option = click.option(
    "--engine", type=click.Choice(("durable", "vector")), default=None,
    help="Rules evaluator: durable (the reference) or vector (national scale). Default: durable up to "
         "10,000 structure-years, vector above.")
