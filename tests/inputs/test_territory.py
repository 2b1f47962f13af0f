"""territory.yaml is read by the project's one strict YAML reader and validated by the Territory model: a
repeated key, a text where a list is expected or an unknown key are refused with the file and the key."""

import re
from pathlib import Path

import pytest
from support.datasets import copy_cab

from ctg_funding.errors import InputError
from ctg_funding.inputs.dataset import load_dataset
from ctg_funding.rulebook import load_rulebook
from ctg_funding.scenario.file import schema_of

SCHEMA = schema_of(load_rulebook())


def problems(folder: Path) -> list:
    with pytest.raises(InputError) as exc:
        load_dataset(folder, SCHEMA)
    return exc.value.problems


def edit_territory(folder: Path, change) -> None:
    path = folder / "territory.yaml"
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")


def test_a_key_given_twice_is_refused_with_its_line(tmp_path):
    folder = copy_cab(tmp_path)
    edit_territory(folder, lambda t: t + "end: 2030-12-31\n")
    (p,) = problems(folder)
    assert p.file == "territory.yaml" and "appears twice" in p.message and "'end'" in p.message
    assert p.row == len((folder / "territory.yaml").read_text(encoding="utf-8").splitlines())


def test_communes_written_as_one_text_are_refused(tmp_path):
    folder = copy_cab(tmp_path)
    edit_territory(folder, lambda t: re.sub(r"communes:.*", "communes: BOULOGNE-SUR-MER", t, flags=re.S))
    (p,) = problems(folder)
    assert (p.file, p.column) == ("territory.yaml", "communes")
    assert "expected a list" in p.message and "BOULOGNE-SUR-MER" in p.message
    assert "key communes" in str(p)


def test_an_unknown_key_is_refused(tmp_path):
    folder = copy_cab(tmp_path)
    edit_territory(folder, lambda t: t + "signed_on: 2021-06-30\n")
    (p,) = problems(folder)
    assert (p.file, p.column, p.message) == ("territory.yaml", "signed_on", "unknown key")


def test_territories_csv_takes_dates_as_a_french_spreadsheet_writes_them(tmp_path):
    folder = copy_cab(tmp_path)
    (folder / "territory.yaml").unlink()
    communes = "BOULOGNE-SUR-MER;OUTREAU;LE-PORTEL"
    (folder / "territories.csv").write_text(
        "id;name;caf;start;end;pilotage_deadline_year;communes\n"
        f"CTG-A;CTG A;Caf;01/01/2021;31/12/2025;2025;\"{communes}\"\n", encoding="utf-8")
    dataset = load_dataset(folder, SCHEMA)
    (territory,) = dataset.territories
    assert (territory.start.isoformat(), territory.end.isoformat()) == ("2021-01-01", "2025-12-31")
    assert territory.communes == tuple(communes.split(";"))
    assert dataset.territory_file == "territories.csv"


def test_renewals_give_the_successive_ctgs(tmp_path):
    # territory.yaml may list the renewed CTGs by their last day; each starts the day after the previous end.
    folder = copy_cab(tmp_path)
    edit_territory(folder, lambda t: t + "renewals: [2030-12-31, 2035-12-31]\n")
    (territory,) = load_dataset(folder, SCHEMA).territories
    assert [(p.start.isoformat(), p.end.isoformat()) for p in territory.periods] == [
        ("2021-01-01", "2025-12-31"), ("2026-01-01", "2030-12-31"), ("2031-01-01", "2035-12-31")]


def test_renewals_that_do_not_grow_are_refused_with_the_key(tmp_path):
    folder = copy_cab(tmp_path)
    edit_territory(folder, lambda t: t + "renewals: [2030-12-31, 2029-12-31]\n")
    (p,) = problems(folder)
    assert (p.file, p.column) == ("territory.yaml", "renewals")
    assert "renewal ending 2029-12-31 does not end after the CTG before it (2030-12-31)" in p.message


def test_a_renewal_written_as_one_date_is_refused(tmp_path):
    folder = copy_cab(tmp_path)
    edit_territory(folder, lambda t: t + "renewals: 2030-12-31\n")
    (p,) = problems(folder)
    assert (p.file, p.column) == ("territory.yaml", "renewals")


def test_territories_csv_gives_renewals_in_an_optional_column(tmp_path):
    folder = copy_cab(tmp_path)
    (folder / "territory.yaml").unlink()
    (folder / "territories.csv").write_text(
        "id;name;caf;start;end;pilotage_deadline_year;communes;renewals\n"
        "CTG-A;CTG A;Caf;01/01/2021;31/12/2025;2025;BOULOGNE-SUR-MER;\"31/12/2030;2035-12-31\"\n"
        "CTG-B;CTG B;Caf;2022-01-01;2026-12-31;2026;OUTREAU;\n", encoding="utf-8")
    a, b = load_dataset(folder, SCHEMA).territories
    assert [p.end.isoformat() for p in a.periods] == ["2025-12-31", "2030-12-31", "2035-12-31"]
    assert b.renewals == () and len(b.periods) == 1
    (folder / "territories.csv").write_text(
        "id,name,caf,start,end,pilotage_deadline_year,communes,renewals\n"
        "CTG-A,CTG A,Caf,2021-01-01,2025-12-31,2025,BOULOGNE-SUR-MER,2030-13-01\n", encoding="utf-8")
    (p,) = problems(folder)
    assert (p.file, p.row, p.column) == ("territories.csv", 2, "renewals")
