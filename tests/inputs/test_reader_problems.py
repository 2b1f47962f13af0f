"""Every check of the dataset reader, one broken cell at a time, on a tiny dataset written here: the exact list of
problems (file, row, column, message) that `load_dataset` reports, and the exact models of the rows it accepts.

The tiny dataset (one CTG 2021-2025 over communes A and B; an EPCI E, an association S, a commune D and an
association X; an ALSH and a coordination post; two CEJ actions ending in 2020; one activity and one payment row)
is valid as written. Each case changes a few cells and lists, by hand, what the reader must say. Rows are
spreadsheet rows: header = row 1. The schema is a small one given here (types ALSH, COORDINATION, EAJE;
COORDINATION a post), so the messages that list the known types are written out in full.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from ctg_funding.errors import InputError
from ctg_funding.inputs.dataset import load_dataset
from ctg_funding.inputs.model import Activity, CejAction, Collectivite, Payment, PostStatus, Structure
from ctg_funding.inputs.readers import Checker, Schema, read_territory

SCHEMA = Schema(types=frozenset({"ALSH", "COORDINATION", "EAJE"}), post_types=frozenset({"COORDINATION"}))

TERRITORY = {"id": "T1", "name": "CTG test", "caf": "Caf test", "start": "2021-01-01", "end": "2025-12-31",
             "pilotage_deadline_year": "2025", "communes": "A;B"}

FILES: dict[str, list[list[str]]] = {
    "collectivites.csv": [
        ["id", "name", "kind", "signatory", "qpv_zrr", "tranche"],
        ["A", "Commune A", "commune", "true", "false", "1"],  # row 2
        ["B", "Commune B", "commune", "true", "true", "3"],  # row 3
        ["E", "Epci E", "epci", "true", "", ""],  # row 4
        ["S", "Assoc S", "association", "false", "", ""],  # row 5
        ["D", "Commune D", "commune", "false", "false", "2"],  # row 6: in no CTG, used by nothing
        ["X", "Assoc X", "association", "false", "true", ""],  # row 7: used by nothing
    ],
    "structures.csv": [
        ["id", "name", "type", "commune_id", "manager_id", "supported_by", "ps_funded", "opened", "closed", "units",
         "post_status", "converted_on", "occupancy_rate", "source"],
        ["S1", "Alsh one", "ALSH", "A", "S", "A;E", "true", "2019-01-01", "", "100", "", "", "61.04", "x"],  # row 2
        ["P1", "Coord", "COORDINATION", "B", "E", "", "false", "2019-01-01", "", "1.5", "coordinateur_cej", "", "",
         ""],  # row 3
    ],
    "cej.csv": [
        ["contract_id", "collectivite_id", "structure_id", "last_year", "amount"],
        ["C1", "A", "S1", "2020", "100.5"],  # row 2
        ["C1", "A", "P1", "2020", "50"],  # row 3
    ],
    "activity.csv": [
        ["structure_id", "year", "units"],
        ["S1", "2022", "90"],  # row 2
    ],
    "payments.csv": [
        ["year", "structure_id", "line", "amount", "note"],
        ["2022", "S1", "bonus_territoire", "10", ""],  # row 2
    ],
}


def _csv(rows: list[list[str]]) -> str:
    return "".join(",".join(r) + "\n" for r in rows)  # no cell of these tests holds a comma or a quote


def _yaml(t: dict[str, str]) -> str:
    lines = []
    for key, value in t.items():
        if key == "communes":
            value = "[" + ", ".join(value.split(";")) + "]"
        elif key == "renewals":
            value = "[" + ", ".join(value.split(";")) + "]"
        lines.append(f"{key}: {value}\n")
    return "".join(lines)


def write(tmp_path: Path, edits: dict[tuple[str, int, str], str] | None = None, *,
          territory: dict[str, str] | None = None, territories: list[dict[str, str]] | None = None,
          drop: tuple[tuple[str, str], ...] = (), add: dict[str, list[list[str]]] | None = None) -> Path:
    """The tiny dataset in tmp_path/ds, with cells changed (file, row, column) -> value, columns dropped, rows
    added at the end; the CTG in territory.yaml (`territory`: keys changed) or in territories.csv (`territories`)."""
    folder = tmp_path / "ds"
    folder.mkdir()
    files = {name: [list(r) for r in rows] for name, rows in FILES.items()}
    for name, rows in (add or {}).items():
        files[name].extend([list(r) for r in rows])
    for (name, row, column), value in (edits or {}).items():
        files[name][row - 1][files[name][0].index(column)] = value
    for name, column in drop:
        index = files[name][0].index(column)
        files[name] = [r[:index] + r[index + 1:] for r in files[name]]
    for name, rows in files.items():
        (folder / name).write_text(_csv(rows), encoding="utf-8")
    if territories is not None:
        header = list(territories[0])
        (folder / "territories.csv").write_text(_csv([header, *[[t[k] for k in header] for t in territories]]),
                                                encoding="utf-8")
    else:
        (folder / "territory.yaml").write_text(_yaml({**TERRITORY, **(territory or {})}), encoding="utf-8")
    return folder


def problems(folder: Path) -> list[tuple]:
    with pytest.raises(InputError) as info:
        load_dataset(folder, SCHEMA)
    return [(p.file, p.row, p.column, p.message) for p in info.value.problems]


# ----------------------------------------------------------------------------------------------- the valid one


def test_tiny_dataset_reads_every_cell(tmp_path):
    ds = load_dataset(write(tmp_path), SCHEMA)
    (t,) = ds.territories
    assert (t.id, t.name, t.caf, t.start, t.end, t.pilotage_deadline_year, t.communes, t.renewals) == (
        "T1", "CTG test", "Caf test", dt.date(2021, 1, 1), dt.date(2025, 12, 31), 2025, ("A", "B"), ())
    assert ds.collectivites == {
        "A": Collectivite(id="A", name="Commune A", kind="commune", signatory=True, qpv_zrr=False, tranche=1),
        "B": Collectivite(id="B", name="Commune B", kind="commune", signatory=True, qpv_zrr=True, tranche=3),
        "E": Collectivite(id="E", name="Epci E", kind="epci", signatory=True, qpv_zrr=False, tranche=None),
        "S": Collectivite(id="S", name="Assoc S", kind="association", signatory=False, qpv_zrr=False, tranche=None),
        "D": Collectivite(id="D", name="Commune D", kind="commune", signatory=False, qpv_zrr=False, tranche=2),
        "X": Collectivite(id="X", name="Assoc X", kind="association", signatory=False, qpv_zrr=True, tranche=None),
    }
    assert ds.structures == {
        "S1": Structure(id="S1", name="Alsh one", type="ALSH", commune_id="A", manager_id="S", supported_by=("A", "E"),
                        ps_funded=True, opened=dt.date(2019, 1, 1), closed=None, units=Decimal("100"),
                        post_status=None, converted_on=None, extra={"occupancy_rate": Decimal("61.04")}),
        "P1": Structure(id="P1", name="Coord", type="COORDINATION", commune_id="B", manager_id="E", supported_by=(),
                        ps_funded=False, opened=dt.date(2019, 1, 1), closed=None, units=Decimal("1.5"),
                        post_status=PostStatus.COORDINATEUR_CEJ, converted_on=None, extra={}),
    }
    assert ds.cej == [
        CejAction(contract_id="C1", collectivite_id="A", structure_id="S1", last_year=2020, amount=Decimal("100.50")),
        CejAction(contract_id="C1", collectivite_id="A", structure_id="P1", last_year=2020, amount=Decimal("50.00")),
    ]
    assert [str(a.amount) for a in ds.cej] == ["100.50", "50.00"]  # money kept to the cent
    assert ds.activity == [Activity(structure_id="S1", year=2022, units=Decimal("90"))]
    assert ds.payments == [Payment(year=2022, structure_id="S1", line="bonus_territoire", amount=Decimal("10.00"),
                                   note="")]
    assert ds.warnings == []


@pytest.mark.parametrize(("edits", "check"), [
    ({("collectivites.csv", 2, "kind"): " Commune ", ("collectivites.csv", 2, "tranche"): "2.0"},
     lambda ds: (ds.collectivites["A"].kind, ds.collectivites["A"].tranche) == ("commune", 2)),
    ({("structures.csv", 2, "closed"): "2019-01-02"},  # the day after opened
     lambda ds: ds.structures["S1"].closed == dt.date(2019, 1, 2)),
    ({("structures.csv", 3, "post_status"): "charge_cooperation", ("structures.csv", 3, "converted_on"): "01/07/2024"},
     lambda ds: (ds.structures["P1"].post_status, ds.structures["P1"].converted_on) == (
         PostStatus.CHARGE_COOPERATION, dt.date(2024, 7, 1))),
    ({("structures.csv", 2, "occupancy_rate"): ""}, lambda ds: ds.structures["S1"].extra == {}),
    ({("cej.csv", 2, "last_year"): "2024"}, lambda ds: ds.cej[0].last_year == 2024),  # the last year allowed
    ({("activity.csv", 2, "year"): "2000"}, lambda ds: ds.activity[0].year == 2000),
    ({("activity.csv", 2, "year"): "2100"}, lambda ds: ds.activity[0].year == 2100),
    ({("payments.csv", 2, "year"): "2000"}, lambda ds: ds.payments[0].year == 2000),
    ({("payments.csv", 2, "year"): "2100"}, lambda ds: ds.payments[0].year == 2100),
    ({("payments.csv", 2, "amount"): "-4.5", ("payments.csv", 2, "note"): "recovery"},
     lambda ds: (ds.payments[0].amount, ds.payments[0].note) == (Decimal("-4.50"), "recovery")),
    ({("payments.csv", 2, "line"): "pilotage"}, lambda ds: ds.payments[0].line == "pilotage"),
    ({("payments.csv", 2, "amount"): "0"}, lambda ds: str(ds.payments[0].amount) == "0.00"),  # zero needs no note
    ({("payments.csv", 2, "amount"): "0.5"}, lambda ds: str(ds.payments[0].amount) == "0.50"),
], ids=["kind-case-tranche-float", "closed-next-day", "charge-cooperation", "no-extra", "cej-last-year-high",
        "activity-2000", "activity-2100", "payment-2000", "payment-2100", "recovery-with-note", "line-pilotage",
        "payment-zero", "payment-half"])
def test_values_just_inside_the_bounds_are_read(tmp_path, edits, check):
    assert check(load_dataset(write(tmp_path, edits), SCHEMA))


# ---------------------------------------------------------------------------------------- one broken cell each

C, S, J, A, P = "collectivites.csv", "structures.csv", "cej.csv", "activity.csv", "payments.csv"
KINDS = "commune, sivu, epci, ccas, association, company, other"
LINES = "bonus_territoire, pilotage, bonus_places_nouvelles, plancher_alsh, bonus_trajectoire"
NUMBER = "expected a number such as 1234.56 or 1234,56, got {!r}"

CASES = {
    # collectivites.csv
    "coll-kind-unknown": ({(C, 7, "kind"): "city"},
                          [(C, 7, "kind", f"unknown kind 'city' (expected one of: {KINDS})")]),
    "coll-kind-unknown-with-tranche": ({(C, 7, "kind"): "club", (C, 7, "tranche"): "2"},
                                       [(C, 7, "kind", f"unknown kind 'club' (expected one of: {KINDS})")]),
    "coll-kind-blank": ({(C, 7, "kind"): ""}, [(C, 7, "kind", "a value is required")]),
    "coll-tranche-low": ({(C, 6, "tranche"): "0"},
                         [(C, 6, "tranche", "expected a whole number between 1 and 3, got 0")]),
    "coll-tranche-high": ({(C, 6, "tranche"): "4"},
                          [(C, 6, "tranche", "expected a whole number between 1 and 3, got 4")]),
    "coll-tranche-missing": ({(C, 6, "tranche"): ""}, [(C, 6, "tranche", "a value is required")]),
    "coll-tranche-not-commune": ({(C, 4, "tranche"): "2"},
                                 [(C, 4, "tranche", "a tranche is for communes only; leave it blank")]),
    "coll-tranche-bad-not-commune": ({(C, 7, "tranche"): "9"},
                                     [(C, 7, "tranche", "expected a whole number between 1 and 3, got 9")]),
    "coll-signatory": ({(C, 6, "signatory"): "maybe"}, [(C, 6, "signatory", "expected true or false, got 'maybe'")]),
    "coll-signatory-blank": ({(C, 7, "signatory"): ""}, [(C, 7, "signatory", "a value is required")]),
    "coll-qpv-commune-blank": ({(C, 6, "qpv_zrr"): ""}, [(C, 6, "qpv_zrr", "a value is required")]),
    "coll-qpv-bad": ({(C, 7, "qpv_zrr"): "perhaps"}, [(C, 7, "qpv_zrr", "expected true or false, got 'perhaps'")]),
    "coll-name-blank": ({(C, 7, "name"): ""}, [(C, 7, "name", "a value is required")]),
    "coll-id-blank": ({(C, 7, "id"): ""}, [(C, 7, "id", "a value is required")]),
    "coll-id-duplicate": ({(C, 7, "id"): "E"}, [(C, 7, "id", "duplicate id 'E' (first at row 4)")]),
    "coll-rows-after-duplicate": ({(C, 6, "id"): "E", (C, 7, "kind"): "club"},
                                  [(C, 6, "id", "duplicate id 'E' (first at row 4)"),
                                   (C, 7, "kind", f"unknown kind 'club' (expected one of: {KINDS})")]),
    "coll-rows-after-a-bad-cell": ({(C, 6, "signatory"): "maybe", (C, 7, "kind"): "club"},
                                   [(C, 6, "signatory", "expected true or false, got 'maybe'"),
                                    (C, 7, "kind", f"unknown kind 'club' (expected one of: {KINDS})")]),
    "coll-rows-after-blank-id": ({(C, 6, "id"): "", (C, 7, "kind"): "club"},
                                 [(C, 6, "id", "a value is required"),
                                  (C, 7, "kind", f"unknown kind 'club' (expected one of: {KINDS})")]),
    # structures.csv
    "str-type-unknown": ({(S, 2, "type"): "CINEMA"},
                         [(S, 2, "type", "unknown type 'CINEMA' (expected one of: ALSH, COORDINATION, EAJE)")]),
    "str-type-blank": ({(S, 2, "type"): ""}, [(S, 2, "type", "a value is required")]),
    "str-name-blank": ({(S, 3, "name"): ""}, [(S, 3, "name", "a value is required")]),
    "str-opened-bad": ({(S, 2, "opened"): "2019-02-30"},
                       [(S, 2, "opened", "'2019-02-30' is not a valid date (day is out of range for month)")]),
    "str-opened-blank": ({(S, 3, "opened"): ""}, [(S, 3, "opened", "a value is required")]),
    "str-closed-bad": ({(S, 2, "closed"): "soon"},
                       [(S, 2, "closed", "expected a date such as 2024-07-01, got 'soon'")]),
    "str-closed-same-day": ({(S, 2, "closed"): "2019-01-01"},
                            [(S, 2, "closed", "closed 2019-01-01 is not after opened 2019-01-01")]),
    "str-closed-before": ({(S, 3, "closed"): "31/12/2018"},
                          [(S, 3, "closed", "closed 2018-12-31 is not after opened 2019-01-01")]),
    "str-units-bad": ({(S, 2, "units"): "many"}, [(S, 2, "units", NUMBER.format("many"))]),
    "str-units-negative": ({(S, 3, "units"): "-1"}, [(S, 3, "units", "must not be negative, got '-1'")]),
    "str-units-blank": ({(S, 2, "units"): ""}, [(S, 2, "units", "a value is required")]),
    "str-extra-bad": ({(S, 2, "occupancy_rate"): "high"}, [(S, 2, "occupancy_rate", NUMBER.format("high"))]),
    "str-ps-funded": ({(S, 3, "ps_funded"): "si"}, [(S, 3, "ps_funded", "expected true or false, got 'si'")]),
    "str-ps-funded-blank": ({(S, 3, "ps_funded"): ""}, [(S, 3, "ps_funded", "a value is required")]),
    "str-commune-unknown": ({(S, 2, "commune_id"): "ZZ"},
                            [(S, 2, "commune_id", "unknown commune 'ZZ': it is not in collectivites")]),
    "str-commune-not-commune": ({(S, 2, "commune_id"): "E"},
                                [(S, 2, "commune_id", "unknown commune 'E': it is a epci, not a commune")]),
    "str-commune-blank": ({(S, 2, "commune_id"): ""}, [(S, 2, "commune_id", "a value is required")]),
    "str-manager-unknown": ({(S, 3, "manager_id"): "YY"},
                            [(S, 3, "manager_id", "unknown manager 'YY': it is not in collectivites")]),
    "str-manager-blank": ({(S, 3, "manager_id"): ""}, [(S, 3, "manager_id", "a value is required")]),
    "str-supported-unknown": ({(S, 2, "supported_by"): "A;ZZ;E;YY"},
                              [(S, 2, "supported_by", "unknown collectivité 'ZZ', 'YY' in supported_by")]),
    "str-supported-empty-id": ({(S, 2, "supported_by"): "A;;E"},
                               [(S, 2, "supported_by", "empty id in list 'A;;E'; separate ids with ';'")]),
    "str-id-duplicate": ({(S, 3, "id"): "S1"}, [(J, 3, "structure_id", "CEJ action for unknown structure 'P1'"),
                                               (S, 3, "id", "duplicate id 'S1' (first at row 2)")]),
    "str-post-status-not-post": ({(S, 2, "post_status"): "coordinateur_cej"},
                                 [(S, 2, "post_status", "post_status is for coordination posts only, not for type "
                                                        "ALSH")]),
    "str-post-status-unknown-type": ({(S, 2, "type"): "BAR", (S, 2, "post_status"): "coordinateur_cej"},
                                     [(S, 2, "type", "unknown type 'BAR' (expected one of: ALSH, COORDINATION, "
                                                     "EAJE)")]),
    "str-post-status-bad": ({(S, 3, "post_status"): "boss"},
                            [(S, 3, "post_status", "unknown post_status 'boss' (expected coordinateur_cej or "
                                                   "charge_cooperation)")]),
    "str-post-status-missing": ({(S, 3, "post_status"): ""}, [(S, 3, "post_status", "a value is required")]),
    "str-converted-not-post": ({(S, 2, "converted_on"): "2024-01-01"},
                               [(S, 2, "converted_on", "converted_on is for coordination posts only, not for type "
                                                       "ALSH")]),
    "str-converted-unknown-type": ({(S, 2, "type"): "BAR", (S, 2, "converted_on"): "2024-01-01"},
                                   [(S, 2, "type", "unknown type 'BAR' (expected one of: ALSH, COORDINATION, "
                                                   "EAJE)")]),
    "str-converted-bad": ({(S, 3, "converted_on"): "2024-01-32"},
                          [(S, 3, "converted_on", "'2024-01-32' is not a valid date (day is out of range for month)")]),
    "str-converted-still-cej": ({(S, 3, "converted_on"): "2024-01-01"},
                                [(S, 3, "converted_on", "converted_on is set but post_status is still "
                                                        "coordinateur_cej")]),
    "str-charge-without-date": ({(S, 3, "post_status"): "charge_cooperation"},
                                [(S, 3, "converted_on", "a charge_cooperation post needs the date it was converted "
                                                        "(converted_on)")]),
    "str-rows-after-a-bad-one": ({(S, 2, "units"): "x", (S, 3, "ps_funded"): "x"},
                                 [(S, 2, "units", NUMBER.format("x")),
                                  (S, 3, "ps_funded", "expected true or false, got 'x'")]),
    # cej.csv
    "cej-rows-after-a-bad-one": ({(J, 2, "amount"): "x", (J, 3, "amount"): "-1"},
                                 [(J, 2, "amount", NUMBER.format("x")),
                                  (J, 3, "amount", "must not be negative, got '-1'")]),
    "cej-coll-unknown": ({(J, 2, "collectivite_id"): "ZZ"}, [(J, 2, "collectivite_id", "unknown collectivité 'ZZ'")]),
    "cej-coll-blank": ({(J, 2, "collectivite_id"): ""}, [(J, 2, "collectivite_id", "a value is required")]),
    "cej-contract-blank": ({(J, 3, "contract_id"): ""}, [(J, 3, "contract_id", "a value is required")]),
    "cej-structure-unknown": ({(J, 3, "structure_id"): "ZZ"},
                              [(J, 3, "structure_id", "CEJ action for unknown structure 'ZZ'")]),
    "cej-structure-blank": ({(J, 3, "structure_id"): ""}, [(J, 3, "structure_id", "a value is required")]),
    # the CTG starts in 2021 and ends in 2025: its CEJ actions end from 2020 to 2024
    "cej-last-year-low": ({(J, 2, "last_year"): "2019"},
                          [(J, 2, "last_year", "last_year 2019 is outside the CEJ period that this CTG can convert "
                                               "(2020..2024)")]),
    "cej-last-year-high": ({(J, 3, "last_year"): "2025"},
                           [(J, 3, "last_year", "last_year 2025 is outside the CEJ period that this CTG can convert "
                                                "(2020..2024)")]),
    "cej-last-year-bad": ({(J, 2, "last_year"): "2020.5"},
                          [(J, 2, "last_year", "expected a whole number, got '2020.5'")]),
    "cej-last-year-blank": ({(J, 2, "last_year"): ""}, [(J, 2, "last_year", "a value is required")]),
    "cej-amount-bad": ({(J, 3, "amount"): "lots"}, [(J, 3, "amount", NUMBER.format("lots"))]),
    "cej-amount-negative": ({(J, 3, "amount"): "-50"}, [(J, 3, "amount", "must not be negative, got '-50'")]),
    "cej-amount-places": ({(J, 2, "amount"): "100.505"},
                          [(J, 2, "amount", "at most 2 decimals allowed, got '100.505'")]),
    "cej-amount-blank": ({(J, 2, "amount"): ""}, [(J, 2, "amount", "a value is required")]),
    "cej-repeat": ({(J, 3, "structure_id"): "S1", (J, 3, "amount"): "7"},
                   [(J, 3, None, "repeats row 2: the same CEJ action (contract, structure and last year) "
                                 "(contract_id 'C1', structure_id 'S1', last_year '2020')")]),
    # activity.csv
    "act-structure-unknown": ({(A, 2, "structure_id"): "ZZ"}, [(A, 2, "structure_id", "unknown structure 'ZZ'")]),
    "act-structure-blank": ({(A, 2, "structure_id"): ""}, [(A, 2, "structure_id", "a value is required")]),
    "act-year-low": ({(A, 2, "year"): "1999"},
                     [(A, 2, "year", "expected a whole number between 2000 and 2100, got 1999")]),
    "act-year-high": ({(A, 2, "year"): "2101"},
                      [(A, 2, "year", "expected a whole number between 2000 and 2100, got 2101")]),
    "act-year-blank": ({(A, 2, "year"): ""}, [(A, 2, "year", "a value is required")]),
    "act-units-bad": ({(A, 2, "units"): "some"}, [(A, 2, "units", NUMBER.format("some"))]),
    "act-units-blank": ({(A, 2, "units"): ""}, [(A, 2, "units", "a value is required")]),
    # payments.csv
    "pay-year-low": ({(P, 2, "year"): "1999"},
                     [(P, 2, "year", "expected a whole number between 2000 and 2100, got 1999")]),
    "pay-year-high": ({(P, 2, "year"): "2101"},
                      [(P, 2, "year", "expected a whole number between 2000 and 2100, got 2101")]),
    "pay-year-blank": ({(P, 2, "year"): ""}, [(P, 2, "year", "a value is required")]),
    "pay-structure-blank": ({(P, 2, "structure_id"): ""}, [(P, 2, "structure_id", "a value is required")]),
    "pay-line-unknown": ({(P, 2, "line"): "bonus"},
                         [(P, 2, "line", f"unknown line 'bonus' (expected one of: {LINES})")]),
    "pay-line-blank": ({(P, 2, "line"): ""}, [(P, 2, "line", "a value is required")]),
    "pay-amount-bad": ({(P, 2, "amount"): "ten"}, [(P, 2, "amount", NUMBER.format("ten"))]),
    "pay-amount-places": ({(P, 2, "amount"): "-1.001", (P, 2, "note"): "n"},
                          [(P, 2, "amount", "at most 2 decimals allowed, got '-1.001'")]),
    "pay-amount-blank": ({(P, 2, "amount"): ""}, [(P, 2, "amount", "a value is required")]),
    "pay-negative-without-note": ({(P, 2, "amount"): "-5"},
                                  [(P, 2, "amount", "negative amount -5.00 (a recovery) needs a note explaining it")]),
}


@pytest.mark.parametrize(("edits", "expected"), list(CASES.values()), ids=list(CASES))
def test_one_broken_cell(tmp_path, edits, expected):
    assert problems(write(tmp_path, edits)) == expected


def test_every_problem_of_a_row_at_once(tmp_path):
    """A row with several bad cells: each is named (the problems come sorted by file, row, column)."""
    edits = {(S, 2, "type"): "X", (S, 2, "units"): "-2", (S, 2, "ps_funded"): "", (S, 2, "manager_id"): "Q",
             (J, 3, "last_year"): "2030", (J, 3, "amount"): "1.234"}
    assert problems(write(tmp_path, edits)) == [
        (J, 3, "amount", "at most 2 decimals allowed, got '1.234'"),
        (J, 3, "last_year", "last_year 2030 is outside the CEJ period that this CTG can convert (2020..2024)"),
        (S, 2, "manager_id", "unknown manager 'Q': it is not in collectivites"),
        (S, 2, "ps_funded", "a value is required"),
        (S, 2, "type", "unknown type 'X' (expected one of: ALSH, COORDINATION, EAJE)"),
        (S, 2, "units", "must not be negative, got '-2'"),
    ]


# -------------------------------------------------------------------------------------------- repeated rows


def test_repeated_payment_and_repeated_units(tmp_path):
    folder = write(tmp_path, add={
        P: [["2022", "S1", "bonus_territoire", "10", ""],  # row 3: row 2 again
            ["2022", "S1", "bonus_territoire", "10", "paid twice"]],  # row 4: says so
        A: [["S1", "2022", "95"], ["S1", "2023", "80"], ["S1", "2022", "99"]],  # rows 3 to 5
    })
    assert problems(folder) == [
        (A, 3, "year", "second units for S1 in 2022 (first at row 2)"),
        (A, 5, "year", "second units for S1 in 2022 (first at row 2)"),
        (P, 3, None, "repeats row 2: the same payment (every cell equal; if it was really paid twice, say so in "
                     "the note of one of them)"),
    ]


def test_rows_after_a_repeated_cej_action_are_checked(tmp_path):
    folder = write(tmp_path, {(J, 3, "structure_id"): "S1"}, add={J: [["C2", "A", "P1", "2020", "x"]]})
    assert problems(folder) == [
        (J, 3, None, "repeats row 2: the same CEJ action (contract, structure and last year) "
                     "(contract_id 'C1', structure_id 'S1', last_year '2020')"),
        (J, 4, "amount", NUMBER.format("x")),
    ]


def test_rows_after_a_repeated_payment_are_checked(tmp_path):
    folder = write(tmp_path, add={P: [["2022", "S1", "bonus_territoire", "10", ""],  # row 3: row 2 again
                                      ["2023", "S1", "pilotage", "x", ""]]})
    assert problems(folder) == [
        (P, 3, None, "repeats row 2: the same payment (every cell equal; if it was really paid twice, say so in "
                     "the note of one of them)"),
        (P, 4, "amount", NUMBER.format("x")),
    ]


def test_payments_without_a_note_column(tmp_path):
    """The note column is optional: without it a payment has no note, so a negative amount is refused."""
    folder = write(tmp_path, drop=((P, "note"),))
    assert load_dataset(folder, SCHEMA).payments == [
        Payment(year=2022, structure_id="S1", line="bonus_territoire", amount=Decimal("10.00"), note="")]
    (folder / P).write_text("year,structure_id,line,amount\n2022,S1,pilotage,-3\n", encoding="utf-8")
    assert problems(folder) == [(P, 2, "amount", "negative amount -3.00 (a recovery) needs a note explaining it")]
    # four columns: the repeat is named without the list of its cells (only up to three are listed)
    (folder / P).write_text("year,structure_id,line,amount\n2022,S1,pilotage,3\n2022,S1,pilotage,3\n",
                            encoding="utf-8")
    assert problems(folder) == [(P, 3, None, "repeats row 2: the same payment (every cell equal; if it was really "
                                             "paid twice, say so in the note of one of them)")]


def test_checker_repeats_names_every_repeat_in_order(tmp_path):
    """The problems in the order they are found, each once (load_dataset sorts them and merges equal ones)."""
    folder = write(tmp_path, {(J, 3, "structure_id"): "S1", (A, 2, "structure_id"): "ZZ"},
                   add={J: [["C1", "A", "S1", "2020", "9"]], A: [["ZZ", "2022", "1"]]})
    checker = Checker()
    from ctg_funding.inputs.readers import read_activity, read_cej
    from ctg_funding.inputs.tables import read_csv_table
    assert read_cej(checker, read_csv_table(folder / J), {}, [], None) == [
        CejAction(contract_id="C1", collectivite_id="A", structure_id="S1", last_year=2020, amount=Decimal("100.50"))]
    assert read_activity(checker, read_csv_table(folder / A), {"S1"}) == []
    assert [(p.file, p.row, p.column, p.message) for p in checker.problems] == [
        (J, 3, None, "repeats row 2: the same CEJ action (contract, structure and last year) "
                     "(contract_id 'C1', structure_id 'S1', last_year '2020')"),
        (J, 4, None, "repeats row 2: the same CEJ action (contract, structure and last year) "
                     "(contract_id 'C1', structure_id 'S1', last_year '2020')"),
        (A, 2, "structure_id", "unknown structure 'ZZ'"),
        (A, 3, "structure_id", "unknown structure 'ZZ'"),
        (A, 3, "year", "second units for ZZ in 2022 (first at row 2)"),
    ]
    assert checker.rows == {"cej": [2]}


# ---------------------------------------------------------------------------------------------- missing columns


@pytest.mark.parametrize(("name", "columns", "expected"), [
    (C, ("kind",), "id, name, kind, signatory, qpv_zrr, tranche"),
    (C, ("tranche", "name"), "id, name, kind, signatory, qpv_zrr, tranche"),
    (S, ("units",), "id, name, type, commune_id, manager_id, supported_by, ps_funded, opened, closed, units, "
                    "post_status, converted_on"),
    (J, ("amount",), "contract_id, collectivite_id, structure_id, last_year, amount"),
    (A, ("year",), "structure_id, year, units"),
    (P, ("line",), "year, structure_id, line, amount"),
], ids=["collectivites", "collectivites-two", "structures", "cej", "activity", "payments"])
def test_missing_column(tmp_path, name, columns, expected):
    # without collectivites, a commune or manager is not called unknown: the missing column says why
    edits = {(S, 2, "commune_id"): "ZZ", (S, 3, "manager_id"): "YY", (S, 2, "supported_by"): "XX;A"}
    folder = write(tmp_path, edits if name == C else None,
                   drop=tuple((name, c) for c in columns))
    assert problems(folder) == sorted((name, 1, c, f"missing column (expected columns: {expected})")
                                      for c in columns)


# ----------------------------------------------------------------------------------------------- territory.yaml


@pytest.mark.parametrize(("territory", "expected"), [
    # the CEJ actions may then end from 2020 (start 2021 - 1) to 2019 (end 2020 - 1): none can
    ({"end": "2020-12-31"}, [
        (J, 2, "last_year", "last_year 2020 is outside the CEJ period that this CTG can convert (2020..2019)"),
        (J, 3, "last_year", "last_year 2020 is outside the CEJ period that this CTG can convert (2020..2019)"),
        ("territory.yaml", None, "end", "end 2020-12-31 is before start 2021-01-01")]),
    ({"renewals": "2025-12-31"},
     [("territory.yaml", None, "renewals", "renewal ending 2025-12-31 does not end after the CTG before it "
                                           "(2025-12-31): each renewed CTG runs from the day after the previous "
                                           "one's end to its date")]),
    ({"renewals": "2030-12-31;2028-12-31;2030-06-30"},
     [("territory.yaml", None, "renewals", "renewal ending 2028-12-31 does not end after the CTG before it "
                                           "(2030-12-31): each renewed CTG runs from the day after the previous "
                                           "one's end to its date"),
      ("territory.yaml", None, "renewals", "renewal ending 2030-06-30 does not end after the CTG before it "
                                           "(2030-12-31): each renewed CTG runs from the day after the previous "
                                           "one's end to its date")]),
    ({"communes": "A;E"}, [("territory.yaml", None, "communes", "'E' is a epci, not a commune")]),
], ids=["end-before-start", "renewal-same-day", "renewals-out-of-order", "commune-is-epci"])
def test_territory_yaml_problems(tmp_path, territory, expected):
    assert problems(write(tmp_path, territory=territory)) == expected


def test_territory_renewals_and_same_day_end_are_read(tmp_path):
    """A one-day CTG (end == start) is allowed; renewals that grow are read in order."""
    folder = write(tmp_path, territory={"start": "2021-01-01", "end": "2021-01-01",
                                        "renewals": "2021-01-02;2025-12-31"},
                   edits={(J, 2, "last_year"): "2020", (J, 3, "last_year"): "2020"})
    (t,) = load_dataset(folder, SCHEMA).territories
    assert (t.end, t.renewals) == (dt.date(2021, 1, 1), (dt.date(2021, 1, 2), dt.date(2025, 12, 31)))


@pytest.mark.parametrize(("data", "kind"), [
    (None, "nothing"), ("CTG", "a text"), (["a"], "a list"), (5, "a number"), (5.5, "a number"),
    (True, "true or false"), (dt.date(2021, 1, 1), "date"),
], ids=["none", "text", "list", "int", "float", "bool", "date"])
def test_territory_not_a_mapping(data, kind):
    checker = Checker()
    assert read_territory(checker, "territory.yaml", data) is None
    assert [(p.file, p.row, p.column, p.message) for p in checker.problems] == [
        ("territory.yaml", 1, None, "expected a mapping of keys (id, name, caf, start, end, pilotage_deadline_year, "
                                    f"communes, and optionally renewals), got {kind}")]


def test_a_territory_yaml_key_that_is_not_text_is_a_problem(tmp_path):
    # `2021: x` is read by YAML as the number 2021: named as the key, not an internal error (exit 3).
    folder = write(tmp_path)
    with (folder / "territory.yaml").open("a", encoding="utf-8") as f:
        f.write("2021: x\n")
    assert problems(folder) == [("territory.yaml", None, "2021", "a key must be a name, such as start")]


def test_territory_yaml_list_through_load(tmp_path):
    folder = write(tmp_path)
    (folder / "territory.yaml").write_text("- T1\n- T2\n", encoding="utf-8")
    assert problems(folder) == [
        ("territory.yaml", 1, None, "expected a mapping of keys (id, name, caf, start, end, pilotage_deadline_year, "
                                    "communes, and optionally renewals), got a list")]


# ---------------------------------------------------------------------------------------------- territories.csv

T2 = {**TERRITORY, "id": "T2", "name": "CTG two", "start": "2021-01-01", "end": "2027-12-31", "communes": "B"}
T = "territories.csv"


def _t(**changes: str) -> dict[str, str]:
    return {**TERRITORY, "communes": "A", **changes}


@pytest.mark.parametrize(("rows", "expected"), [
    ([_t(start="2021-13-01"), T2], [(T, 2, "start", "'2021-13-01' is not a valid date (month must be in 1..12)")]),
    ([_t(), {**T2, "end": "31/02/2027"}], [(T, 3, "end", "'31/02/2027' is not a valid date (day is out of range "
                                                         "for month)")]),
    ([_t(communes="A;;C"), T2], [(T, 2, "communes", "empty id in list 'A;;C'; separate ids with ';'")]),
    ([_t(pilotage_deadline_year="1999"), T2],
     [(T, 2, "pilotage_deadline_year", "expected a whole number between 2000 and 2100, got 1999")]),
    ([_t(pilotage_deadline_year="2101"), T2],
     [(T, 2, "pilotage_deadline_year", "expected a whole number between 2000 and 2100, got 2101")]),
    ([_t(end="2020-06-30"), T2], [(T, 2, "end", "end 2020-06-30 is before start 2021-01-01")]),
    ([_t(renewals="2030-12-31;x"), {**T2, "renewals": ""}],
     [(T, 2, "renewals", "expected a date such as 2024-07-01, got 'x'")]),
    ([_t(renewals="2025-06-30"), {**T2, "renewals": ""}],
     [(T, 2, "renewals", "renewal ending 2025-06-30 does not end after the CTG before it (2025-12-31): each "
                         "renewed CTG runs from the day after the previous one's end to its date")]),
    ([_t(), {**T2, "communes": "B;A"}], [(T, 3, "communes", "commune 'A' is already in territory 'T1'")]),
    ([_t(start="x"), T2, {**T2, "id": "T3"}],
     [(T, 2, "start", "expected a date such as 2024-07-01, got 'x'"),
      (T, 4, "communes", "commune 'B' is already in territory 'T2'")]),
    ([_t(), {**T2, "id": "T1"}], [(T, 3, "id", "duplicate id 'T1' (first at row 2)")]),
    ([_t(), {**T2, "id": ""}], [(T, 3, "id", "a value is required")]),
    ([_t(), {**T2, "communes": "B;Z"}], [(T, None, "communes", "unknown commune 'Z': not in collectivites")]),
    ([_t(), {**T2, "start": "", "caf": ""}],
     [(T, 3, "start", "expected a date such as 2024-07-01, got ''")]),
], ids=["start", "end", "communes", "pilotage-low", "pilotage-high", "end-before-start", "renewal-bad",
        "renewal-early", "commune-twice", "rows-after-a-bad-one", "id-twice", "id-blank", "commune-unknown",
        "start-blank"])
def test_territories_csv_problems(tmp_path, rows, expected):
    assert problems(write(tmp_path, territories=rows)) == expected


def test_territories_csv_reads_several_ctgs(tmp_path):
    """Two CTGs, 2021-2025 and 2021-2027: the CEJ actions may end from 2020 (2021 - 1) to 2026 (2027 - 1)."""
    folder = write(tmp_path, {(J, 2, "last_year"): "2026"},
                   territories=[_t(pilotage_deadline_year="2000", renewals="2030-12-31;2031-01-01"),
                                {**T2, "pilotage_deadline_year": "2100", "renewals": " "}])
    ds = load_dataset(folder, SCHEMA)
    t1, t2 = ds.territories
    assert (t1.id, t1.communes, t1.pilotage_deadline_year, t1.renewals) == (
        "T1", ("A",), 2000, (dt.date(2030, 12, 31), dt.date(2031, 1, 1)))
    assert (t2.id, t2.communes, t2.pilotage_deadline_year, t2.renewals, t2.end) == (
        "T2", ("B",), 2100, (), dt.date(2027, 12, 31))
    assert ds.cej[0].last_year == 2026
    assert ds.territory_file == "territories.csv"


def test_territories_csv_bounds_of_cej_years(tmp_path):
    folder = write(tmp_path, {(J, 2, "last_year"): "2027", (J, 3, "last_year"): "2019"}, territories=[_t(), T2])
    assert problems(folder) == [
        (J, 2, "last_year", "last_year 2027 is outside the CEJ period that this CTG can convert (2020..2026)"),
        (J, 3, "last_year", "last_year 2019 is outside the CEJ period that this CTG can convert (2020..2026)"),
    ]


def test_territories_csv_without_rows(tmp_path):
    folder = write(tmp_path, territories=[_t()])
    (folder / T).write_text(",".join(TERRITORY) + "\n", encoding="utf-8")
    assert problems(folder) == [(T, None, None, "no territory: expected at least one row")]


def test_territories_csv_missing_column(tmp_path):
    folder = write(tmp_path, territories=[_t()])
    (folder / T).write_text("id,name,caf,start,end,communes\nT1,N,C,2021-01-01,2025-12-31,A\n", encoding="utf-8")
    assert problems(folder) == [(T, 1, "pilotage_deadline_year", "missing column (expected columns: id, name, caf, "
                                                                 "start, end, pilotage_deadline_year, communes)")]


@pytest.mark.parametrize(("start", "edits", "expected"), [
    # a CTG starting in 2005 could convert CEJ actions ending in 2004, but the CEJ only began in 2006
    ("2005-01-01", {(J, 2, "last_year"): "2005"},
     [(J, 2, "last_year", "last_year 2005 is outside the CEJ period that this CTG can convert (2006..2024)")]),
    ("2005-01-01", {(J, 2, "last_year"): "2006"}, []),
], ids=["before-first-cej", "first-cej-year"])
def test_first_cej_year(tmp_path, start, edits, expected):
    folder = write(tmp_path, edits, territory={"start": start})
    if expected:
        assert problems(folder) == expected
    else:
        assert load_dataset(folder, SCHEMA).cej[0].last_year == 2006


def test_cej_years_without_a_territory(tmp_path):
    """With no readable CTG, last_year is only held to the CEJ's own period (2006..2100)."""
    folder = write(tmp_path, {(J, 2, "last_year"): "2005", (J, 3, "last_year"): "2101"},
                   add={J: [["C1", "A", "S1", "2100", "1"], ["C2", "A", "S1", "2006", "1"]]},
                   territory={"start": "soon"})
    assert problems(folder) == [
        (J, 2, "last_year", "last_year 2005 is outside the CEJ period that this CTG can convert (2006..2100)"),
        (J, 3, "last_year", "last_year 2101 is outside the CEJ period that this CTG can convert (2006..2100)"),
        ("territory.yaml", None, "start", "expected a date such as 2024-07-01, got 'soon'"),
    ]


