"""structures.csv and cej.csv read column by column (inputs/columns.py) against the row reader, the reference.

Differential: the same Dataset (every model equal value for value, with the same representation and type), the
same problems in the same order and the same warnings, whether the fast path reads the clean rows or every row goes
through the row reader (`fast=False`); on the CAB dataset, on generated datasets (with extra numeric columns), on
every broken cell of tests/inputs/test_reader_problems.py and on files mixing bad rows with many good ones. Then
the fast path itself, worked out by hand: which rows it finds clean (both sides of each boundary), its columns.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from inputs.test_reader_problems import CASES, SCHEMA, write

from ctg_funding.errors import InputError
from ctg_funding.inputs import columns, plausibility, readers
from ctg_funding.inputs import dataset as dataset_module
from ctg_funding.inputs.cells import parse_date, parse_decimal
from ctg_funding.inputs.dataset import load_dataset
from ctg_funding.inputs.generate import generate
from ctg_funding.inputs.model import CejAction, Collectivite, PostStatus, Structure
from ctg_funding.inputs.readers import Checker, read_cej, read_structures
from ctg_funding.inputs.tables import Table, read_csv_table
from ctg_funding.rulebook.load import load_rulebook
from ctg_funding.scenario.file import schema_of

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def rules_schema():
    return schema_of(load_rulebook(None))


def _exact(model) -> tuple:
    """Everything a model holds, as exactly as it can be told apart: the representation of each value (Decimal
    places, types, enum members), the fields set, pydantic's extra and private parts."""
    return (type(model).__name__, repr(vars(model)), sorted(model.model_fields_set), model.__pydantic_extra__,
            model.__pydantic_private__)


def _view(ds) -> tuple:
    return (ds.territories, ds.collectivites, [(k, _exact(s)) for k, s in ds.structures.items()],
            [_exact(a) for a in ds.cej], ds.activity, ds.payments, ds.warnings, ds.sha256, ds.territory_file)


def _outcome(folder: Path, schema) -> tuple:
    try:
        return "dataset", _view(load_dataset(folder, schema))
    except InputError as exc:
        return "problems", [(p.file, p.row, p.column, p.message) for p in exc.problems]


def _both(folder: Path, schema, monkeypatch) -> tuple:
    """The outcome of loading `folder` with the fast path, checked equal to the one of the row reader alone."""
    fast = _outcome(folder, schema)
    with monkeypatch.context() as m:
        m.setattr(dataset_module, "read_structures", partial(readers.read_structures, fast=False))
        m.setattr(dataset_module, "read_cej", partial(readers.read_cej, fast=False))
        slow = _outcome(folder, schema)
    assert fast == slow
    return fast


class Spy:
    """Counts the models the fast path makes (so that a test knows it did the work, not the row reader)."""

    def __init__(self, monkeypatch) -> None:
        self.made: dict[str, int] = {}
        for name in ("clean_structures", "clean_cej"):
            monkeypatch.setattr(columns, name, self._spy(name, getattr(columns, name)))

    def _spy(self, name, function):
        def spied(*args, **kwargs):
            out = function(*args, **kwargs)
            self.made[name] = self.made.get(name, 0) + len(out)
            return out
        return spied


# --------------------------------------------------------------------------------------------- differential


def test_cab_dataset_is_read_the_same(rules_schema, monkeypatch):
    spy = Spy(monkeypatch)
    kind, view = _both(ROOT / "data" / "cab", rules_schema, monkeypatch)
    assert kind == "dataset"
    assert spy.made == {"clean_structures": len(view[2]), "clean_cej": len(view[3])}  # every row by the fast path


def _add_columns(path: Path) -> None:
    """Two numeric columns (blank in places, French decimals, thousands spaces, zero) and a note beside them."""
    with path.open(encoding="utf-8", newline="") as f:
        records = list(csv.reader(f))
    records[0] += ["occupancy_rate", "note", "hours"]
    forms = ["61.04", "", "0", "1 234,5", "-0.00", "7", "", "0,25"]
    for i, record in enumerate(records[1:]):
        record += [forms[i % len(forms)], f"note {i}" if i % 3 else "", forms[(i * 5) % len(forms)]]
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(records)


