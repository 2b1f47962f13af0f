"""Checking and typing the rows of each dataset file: every problem collected with its file, row and column.

Each reader takes a raw table and returns the models of its valid rows; what is wrong is added to the Checker, so
that one run reports all problems at once. The row is the one a spreadsheet shows: the header is row 1.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ..errors import Problem, validation_problems
from ..i18n import _
from . import cells, columns
from .model import (
    Activity,
    CejAction,
    Collectivite,
    CollectiviteKind,
    Line,
    Payment,
    PostStatus,
    Structure,
    Territory,
)
from .tables import Table

REQUIRED = ("collectivites", "structures", "cej")
OPTIONAL = ("activity", "payments")
COLUMNS: dict[str, tuple[str, ...]] = {
    "collectivites": ("id", "name", "kind", "signatory", "qpv_zrr", "tranche"),
    "structures": (
        "id", "name", "type", "commune_id", "manager_id", "supported_by", "ps_funded", "opened", "closed",
        "units", "post_status", "converted_on",
    ),
    "cej": ("contract_id", "collectivite_id", "structure_id", "last_year", "amount"),
    "activity": ("structure_id", "year", "units"),
    "payments": ("year", "structure_id", "line", "amount"),
    "territories": ("id", "name", "caf", "start", "end", "pilotage_deadline_year", "communes"),
}
# Columns a file may have (read when present).
OPTIONAL_COLUMNS: dict[str, tuple[str, ...]] = {"territories": ("renewals",)}
# Free-text columns that are kept but never read as numbers.
TEXT_COLUMNS = {"source", "note", "name", "comment"}
FIRST_CEJ_YEAR = 2006  # the CEJ was created by the Cnaf in 2006; no CEJ action can end before


@dataclass(frozen=True)
class Schema:
    """What the rules say a dataset may contain: the known structure types, which of them are posts, and the
    family of each type (plausibility is judged within a family)."""

    types: frozenset[str]
    post_types: frozenset[str]
    family_of: Mapping[str, str] = field(default_factory=dict)


class Checker:
    """Collects problems while reading rows; `cell` parses one cell and records a problem if it fails."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.rows: dict[str, list[int]] = {}  # per file: the row of each model read, in order

    def read(self, key: str, row: int) -> None:
        """Note that `row` of file `key` gave its next model."""
        self.rows.setdefault(key, []).append(row)

    def read_all(self, key: str, rows: Collection[int]) -> None:
        """Note that `rows` of file `key`, in order, gave its next models (as `read` row by row would)."""
        if rows:
            self.rows.setdefault(key, []).extend(rows)

    def repeats(self, table: Table, columns: tuple[str, ...], what: str) -> set[int]:
        """Rows whose `columns` repeat an earlier row's: each a problem naming both rows; their row numbers."""
        first: dict[tuple[str, ...], int] = {}
        out = set()
        for row, c in table.rows:
            key = tuple(c.get(col, "") for col in columns)
            if key in first:
                detail = ", ".join(f"{k} {v!r}" for k, v in zip(columns, key, strict=True))
                self.add(table.name, row, None, f"repeats row {first[key]}: {what}"
                                                + (f" ({detail})" if len(columns) <= 3 else ""))
                out.add(row)
            else:
                first[key] = row
        return out

    def add(self, table: str, row: int | None, column: str | None, message: str) -> None:
        self.problems.append(Problem(table, row, column, message))

    def cell(self, table: Table, row: int, cells_: dict[str, str], column: str,
             parse: Callable[[str], Any], *, required: bool = True) -> Any:
        text = cells_.get(column, "")
        if text == "":
            if required:
                self.add(table.name, row, column, _("a value is required"))
            return None
        try:
            return parse(text)
        except cells.CellError as exc:
            self.add(table.name, row, column, str(exc))
            return None

    def columns(self, table: Table, key: str) -> bool:
        missing = [c for c in COLUMNS[key] if c not in table.columns]
        for col in missing:
            self.add(table.name, 1, col, _("missing column (expected columns: {v0})").format(
                v0=', '.join(COLUMNS[key])))
        return not missing

    def unique(self, table: Table, column: str) -> Iterator[tuple[int, dict[str, str]]]:
        """Rows whose `column` is present and not a repeat; a repeat is a problem naming the first row."""
        first: dict[str, int] = {}
        for row, cells_ in table.rows:
            value = cells_.get(column, "")
            if not value:
                self.add(table.name, row, column, _("a value is required"))
                continue
            if value in first:
                self.add(table.name, row, column, _("duplicate id {value!r} (first at row {v1})").format(
                    value=value, v1=first[value]))
                continue
            first[value] = row
            yield row, cells_


