"""The simulation on columns, directly: a result's structure-years by id and managers, territory-years no CTG
covers, R8's lines read from a block of lines held as columns, and the evaluations of a few rows. Every expected
figure is worked out by hand in a comment, or is the reference's (structure_years)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest
from support.case_runner import shipped_rulebook, write_case

from ctg_funding.allocation import policy
from ctg_funding.allocation.results import Lines
from ctg_funding.allocation.vector import LineBlock, PackedLine
from ctg_funding.engine.coded import CodedEvaluations
from ctg_funding.engine.resolve import Evaluation
from ctg_funding.rulebook import required
from ctg_funding.scenario.file import load_scenario
from ctg_funding.scenario.frame import year_frame
from ctg_funding.scenario.structure_years import structure_years
from ctg_funding.simulation import StructureYearsById, _of_rows, _plancher, _uncovered, simulate

# ------------------------------------------------------------------------------------------ CTG not in force


def test_uncovered_territories_get_one_warning_with_their_whole_envelope():
    # T: one structure R1 let through, covered. U and V: R1 fired on all. U's envelopes 100.00 + 50.00; V none.
    envelopes = [SimpleNamespace(territory="U", envelope=Decimal("100.00")),
                 SimpleNamespace(territory="T", envelope=Decimal("7.00")),
                 SimpleNamespace(territory="U", envelope=Decimal("50.00"))]
    got = _uncovered(2023, np.array(["V", "T", "U", "T", "U"], dtype=object),
                     np.array([True, True, True, False, True]), envelopes)
    assert [(w.year, w.family, w.territory, w.kind, w.amount) for w in got] == [
        (2023, "", "U", policy.CTG_OFF, Decimal("150.00")), (2023, "", "V", policy.CTG_OFF, Decimal("0.00"))]
    assert _uncovered(2023, np.array(["T"], dtype=object), np.array([False]), envelopes) == []
    assert _uncovered(2023, np.array([], dtype=object), np.array([], dtype=bool), envelopes) == []


# ------------------------------------------------------------------------------------- rows and structures


class FakeFrame:
    def __init__(self, sids: list[str], years: list[int]) -> None:
        self.structure_id = np.array(sids, dtype=object)
        self.year = np.array(years, dtype=np.int64)


def test_the_evaluations_of_a_few_rows_by_id():
    tail = Evaluation("", 0, "EAJE", "places", "bonus_territoire", True, None, (), None, None, None, None).tail()
    evs = CodedEvaluations(FakeFrame(["A", "B", "A"], [2022, 2022, 2023]), np.array([0, 0, 0]), [tail])
    got = _of_rows(evs, np.array([2, 0]))
    assert list(got) == ["A|2023", "A|2022"]
    assert got["A|2023"] == Evaluation("A", 2023, *tail)
    assert _of_rows(evs, np.array([], dtype=np.intp)) == {}


CASE = {"name": "managers", "years": [2022, 2023],
        "changes": [{"on": "2023-01-01", "structure": "A", "manager": "ASSO"}],
        "structures": [{"id": "A", "type": "EAJE", "units": 10}, {"id": "B", "type": "EAJE", "units": 5,
                                                                   "manager": "COM-B"}],
        "cej": {"A": 100}}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    return load_scenario(write_case(CASE, tmp_path_factory.mktemp("managers")), shipped_rulebook())


def test_structure_years_by_id_are_the_reference_s(scenario):
    frame = year_frame(scenario)
    by_id = StructureYearsById(frame)
    want = {sy.id: sy for sy in structure_years(scenario)}
    assert len(by_id) == len(want) == 4 and list(by_id) == list(want)
    assert all(by_id[key] == sy for key, sy in want.items())
    with pytest.raises(KeyError):
        by_id["Z|2022"]


@pytest.mark.parametrize("engine", ["durable", "vector"])
def test_a_line_s_manager_is_the_one_in_force_that_year(scenario, engine):
    # A is managed by its commune, COM-A, then by ASSO from 2023 (a scenario change); B by COM-B throughout.
    result = simulate(scenario, engine=engine)
    assert result.managers(["A", "B", "A"], 2022) == ["COM-A", "COM-B", "COM-A"]
    assert result.managers(["B", "A"], 2023) == ["COM-B", "ASSO"]
    assert result.managers([], 2023) == []


def test_managers_without_changes_are_the_structures_own(tmp_path):
    case = {**CASE, "changes": []}
    result = simulate(load_scenario(write_case(case, tmp_path), shipped_rulebook()), engine="vector")
    assert result.managers(["A", "B"], 2023) == ["COM-A", "COM-B"]


# ----------------------------------------------------------------------------------------------------- R8


def alsh(sid: str, hours: int, cents: int) -> PackedLine:
    return PackedLine(year=2023, structure_id=sid, family="ALSH", line="bonus_territoire", unit="attendance hours",
                      eligible=True, reason=None, rules=["R2.alsh"], method="historical", weight=None, rate=None,
                      capped=False, units_num=hours, units_den=1, n1_cents=cents, num=cents, den100=100, cents=cents,
                      open_days=365, year_days=365, base_num=cents, base_den100=100, cap_cents=None,
                      renewed_from=None)


def block(lines: list[PackedLine]) -> LineBlock:
    columns = {}
    for name in PackedLine._fields:
        values = [getattr(ln, name) for ln in lines]
        columns[name] = values if name == "rules" else np.array(values + [None], dtype=object)[:-1]
    for name in ("year", "units_num", "units_den", "cents", "n1_cents", "open_days", "year_days"):
        columns[name] = np.array([getattr(ln, name) for ln in lines], dtype=np.int64)
    return LineBlock(columns)


def test_plancher_reads_a_block_s_lines_under_their_floor_only():
    # Floor 0.15 EUR per hour in T, none in U. 10,000 hours: 1,500.00. B 1,499.99 (under: 0.01), C 1,500.00 (at),
    # D 1,500.01 (over); X under but R8 does not apply to it; W under in U (no floor). E, a line object: 1,000
    # hours, 100.00, under 150.00: 50.00; F, an object under its floor that R8 does not apply to.
    lines = Lines([alsh("E", 1000, 10000), alsh("F", 1000, 0)])
    lines.extend(block([alsh("B", 10000, 149999), alsh("C", 10000, 150000), alsh("D", 10000, 150001),
                        alsh("X", 10000, 0), alsh("W", 10000, 0)]))
    floors = {"T": Decimal("0.15"), "U": None}
    scenario = SimpleNamespace(
        rulebook_for=lambda tid: SimpleNamespace(value=lambda name, year: floors[tid] if name == required.ALSH_FLOOR
                                                 else None),
        dataset=SimpleNamespace(territories=[SimpleNamespace(id="T"), SimpleNamespace(id="U")]))
    territory_of = {"B": "T", "C": "T", "D": "T", "X": "T", "W": "U", "E": "T", "F": "T"}
    ev = SimpleNamespace(formulas=(required.PLANCHER_ALSH,), classify_rule="R2.alsh")
    evaluations = {f"{sid}|2023": ev for sid in territory_of}
    got = _plancher(2023, lines, evaluations, territory_of, scenario, {"B", "C", "D", "W", "E"})
    assert [(ln.structure_id, ln.amount, ln.target) for ln in got] == [
        ("E", Decimal("50.00"), Fraction(150)), ("B", Decimal("0.01"), Fraction(1500))]
    floors["T"] = Decimal("0")
    assert _plancher(2023, lines, evaluations, territory_of, scenario, {"B", "E"}) == []
