"""End to end, as a user runs it: `ctg simulate SCENARIO --engine vector --format csv --output FILE`, on the CAB
and on generated datasets of 6,000, 60,000 and 120,000 structures over 10 years (and the xlsx of 60,000).

    python benchmarks/end_to_end.py [--sizes cab,6k,60k,120k] [--repeat N] [--data DIR] [--xlsx 60k]
                                    [--reference OTHER_PYTHON]

For each size it runs the `ctg` command (its wall time and peak memory, as /usr/bin/time -v gives them: the
child's ru_maxrss), then the same work in stages in another process (load: rules, dataset and scenario read and
checked; simulate: the vector run; write: the output file; other: interpreter start, imports, exit), and prints
one Markdown table. With --repeat N, the best of N runs of each (runs alternate: CLI, stages, CLI, stages...).
Datasets are generated once into --data (default: a folder in the system's temporary folder), seed 7, 1,000
territories per 60,000 structures. --reference runs the `ctg` of another install too (say, main's venv), its runs
interleaved with this one's (reference, this, reference, this...), for a before/after on a busy machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"cab": None, "6k": (100, 6_000), "60k": (1_000, 60_000), "120k": (2_000, 120_000)}
CAB_SCENARIO = ROOT / "scenarios" / "cab-per-unit.yaml"


def scenario_for(size: str, data: Path) -> Path:
    """The scenario of a size: the CAB's per-unit scenario, or a generated dataset's (made if missing)."""
    if SIZES[size] is None:
        return CAB_SCENARIO
    territories, structures = SIZES[size]
    folder = data / size
    if not (folder / "scenario.yaml").is_file():
        subprocess.run([sys.executable, "-m", "ctg_funding", "generate", str(folder), "--territories",
                        str(territories), "--structures", str(structures), "--seed", "7"], check=True,
                       stdout=subprocess.DEVNULL)
    return folder / "scenario.yaml"


def measured(command: list[str]) -> tuple[float, float, str]:
    """Run `command`; its wall time (s), its peak resident memory (MB) and what it printed on stdout."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, text=True)
        _pid, status, usage = os.wait4(process.pid, 0)  # this child's own rusage
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            err.seek(0)
            raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}): {err.read()[-2000:]}")
        out.seek(0)
        return wall, usage.ru_maxrss / 1024, out.read()


def cli_command(scenario: Path, fmt: str, output: Path, python: str = sys.executable) -> list[str]:
    return [python, "-m", "ctg_funding", "simulate", str(scenario), "--engine", "vector", "--format", fmt,
            "--output", str(output), "--lang", "en", "--quiet"]


def stages(scenario: Path, fmt: str, output: Path) -> dict[str, float]:
    """The CLI's work in stages, timed (s), with the peak memory (MB) at the end of each: load, simulate, write,
    as `ctg simulate` does them (the collector paused through the run and its output)."""
    import resource

    def peak() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    t0 = time.perf_counter()
    from ctg_funding.cli.commands import write_simulation
    from ctg_funding.cli.options import Presentation
    from ctg_funding.collector import gc_paused
    from ctg_funding.i18n import set_language
    from ctg_funding.rulebook import load_rulebook
    from ctg_funding.scenario.file import load_scenario
    from ctg_funding.simulation import simulate

    set_language("en")
    t1 = time.perf_counter()
    sc = load_scenario(scenario, load_rulebook())
    t2, after_load = time.perf_counter(), peak()
    with gc_paused():
        result = simulate(sc, sc.year_list, engine="vector")
        t3, after_simulate = time.perf_counter(), peak()
        write_simulation(result, fmt, output, Presentation())
        t4 = time.perf_counter()
    return {"imports": t1 - t0, "load": t2 - t1, "simulate": t3 - t2, "write": t4 - t3, "peak_load": after_load,
            "peak_simulate": after_simulate, "peak_write": peak(), "structure_years": len(result.structure_years),
            "lines": len(result.lines)}


def measure(size: str, fmt: str, data: Path, repeat: int, reference: str | None = None) -> dict[str, float]:
    """Best of `repeat` CLI runs and stage runs of one size and format (and of the reference's CLI)."""
    scenario = scenario_for(size, data)
    output = data / f"out-{size}.{fmt}"
    best: dict[str, float] = {}
    for _ in range(repeat):
        timing: dict[str, float] = {}
        if reference:
            timing["ref_wall"], timing["ref_rss"], _out = measured(cli_command(scenario, fmt, output, reference))
        wall, rss, _out = measured(cli_command(scenario, fmt, output))
        s_wall, s_rss, printed = measured([sys.executable, __file__, "--stages", str(scenario), fmt, str(output)])
        timing.update(json.loads(printed))
        timing.update(cli_wall=wall, cli_rss=rss, stage_wall=s_wall, stage_rss=s_rss,
                      other=s_wall - timing["load"] - timing["simulate"] - timing["write"])
        for key, value in timing.items():
            best[key] = min(best.get(key, value), value)
    return best


def table(rows: list[tuple[str, str, dict[str, float]]]) -> str:
    reference = all("ref_wall" in m for _s, _f, m in rows)
    head = ("| dataset | format | structure-years | lines | `ctg simulate` wall | peak memory | load | simulate | "
            "write | other |")
    rule = "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    if reference:
        head, rule = head + " reference wall | reference peak |", rule + " ---: | ---: |"
    out = [head, rule]
    for size, fmt, m in rows:
        name = "CAB (`cab-per-unit`)" if size == "cab" else f"{SIZES[size][1]:,} structures"
        line = (f"| {name} | {fmt} | {int(m['structure_years']):,} | {int(m['lines']):,} | {m['cli_wall']:.2f} s "
                f"| {m['cli_rss']:,.0f} MB | {m['load']:.2f} s | {m['simulate']:.2f} s | {m['write']:.2f} s "
                f"| {m['other']:.2f} s |")
        if reference:
            line += f" {m['ref_wall']:.2f} s | {m['ref_rss']:,.0f} MB |"
        out.append(line)
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="cab,6k,60k,120k", help="Comma-separated: cab, 6k, 60k, 120k")
    parser.add_argument("--xlsx", default="60k", help="Sizes also written as xlsx (comma-separated, or none)")
    parser.add_argument("--repeat", type=int, default=1, help="Best of this many runs")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "ctg-end-to-end")
    parser.add_argument("--reference", help="Another install's Python whose `ctg simulate` is timed too")
    parser.add_argument("--stages", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stages:
        scenario, fmt, output = args.stages
        print(json.dumps(stages(Path(scenario), fmt, Path(output))))
        return
    args.data.mkdir(parents=True, exist_ok=True)
    rows = []
    for size in args.sizes.split(","):
        for fmt in ("csv", *(["xlsx"] if size in args.xlsx.split(",") else [])):
            rows.append((size, fmt, measure(size, fmt, args.data, args.repeat, args.reference)))
            print(f"{size} {fmt}: {rows[-1][2]['cli_wall']:.2f} s", file=sys.stderr)
    print(table(rows))


if __name__ == "__main__":
    main()