def _model(checker: Checker, table: str, row: int | None, cls: type, values: dict[Any, Any]) -> Any:
    try:
        return cls.model_validate(values)  # a mapping, not keywords: a key that is not text is a problem of its own
    except ValidationError as exc:
        checker.problems.extend(validation_problems(exc, table, row=row,
                                                    name_of=lambda loc: str(loc[0]) if loc else None))
        return None


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {str: "a text", list: "a list", int: "a number", float: "a number", bool: "true or false"}.get(
        type(value), type(value).__name__)


def read_territory(checker: Checker, name: str, data: Any, *, text: bool = False) -> Territory | None:
    """One CTG from territory.yaml (typed YAML values) or, with `text`, from the text cells of a workbook's
    territory sheet or a territories.csv row (dates and numbers as a spreadsheet writes them, communes as a
    `;` list). The Territory model refuses unknown keys and wrong types."""
    if not isinstance(data, dict):
        checker.add(name, 1, None, _("expected a mapping of keys (id, name, caf, start, end, pilotage_deadline_year, "
                                     "communes, and optionally renewals), got {v0}").format(v0=_kind(data)))
        return None
    values = dict(data)
    if text:
        parsers = {"start": cells.parse_date, "end": cells.parse_date, "communes": cells.parse_id_list,
                   "pilotage_deadline_year": lambda t: cells.parse_int(t, low=2000, high=2100),
                   "renewals": lambda t: tuple(cells.parse_date(d) for d in cells.parse_id_list(t))}
        if values.get("renewals") == "":  # an optional cell left blank: no renewal
            del values["renewals"]
        for key, parse in parsers.items():
            if isinstance(values.get(key), str) and values[key].strip():
                try:
                    values[key] = parse(values[key])
                except cells.CellError as exc:
                    checker.add(name, None, key, str(exc))
                    return None
    territory = _model(checker, name, None, Territory, values)
    if territory and territory.end < territory.start:
        checker.add(name, None, "end", _("end {end} is before start {start}").format(
            end=territory.end, start=territory.start))
    if territory:
        _check_renewals(checker, name, territory)
    return territory


def _check_renewals(checker: Checker, name: str, territory: Territory) -> None:
    """Each renewed CTG runs from the day after the previous one's end to its own date: the dates must grow."""
    previous = territory.end
    for end in territory.renewals:
        if end <= previous:
            checker.add(name, None, "renewals", _("renewal ending {end} does not end after the CTG before it "
                                                  "({previous}): each renewed CTG runs from the day after the "
                                                  "previous one's end to its date").format(end=end, previous=previous))
        previous = max(previous, end)


def read_collectivites(checker: Checker, table: Table) -> dict[str, Collectivite]:
    out: dict[str, Collectivite] = {}
    if not checker.columns(table, "collectivites"):
        return out
    kinds = ", ".join(k.value for k in CollectiviteKind)
    for row, c in checker.unique(table, "id"):
        def kind(text: str) -> CollectiviteKind:
            try:
                return CollectiviteKind(text.strip().lower())
            except ValueError:
                raise cells.CellError(_("unknown kind {text!r} (expected one of: {kinds})").format(
                    text=text, kinds=kinds)) from None

        k = checker.cell(table, row, c, "kind", kind)
        is_commune = k == CollectiviteKind.COMMUNE
        tranche = checker.cell(table, row, c, "tranche", lambda t: cells.parse_int(t, low=1, high=3),
                               required=is_commune)
        if tranche is not None and k is not None and not is_commune:
            checker.add(table.name, row, "tranche", _("a tranche is for communes only; leave it blank"))
        values = dict(
            id=c["id"],
            name=checker.cell(table, row, c, "name", str),
            kind=k,
            signatory=checker.cell(table, row, c, "signatory", cells.parse_bool),
            qpv_zrr=checker.cell(table, row, c, "qpv_zrr", cells.parse_bool, required=is_commune),
            tranche=tranche,
        )
        if values["qpv_zrr"] is None and not is_commune:
            values["qpv_zrr"] = False
        if any(v is None for key, v in values.items() if key != "tranche"):
            continue
        model = _model(checker, table.name, row, Collectivite, values)
        if model:
            out[model.id] = model
    return out