@pytest.mark.parametrize(("territories", "structures", "seed"), [(1, 30, 1), (3, 200, 2), (12, 900, 3)])
def test_generated_datasets_are_read_the_same(tmp_path, rules_schema, monkeypatch, territories, structures, seed):
    folder = generate(tmp_path / "ds", territories, structures, seed).parent
    _add_columns(folder / "structures.csv")
    spy = Spy(monkeypatch)
    kind, view = _both(folder, rules_schema, monkeypatch)
    assert kind == "dataset"
    assert len(view[2]) == structures
    assert spy.made == {"clean_structures": structures, "clean_cej": len(view[3])}
    extras = [s.extra for s in load_dataset(folder, rules_schema).structures.values()][:8]
    assert [{k: str(v) for k, v in e.items()} for e in extras] == [
        {"occupancy_rate": "61.04", "hours": "61.04"}, {"hours": "7"}, {"occupancy_rate": "0", "hours": "0"},
        {"occupancy_rate": "1234.5", "hours": "0.25"}, {"occupancy_rate": "0.00", "hours": "0.00"},
        {"occupancy_rate": "7"}, {}, {"occupancy_rate": "0.25", "hours": "1234.5"}]


@pytest.mark.parametrize(("edits", "expected"), list(CASES.values()), ids=list(CASES))
def test_every_broken_cell_is_reported_the_same(tmp_path, monkeypatch, edits, expected):
    assert _both(write(tmp_path, edits), SCHEMA, monkeypatch) == ("problems", expected)


def test_the_tiny_dataset_is_read_the_same(tmp_path, monkeypatch):
    spy = Spy(monkeypatch)
    assert _both(write(tmp_path), SCHEMA, monkeypatch)[0] == "dataset"
    assert spy.made == {"clean_structures": 2, "clean_cej": 2}


@pytest.mark.parametrize("edits", [
    {("structures.csv", 2, "closed"): "2019-01-02"},  # closed the day after it opened
    {("structures.csv", 3, "post_status"): "charge_cooperation", ("structures.csv", 3, "converted_on"): "01/07/2023"},
    {("structures.csv", 2, "supported_by"): "[]", ("structures.csv", 2, "units"): "1 000.50"},
    {("structures.csv", 2, "occupancy_rate"): "", ("structures.csv", 3, "occupancy_rate"): "0.5"},
    {("cej.csv", 2, "last_year"): "2024.0", ("cej.csv", 3, "amount"): "-0.00"},
    {("cej.csv", 2, "amount"): "1 234.5", ("structures.csv", 2, "ps_funded"): "OUI"},
])
def test_unusual_but_valid_cells_are_read_the_same(tmp_path, monkeypatch, edits):
    spy = Spy(monkeypatch)
    assert _both(write(tmp_path, edits), SCHEMA, monkeypatch)[0] == "dataset"
    assert spy.made == {"clean_structures": 2, "clean_cej": 2}


def test_a_missing_collectivites_file_is_reported_the_same(tmp_path, monkeypatch):
    folder = write(tmp_path, {("structures.csv", 2, "commune_id"): "ZZ", ("cej.csv", 2, "collectivite_id"): "ZZ"})
    (folder / "collectivites.csv").unlink()
    kind, found = _both(folder, SCHEMA, monkeypatch)
    assert (kind, found[-1]) == ("problems", ("collectivites.csv", None, None,
                                              "missing file: a dataset needs collectivites, structures and cej"))


def test_an_unreadable_structures_file_is_reported_the_same(tmp_path, monkeypatch):
    folder = write(tmp_path, {("cej.csv", 2, "structure_id"): "ZZ"}, drop=(("structures.csv", "units"),))
    assert _both(folder, SCHEMA, monkeypatch)[0] == "problems"


