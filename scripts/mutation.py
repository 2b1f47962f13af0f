"""Mutation testing of the money path with mutmut (README, "Mutation testing").

    python scripts/mutation.py                  every mutant of the money path (an hour or more on 2 cores), then
                                                docs/mutation.md rewritten: the score by module and every survivor
    python scripts/mutation.py --changed [REV]  only the mutants of the money-path functions changed since REV
                                                (default: the last commit, HEAD~1), at most --max-mutants (40) of them;
                                                none when no such function changed (what CI runs)
    python scripts/mutation.py --report         docs/mutation.md from the results of the last run, without running

The money path is split in parts (SHARDS below), each mutated by mutmut in its own copy of the repository
(mutants-shards/PART, ignored by git) and judged by the tests of its own packages (tests/ is laid out like the
package): a mutant of the reader runs the reader's tests, not the 200 tests that happen to read a dataset, which
keeps a full run within an hour or two on 2 cores. mutmut's settings common to all parts are in pyproject.toml,
[tool.mutmut] (`mutmut run` there mutates the whole money path against the whole suite, much more slowly).

mutmut counts a mutant killed when a test fails with it (or it times out); the score is killed / every mutant it
made (a mutant that no test runs counts as not killed). A run keeps the verdicts of killed mutants whose function did
not change and runs every other mutant again (--fresh: every mutant). A surviving mutant is either killed by a new
test or explained in docs/mutation.md, whose "why" column says why no test can tell it from the real code. The
script keeps those explanations (a row whose mutation changed loses its explanation) and exits 1 when a survivor
has none, or, for a full run, when the score is below 90%.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "docs" / "mutation.md"
MINIMUM = 0.90
# mutmut's exit codes of a killed mutant and of a timeout (counted killed); -11: the test process died of a
# segmentation fault, which a mutant causes by handing None to durable-rules' C engine (assert_facts, retract_facts);
# -9: the system killed it, at the hard limit of CPU time mutmut sets or out of memory (a mutant of renewal.rounds
# doubles its list of rounds for every territory-year). Either way the run crashes, which nobody could miss. Not
# 255: it is also what a worker exits with when pytest itself fails to run (a usage error, exit 4, raised in the
# worker), which proves nothing.
KILLED = {1, 3, 36, -24, 24, 152, -11, -9}
SURVIVED = {0}
NO_TESTS = {5, 33}
SKIPPED = {34}
UNEXPLAINED = "UNEXPLAINED"
SHARDS = ROOT / "mutants-shards"
COPIED = ("ctg_funding", "tests", "rules", "data", "scenarios")
CASES = "tests/allocation/test_cases.py"
NOT_CAB = ["--deselect", "tests/engine/test_engines_differential.py::test_engines_agree_on_the_cab",
           *[item for seed in (1, 2, 3) for item in
             ("--deselect", f"tests/engine/test_engines_differential.py::test_engines_agree_on_generated_multi_"
                            f"territory_datasets[{seed}]")],
           "--deselect", "tests/engine/test_engines_differential.py::test_audit_finds_the_same",
           "--deselect", "tests/engine/test_durable_traps.py::test_repeated_runs_do_not_leak_memory"]
# Each part of the money path: the files mutated, and the tests that judge its mutants.
PARTS = {
    "allocation": (["ctg_funding/allocation/*"],
                   ["tests/allocation", "tests/analysis/test_explain.py", "tests/engine/test_engines_differential.py",
                    *NOT_CAB]),
    "engine": (["ctg_funding/engine/*"], ["tests/engine", CASES, *NOT_CAB]),
    "rulebook": (["ctg_funding/rulebook/*"],
                 ["tests/rulebook", "tests/engine", CASES, *NOT_CAB]),
    "scenario": (["ctg_funding/scenario/*"],
                 ["tests/scenario", CASES, "tests/engine/test_engines_differential.py",
                  "tests/analysis/test_compare.py", "tests/faults/test_inputs.py", *NOT_CAB]),
    "analysis": (["ctg_funding/analysis/audit.py", "ctg_funding/analysis/compare.py"], ["tests/analysis"]),
    "inputs": (["ctg_funding/inputs/readers.py", "ctg_funding/inputs/cells.py", "ctg_funding/inputs/columns.py"],
               ["tests/inputs", CASES, "tests/faults/test_inputs.py"]),
}


def money_files(patterns: list[str] | None = None) -> list[Path]:
    """The files mutated (of every part, or matching `patterns`), relative to the repository."""
    patterns = patterns or [p for files, _tests in PARTS.values() for p in files]
    files = sorted(p.relative_to(ROOT) for p in (ROOT / "ctg_funding").rglob("*.py"))
    return [p for p in files if any(Path(str(p)).match(pattern) or str(p).startswith(pattern.rstrip("*"))
                                    for pattern in patterns)]


def module_of(path: Path) -> str:
    return ".".join(path.with_suffix("").parts).removesuffix(".__init__")


# ------------------------------------------------------------------------------------------------- results


def meta_file(part: str, path: Path | str) -> Path:
    return SHARDS / part / "mutants" / (str(path) + ".meta")


def results() -> dict[str, dict[str, int | None]]:
    """Per money-path file: mutant name -> mutmut's exit code (None: not run), from each part's mutants/*.meta."""
    out = {}
    for part, (files, _tests) in PARTS.items():
        for path in money_files(files):
            meta = meta_file(part, path)
            if meta.is_file():
                out[str(path)] = json.loads(meta.read_text(encoding="utf-8")).get("exit_code_by_key", {})
    return out


def part_of(path: str) -> str:
    return next(part for part, (files, _t) in PARTS.items() if Path(path) in money_files(files))


def status(code: int | None) -> str:
    if code in KILLED:
        return "killed"
    if code in SURVIVED:
        return "survived"
    if code in NO_TESTS:
        return "no tests"
    if code in SKIPPED:
        return "skipped"
    return "not run" if code is None else "suspicious"


def mutation_diff(name: str, path: str) -> str:
    """The lines a mutant changes, as `- old` / `+ new` (from mutmut's copy of the file, in mutants/)."""
    os.chdir(SHARDS / part_of(path))
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    try:
        diff = get_diff_for_mutant(name, path=path)
    except Exception as exc:  # noqa: BLE001 - a mutant whose file changed since the run: say so in its row
        return f"(no diff: {type(exc).__name__})"
    lines = [ln for ln in diff.splitlines() if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
    return " / ".join(" ".join(ln.split()) for ln in lines)[:300]


# ------------------------------------------------------------------------------------------------ the report


def _strip(text: str, *patterns: str) -> str:
    for pattern in patterns:
        text = re.sub(pattern, "", text)
    return re.sub(r",\s*\)", ")", " ".join(text.split()))


# Mutations that can change nothing, whatever the input: the reason is written once for each kind. A pattern applies
# only to a mutant whose old and new line differ in that respect alone.
KINDS = [
    (lambda old, new: _strip(old, r",? ?strict=(True|False|None)") == _strip(new, r",? ?strict=(True|False|None)")
     and "zip(" in old,
     "zip's strict=True only guards against a programming error: the sequences zipped here are built from the same "
     "list (or list comprehension over it) and always have the same length, so strict=False, None or nothing zips "
     "the same pairs"),
    (lambda old, new: "sum(" in old and old.replace(", Fraction(0))", ", )") == new,
     "sum() without its start value starts at the integer 0: 0 + a Fraction is the same Fraction, and an empty sum, "
     "0, equals Fraction(0) in every comparison and product it then takes part in"),
    (lambda old, new: _strip(old, r",? ?dtype=(np\.int64|None)") == _strip(new, r",? ?dtype=(np\.int64|None)")
     and "dtype=np.int64" in old,
     "the values are Python ints, which numpy stores as int64 on this 64-bit platform whether the dtype is given or "
     "not"),
    (lambda old, new: _strip(old, r",? ?count=[\w.]+") == _strip(new, r",? ?count=[\w.]+") and "fromiter(" in old,
     "np.fromiter's count only preallocates: without it the array is the same, built from the same iterator"),
    (lambda old, new: _strip(old, r",? ?dtype=(object|None)") == _strip(new, r",? ?dtype=(object|None)")
     and "dtype=object" in old and ("np.array(" in old or "np.asarray(" in old),
     "an array of Python objects: with Fractions, ints or None among its values numpy makes it an object array "
     "whatever the dtype asked, and an array of str becomes a str array sized to its longest value, whose elements "
     "read back (tolist, ==, indexing, pandas.factorize) as the same str"),
]


def kind_of(diff: str) -> str | None:
    """Why a mutant of one of KINDS is equivalent, from its diff `- old / + new`."""
    parts = diff.split(" / ")
    if len(parts) != 2 or not parts[0].startswith("- ") or not parts[1].startswith("+ "):
        return None
    old, new = parts[0][2:], parts[1][2:]
    return next((why for test, why in KINDS if test(old, new)), None)


ROW = re.compile(r"^\| `(?P<name>[^`]+)` \| `(?P<diff>.*)` \| (?P<why>.*) \|$")


def explanations() -> dict[str, tuple[str, str]]:
    """Mutant name -> (its diff, why it is equivalent), from the survivors' table of docs/mutation.md."""
    out = {}
    if REPORT.is_file():
        for line in REPORT.read_text(encoding="utf-8").splitlines():
            m = ROW.match(line)
            if m and m["why"].strip() and m["why"].strip() != UNEXPLAINED:
                out[m["name"]] = (m["diff"], m["why"].strip())
    return out


def write_report(codes: dict[str, dict[str, int | None]], note: str) -> tuple[float, list[str]]:
    """Rewrite docs/mutation.md; return the score and the survivors without an explanation."""
    known = explanations()
    rows, survivors, unexplained = [], [], []
    total = {"mutants": 0, "killed": 0, "survived": 0, "no tests": 0, "other": 0}
    for path, by_name in sorted(codes.items()):
        counts = defaultdict(int)
        for name, code in sorted(by_name.items()):
            s = status(code)
            counts[s] += 1
            if s in ("survived", "no tests", "suspicious", "not run"):
                diff = mutation_diff(name, path).replace("|", "\\|").replace("`", "'")
                old = known.get(name)
                why = old[1] if old and old[0] == diff else kind_of(diff.replace("\\|", "|")) or UNEXPLAINED
                if why == UNEXPLAINED:
                    unexplained.append(name)
                survivors.append(f"| `{name}` | `{diff}` | {why} |")
        scored = len(by_name) - counts["skipped"]
        other = counts["suspicious"] + counts["not run"]
        rows.append(f"| `{path}` | {len(by_name)} | {counts['killed']} | {counts['survived']} | {counts['no tests']} "
                    f"| {other} | {counts['killed'] / scored:.1%} |" if scored else f"| `{path}` | 0 | | | | | |")
        total["mutants"] += scored
        total["killed"] += counts["killed"]
        total["survived"] += counts["survived"]
        total["no tests"] += counts["no tests"]
        total["other"] += other
    score = total["killed"] / total["mutants"] if total["mutants"] else 0.0
    text = REPORT.read_text(encoding="utf-8") if REPORT.is_file() else ""
    head = text.split("<!-- generated -->")[0] if "<!-- generated -->" in text else HEAD
    body = [
        "<!-- generated -->",
        f"Last run: {note}.",
        "",
        f"**Score: {total['killed']} killed of {total['mutants']} mutants = {score:.1%}** (a timeout or a "
        f"crash counts as killed; {total['survived']} survived, {total['no tests']} run by no test, "
        f"{total['other']} suspicious or not run).",
        "",
        "| file | mutants | killed | survived | no tests | other | score |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        *rows,
        "",
        "## Mutants not killed, and why each is equivalent",
        "",
        "| mutant | mutation | why no test can tell it from the code |",
        "| --- | --- | --- |",
        *survivors,
        "",
    ]
    REPORT.write_text(head + "\n".join(body), encoding="utf-8")
    return score, unexplained


HEAD = """# Mutation testing of the money path

`python scripts/mutation.py` (README, "Mutation testing") runs [mutmut](https://pypi.org/project/mutmut/) on the
code that decides money and rewrites the part of this page below the mark: the score by file, and every mutant no
test kills, with its mutation and why no test can tell it from the real code. Edit only the last column: the
script keeps an explanation while its mutant's mutation is unchanged, and fails while a survivor has none or the
score is under 90%.

What is mutated, and which tests judge each part (scripts/mutation.py, PARTS):

| part | files | tests |
| --- | --- | --- |
| allocation | `ctg_funding/allocation/*` | tests/allocation (cases, properties), test_explain, differential |
| engine | `ctg_funding/engine/*` | tests/engine, the hand-worked cases |
| rulebook | `ctg_funding/rulebook/*` | tests/rulebook, tests/engine, the hand-worked cases |
| scenario | `ctg_funding/scenario/*` | tests/scenario, cases, differential, test_compare, input faults |
| analysis | `ctg_funding/analysis/audit.py`, `compare.py` | tests/analysis |
| inputs | `ctg_funding/inputs/readers.py`, `cells.py`, `columns.py` | tests/inputs, hand-worked cases, input faults |

The differential tests on the CAB scenarios and on generated national datasets (but one), the memory test of the
durable-rules wrapper, the fault-injection tests of outputs (subprocesses, timing) and the layout test are left out
of the mutants' runs: minutes each, for mutants the tests above already judge. Mutants that no test runs count as
not killed; a timeout counts as killed (mutmut's own score), and so does a crash of the test process: a segmentation
fault (a mutant handing None to durable-rules' C engine) or the system killing it (out of memory).

Some kinds of mutant can change nothing, whatever the input; each is explained once in the script (KINDS) and its
rows say so: `zip(..., strict=True)` made lax on sequences built from the same list, `sum(..., Fraction(0))`
without its start, numpy's dtype=int64 and np.fromiter's count left out, dtype=object left out of an array of
Python objects.

"""


# -------------------------------------------------------------------------------------------------- running


def mutmut(part: str, *args: str) -> int:
    """Run the mutmut command installed beside this Python (`python -m mutmut` confuses its own imports) in the
    part's copy of the repository."""
    return subprocess.run([str(Path(sys.executable).parent / "mutmut"), *args], cwd=SHARDS / part).returncode


def prepare(part: str, fresh: bool) -> None:
    """The part's copy of the repository, up to date, with its own [tool.mutmut]; verdicts other than killed
    forgotten, so that those mutants run again with the current tests (every verdict with `fresh`)."""
    folder = SHARDS / part
    if fresh and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        target = folder / name
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(ROOT / name, target, ignore=shutil.ignore_patterns("__pycache__", ".hypothesis"))
    files, tests = PARTS[part]
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    own = {**tomllib.loads(text)["tool"]["mutmut"], "only_mutate": files, "pytest_add_cli_args_test_selection": tests}
    section = "[tool.mutmut]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in own.items())
    (folder / "pyproject.toml").write_text(text[:text.index("[tool.mutmut]")] + section, encoding="utf-8")
    for path in money_files(files):
        meta = meta_file(part, path)
        if meta.is_file():
            data = json.loads(meta.read_text(encoding="utf-8"))
            data["exit_code_by_key"] = {k: (c if status(c) == "killed" else None)
                                        for k, c in data.get("exit_code_by_key", {}).items()}
            meta.write_text(json.dumps(data), encoding="utf-8")


def changed_functions(base: str) -> dict[str, set[str]] | None:
    """Per money-path file, the names (as mutmut mangles them) of its functions whose lines changed since `base`;
    None when there is no such commit."""
    if subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}"], cwd=ROOT,
                      capture_output=True).returncode:
        return None
    files = sorted(str(p) for p in money_files())
    diff = subprocess.run(["git", "diff", "-U0", base, "--", *files], cwd=ROOT, capture_output=True,
                          text=True).stdout
    changed: dict[str, set[int]] = defaultdict(set)
    current = None
    for line in diff.splitlines():
        if line.startswith("+++ "):
            current = line[6:] if line.startswith("+++ b/") else None
        m = re.match(r"@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", line)
        if m and current:
            start, count = int(m[1]), int(m[2] or 1)
            changed[current].update(range(start, start + max(count, 1)))
    out: dict[str, set[str]] = {}
    for path, lines in sorted(changed.items()):
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
        names = {f"x\u01c1{cls}\u01c1{node.name}" if cls else f"x_{node.name}" for node, cls in _functions(tree)
                 if lines & set(range(node.lineno, node.end_lineno + 1))}
        if names:
            out[path] = names
    return out


def mutants_of(functions: dict[str, set[str]]) -> list[str]:
    """The names of the mutants mutmut makes in these functions (made here, in memory, as mutmut makes them)."""
    os.chdir(ROOT)
    from mutmut.mutation.file_mutation import mutate_file_contents
    from mutmut.utils.format_utils import get_mutant_name

    out = []
    for path, names in functions.items():
        made = mutate_file_contents(path, (ROOT / path).read_text(encoding="utf-8")).mutant_names
        out += [get_mutant_name(Path(path), n) for n in made if n.rpartition("__mutmut_")[0] in names]
    return sorted(out)


def _functions(tree: ast.Module):
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node, ""
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    yield item, node.name


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--changed", nargs="?", const="HEAD~1", metavar="REV",
                        help="only the mutants of the money-path functions changed since REV (default HEAD~1)")
    parser.add_argument("--max-mutants", type=int, default=40, help="with --changed: at most this many mutants")
    parser.add_argument("--report", action="store_true", help="rewrite docs/mutation.md from the last results")
    parser.add_argument("--fresh", action="store_true", help="run every mutant again, killed ones too")
    parser.add_argument("--part", action="append", choices=sorted(PARTS), help="only this part (repeatable)")
    parser.add_argument("--max-children", type=int, default=2, help="mutants run at once (default 2)")
    args = parser.parse_args()
    start = time.monotonic()
    if args.changed:
        return run_changed(args.changed, args.max_mutants, args.max_children)
    if not args.report:
        for part in args.part or PARTS:
            print(f"== {part}", flush=True)
            prepare(part, args.fresh)
            code = mutmut(part, "run", "--max-children", str(args.max_children))
            if code:
                print(f"mutmut failed on {part} (exit {code})", file=sys.stderr)
                return code
    minutes = (time.monotonic() - start) / 60
    version = subprocess.run([str(Path(sys.executable).parent / "mutmut"), "--version"], capture_output=True,
                             text=True).stdout
    note = f"{dt.date.today()}, {version.strip() or 'mutmut'}" + ("" if args.report else f", {minutes:.0f} minutes")
    score, unexplained = write_report(results(), note)
    print(f"mutation score {score:.1%}; {len(unexplained)} survivors without an explanation (docs/mutation.md)")
    return 1 if score < MINIMUM or unexplained else 0


def run_changed(base: str, max_mutants: int, max_children: int) -> int:
    """CI: the mutants of the money-path functions changed since `base` (at most `max_mutants`, evenly spread), or
    none. Fails when one of them survives without an explanation in docs/mutation.md."""
    functions = changed_functions(base)
    if functions is None:
        print(f"mutation testing: no commit {base} to compare with, nothing to mutate")
        return 0
    names = mutants_of(functions)
    if not names:
        print(f"mutation testing: no money-path function changed since {base}")
        return 0
    step = max(1, -(-len(names) // max_mutants))
    chosen = names[::step]
    print(f"mutation testing: {len(chosen)} of the {len(names)} mutants of {sum(map(len, functions.values()))} "
          f"money-path functions changed since {base}", flush=True)
    by_part: dict[str, list[str]] = defaultdict(list)
    for name in chosen:
        path = next(str(p) for p in money_files() if name.startswith(module_of(p) + ".x"))
        by_part[part_of(path)].append(name)
    code = 0
    for part, part_names in sorted(by_part.items()):
        prepare(part, fresh=False)
        code = mutmut(part, "run", "--max-children", str(max_children), *part_names) or code
    codes = {name: c for by_name in results().values() for name, c in by_name.items()}
    known = explanations()
    bad = [n for n in chosen if status(codes.get(n)) != "killed" and n not in known]
    print(f"mutation testing: {sum(status(codes.get(n)) == 'killed' for n in chosen)} of {len(chosen)} killed")
    for name in bad:
        print(f"  not killed and not explained in docs/mutation.md: {name} ({status(codes.get(name))})")
    return 1 if bad or code else 0


if __name__ == "__main__":
    sys.exit(main())
