"""Reading structures.csv and cej.csv column by column: the fast path of `readers` for a national dataset.

Each column is parsed once per distinct text, by the parsers of `cells` and `readers` (ids, types, communes, dates
and managers repeat), and a row is judged clean when none of its cells, alone or together, would give the row
reader a problem. Clean rows become models here; every other row is left to the row reader (`readers`), the only
place that words a problem, so that bad input is reported exactly as it is row by row.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, Protocol

import numpy as np
import pandas as pd

from . import cells
from .model import CejAction, Collectivite, PostStatus, Structure
from .tables import Table

REFUSED = object()  # a cell its parser refuses
STRUCTURE_KEYS = ("id", "name", "type", "commune_id", "manager_id", "supported_by", "ps_funded", "opened", "closed",
                  "units", "post_status", "converted_on")
CEJ_KEYS = ("contract_id", "collectivite_id", "structure_id", "last_year", "amount")


class StructureParsers(Protocol):
    """What the column reader takes of readers._StructureCells: the parsers of the cells that depend on the
    collectivités and on the rules' structure types, and the post types."""

    commune: Callable[[str], str]
    manager: Callable[[str], str]
    post_types: Collection[str]

    def type_(self, text: str) -> str: ...

    def supporters(self, text: str) -> tuple[str, ...]: ...

    def status(self, text: str) -> PostStatus: ...


class Column:
    """One column: its distinct texts parsed once each (`uniques`: None for a blank, REFUSED where the parser
    refuses the text), the code of each row's text, and whether each row is clean in this column (a blank cell is
    clean only in an `optional` column). Without a parser the column is a required text kept as written (ids,
    names)."""

    def __init__(self, texts_: list[str], parse: Callable[[str], Any] | None, *, optional: bool = False,
                 accept: Callable[[Any], bool] | None = None) -> None:
        codes, distinct = pd.factorize(np.array(texts_, dtype=object))
        self.codes: np.ndarray = codes
        if parse is None:  # a required text: every distinct text but the blank one is clean
            self.uniques: list[Any] = distinct.tolist()
            clean = distinct != ""
            if accept is not None:
                clean &= np.array([accept(t) for t in self.uniques], dtype=bool)
            self.clean: np.ndarray = clean[codes]
            return
        self.uniques = []
        ok = []
        for text in distinct.tolist():
            if text == "":
                self.uniques.append(None)
                ok.append(optional)
                continue
            try:
                self.uniques.append(parse(text))
            except cells.CellError:
                self.uniques.append(REFUSED)
                ok.append(False)
            else:
                ok.append(accept is None or accept(self.uniques[-1]))
        self.clean = self.per_row(ok)

    def per_row(self, of_uniques: list[Any]) -> np.ndarray:
        """A truth given for each distinct text, spread over the rows."""
        return np.array(of_uniques, dtype=bool)[self.codes]

    def at(self, positions: np.ndarray) -> list[Any]:
        """The values of the rows at `positions`."""
        uniques = self.uniques
        return [uniques[code] for code in self.codes[positions].tolist()]


def _models(cls: type, table: Table, fields: dict[str, list[Any]], positions: np.ndarray) -> dict[int, Any]:
    """The model of the rows at `positions`, by spreadsheet row, from their `fields` values: values of exactly the
    types the model's validation gives (tests/inputs/test_reader_columns.py compares them), set as
    `model_construct` sets them but without its per-field work, a national dataset having 100,000 rows."""
    keys = tuple(fields)
    names = frozenset(keys)
    new, set_ = object.__new__, object.__setattr__
    values = [dict(zip(keys, row_values, strict=False)) for row_values in zip(*fields.values(), strict=False)]
    models = []
    for row_values in values:
        model = new(cls)
        set_(model, "__dict__", row_values)
        set_(model, "__pydantic_fields_set__", set(names))
        set_(model, "__pydantic_extra__", None)
        set_(model, "__pydantic_private__", None)
        models.append(model)
    numbers = table.numbers
    return dict(zip([numbers[i] for i in positions.tolist()], models, strict=True))


