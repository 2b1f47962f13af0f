"""What every `ctg` command shares: errors for people (exit 2, never a traceback), options, output."""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import report
from .errors import InputError, Problem
from .rulebook import Rulebook, load_rulebook


def _fail(problems: list[Problem], fmt: str | None = None) -> None:
    if fmt == "json":
        click.echo(report.to_json({"valid": False, "problems": [p.as_dict() for p in problems]}), nl=False)
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
            _fail(exc.problems, kwargs.get("fmt"))
        except OSError as exc:  # a file that cannot be read or written: say which, and why
            where = exc.filename or "a file"
            _fail([Problem(str(where), None, None, f"cannot read or write it: {exc.strerror or exc}")])

    return wrapper


def _rulebook(rules_dir: Path | None) -> Rulebook:
    return load_rulebook(rules_dir)


YEAR_BOUNDS = (2000, 2100)


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


def _write(fmt: str, output: Path | None, tables: list[report.Table], data: dict[str, Any],
           csv_table: report.Table | None = None) -> None:
    if fmt == "json":
        report.emit(report.to_json(data), output)
    elif fmt == "csv":
        report.emit(report.render_csv(csv_table or tables[0]), output)
    elif fmt == "xlsx":
        if output is None:
            raise InputError([Problem("--output", None, None, "--format xlsx writes a file: give --output FILE.xlsx")])
        report.write_xlsx(tables, output)
        click.echo(f"wrote {output}", err=True)
    else:
        report.emit(report.render_tables(tables), output)


format_option = click.option("--format", "fmt", type=click.Choice(report.FORMATS), default="table",
                             show_default=True, help="Output format.")
output_option = click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
                             help="Write to this file instead of the terminal.")
rules_option = click.option("--rules", "rules_dir", type=click.Path(file_okay=False, path_type=Path),
                            envvar="CTG_RULES_DIR", help="Rules folder (default: the rules shipped with ctg).")


engine_option = click.option(
    "--engine", type=click.Choice(("durable", "vector")), default=None,
    help="Rules evaluator: durable (the reference) or vector (national scale). Default: durable up to "
         "10,000 structure-years, vector above.")


class _Progress:
    """`year i/n` on stderr, shown only once a run has taken more than a second, and only on a terminal."""

    def __init__(self, enabled: bool, label: str) -> None:
        self.enabled, self.label, self.shown = enabled, label, False
        self.start = time.monotonic()

    def __call__(self, done: int, total: int) -> None:
        if self.enabled and (self.shown or time.monotonic() - self.start > 1):
            self.shown = True
            click.echo(f"\r{self.label}: year {done}/{total}", err=True, nl=False)

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.shown:
            click.echo("", err=True)


def _progress(quiet: bool, label: str) -> _Progress:
    return _Progress(not quiet and sys.stderr.isatty(), label)
