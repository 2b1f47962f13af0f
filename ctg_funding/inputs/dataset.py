"""A dataset: a folder of CSV files, or one .xlsx workbook, read and checked into models.

`load_dataset` reads every file, lets `readers` check each row, and raises one InputError listing every problem
(file, row, column) if anything is wrong. A dataset holds one CTG (territory.yaml, or a workbook's `territory`
sheet) or several (territories.csv); each structure belongs to one of them (see `scenario.structure_years`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from ..collector import gc_paused
from ..errors import InputError, Problem
from ..files import decode
from ..i18n import _
from ..money import sum_money
from ..strict_yaml import load_yaml
from .model import Activity, CejAction, Collectivite, CollectiviteKind, Payment, Structure, Territory
from .plausibility import plausibility_warnings
from .readers import (
    COLUMNS,
    OPTIONAL,
    REQUIRED,
    Checker,
    Schema,
    read_activity,
    read_cej,
    read_collectivites,
    read_payments,
    read_structures,
    read_territories,
    read_territory,
    territory_from_table,
)
from .tables import Table, read_csv_table, read_xlsx_tables


@dataclass
class Dataset:
    """A checked dataset: its CTGs (one per territory), collectivités, structures, CEJ actions, and the optional
    yearly activity and payments. `sha256` identifies the files read; `territory_file` names where the CTGs
    came from (territory.yaml, territories.csv or a workbook's territory sheet)."""

    path: Path
    territories: list[Territory]
    collectivites: dict[str, Collectivite]
    structures: dict[str, Structure]
    cej: list[CejAction]
    activity: list[Activity] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    sha256: str = ""
    territory_file: str = "territory.yaml"
    warnings: list[Problem] = field(default_factory=list)  # valid but implausible values (inputs.plausibility)

    @property
    def label(self) -> str:
        """The CTG's id, or the ids of the dataset's CTGs (at most three named)."""
        ids = [t.id for t in self.territories]
        return ", ".join(ids) if len(ids) <= 3 else f"{len(ids)} territories ({ids[0]}, ...)"

    def frames(self) -> dict[str, pd.DataFrame]:
        """The dataset as pandas frames (money and units as Decimal), one per file."""
        structures = []
        for s in self.structures.values():
            row = s.model_dump(exclude={"extra"})
            row["supported_by"] = ";".join(s.supported_by)
            row.update(s.extra)
            structures.append(row)
        territories = [{**t.model_dump(), "communes": ";".join(t.communes),
                        "renewals": ";".join(d.isoformat() for d in t.renewals)} for t in self.territories]
        return {
            "territory": pd.DataFrame(territories),
            "collectivites": pd.DataFrame([c.model_dump() for c in self.collectivites.values()]),
            "structures": pd.DataFrame(structures),
            "cej": pd.DataFrame([a.model_dump() for a in self.cej]),
            "activity": pd.DataFrame([a.model_dump() for a in self.activity]),
            "payments": pd.DataFrame([p.model_dump() for p in self.payments]),
        }


def _sha256(files: list[Path]) -> str:
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda p: p.name):
        digest.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    return digest.hexdigest()


@dataclass
class _Files:
    """What a dataset's files hold before checking: raw tables, the territory's data and where it came from."""

    tables: dict[str, Table] = field(default_factory=dict)
    paths: list[Path] = field(default_factory=list)
    territory_data: Any = None
    territory_file: str = "territory.yaml"


def _read_workbook(path: Path, checker: Checker) -> _Files:
    found = _Files(tables=read_xlsx_tables(path), paths=[path], territory_file=f"{path.name}[territory]")
    if "territory" in found.tables:
        found.territory_data = territory_from_table(checker, found.tables.pop("territory"))
    return found


def _read_folder(path: Path, checker: Checker) -> _Files:
    found = _Files()
    yaml_path = path / "territory.yaml"
    if yaml_path.is_file():
        found.paths.append(yaml_path)
        try:
            found.territory_data = load_yaml(decode(yaml_path.read_bytes(), yaml_path.name), yaml_path.name)
        except InputError as exc:
            checker.problems.extend(exc.problems)
        else:
            if found.territory_data is None:
                checker.add(yaml_path.name, 1, None, _("the file is empty: expected the CTG's id, name, caf, start, "
                                                       "end, pilotage_deadline_year and communes"))
    territories_path = path / "territories.csv"
    if territories_path.is_file():
        if yaml_path.is_file():
            checker.add("territories.csv", None, None, _("a dataset has territory.yaml or territories.csv, not both"))
        else:
            found.paths.append(territories_path)
            found.territory_file = "territories.csv"
            try:
                found.territory_data = found.tables["territories"] = read_csv_table(territories_path)
            except InputError as exc:
                checker.problems.extend(exc.problems)
    for key in REQUIRED + OPTIONAL:
        f = path / f"{key}.csv"
        if f.is_file():
            found.paths.append(f)
            try:
                found.tables[key] = read_csv_table(f)
            except InputError as exc:
                checker.problems.extend(exc.problems)
    return found