def clean_structures(table: Table, parse: StructureParsers, extra_cols: list[str]) -> dict[int, Structure]:
    """The model of every row of structures.csv whose cells all read without a problem, by spreadsheet row."""
    text = table.texts([*STRUCTURE_KEYS, *extra_cols])
    by_key = {
        "id": Column(text["id"], None),
        "name": Column(text["name"], None),
        "type": Column(text["type"], parse.type_),
        "commune_id": Column(text["commune_id"], parse.commune),
        "manager_id": Column(text["manager_id"], parse.manager),
        "supported_by": Column(text["supported_by"], parse.supporters, optional=True),
        "ps_funded": Column(text["ps_funded"], cells.parse_bool),
        "opened": Column(text["opened"], cells.parse_date),
        "closed": Column(text["closed"], cells.parse_date, optional=True),
        "units": Column(text["units"], cells.parse_decimal),
        "post_status": Column(text["post_status"], parse.status, optional=True),
        "converted_on": Column(text["converted_on"], cells.parse_date, optional=True),
    }
    extras = [Column(text[col], cells.parse_decimal, optional=True) for col in extra_cols]
    clean = np.logical_and.reduce([c.clean for c in [*by_key.values(), *extras]] + [
        _after(by_key["opened"], by_key["closed"]), _posts_fit(by_key, parse.post_types)])
    positions = np.flatnonzero(clean)
    fields = {key: column.at(positions) for key, column in by_key.items()}
    fields["supported_by"] = [() if v is None else v for v in fields["supported_by"]]  # blank: supported by none
    extra_values = [e.at(positions) for e in extras]
    fields["extra"] = [{col: v for col, v in zip(extra_cols, values, strict=True) if v is not None}
                       for values in zip(*extra_values, strict=True)] if extras else [{} for _i in positions]
    return _models(Structure, table, fields, positions)


def _ordinal(column: Column) -> np.ndarray:
    """Each row's date as a day number; 0 for a blank or refused cell (no date has it)."""
    days = [0 if v is None or v is REFUSED else v.toordinal() for v in column.uniques]
    return np.array(days, dtype=np.int64)[column.codes]


def _after(opened: Column, closed: Column) -> np.ndarray:
    """Rows not closed on or before the day they opened: never closed, or closed after (a row whose opened date is
    blank or refused is not clean in its own column)."""
    start, end = _ordinal(opened), _ordinal(closed)
    return (end == 0) | (end > start)


def _posts_fit(by_key: dict[str, Column], post_types: Collection[str]) -> np.ndarray:
    """Rows whose post_status and converted_on fit their type: both blank for a type that is not a post; for a
    post, a status, and a conversion date exactly when it is a charge_cooperation post."""
    kind, status, converted = by_key["type"], by_key["post_status"], by_key["converted_on"]
    post = kind.per_row([t in post_types for t in kind.uniques])
    no_status = status.per_row([v is None for v in status.uniques])
    charge = status.per_row([v == PostStatus.CHARGE_COOPERATION for v in status.uniques])
    dated = converted.per_row([v is not None for v in converted.uniques])
    return np.where(post, ~no_status & (dated == charge), no_status & ~dated)


def any_repeat(table: Table, columns: tuple[str, ...]) -> bool:
    """Whether two rows have the same cells in `columns` (what `Checker.repeats` reports)."""
    keys = list(zip(*table.texts(list(columns)).values(), strict=True))
    return len(set(keys)) < len(keys)


def clean_cej(table: Table, collectivites: dict[str, Collectivite], structure_ids: set[str] | None,
              years: tuple[int, int]) -> dict[int, CejAction]:
    """The model of every row of cej.csv whose cells all read without a problem, by spreadsheet row."""
    low, high = years
    text = table.texts(list(CEJ_KEYS))
    by_key = {
        "contract_id": Column(text["contract_id"], None),
        "collectivite_id": Column(text["collectivite_id"], None,
                                  accept=lambda t: not collectivites or t in collectivites),
        "structure_id": Column(text["structure_id"], None,
                               accept=lambda t: structure_ids is None or t in structure_ids),
        "last_year": Column(text["last_year"], cells.parse_int, accept=lambda y: low <= y <= high),
        "amount": Column(text["amount"], cells.parse_money),
    }
    positions = np.flatnonzero(np.logical_and.reduce([c.clean for c in by_key.values()]))
    return _models(CejAction, table, {key: column.at(positions) for key, column in by_key.items()}, positions)
