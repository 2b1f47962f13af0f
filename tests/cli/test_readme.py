"""The figures the READMEs quote are the figures the tools give: each quoted output and table is checked against
a run of the command it quotes."""

from __future__ import annotations

import json
import re
import shlex
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from ctg_funding.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str]) -> tuple[int, str]:
    out = CliRunner().invoke(main, args)
    return out.exit_code, out.output


def quoted_runs(text: str) -> list[tuple[str, list[str]]]:
    """Each `$ ctg ...` block of a Markdown text: the command and the lines it quotes (up to the fence)."""
    out = []
    for block in re.findall(r"```\n(\$ ctg .*?)```", text, flags=re.S):
        command, *lines = block.rstrip("\n").split("\n")
        out.append((command[2:], lines))
    return out


def test_the_readme_example_is_what_ctg_prints(monkeypatch):
    monkeypatch.chdir(ROOT)
    runs = quoted_runs((ROOT / "README.md").read_text(encoding="utf-8"))
    assert runs, "the README quotes a run"
    for command, lines in runs:
        code, output = run(shlex.split(command)[1:])
        assert code in (0, 1), output
        printed = output.splitlines()
        position = 0
        for line in lines:
            if line == "...":
                continue
            assert line in printed[position:], f"{command}: {line!r} is not printed (in order)"
            position = printed.index(line, position) + 1


def _amount(text: str) -> Decimal:
    return Decimal(text.replace(",", "").replace("+", ""))


def test_the_cab_readme_audit_table_is_what_the_audit_finds(monkeypatch):
    monkeypatch.chdir(ROOT)
    text = (ROOT / "data" / "cab" / "README.md").read_text(encoding="utf-8")
    table = [line.split(" | ") for line in text.splitlines()
             if re.match(r"\| (\d+ )?\| 20\d\d \|", line)]
    quoted = {(int(cells[1]), cells[3].split("`")[1], cells[4].split(" (")[0].replace("family ", ""),
               _amount(cells[5]), _amount(cells[6]), _amount(cells[7].rstrip(" |")))
              for cells in table}
    code, output = run(["audit", "scenarios/cab-audit.yaml", "--year", "2022..2026", "--format", "json"])
    assert code == 1
    findings = {(f["year"], f["code"], f["structure_id"] or f["family"], Decimal(f["expected"]),
                 Decimal(f["paid"]), Decimal(f["difference"])) for f in json.loads(output)["findings"]}
    assert quoted == findings
    # "In 2026 the rules allocate 97,260.00 EUR of the 205,553.19 EUR ... the payments, 127,102.15 EUR"
    families = json.loads(output)["families"]
    pilotage = next(f for f in families if f["year"] == 2026 and f["family"] == "PILOTAGE")
    assert (pilotage["envelope"], pilotage["expected"], pilotage["paid"]) == ("205553.19", "97260.00", "127102.15")
    assert "97,260.00 EUR of the\n  205,553.19 EUR" in text and "127,102.15 EUR" in text