# ------------------------------------------------------------------------------------ a workbook's territory sheet


def _workbook(tmp_path: Path, territory_rows: list[list[object]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "territory"
    for r in territory_rows:
        sheet.append(r)
    for name in (C, S, J):
        other = book.create_sheet(name.removesuffix(".csv"))
        for r in FILES[name]:
            other.append(r)
    path = tmp_path / "book.xlsx"
    book.save(path)
    return path


def test_workbook_territory_sheet_with_one_column(tmp_path):
    path = _workbook(tmp_path, [["key"], *[[k] for k in TERRITORY]])
    assert problems(path) == [("book.xlsx[territory]", 1, None, "expected two columns: key and value")]


def test_workbook_territory_sheet_reads_the_first_two_columns(tmp_path):
    path = _workbook(tmp_path, [["key", "value", "comment"], *[[k, v, "ignored"] for k, v in TERRITORY.items()]])
    (t,) = load_dataset(path, SCHEMA).territories
    assert (t.id, t.start, t.pilotage_deadline_year, t.communes) == ("T1", dt.date(2021, 1, 1), 2025, ("A", "B"))


def test_workbook_territory_cell_problem(tmp_path):
    rows = [["key", "value"], *[[k, "2021-01-01 12:00" if k == "start" else v] for k, v in TERRITORY.items()]]
    assert problems(_workbook(tmp_path, rows)) == [
        ("book.xlsx[territory]", None, "start", "expected a date such as 2024-07-01, got '2021-01-01 12:00'")]


@pytest.mark.parametrize(("territory", "expected"), [
    ({"caf": None}, [("territory.yaml", None, "caf", "a value is required")]),
    ({"colour": "blue"}, [("territory.yaml", None, "colour", "unknown key")]),
    ({"communes": "A;7"}, [("territory.yaml", None, "communes", "expected text, got 7")]),
    ({"start": "soon", "end": "later"}, [("territory.yaml", None, "end", "expected a date such as 2024-07-01, got "
                                                                        "'later'"),
                                         ("territory.yaml", None, "start", "expected a date such as 2024-07-01, got "
                                                                          "'soon'")]),
], ids=["missing-key", "unknown-key", "commune-not-text", "two-bad-dates"])
def test_territory_yaml_model_problems(tmp_path, territory, expected):
    """territory.yaml's typed values are checked by the Territory model: each error named by its key."""
    folder = write(tmp_path, territory={k: v for k, v in territory.items() if v is not None})
    if territory.get("caf", "") is None:
        text = (folder / "territory.yaml").read_text(encoding="utf-8")
        (folder / "territory.yaml").write_text("".join(line for line in text.splitlines(keepends=True)
                                                       if not line.startswith("caf:")), encoding="utf-8")
    assert problems(folder) == expected


def test_plausibility_warnings_name_the_rows_read(tmp_path):
    """Warnings name the spreadsheet row of each structure and CEJ action read. Three ALSH of 100, 100 and 100000
    units: the median is 100 and 100000 > 100 * 100. Their CEJ amounts 100.50, 50 and 100000: the median is 100.50
    and 100000 > 100 * 100.50. Per unit, 1.005, 0.5 and 1: nothing implausible."""
    folder = write(tmp_path, {(S, 3, "type"): "ALSH", (S, 3, "post_status"): "", (S, 3, "units"): "100"},
                   add={S: [["S3", "Big", "ALSH", "A", "S", "", "true", "2019-01-01", "", "100000", "", "", "", ""]],
                        J: [["C2", "A", "S3", "2020", "100000"]]})
    ds = load_dataset(folder, SCHEMA)
    assert [(w.file, w.row, w.column) for w in ds.warnings] == [
        (J, 4, "amount"), (S, 4, "units")]


def test_read_territory_takes_typed_values_unless_told_text():
    """Without `text`, values are YAML's typed values: a `;` list written as text is not a list of communes."""
    data = {**TERRITORY, "start": dt.date(2021, 1, 1), "end": dt.date(2025, 12, 31), "pilotage_deadline_year": 2025}
    checker = Checker()
    assert read_territory(checker, "territory.yaml", data) is None
    assert [(p.file, p.row, p.column, p.message) for p in checker.problems] == [
        ("territory.yaml", None, "communes", "expected a list, such as [A, B], got 'A;B'")]
    checker = Checker()
    assert read_territory(checker, "territory.yaml", data, text=True).communes == ("A", "B")
    assert checker.problems == []