class _StructureCells:
    """Parsers of the structures.csv cells that depend on the collectivités and on the rules' structure types."""

    def __init__(self, collectivites: dict[str, Collectivite], schema: Schema) -> None:
        self.collectivites = collectivites
        self.communes = {k for k, c in collectivites.items() if c.kind == CollectiviteKind.COMMUNE}
        self.schema = schema
        self.commune, self.manager = self.ref(self.communes, "commune"), self.ref(collectivites, "manager")
        self.post_types = schema.post_types

    def ref(self, ids: Collection[str], what: str) -> Callable[[str], str]:
        if not self.collectivites:  # collectivites.csv is missing or unreadable: its own problem says so
            return str

        def parse(text: str) -> str:
            if text not in ids:
                known = self.collectivites.get(text)
                if known is not None:
                    raise cells.CellError(_("unknown {what} {text!r}: it is a {value}, not a {what}").format(
                        what=what, text=text, value=known.kind.value))
                raise cells.CellError(_("unknown {what} {text!r}: it is not in collectivites").format(
                    what=what, text=text))
            return text
        return parse

    def type_(self, text: str) -> str:
        if text not in self.schema.types:
            raise cells.CellError(_("unknown type {text!r} (expected one of: {v1})").format(
                text=text, v1=', '.join(sorted(self.schema.types))))
        return text

    def supporters(self, text: str) -> tuple[str, ...]:
        ids = cells.parse_id_list(text)
        # as in ref: with collectivites.csv missing or unreadable, its own problem says why no id can be checked
        unknown = [i for i in ids if i not in self.collectivites] if self.collectivites else []
        if unknown:
            raise cells.CellError(_("unknown collectivité {v0} in supported_by").format(
                v0=', '.join(map(repr, unknown))))
        return ids

    @staticmethod
    def status(text: str) -> PostStatus:
        try:
            return PostStatus(text)
        except ValueError:
            raise cells.CellError(_("unknown post_status {text!r} (expected coordinateur_cej or "
                                    "charge_cooperation)").format(text=text)) from None


def _post_cells(checker: Checker, table: Table, row: int, c: dict[str, str], stype: str | None,
                is_post: bool) -> tuple[PostStatus | None, Any]:
    """post_status and converted_on: for coordination posts only, consistent with each other."""
    post_status = checker.cell(table, row, c, "post_status", _StructureCells.status, required=is_post)
    if stype is not None and not is_post and post_status is not None:
        checker.add(table.name, row, "post_status",
                    _("post_status is for coordination posts only, not for type {stype}").format(stype=stype))
    converted_on = checker.cell(table, row, c, "converted_on", cells.parse_date, required=False)
    if converted_on and stype is not None and not is_post:
        checker.add(table.name, row, "converted_on",
                    _("converted_on is for coordination posts only, not for type {stype}").format(stype=stype))
    if converted_on and post_status == PostStatus.COORDINATEUR_CEJ:
        checker.add(table.name, row, "converted_on", _("converted_on is set but post_status is still coordinateur_cej"))
    if post_status == PostStatus.CHARGE_COOPERATION and not converted_on:
        checker.add(table.name, row, "converted_on",
                    _("a charge_cooperation post needs the date it was converted (converted_on)"))
    return post_status, converted_on


def read_structures(checker: Checker, table: Table, collectivites: dict[str, Collectivite],
                    schema: Schema, *, fast: bool = True) -> dict[str, Structure]:
    """structures.csv: one structure per row, every reference to a collectivité and every type checked. With
    `fast`, the rows whose every cell is plainly valid are read column by column (inputs.columns); the others
    (and all of them without `fast`) by `_structure_row`, the one place that words their problems."""
    out: dict[str, Structure] = {}
    if not checker.columns(table, "structures"):
        return out
    parse = _StructureCells(collectivites, schema)
    extra_cols = [c for c in table.columns if c not in COLUMNS["structures"] and c not in TEXT_COLUMNS]
    clean = columns.clean_structures(table, parse, extra_cols) if fast else {}
    by_id = {model.id: model for model in clean.values()}
    if len(by_id) == len(table):  # every row clean, no id repeated: what reading row by row would give
        checker.read_all("structures", clean)
        return by_id
    for row, c in checker.unique(table, "id"):
        model = clean.get(row)
        if model is None:
            model = _structure_row(checker, table, row, c, parse, extra_cols)
        if model:
            out[model.id] = model
            checker.read("structures", row)
    return out


