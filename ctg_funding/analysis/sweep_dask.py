"""A sweep's runs on dask.distributed: one task per scenario, on a local cluster that the command starts and
closes, or on a scheduler it is given. The dataset and rulebook, already read and checked, are scattered to the
workers once; each task builds its scenario from the base scenario file and its point's values (the same scenario
checks as `ctg simulate`), runs it, and returns a small `Outcome`. Every task but the base's takes the base's
outcome as an argument (Dask sends it once to each worker), to count the structures that lose against it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError, Problem
from ..i18n import _, language, set_language
from ..inputs.dataset import Dataset
from ..rulebook import Rulebook
from ..scenario.file import ScenarioFile, build_scenario
from ..simulation import simulate
from .sweep import Outcome, Point, Sweep, SweepReport, summarise, with_values

CONNECT_TIMEOUT = "10s"


@dataclass
class Shared:
    """What every task reads, scattered once: the base scenario file, its dataset and the rulebook (as the
    command read and checked them), the years and engine, and the language of any problem's message."""

    base_file: ScenarioFile
    base_path: Path
    dataset: Dataset
    rulebook: Rulebook
    years: list[int]
    engine: str
    language: str


def run_point(shared: Shared, point: Point, base: Outcome | None, keep_amounts: bool) -> Outcome:
    """One scenario of the sweep (the base when `base` is None): built, run, summarised. A problem of the
    scenario (a weight expression that fails on a structure...) comes back as the outcome's problems: an
    exception would lose them on its way back from a worker."""
    set_language(shared.language)
    if base is not None and base.problems:
        return Outcome(point)  # the base was refused: its problems are reported, nothing to compare with
    try:
        scenario = build_scenario(with_values(shared.base_file, point), shared.dataset, shared.rulebook,
                                  shared.base_path)
        result = simulate(scenario, shared.years, engine=shared.engine)
    except InputError as exc:
        return Outcome(point, problems=exc.problems)
    return summarise(point, result, base.amounts if base else None, keep_amounts or base is None)


@contextmanager
def connect(scheduler: str | None, workers: int | None) -> Iterator[Any]:
    """A Dask client: of the scheduler at `scheduler`, or of a local cluster of `workers` processes (one thread
    each: the figures are Python, one thread per process is what runs in parallel) listening on 127.0.0.1
    only, started here and closed on leaving."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError([Problem("--scheduler", None, None, _("cannot connect to the scheduler {address}: "
                                                                   "{error}").format(address=scheduler,
                                                                                     error=exc))]) from None
        with client:
            yield client
        return
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=logging.ERROR, memory_limit=0) as cluster, \
            Client(cluster) as client:
        yield client


def run_sweep(client: Any, sweep: Sweep, years: list[int], engine: str, keep_amounts: bool = False,
              progress: Callable[[int, int], None] | None = None) -> SweepReport:
    """Run the base scenario and every scenario of the grid as tasks of `client`; raise InputError with every
    problem of the runs that were refused (each named by its scenario)."""
    from dask.distributed import as_completed

    shared = Shared(sweep.base_file, sweep.base_path, sweep.base.dataset, sweep.rulebook, years, engine,
                    language())
    [shared_f] = client.scatter([shared], broadcast=True, hash=False)
    base_f = client.submit(run_point, shared_f, sweep.base_point, None, True, pure=False)
    futures = [client.submit(run_point, shared_f, point, base_f, keep_amounts, pure=False)
               for point in sweep.points]
    done: dict[str, Outcome] = {}
    total = len(futures) + 1
    for future in as_completed([base_f, *futures]):
        outcome = future.result()
        done[outcome.point.name] = outcome
        if progress:
            progress(len(done), total)
    base = done[sweep.base_point.name]
    outcomes = [done[p.name] for p in sweep.points]
    problems = [Problem(p.file, p.row, p.column, f"{o.point.name}: {p.message}")
                for o in [base, *outcomes] for p in o.problems]
    if problems:
        raise InputError(problems)
    return SweepReport(sweep, years, engine, base, outcomes)