def _territories(checker: Checker, found: _Files, collectivites: dict[str, Collectivite]) -> list[Territory]:
    """Every CTG of the dataset, each of its communes checked against collectivites."""
    if isinstance(found.territory_data, Table):
        territories = read_territories(checker, found.tables.pop("territories"))
    elif found.territory_data is not None:
        territory = read_territory(checker, found.territory_file, found.territory_data,
                                   text=not found.territory_file.endswith(".yaml"))
        territories = [territory] if territory else []
    else:
        territories = []
    for territory in territories:
        for cid in territory.communes:
            c = collectivites.get(cid)
            if c is None and collectivites:
                checker.add(found.territory_file, None, "communes",
                            _("unknown commune {cid!r}: not in collectivites").format(cid=cid))
            elif c is not None and c.kind != CollectiviteKind.COMMUNE:
                checker.add(found.territory_file, None, "communes", _("{cid!r} is a {value}, not a commune").format(
                    cid=cid, value=c.kind.value))
    return territories


def load_dataset(path: str | Path, schema: Schema) -> Dataset:
    """Read and check a dataset folder (or .xlsx workbook); raise InputError listing every problem."""
    with gc_paused():  # a row's cells, values and model: millions of objects at national scale, no cycle
        return _load_dataset(Path(path), schema)


def _load_dataset(path: Path, schema: Schema) -> Dataset:
    checker = Checker()
    if path.is_file() and path.suffix.lower() == ".xlsx":
        found = _read_workbook(path, checker)
    elif path.is_dir():
        found = _read_folder(path, checker)
    elif path.is_file():
        raise InputError([Problem(str(path), None, None, _("is a file, not a dataset: give the dataset's folder (the "
                                                           "one holding structures.csv, cej.csv...) or an .xlsx "
                                                           "workbook"))])
    else:
        raise InputError([Problem(str(path), None, None,
                                  _("no such dataset: expected a folder of CSV files or an .xlsx workbook"))])
    tables = found.tables
    if found.territory_data is None and not any(p.file == found.territory_file for p in checker.problems):
        checker.add(found.territory_file, None, None, _("missing: the dataset needs its territory (the CTG)"))
    for key in REQUIRED:
        if key not in tables and not any(p.file.startswith(key) for p in checker.problems):
            checker.add(f"{key}.csv" if path.is_dir() else f"{path.name}[{key}]", None, None,
                        _("missing file: a dataset needs collectivites, structures and cej"))
    collectivites = read_collectivites(checker, tables["collectivites"]) if "collectivites" in tables else {}
    territories = _territories(checker, found, collectivites)
    structures: dict[str, Structure] = {}
    structure_ids: set[str] | None = None  # unknown when structures.csv is missing or unreadable
    if "structures" in tables:
        if all(c in tables["structures"].columns for c in COLUMNS["structures"]):
            structure_ids = set(tables["structures"].texts(["id"])["id"]) - {""}
        structures = read_structures(checker, tables["structures"], collectivites, schema)
    cej = read_cej(checker, tables["cej"], collectivites, territories, structure_ids) if "cej" in tables else []
    activity = read_activity(checker, tables["activity"], structure_ids) if "activity" in tables else []
    payments = read_payments(checker, tables["payments"]) if "payments" in tables else []
    if checker.problems:
        raise InputError(checker.problems)
    names = {key: table.name for key, table in tables.items()} | {"territory": found.territory_file}
    warnings = plausibility_warnings(structures, checker.rows.get("structures", []), cej, checker.rows.get("cej", []),
                                     territories, schema.family_of, names)
    return Dataset(path=path, territories=territories, collectivites=collectivites, structures=structures, cej=cej,
                   activity=activity, payments=payments, sha256=_sha256(found.paths),
                   territory_file=found.territory_file, warnings=sorted(warnings))


def cej_total(dataset: Dataset) -> Decimal:
    """The sum of every CEJ action's N-1 amount."""
    return sum_money(a.amount for a in dataset.cej)