def _structure_row(checker: Checker, table: Table, row: int, c: dict[str, str], parse: _StructureCells,
                   extra_cols: list[str]) -> Structure | None:
    """One row of structures.csv: its model, or None with its problems added to the checker."""
    n_before = len(checker.problems)
    stype = checker.cell(table, row, c, "type", parse.type_)
    opened = checker.cell(table, row, c, "opened", cells.parse_date)
    closed = checker.cell(table, row, c, "closed", cells.parse_date, required=False)
    if opened and closed and closed <= opened:
        checker.add(table.name, row, "closed", _("closed {closed} is not after opened {opened}").format(
            closed=closed, opened=opened))
    post_status, converted_on = _post_cells(checker, table, row, c, stype, stype in parse.post_types)
    extra = {}
    for col in extra_cols:
        value = checker.cell(table, row, c, col, cells.parse_decimal, required=False)
        if value is not None:
            extra[col] = value
    values = dict(
        id=c["id"],
        name=checker.cell(table, row, c, "name", str),
        type=stype,
        commune_id=checker.cell(table, row, c, "commune_id", parse.commune),
        manager_id=checker.cell(table, row, c, "manager_id", parse.manager),
        supported_by=checker.cell(table, row, c, "supported_by", parse.supporters, required=False) or (),
        ps_funded=checker.cell(table, row, c, "ps_funded", cells.parse_bool),
        opened=opened,
        closed=closed,
        units=checker.cell(table, row, c, "units", cells.parse_decimal),
        post_status=post_status,
        converted_on=converted_on,
        extra=extra,
    )
    if len(checker.problems) > n_before:
        return None
    return _model(checker, table.name, row, Structure, values)


def read_cej(checker: Checker, table: Table, collectivites: dict[str, Collectivite],
             territories: list[Territory], structure_ids: set[str] | None, *, fast: bool = True) -> list[CejAction]:
    """cej.csv: one CEJ action per row, at most one per contract, structure and last year. `structure_ids` is
    None when structures.csv could not be read (its own problem says why: no action is then called unknown).
    With `fast`, plainly valid rows are read column by column (inputs.columns), the others by `_cej_row`."""
    out: list[CejAction] = []
    if not checker.columns(table, "cej"):
        return out
    key = ("contract_id", "structure_id", "last_year")
    repeated = checker.repeats(table, key, "the same CEJ action (contract, structure and last year)") \
        if columns.any_repeat(table, key) else set()  # none to name: no need to go through every row
    # A CEJ ends in the year before a CTG starts at the earliest, and before its end at the latest.
    low = min(t.start.year for t in territories) - 1 if territories else FIRST_CEJ_YEAR
    high = max(t.end.year for t in territories) - 1 if territories else 2100
    years = (max(low, FIRST_CEJ_YEAR), high)
    clean = columns.clean_cej(table, collectivites, structure_ids, years) if fast else {}
    if not repeated and len(clean) == len(table):  # every row clean, none repeated
        checker.read_all("cej", clean)
        return list(clean.values())
    for row, c in table.rows:
        if row in repeated:
            continue
        model = clean.get(row)
        if model is None:
            model = _cej_row(checker, table, row, c, collectivites, structure_ids, years)
        if model:
            out.append(model)
            checker.read("cej", row)
    return out


def _cej_row(checker: Checker, table: Table, row: int, c: dict[str, str], collectivites: dict[str, Collectivite],
             structure_ids: set[str] | None, years: tuple[int, int]) -> CejAction | None:
    """One row of cej.csv: its model, or None with its problems added to the checker. `years`: the first and last
    year a CEJ action this dataset's CTGs can convert may end in."""
    n_before = len(checker.problems)
    contract = checker.cell(table, row, c, "contract_id", str)
    coll = checker.cell(table, row, c, "collectivite_id", str)
    if coll and collectivites and coll not in collectivites:
        checker.add(table.name, row, "collectivite_id", _("unknown collectivité {coll!r}").format(coll=coll))
    sid = checker.cell(table, row, c, "structure_id", str)
    if sid and structure_ids is not None and sid not in structure_ids:
        checker.add(table.name, row, "structure_id", _("CEJ action for unknown structure {sid!r}").format(sid=sid))
    last_year = checker.cell(table, row, c, "last_year", cells.parse_int)
    low, high = years
    if last_year is not None and not (low <= last_year <= high):
        checker.add(table.name, row, "last_year",
                    _("last_year {last_year} is outside the CEJ period that this CTG can convert "
                      "({low}..{high})").format(last_year=last_year, low=low, high=high))
    amount = checker.cell(table, row, c, "amount", cells.parse_money)
    if len(checker.problems) > n_before:
        return None
    return _model(checker, table.name, row, CejAction, {"contract_id": contract, "collectivite_id": coll,
                                                         "structure_id": sid, "last_year": last_year,
                                                         "amount": amount})


