"""Check that two installs of ctg write the same outputs: a change meant to be faster must not change a byte.

    python scripts/same_outputs.py --reference /tmp/venv/bin/python --candidate .venv/bin/python [--dataset DIR]

Each interpreter runs (in one process, through click's test runner) `ctg simulate` on every scenarios/*.yaml with
both engines, in every format (table, csv, json, xlsx) and both languages, a few `compare`, `audit`, `rules` and
`validate` runs, and, with --dataset (a folder written by `ctg generate`, with its scenario.yaml), `simulate` on
that dataset. Text outputs must be byte-identical, workbooks identical cell by cell (every sheet's values) and
part by part (every file inside the workbook but its creation time), and exit codes and stderr the same. Prints
each difference; exits 1 if there is one.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ("table", "csv", "json", "xlsx")


def runs(dataset: Path | None) -> list[tuple[str, list[str]]]:
    """(name of the output, arguments of ctg) of every run; OUT in the arguments is the output file."""
    out: list[tuple[str, list[str]]] = []
    for scenario in sorted((ROOT / "scenarios").glob("*.yaml")):
        for engine in ("durable", "vector"):
            for lang in ("en", "fr"):
                for fmt in FORMATS:
                    out.append((f"{scenario.stem}-{engine}-{lang}.{fmt}",
                                ["simulate", str(scenario), "--engine", engine, "--lang", lang, "--format", fmt,
                                 "--output", "OUT"]))
    cab = ROOT / "scenarios"
    out.append(("cab-csv-dialect-fr-en.csv", ["simulate", str(cab / "cab-per-unit.yaml"), "--lang", "en",
                                              "--csv-dialect", "fr", "--format", "csv", "--output", "OUT"]))
    out.append(("cab-year-2026.table", ["simulate", str(cab / "cab-per-unit.yaml"), "--lang", "en",
                                        "--year", "2026", "--wide", "--output", "OUT"]))
    for lang in ("en", "fr"):
        for fmt in FORMATS:
            out.append((f"compare-{lang}.{fmt}", ["compare", str(cab / "cab-historical.yaml"),
                                                  str(cab / "cab-per-unit.yaml"), "--by", "structure", "--lang", lang,
                                                  "--format", fmt, "--output", "OUT"]))
            out.append((f"audit-{lang}.{fmt}", ["audit", str(cab / "cab-audit.yaml"), "--year", "2022..2026",
                                                "--lang", lang, "--format", fmt, "--output", "OUT"]))
            out.append((f"rules-{lang}.{fmt}", ["rules", "--at", "2026-01-01", "--lang", lang, "--format", fmt,
                                                "--output", "OUT"]))
        out.append((f"validate-{lang}.json", ["validate", str(ROOT / "data" / "cab"), "--lang", lang,
                                              "--format", "json", "--output", "OUT"]))
    if dataset is not None:
        scenario = dataset / "scenario.yaml"
        for lang in ("en", "fr"):
            for fmt in FORMATS:
                out.append((f"generated-vector-{lang}.{fmt}",
                            ["simulate", str(scenario), "--engine", "vector", "--lang", lang, "--format", fmt,
                             "--output", "OUT"]))
        out.append(("generated-durable-en.csv", ["simulate", str(scenario), "--engine", "durable", "--lang", "en",
                                                 "--format", "csv", "--output", "OUT"]))
        out.append(("generated-durable-fr.json", ["simulate", str(scenario), "--engine", "durable", "--lang", "fr",
                                                  "--format", "json", "--output", "OUT"]))
    return out


def worker(folder: Path, dataset: Path | None) -> None:
    """Run every run of `runs` with the ctg this interpreter imports; each output in `folder`, with its exit code
    and stderr beside it."""
    from click.testing import CliRunner

    from ctg_funding.cli import main

    runner = CliRunner()
    for name, args in runs(dataset):
        target = folder / name
        result = runner.invoke(main, [str(target) if a == "OUT" else a for a in args], catch_exceptions=False)
        (folder / f"{name}.exit").write_text(f"{result.exit_code}\n{result.stderr.replace(str(folder), 'OUT')}")


def _xlsx_parts(path: Path) -> dict[str, bytes]:
    """A workbook's parts (sheets, styles...) but its creation time (docProps/core.xml)."""
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist() if name != "docProps/core.xml"}


def _xlsx_values(path: Path) -> list[tuple[str, list[tuple]]]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        return [(sheet.title, list(sheet.iter_rows(values_only=True))) for sheet in book.worksheets]
    finally:
        book.close()


def differences(a: Path, b: Path) -> list[str]:
    """What differs between the outputs in folder `a` and those in folder `b`."""
    out = []
    names = sorted({p.name for p in a.iterdir()} | {p.name for p in b.iterdir()})
    for name in names:
        pa, pb = a / name, b / name
        if not pa.exists() or not pb.exists():
            out.append(f"{name}: only in {'candidate' if pb.exists() else 'reference'}")
        elif name.endswith(".xlsx"):
            va, vb = _xlsx_values(pa), _xlsx_values(pb)
            if va != vb:
                where = next((f"sheet {sa[0]}" for sa, sb in zip(va, vb, strict=False) if sa != sb), "sheets")
                out.append(f"{name}: cell values differ ({where})")
            elif _xlsx_parts(pa) != _xlsx_parts(pb):
                out.append(f"{name}: same cell values, but some part of the workbook differs")
        elif pa.read_bytes() != pb.read_bytes():
            out.append(f"{name}: bytes differ")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference", required=True, help="Python of the install to compare against (main's)")
    parser.add_argument("--candidate", default=sys.executable, help="Python of the install checked")
    parser.add_argument("--dataset", type=Path, help="A generated dataset folder (ctg generate) to simulate too")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    dataset = args.dataset.resolve() if args.dataset else None
    if args.worker:
        worker(args.worker, dataset)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folders = {}
        for side, python in (("reference", args.reference), ("candidate", args.candidate)):
            folders[side] = Path(tmp) / side
            folders[side].mkdir()
            command = [python, str(Path(__file__).resolve()), "--reference", python, "--worker", str(folders[side])]
            if dataset:
                command += ["--dataset", str(dataset)]
            subprocess.run(command, check=True, cwd=tmp)
        found = differences(folders["reference"], folders["candidate"])
        n = len(list(folders["reference"].iterdir())) // 2
        for line in found:
            print(line)
        print(f"{n} outputs compared: {'all identical' if not found else f'{len(found)} differ'}")
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