# -------------------------------------------------------------------------------- bad rows among good ones


def _generated(tmp_path: Path, structures: int = 300) -> Path:
    return generate(tmp_path / "ds", 4, structures, 5).parent


def _edit(path: Path, cells: dict[tuple[int, str], str], append: list[int] = ()) -> None:
    """Cells changed (spreadsheet row, column) and copies of rows appended at the end."""
    with path.open(encoding="utf-8", newline="") as f:
        records = list(csv.reader(f))
    for (row, column), value in cells.items():
        records[row - 1][records[0].index(column)] = value
    records += [list(records[row - 1]) for row in append]
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(records)


def test_a_few_bad_rows_among_many_good_ones(tmp_path, rules_schema, monkeypatch):
    folder = _generated(tmp_path)
    _edit(folder / "structures.csv", {(5, "units"): "x", (9, "type"): "NOPE", (40, "commune_id"): "ZZ",
                                      (77, "closed"): "1990-01-01", (120, "ps_funded"): "maybe"})
    _edit(folder / "cej.csv", {(3, "amount"): "1.001", (11, "last_year"): "1999"}, append=[20])
    last = len(read_csv_table(folder / "cej.csv").rows) + 1
    kind, found = _both(folder, rules_schema, monkeypatch)
    assert kind == "problems"
    assert [(p[0], p[1], p[2]) for p in found] == [  # as InputError lists them: by file and row
        ("cej.csv", 3, "amount"), ("cej.csv", 11, "last_year"), ("cej.csv", last, None),
        ("structures.csv", 5, "units"), ("structures.csv", 9, "type"), ("structures.csv", 40, "commune_id"),
        ("structures.csv", 77, "closed"), ("structures.csv", 120, "ps_funded")]
    assert found[2][3].startswith("repeats row 20: the same CEJ action")


def test_the_good_rows_of_a_mixed_file_are_read(tmp_path, rules_schema):
    folder = _generated(tmp_path)
    _edit(folder / "structures.csv", {(5, "units"): "x", (7, "id"): "", (8, "opened"): "2020-13-01"}, append=[2])
    tables = {key: read_csv_table(folder / f"{key}.csv") for key in ("collectivites", "structures")}
    collectivites = readers.read_collectivites(Checker(), tables["collectivites"])
    results = []
    for fast in (True, False):
        checker = Checker()
        out = read_structures(checker, tables["structures"], collectivites, rules_schema, fast=fast)
        results.append(([(k, _exact(s)) for k, s in out.items()], checker.problems, checker.rows))
    assert results[0] == results[1]
    models, found, rows = results[0]
    n = len(tables["structures"].rows)
    assert len(models) == n - 4
    assert rows["structures"] == [r for r in range(2, n + 2) if r not in (5, 7, 8, n + 1)]
    assert [(p.row, p.column) for p in found] == [(5, "units"), (7, "id"), (8, "opened"), (n + 1, "id")]


# ---------------------------------------------------------------------------------------- the fast path


def _table(name: str, header: list[str], rows: list[list[str]]) -> Table:
    return Table(name, header, [(i, dict(zip(header, r, strict=True))) for i, r in enumerate(rows, start=2)])


COLLECTIVITES = {
    "A": Collectivite(id="A", name="A", kind="commune", signatory=True, qpv_zrr=False, tranche=1),
    "E": Collectivite(id="E", name="E", kind="epci", signatory=True),
}
HEADER = list(readers.COLUMNS["structures"]) + ["rate"]
GOOD = ["S", "n", "ALSH", "A", "E", "A;E", "true", "2020-01-01", "", "10", "", "", ""]


def _row(**changes: str) -> list[str]:
    return [changes.get(col, value) for col, value in zip(HEADER, GOOD, strict=True)]