def read_activity(checker: Checker, table: Table, structure_ids: set[str] | None) -> list[Activity]:
    """activity.csv: the units of a structure in a year, once per structure and year."""
    out: list[Activity] = []
    if not checker.columns(table, "activity"):
        return out
    seen: dict[tuple[str, int], int] = {}
    for row, c in table.rows:
        n_before = len(checker.problems)
        sid = checker.cell(table, row, c, "structure_id", str)
        if sid and structure_ids is not None and sid not in structure_ids:
            checker.add(table.name, row, "structure_id", _("unknown structure {sid!r}").format(sid=sid))
        year = checker.cell(table, row, c, "year", lambda t: cells.parse_int(t, low=2000, high=2100))
        units = checker.cell(table, row, c, "units", cells.parse_decimal)
        if sid and year is not None:
            if (sid, year) in seen:
                checker.add(table.name, row, "year",
                            _("second units for {sid} in {year} (first at row {v2})").format(
                                sid=sid, year=year, v2=seen[(sid, year)]))
            seen.setdefault((sid, year), row)
        if len(checker.problems) == n_before:
            out.append(Activity(structure_id=sid, year=year, units=units))
    return out


def read_payments(checker: Checker, table: Table) -> list[Payment]:
    """payments.csv: what was paid, per year, structure and line. A row repeated exactly is refused: a payment
    made twice is two rows that say so in their note."""
    out: list[Payment] = []
    if not checker.columns(table, "payments"):
        return out
    repeated = checker.repeats(table, tuple(table.columns),
                               "the same payment (every cell equal; if it was really paid twice, say so in the "
                               "note of one of them)")
    lines = ", ".join(v.value for v in Line)

    def line(text: str) -> Line:
        try:
            return Line(text)
        except ValueError:
            raise cells.CellError(_("unknown line {text!r} (expected one of: {lines})").format(
                text=text, lines=lines)) from None

    for row, c in table.rows:
        if row in repeated:
            continue
        n_before = len(checker.problems)
        note = c.get("note", "")
        amount = checker.cell(table, row, c, "amount", lambda t: cells.parse_money(t, allow_negative=True))
        if amount is not None and amount < 0 and not note:
            checker.add(table.name, row, "amount",
                        _("negative amount {amount} (a recovery) needs a note explaining it").format(amount=amount))
        values = dict(
            year=checker.cell(table, row, c, "year", lambda t: cells.parse_int(t, low=2000, high=2100)),
            structure_id=checker.cell(table, row, c, "structure_id", str),
            line=checker.cell(table, row, c, "line", line),
            amount=amount,
            note=note,
        )
        if len(checker.problems) == n_before:
            out.append(Payment(**values))
    return out


# ---------------------------------------------------------------------------------------------- entry point


def territory_from_table(checker: Checker, table: Table) -> Any:
    """A `territory` sheet holds key/value rows (first two columns)."""
    if len(table.columns) < 2:
        checker.add(table.name, 1, None, _("expected two columns: key and value"))
        return None
    key_col, value_col = table.columns[:2]
    data: dict[str, Any] = {}
    for _row, c in table.rows:
        data[c[key_col]] = c[value_col]
    return data


def read_territories(checker: Checker, table: Table) -> list[Territory]:
    """territories.csv: one CTG per row, its communes a `;`-separated list; a commune belongs to one CTG only."""
    out: list[Territory] = []
    if not checker.columns(table, "territories"):
        return out
    owner: dict[str, str] = {}
    keys = [*COLUMNS["territories"], *(k for k in OPTIONAL_COLUMNS["territories"] if k in table.columns)]
    for row, c in checker.unique(table, "id"):
        sub = Checker()
        territory = read_territory(sub, table.name, {k: c.get(k, "") for k in keys}, text=True)
        for p in sub.problems:
            checker.add(table.name, row, p.column, p.message)
        if territory is None:
            continue
        for commune in territory.communes:
            if commune in owner:
                checker.add(table.name, row, "communes", _("commune {commune!r} is already in territory {v1!r}").format(
                    commune=commune, v1=owner[commune]))
            owner.setdefault(commune, territory.id)
        out.append(territory)
    if not out and not checker.problems:
        checker.add(table.name, None, None, _("no territory: expected at least one row"))
    return out
