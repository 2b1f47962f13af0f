"""What every `ctg` command shares: errors for people (exit 2, never a traceback), the common options, years,
writing an output, and progress on long runs."""

from __future__ import annotations

import functools
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NoReturn, TypeVar

import click
from tqdm import tqdm

from ..errors import InputError, Problem
from ..files import read_text
from ..i18n import LANGUAGES, _, default_language, ngettext, set_language
from ..output import writers
from ..rulebook import Rulebook, default_rules_dir, load_rulebook
from ..strict_yaml import load_yaml

YEAR_BOUNDS = (2000, 2100)

T = TypeVar("T")
Lazy = T | Callable[[], T]  # a value, or a function that makes it when it is needed


_INTERRUPTED = threading.Event()


class OutputRefused(InputError):
    """The --output itself is the problem: nothing may be written to it, not even the list of problems."""


def fail(problems: list[Problem], fmt: str | None = None, output: Path | None = None) -> NoReturn:
    """Print every problem (and, for --format json, their JSON form to --output or stdout), then exit 2."""
    if fmt == "json":
        text = writers.to_json({"valid": False, "problems": [p.as_dict() for p in problems]})
        try:
            writers.emit(text, output)
        except OSError:
            click.echo(text, nl=False)
    click.echo("ctg: " + ngettext("{n} problem found:", "{n} problems found:", len(problems)).format(
        n=len(problems)), err=True)
    for p in problems:
        click.echo(f"  {p}", err=True)
    sys.exit(2)


def _interrupted() -> NoReturn:
    click.echo("\nctg: " + _("interrupted, nothing written"), err=True)
    sys.exit(130)


def _on_sigint(signum: int, frame: Any) -> None:
    _INTERRUPTED.set()  # durable-rules may swallow the KeyboardInterrupt inside an action: remember it
    raise KeyboardInterrupt


def guarded(func: Callable[..., Any]) -> Callable[..., Any]:
    """Bad input ends with the list of problems and exit code 2, Ctrl-C with exit 130 and nothing written, any
    other error with exit 3 and a line asking to report it: never a traceback (CTG_DEBUG=1 shows it)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _INTERRUPTED.clear()
        previous = signal.signal(signal.SIGINT, _on_sigint) if _main_thread() else None
        try:
            return func(*args, **kwargs)
        except OutputRefused as exc:
            fail(exc.problems, kwargs.get("fmt"))
        except InputError as exc:
            fail(exc.problems, kwargs.get("fmt"), kwargs.get("output"))
        except KeyboardInterrupt:
            _interrupted()
        except OSError as exc:  # a file that cannot be read or written: say which, and why
            where = exc.filename or kwargs.get("output") or "a file"
            fail([Problem(str(where), None, None, _("cannot read or write it: {v0}").format(v0=exc.strerror or exc))])
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if _INTERRUPTED.is_set():
                _interrupted()
            if os.environ.get("CTG_DEBUG"):
                raise
            click.echo("ctg: " + _("internal error ({error}). This is a bug in ctg, not in your files: please "
                                   "report it with the command you ran (CTG_DEBUG=1 shows the details).").format(
                error=f"{type(exc).__name__}: {exc}"), err=True)
            sys.exit(3)
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)

    return wrapper


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def needs_a_file(fmt: str, output: Path | None) -> None:
    """--format xlsx is a workbook: refuse it without --output (exit 2)."""
    if fmt == "xlsx" and output is None:
        raise InputError([Problem("--output", None, None, _("--format xlsx writes a file: give --output FILE.xlsx"))])


def check_output(output: Path | None, inputs: Iterable[Path], fmt: str | None = None) -> None:
    """Refuse (exit 2, before any work) an --output that is one of the command's inputs, symlinks followed, or a
    folder, and (given the format) an xlsx without --output."""
    if fmt is not None:
        needs_a_file(fmt, output)
    if output is None:
        return
    if output.is_dir():
        raise OutputRefused([Problem(str(output), None, None, _("is a folder: --output takes a file name"))])
    if not output.parent.is_dir():
        message = _("cannot write it: the folder {parent} does not exist").format(parent=output.parent)
        raise OutputRefused([Problem(str(output), None, None, message)])
    target = output.resolve()
    for path in inputs:
        files = [p for p in path.iterdir() if p.is_file()] if path.is_dir() else [path]
        for f in files:
            if f.exists() and f.resolve() == target:
                raise OutputRefused([Problem(str(output), None, None, _("is one of this command's inputs ({f}): "
                                                                        "writing there would destroy it; choose "
                                                                        "another --output file").format(f=f))])


def scenario_inputs(scenario: Path) -> list[Path]:
    """A scenario file and the dataset it names (as far as the file can be read: if it cannot, loading it will
    say why)."""
    out = [scenario]
    try:
        data = load_yaml(read_text(scenario), scenario.name)
        out.append(scenario.parent / str(data["dataset"]))
    except Exception:  # noqa: BLE001 - the real load reports the problem
        pass
    return out


def rules_inputs(rules_dir: Path | None) -> list[Path]:
    """The rules folder a command reads."""
    try:
        return [rules_dir or default_rules_dir()]
    except InputError:
        return []


def report_warnings(datasets: Iterable[Any], strict: bool) -> None:
    """Print each dataset's warnings (implausible values) on stderr; with --strict they are errors (exit 2)."""
    warnings = sorted({w for ds in datasets for w in ds.warnings})
    if strict and warnings:
        raise InputError(warnings)
    for w in warnings:
        click.echo("ctg: " + _("warning: {warning}").format(warning=w), err=True)