def _clean_rows(rows: list[list[str]], collectivites=COLLECTIVITES) -> list[int]:
    table = _table("structures.csv", HEADER, rows)
    return sorted(columns.clean_structures(table, readers._StructureCells(collectivites, SCHEMA), ["rate"]))


@pytest.mark.parametrize(("changes", "clean"), [
    ({}, True),
    ({"closed": "2020-01-02"}, True), ({"closed": "2020-01-01"}, False), ({"closed": "2019-12-31"}, False),
    ({"closed": "x"}, False), ({"opened": ""}, False), ({"opened": "2020-02-30"}, False),
    ({"type": "COORDINATION", "post_status": "coordinateur_cej"}, True),
    ({"type": "COORDINATION", "post_status": "coordinateur_cej", "converted_on": "2024-01-01"}, False),
    ({"type": "COORDINATION", "post_status": "charge_cooperation", "converted_on": "2024-01-01"}, True),
    ({"type": "COORDINATION", "post_status": "charge_cooperation"}, False),
    ({"type": "COORDINATION"}, False), ({"type": "COORDINATION", "converted_on": "2024-01-01"}, False),
    ({"type": "COORDINATION", "post_status": "boss"}, False),
    ({"type": "COORDINATION", "post_status": "charge_cooperation", "converted_on": "soon"}, False),
    ({"post_status": "coordinateur_cej"}, False), ({"converted_on": "2024-01-01"}, False),
    ({"type": "BAR"}, False), ({"type": ""}, False), ({"id": ""}, False), ({"name": ""}, False),
    ({"commune_id": "E"}, False), ({"commune_id": "Z"}, False), ({"commune_id": ""}, False),
    ({"manager_id": "A"}, True), ({"manager_id": "Z"}, False), ({"manager_id": ""}, False),
    ({"supported_by": ""}, True), ({"supported_by": "A;Z"}, False), ({"supported_by": "A;;E"}, False),
    ({"ps_funded": "non"}, True), ({"ps_funded": ""}, False), ({"ps_funded": "si"}, False),
    ({"units": "0"}, True), ({"units": "-1"}, False), ({"units": ""}, False), ({"units": "x"}, False),
    ({"rate": "-1,5"}, False), ({"rate": "1,5"}, True), ({"rate": "x"}, False),
])
def test_which_rows_are_clean(changes, clean):
    """Each row is between two good ones: only its own cells decide; and the reader says what the row reader says."""
    rows = [GOOD, _row(**changes), _row(id="T")]
    assert _clean_rows(rows) == ([2, 3, 4] if clean else [2, 4])
    _same_read(_table("structures.csv", HEADER, [_row(id=f"R{i}") if i != 1 else r for i, r in enumerate(rows)]))


def _same_read(table: Table, cej: Table | None = None) -> None:
    """The fast path and the row reader read `table` (and `cej`) the same: models, problems, rows noted."""
    results = []
    for fast in (True, False):
        checker = Checker()
        out = read_structures(checker, table, COLLECTIVITES, SCHEMA, fast=fast)
        actions = read_cej(checker, cej, COLLECTIVITES, [], set(out), fast=fast) if cej else []
        results.append(([(k, _exact(m)) for k, m in out.items()], [_exact(a) for a in actions], checker.problems,
                        checker.rows))
    assert results[0] == results[1]


def test_cells_left_unstripped_are_read_the_same():
    """A scenario's opened structure is a table made by hand, its cells as written."""
    structures = [_row(type=" ALSH"), _row(id="T", units=" 10 ", opened=" 2020-01-01", commune_id="A ", name=" n ",
                                           ps_funded=" oui"), _row(id="U", name=" n ", units=" 1,5 ")]
    _same_read(_table("structures.csv", HEADER, structures),
               _table("cej.csv", CEJ_HEADER, [["K", "A", "U", " 2021 ", " 5 "], ["K ", "A", "U", "2022", "5"]]))


def test_without_collectivites_any_reference_is_clean():
    rows = [_row(commune_id="Z", manager_id="Y", supported_by="Q;R")]
    assert _clean_rows(rows, collectivites={}) == [2]
    assert _clean_rows(rows) == []


def test_the_models_made_are_those_validation_makes():
    table = _table("structures.csv", HEADER, [
        GOOD, _row(type="COORDINATION", post_status="charge_cooperation", converted_on="01/07/2023", rate="0,50",
                   supported_by="", closed="2021-01-01", units="1 000,0", ps_funded="FAUX")])
    made = columns.clean_structures(table, readers._StructureCells(COLLECTIVITES, SCHEMA), ["rate"])
    expected = {
        2: Structure.model_validate(dict(id="S", name="n", type="ALSH", commune_id="A", manager_id="E",
                                         supported_by=("A", "E"), ps_funded=True, opened=dt.date(2020, 1, 1),
                                         closed=None, units=Decimal("10"), post_status=None, converted_on=None,
                                         extra={})),
        3: Structure.model_validate(dict(id="S", name="n", type="COORDINATION", commune_id="A", manager_id="E",
                                         supported_by=(), ps_funded=False, opened=dt.date(2020, 1, 1),
                                         closed=dt.date(2021, 1, 1), units=Decimal("1000.0"),
                                         post_status=PostStatus.CHARGE_COOPERATION,
                                         converted_on=dt.date(2023, 7, 1), extra={"rate": Decimal("0.50")})),
    }
    assert {row: _exact(m) for row, m in made.items()} == {row: _exact(m) for row, m in expected.items()}
    assert made == expected
    with pytest.raises(Exception, match="frozen"):
        made[2].name = "other"


CEJ_HEADER = list(readers.COLUMNS["cej"])


@pytest.mark.parametrize(("cells", "clean"), [
    ({}, True), ({"last_year": "2019"}, False), ({"last_year": "2020"}, True), ({"last_year": "2024"}, True),
    ({"last_year": "2025"}, False), ({"last_year": "x"}, False), ({"last_year": ""}, False),
    ({"amount": "1.001"}, False), ({"amount": "-1"}, False), ({"amount": ""}, False),
    ({"contract_id": ""}, False), ({"collectivite_id": "Z"}, False), ({"collectivite_id": ""}, False),
    ({"structure_id": "Z"}, False), ({"structure_id": ""}, False),
])
def test_which_cej_rows_are_clean(cells, clean):
    good = {"contract_id": "K", "collectivite_id": "A", "structure_id": "S", "last_year": "2021", "amount": "5"}
    row = {**good, **cells}
    table = _table("cej.csv", CEJ_HEADER, [list(good.values()), [row[c] for c in CEJ_HEADER]])
    made = columns.clean_cej(table, COLLECTIVITES, {"S"}, (2020, 2024))
    assert sorted(made) == ([2, 3] if clean else [2])
    assert _exact(made[2]) == _exact(CejAction(contract_id="K", collectivite_id="A", structure_id="S",
                                               last_year=2021, amount=Decimal("5.00")))


def test_cej_references_unchecked_without_collectivites_or_structures():
    table = _table("cej.csv", CEJ_HEADER, [["K", "Z", "Q", "2021", "5"]])
    assert sorted(columns.clean_cej(table, {}, None, (2020, 2024))) == [2]
    assert sorted(columns.clean_cej(table, COLLECTIVITES, None, (2020, 2024))) == []
    assert sorted(columns.clean_cej(table, {}, {"S"}, (2020, 2024))) == []


def test_repeated_clean_cej_rows_are_reported():
    table = _table("cej.csv", CEJ_HEADER, [["K", "A", "S", "2021", "5"], ["K", "A", "S", "2021", "6"],
                                           ["K", "A", "S", "2022", "5"]])
    assert columns.any_repeat(table, ("contract_id", "structure_id", "last_year"))
    assert not columns.any_repeat(table, ("contract_id", "structure_id", "amount", "last_year"))
    checker = Checker()
    out = read_cej(checker, table, COLLECTIVITES, [], {"S"})
    assert [a.amount for a in out] == [Decimal("5.00"), Decimal("5.00")]
    assert checker.rows == {"cej": [2, 4]}
    assert [(p.row, p.column) for p in checker.problems] == [(3, None)]