def load_rules(rules_dir: Path | None) -> Rulebook:
    """The rulebook of --rules (or the shipped one), checked."""
    return load_rulebook(rules_dir)


def parse_years(text: str | None, within: tuple[int, int] | None = None) -> list[int]:
    """`2026` or `2022..2026`, within the scenario's years when there is a scenario; no text: all of them."""
    def bad(message: str) -> InputError:
        return InputError([Problem("--year", None, None, message)])

    if not text:
        if within is None:
            raise bad(_("give a year (2024) or a range (2022..2026)"))
        return list(range(within[0], within[1] + 1))
    try:
        if ".." in text:
            a, b = (int(x) for x in text.split("..", 1))
        else:
            a = b = int(text)
    except ValueError:
        raise bad(_("expected a year or a range such as 2022..2026, got {text!r}").format(text=text)) from None
    if a > b:
        raise bad(_("{text}: the first year {a} is after the last year {b}").format(text=text, a=a, b=b))
    if within and (a < within[0] or b > within[1]):
        raise bad(_("{text} is outside the scenario's years {v1}..{v2}").format(text=text, v1=within[0], v2=within[1]))
    if a < YEAR_BOUNDS[0] or b > YEAR_BOUNDS[1]:
        raise bad(_("{text} is outside the years this program covers ({v1}..{v2})").format(
            text=text, v1=YEAR_BOUNDS[0], v2=YEAR_BOUNDS[1]))
    return list(range(a, b + 1))


@dataclass
class Presentation:
    """How a command writes its tables: the CSV dialect (--csv-dialect, default the language's) and whether
    terminal tables keep every column (--wide)."""

    csv_dialect: str | None = None
    wide: bool = False


def write_output(fmt: str, output: Path | None, tables: Lazy[list[writers.Table]], data: Lazy[dict[str, Any]],
                 csv_table: writers.Table | None = None, provenance: list[tuple[str, Any]] | None = None,
                 how: Presentation | None = None,
                 csv_writer: Callable[[IO[str], writers.CsvDialect | None], None] | None = None) -> None:
    """Write a command's result in the format asked, to --output or the terminal. `tables` and `data` may be
    given as functions that make them: only what the format needs is then made (the tables for table and xlsx,
    the data for json); `csv_writer`, when given, writes the CSV itself, line by line."""
    how = how or Presentation()
    if fmt == "json":
        writers.emit_with(lambda f: writers.write_json(_made(data), f), output)
    elif fmt == "csv":
        dialect = writers.CSV_DIALECTS[how.csv_dialect] if how.csv_dialect else None
        if csv_writer is not None:
            writers.emit_with(lambda f: csv_writer(f, dialect), output)
            return
        table = csv_table or (_made(tables))[0]
        writers.emit(writers.render_csv(table, dialect), output)
    elif fmt == "xlsx":
        needs_a_file(fmt, output)
        writers.write_xlsx(_made(tables), output, provenance)
        click.echo(_("wrote {path}").format(path=output), err=True)
    else:
        writers.emit(writers.render_tables(_made(tables),
                                           None if how.wide else writers.TERMINAL_WIDTH), output)


def _made(value: Lazy[T]) -> T:
    """The value itself, or what the function given in its place makes."""
    return value() if callable(value) else value


@contextmanager
def progress(quiet: bool, label: str, unit: str = "year") -> Iterator[Callable[[int, int], None]]:
    """A callback `(done, total)` that shows `label: i/n years` (or other units) on stderr once a run has taken
    more than a second, only on a terminal, never with --quiet (tqdm's delay and its off-terminal switch)."""
    bar = tqdm(desc=label, unit=unit, delay=1, disable=True if quiet else None, file=sys.stderr, leave=False)
    try:
        def update(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)
        yield update
    finally:
        bar.close()


def _set_language(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    lang = value or default_language()
    set_language(lang)
    return lang


lang_option = click.option("--lang", type=click.Choice(LANGUAGES), default=None, callback=_set_language,
                           expose_value=False, is_eager=True,
                           help="Language of the output: fr or en (default: fr when the locale is French).")
csv_dialect_option = click.option("--csv-dialect", type=click.Choice(("fr", "en")), default=None,
                                  help="CSV for French Excel (fr: ';', decimal comma, BOM) or English (en: ',', "
                                       "'.'); default: the output's language.")
wide_option = click.option("--wide", is_flag=True, help="Terminal tables with every column, however wide.")
format_option = click.option("--format", "fmt", type=click.Choice(writers.FORMATS), default="table",
                             show_default=True, help="Output format.")
output_option = click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
                             help="Write to this file instead of the terminal.")
rules_option = click.option("--rules", "rules_dir", type=click.Path(file_okay=False, path_type=Path),
                            envvar="CTG_RULES_DIR", help="Rules folder (default: the rules shipped with ctg).")
strict_option = click.option("--strict", is_flag=True,
                             help="Treat warnings about implausible values as errors (exit 2).")
quiet_option = click.option("--quiet", "-q", is_flag=True, help="No progress on the terminal.")
engine_option = click.option(
    "--engine", type=click.Choice(("durable", "vector")), default=None,
    help="Rules evaluator: durable (the reference) or vector (national scale). Default: durable up to "
         "10,000 structure-years, vector above.")


def run_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options every command that computes figures takes: --engine, --quiet, --strict, --rules,
    --csv-dialect and --wide (in that order in its signature, after its own)."""
    for option in reversed((engine_option, quiet_option, strict_option, rules_option, csv_dialect_option,
                            wide_option)):
        command = option(command)
    return command