def test_every_row_clean_is_read_at_once_and_noted():
    table = _table("structures.csv", HEADER, [GOOD, _row(id="T")])
    checker = Checker()
    out = read_structures(checker, table, COLLECTIVITES, SCHEMA)
    assert (list(out), checker.rows, checker.problems) == (["S", "T"], {"structures": [2, 3]}, [])
    checker = Checker()
    out = read_structures(checker, _table("structures.csv", HEADER, [GOOD, GOOD]), COLLECTIVITES, SCHEMA)
    assert (list(out), checker.rows) == (["S"], {"structures": [2]})
    assert [(p.row, p.column, p.message) for p in checker.problems] == [(3, "id", "duplicate id 'S' (first at row 2)")]
    cej = _table("cej.csv", CEJ_HEADER, [["K", "A", "S", "2021", "5"], ["L", "A", "S", "2021", "5"]])
    checker = Checker()
    assert len(read_cej(checker, cej, COLLECTIVITES, [], {"S"})) == 2
    assert (checker.rows, checker.problems) == ({"cej": [2, 3]}, [])


def test_empty_files():
    checker = Checker()
    assert read_structures(checker, _table("structures.csv", HEADER, []), COLLECTIVITES, SCHEMA) == {}
    assert read_cej(checker, _table("cej.csv", CEJ_HEADER, []), COLLECTIVITES, [], None) == []
    assert (checker.rows, checker.problems) == ({}, [])


# ------------------------------------------------------------------------------------------------ columns


def test_texts_of_a_table():
    table = _table("t.csv", ["a", "b"], [["1", "2"], ["3", ""]])
    assert table.texts(["b", "a"]) == {"b": ["2", ""], "a": ["1", "3"]}
    assert table.texts(["a"]) == {"a": ["1", "3"]}
    assert table.texts([]) == {}
    assert Table("t.csv", ["a", "b"], []).texts(["a", "b"]) == {"a": [], "b": []}
    short = Table("t.csv", ["a", "b"], [(2, {"a": "1", "b": "2"}), (3, {"a": "3"})])  # made by hand
    assert short.texts(["a", "b"]) == {"a": ["1", "3"], "b": ["2", ""]}


def test_a_parsed_column():
    column = columns.Column(["2020-01-01", "", "x", "2020-01-01", "2021-02-03"], parse_date)
    assert column.uniques == [dt.date(2020, 1, 1), None, columns.REFUSED, dt.date(2021, 2, 3)]
    assert column.codes.tolist() == [0, 1, 2, 0, 3]
    assert column.clean.tolist() == [True, False, False, True, True]
    optional = columns.Column(["", "1", "-1"], parse_decimal, optional=True, accept=lambda v: v > 0)
    assert (optional.uniques, optional.clean.tolist()) == ([None, Decimal("1"), columns.REFUSED], [True, True, False])
    assert columns.Column(["1", "2"], parse_decimal, accept=lambda v: v > 1).clean.tolist() == [False, True]
    assert columns.Column(["3", "1", "3"], parse_decimal).at([2, 1]) == [Decimal("3"), Decimal("1")]


def test_a_text_column():
    column = columns.Column(["b", "", "a", "b"], None)
    assert (column.uniques, column.clean.tolist()) == (["b", "", "a"], [True, False, True, True])
    accepted = columns.Column(["b", "", "a"], None, accept=lambda t: t == "a")
    assert accepted.clean.tolist() == [False, False, True]
    assert columns.Column([], None).clean.tolist() == []
    assert columns.Column([], parse_date).clean.dtype == np.bool_


def test_blank_lines_of_a_csv_file_are_skipped(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n,\n , \n,3\n4\n\n", encoding="utf-8")
    table = read_csv_table(path)
    assert table.rows == [(2, {"a": "1", "b": "2"}), (5, {"a": "", "b": "3"}), (6, {"a": "4", "b": ""})]


# ------------------------------------------------------------------------------------------- plausibility


def test_plausibility_bounds_on_both_sides():
    """Median 10: 1000 (100 times) and 0.1 (a hundredth) are plausible, 1000.01 and 0.0999 are not; zeros and a
    family of fewer than three values are not judged."""
    values = [("F", Decimal(v), row) for row, v in enumerate(
        ["10", "10", "10", "1000", "1000.01", "0.1", "0.0999", "0"], start=2)] + [
        ("G", Decimal("1"), 20), ("G", Decimal("1000"), 21)]
    found = plausibility._outliers(values, "s.csv", "units", "units")
    assert [(p.row, p.message) for p in found] == [
        (6, "implausible units 1,000.01: more than 100 times the median of the F family in this dataset (10.00); "
            "check it"),
        (8, "implausible units 0.0999: less than a hundredth of the median of the F family in this dataset (10.00); "
            "check it")]


def test_plausibility_bounds_with_every_digit_of_a_quotient():
    """A per-unit amount has 28 digits: a hundred times it is the median exactly (plausible), one unit of its
    last digit less is below a hundredth of it."""
    third = Decimal(1) / Decimal(3)
    median = Decimal("33.33333333333333333333333333")
    assert third * 100 == median
    values = [("F", third, 2), ("F", median, 3), ("F", median, 4), ("F", median, 5),
              ("F", third - Decimal("1e-28"), 6), ("F", median * 100, 7), ("F", median * 100 + Decimal("1e-24"), 8)]
    found = plausibility._outliers(values, "s.csv", "amount", "units")
    assert [p.row for p in found] == [6, 8]


# ------------------------------------------------------------------------------------------- tables


def test_a_file_of_complete_records_gives_columns_without_row_dicts(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n 1 ,2\n,\n , \n,3\n", encoding="utf-8")
    table = read_csv_table(path)
    assert (len(table), table.numbers, table._rows) == (2, [2, 5], None)
    assert table.texts(["b", "z", "a"]) == {"b": ["2", "3"], "z": ["", ""], "a": ["1", ""]}
    assert table._rows is None  # still no dict
    assert table.rows == [(2, {"a": "1", "b": "2"}), (5, {"a": "", "b": "3"})]
    assert (len(table), table.numbers, table.texts(["a", "b"])) == (2, [2, 5], {"a": ["1", ""], "b": ["2", "3"]})


def test_a_file_without_records(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n,\n", encoding="utf-8")
    table = read_csv_table(path)
    assert (len(table), table.numbers, table.texts(["a"]), table.rows) == (0, [], {"a": []}, [])


def test_complete_records_among_short_ones_are_rows_in_order(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n3\n4,5,\n6,7\n", encoding="utf-8")
    table = read_csv_table(path)
    assert table.rows == [(2, {"a": "1", "b": "2"}), (3, {"a": "3", "b": ""}), (4, {"a": "4", "b": "5"}),
                          (5, {"a": "6", "b": "7"})]
    assert (len(table), table.numbers, table.texts(["b"])) == (4, [2, 3, 4, 5], {"b": ["2", "", "5", "7"]})


def test_a_header_with_a_blank_name_keeps_the_named_columns(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,,b\n1,x,2\n", encoding="utf-8")
    table = read_csv_table(path)
    assert (table.columns, table.rows) == (["a", "b"], [(2, {"a": "1", "b": "2"})])
    empty = tmp_path / "e.csv"
    empty.write_text("a,,b\n", encoding="utf-8")
    assert read_csv_table(empty).columns == ["a", "b"]
