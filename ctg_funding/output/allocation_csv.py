"""The allocation table as CSV, written column by column: at national scale (600,000 lines) a loop that formats
each line's figures and hands a row to csv.writer takes seconds.

Two steps, so that a caller that holds the lines as columns already (the vector engine) can skip the first:
- `allocation_column_blocks` gathers the lines of a run into columns, one block per year, in the order of the
  outputs, with each line's manager;
- `write_allocation_columns` writes such blocks as CSV rows: the figures are formatted on int64 arrays (integer
  arithmetic, half to even; the rows whose products could overflow take the exact Python-int functions of
  `money`), each distinct text (name, reason, rules, rate) is quoted once, by csv.writer itself, and each chunk of
  rows is written with one join.

The text is the one `writers.render_csv(simulate.allocation_table(result), dialect)` writes, byte for byte. One
year's columns at a time, not the whole table's: the run's lines are all still held while it is written.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from fractions import Fraction
from functools import lru_cache, partial
from itertools import repeat
from types import SimpleNamespace
from typing import IO, Any

import numpy as np

from ..i18n import yes_no
from ..money import fmt_cents, fmt_ratio, fmt_units_ratio
from ..simulation import SimulationResult
from .writers import CsvDialect

# The largest magnitude the int64 arithmetic handles (-2**63 is left out: its absolute value does not fit).
LIMIT = 2**63 - 1
UNITS_PLACES = 4  # units: up to 4 decimals, trailing zeros dropped (money.fmt_units)
MONEY_PLACES = 2
RATE_PLACES = 6
CHUNK = 20_000  # rows formatted and written at once: the texts of one chunk are all that is held

# A block's columns, one value per line. Integers are int64 arrays, or object arrays of Python ints when one does
# not fit; `eligible` a bool array; `rate` holds Fractions (or None), `rules` sequences of rule ids (lines may
# share one object: each distinct object is written once); the other columns hold str (or None).
COLUMNS = ("year", "structure_id", "manager_id", "line", "family", "units_num", "units_den", "cents", "rate",
           "eligible", "reason", "rules")
_AS_THEY_ARE = ("line", "family", "rate", "reason", "rules")
_INTEGERS = ("units_num", "units_den", "cents")


def allocation_column_blocks(result: SimulationResult) -> Iterator[dict[str, Any]]:
    """The lines of `result` as blocks of columns (COLUMNS), one per year in order, each ordered as the outputs
    show the lines (`simulate._allocation_lines`: by structure id, a structure's lines in their order in
    result.lines), with each line's manager that year (`SimulationResult.managers`). The lines are read as
    columns (`SimulationResult.line_columns`)."""
    gathered = result.line_columns(("year", *_GATHERED))
    years = gathered["year"]
    by_year = np.argsort(years, kind="stable")  # a year's lines in their order in result.lines
    code_of = {sid: code for code, sid in enumerate(sorted(result.scenario.structures))}
    for positions in np.split(by_year, np.flatnonzero(np.diff(years[by_year])) + 1):
        if len(positions):
            yield _year_columns(int(years[positions[0]]), {name: gathered[name][positions] for name in _GATHERED},
                                code_of, result)


_GATHERED = ("structure_id", *_AS_THEY_ARE, *_INTEGERS, "eligible")


def _year_columns(year: int, gathered: dict[str, Any], code_of: Mapping[str, int], result: SimulationResult
                  ) -> dict[str, Any]:
    """One year's columns sorted by structure id (stable), with each line's manager."""
    sids = gathered["structure_id"]
    sids = sids.tolist() if isinstance(sids, np.ndarray) else sids
    order = np.argsort(np.fromiter(map(code_of.__getitem__, sids), dtype=np.int64, count=len(sids)), kind="stable")
    at = order.tolist()
    sids = list(map(sids.__getitem__, at))
    managers = result.managers(sids, year)
    columns: dict[str, Any] = {"year": np.full(len(sids), year, dtype=np.int64), "structure_id": sids,
                               "manager_id": managers}
    for name in _AS_THEY_ARE:
        values = gathered[name]
        values = values.tolist() if isinstance(values, np.ndarray) else values
        columns[name] = list(map(values.__getitem__, at))
    for name in _INTEGERS:
        columns[name] = gathered[name][order]
    columns["eligible"] = np.asarray(gathered["eligible"], dtype=bool)[order]
    return columns


def _int64(values: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`values` as int64, and the mask of those beyond +-LIMIT (0 in the array: the caller writes them from the
    Python ints)."""
    try:
        array = np.asarray(values, dtype=np.int64)
    except OverflowError:
        exact = np.asarray(values, dtype=object)
        big = ((exact > LIMIT) | (exact < -LIMIT)).astype(bool)
        return np.where(big, 0, exact).astype(np.int64), big
    big = array < -LIMIT
    return np.where(big, 0, array), big


def half_even(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den rounded to an integer, half to even (as Fraction rounds), for int64 arrays: den not 0, no value
    -2**63."""
    flip = den < 0
    num, den = np.where(flip, -num, num), np.where(flip, -den, den)
    quotient, rest = np.divmod(num, den)  # 0 <= rest < den
    other = den - rest  # 2 * rest compared with den without computing 2 * rest, which could overflow
    return quotient + ((rest > other) | ((rest == other) & (quotient & 1 == 1)))


# A figure up to 4 decimals is written from two tables rather than by str() per figure: its last 4 digits and
# what follows them from one (LOW), the digits before them from the other (below HIGH; str() above).
LOW = 10**4
HIGH = 10**4


@lru_cache(maxsize=8)
def _lows(places: int, mark: str, end: str, strip: bool) -> tuple[str, ...]:
    """The text of the last 4 digits of a figure with `places` decimals (at most 4), the decimal mark among them,
    then `end`: LOW entries for a figure of 4 digits or less (no leading zeros), then LOW for a longer one (its 4
    digits all written). `strip`: trailing zeros of the decimals dropped, then a bare mark (money.fmt_units)."""
    out = []
    width, unit = 4 - places, 10**places
    for longer in (False, True):
        for value in range(LOW):
            whole, decimals = divmod(value, unit)
            head = (f"{whole:0{width}d}" if width else "") if longer else str(whole)
            tail = f"{mark}{decimals:0{places}d}"
            out.append(head + (tail.rstrip("0").rstrip(mark) if strip else tail) + end)
    return tuple(out)


_HIGHS = ("", *map(str, range(1, HIGH)))  # the digits before the last 4 ("" when there are none)


def _fixed_pieces(scaled: np.ndarray, places: int, mark: str, end: str, strip: bool) -> tuple[list[str], list[str]]:
    """Integers counting 10**-places written with `places` decimals, in two pieces per figure: the sign and the
    digits before the last 4, then the rest (`_lows`); beyond 4 decimals, the sign and the integer part, then the
    mark and the decimals (no `strip`)."""
    magnitude = np.abs(scaled)
    if places > 4:
        unit = 10**places
        first = list(map(str, (magnitude // unit).tolist()))
        rest = list(map(f"{mark}{{:0{places}d}}{end}".format, (magnitude % unit).tolist()))
    else:
        high, low = np.divmod(magnitude, LOW)
        above = high >= HIGH
        first = list(map(_HIGHS.__getitem__, np.where(above, 0, high).tolist()))
        for i, text in zip(np.flatnonzero(above).tolist(), map(str, high[above].tolist()), strict=True):
            first[i] = text
        rest = list(map(_lows(places, mark, end, strip).__getitem__, (low + LOW * (high > 0)).tolist()))
    for i in np.flatnonzero(scaled < 0).tolist():
        first[i] = "-" + first[i]
    return first, rest


Pieces = tuple[list[str], list[str]]  # each figure's sign and integer part; what follows it (mark, decimals, end)


def ratio_pieces(num: Sequence[int] | np.ndarray, den: Sequence[int] | np.ndarray, places: int, mark: str,
                 end: str = "", units: bool = False) -> Pieces:
    """Each num / den written as `money.fmt_ratio(num, den, places)` writes it (`units`: as
    `money.fmt_units_ratio`, whose places are UNITS_PLACES), `mark` for the point."""
    n, big_n = _int64(num)
    d, big_d = _int64(den)
    exact = big_n | big_d | (np.abs(n) > LIMIT // 10**places) | (d == 0)
    scaled = half_even(np.where(exact, 0, n) * 10**places, np.where(exact, 1, d))
    whole, rest = _fixed_pieces(scaled, places, mark, end, units)
    text = fmt_units_ratio if units else partial(fmt_ratio, places=places)
    for i in np.flatnonzero(exact).tolist():
        whole[i], rest[i] = text(int(num[i]), int(den[i])).replace(".", mark), end
    return whole, rest


def cents_pieces(cents: Sequence[int] | np.ndarray, mark: str, end: str = "") -> Pieces:
    """Amounts in integer cents as `money.fmt_cents` writes them, `mark` for the point."""
    c, big = _int64(cents)
    whole, rest = _fixed_pieces(c, MONEY_PLACES, mark, end, False)
    for i in np.flatnonzero(big).tolist():
        whole[i], rest[i] = fmt_cents(int(cents[i])).replace(".", mark), end
    return whole, rest


def per_unit_pieces(cents: Sequence[int] | np.ndarray, num: Sequence[int] | np.ndarray,
                    den: Sequence[int] | np.ndarray, mark: str, end: str = "") -> Pieces:
    """What a line gets per unit, (cents / 100) / (num / den) euros, as `money.fmt_ratio(cents * den, 100 * num)`
    writes it, `mark` for the point; nothing where num is 0 (no units)."""
    c, big_c = _int64(cents)
    n, big_n = _int64(num)
    d, big_d = _int64(den)
    none = (n == 0) & ~big_n
    # fmt_ratio rounds cents * den * 100 / (100 * num) to an integer: cents * den / num, the same rounded figure.
    exact = (big_c | big_n | big_d | (np.abs(c) > LIMIT // np.maximum(np.abs(d), 1))) & ~none
    skip = exact | none
    scaled = half_even(np.where(skip, 0, c) * np.where(skip, 0, d), np.where(skip, 1, n))
    whole, rest = _fixed_pieces(scaled, MONEY_PLACES, mark, end, False)
    for i in np.flatnonzero(none).tolist():
        whole[i], rest[i] = "", end
    for i in np.flatnonzero(exact).tolist():
        whole[i], rest[i] = fmt_ratio(int(cents[i]) * int(den[i]), 100 * int(num[i])).replace(".", mark), end
    return whole, rest


def joined(pieces: Pieces) -> list[str]:
    """Each figure's pieces as one text."""
    return list(map(str.__add__, *pieces))


def csv_fields(values: Iterable[Any], separator: str) -> list[str]:
    """Each value as csv.writer writes it as a field with `separator` (quoted when it must be, None empty). Texts
    none of which holds a character that can make csv.writer quote (the separator, a quote, a line end) are as
    they are; otherwise csv.writer itself is asked, in one call for all of them."""
    values = list(values)
    try:
        every = "".join(values)
    except TypeError:  # not all str (None, a year): csv.writer writes them
        pass
    else:
        if not any(c in every for c in (separator, '"', "\n", "\r")):
            return values
    rows: list[str] = []
    writer = csv.writer(SimpleNamespace(write=rows.append), delimiter=separator, lineterminator="\n")
    writer.writerows(zip(values, repeat("")))  # a second field: a lone empty field would be written ""
    cut = len(separator) + 1
    return [row[:-cut] for row in rows]


def rate_texts(rates: Sequence[Any], mark: str) -> list[str | None]:
    """Each rate as `money.fmt_fraction(rate, 6)` writes it, `mark` for the point (None stays None)."""
    given = [r if isinstance(r, Fraction) else Fraction(r) for r in rates if r is not None]
    texts = iter(joined(ratio_pieces([r.numerator for r in given], [r.denominator for r in given], RATE_PLACES,
                                     mark)))
    return [None if r is None else next(texts) for r in rates]


def _once_each(values: Sequence[Any], texts: Callable[[list[Any]], Iterable[str]], end: str) -> list[str]:
    """The text of each value followed by `end`, `texts` asked once per distinct object (lines share them)."""
    ids = list(map(id, values))
    distinct = dict(zip(ids, values, strict=True))
    text_of = dict(zip(distinct, (text + end for text in texts(list(distinct.values()))), strict=True))
    return list(map(text_of.__getitem__, ids))


class _Fields:
    """The field texts of a column's distinct values followed by `end`, each quoted once for the whole file."""

    def __init__(self, separator: str, end: str) -> None:
        self.separator, self.end = separator, end
        self.known: dict[Hashable, str] = {}

    def of(self, values: Sequence[Hashable]) -> list[str]:
        try:
            return list(map(self.known.__getitem__, values))
        except KeyError:  # values not seen yet
            new = [v for v in set(values) if v not in self.known]
            self.known.update(zip(new, (text + self.end for text in csv_fields(new, self.separator)), strict=True))
            return list(map(self.known.__getitem__, values))


class _Rows:
    """The CSV text of chunks of allocation rows, with what is quoted once for the whole file."""

    def __init__(self, structures: Mapping[str, Any], dialect: CsvDialect) -> None:
        sep, mark = dialect.separator, dialect.decimal
        if csv_fields([mark], sep) != [mark]:  # figures are written as they are
            raise ValueError(f"the decimal mark {mark!r} would be quoted with the separator {sep!r}")
        self.structures, self.sep, self.mark = structures, sep, mark
        yes, no = ("true", "false") if dialect.name == "en" else (yes_no(True), yes_no(False))
        self.eligible = tuple(text + sep for text in csv_fields([no, yes], sep))  # indexed by False, True
        self.heads: dict[str, str] = {}  # structure id, name, type, commune: one text per structure
        self.fields = {name: _Fields(sep, sep) for name in ("year", "manager_id", "line", "family", "reason")}

    def _heads(self, sids: Sequence[str]) -> list[str]:
        try:
            return list(map(self.heads.__getitem__, sids))
        except KeyError:  # structures not seen yet
            new = [sid for sid in set(sids) if sid not in self.heads]
            of = [self.structures[sid] for sid in new]
            columns = (new, [s.name for s in of], [s.type for s in of], [s.commune_id for s in of])
            texts = [csv_fields(column, self.sep) for column in columns]
            self.heads.update(zip(new, map(f"{{}}{self.sep}{{}}{self.sep}{{}}{self.sep}{{}}{self.sep}".format, *texts),
                                  strict=True))
            return list(map(self.heads.__getitem__, sids))

    def rates(self, rates: Sequence[Any]) -> list[str]:
        """The rate fields, each distinct rate object formatted once."""
        return _once_each(rates, lambda distinct: csv_fields(rate_texts(distinct, self.mark), self.sep), self.sep)

    def rules(self, rules: Sequence[Sequence[str]]) -> list[str]:
        """The rules fields, ending the rows, each distinct list of rules once."""
        return _once_each(rules, lambda distinct: csv_fields(map(" ".join, distinct), self.sep), "\n")

    def text(self, part: Mapping[str, Any], rates: list[str], rules: list[str]) -> str:
        """The rows of `part` (columns of COLUMNS), given their rate and rules fields."""
        sep, mark, fields = self.sep, self.mark, self.fields
        num, den, cents = part["units_num"], part["units_den"], part["cents"]
        years = np.asarray(part["year"])
        if (years == years[0]).all():  # a block of one year (allocation_column_blocks): one text for all
            year: Iterable[str] = repeat(fields["year"].of([years[0].item()])[0], len(years))
        else:
            year = fields["year"].of(years.tolist())
        pieces = [
            year, self._heads(part["structure_id"]),
            fields["manager_id"].of(part["manager_id"]), fields["line"].of(part["line"]),
            fields["family"].of(part["family"]), *ratio_pieces(num, den, UNITS_PLACES, mark, sep, units=True),
            rates, *per_unit_pieces(cents, num, den, mark, sep), *cents_pieces(cents, mark, sep),
            list(map(self.eligible.__getitem__, np.asarray(part["eligible"]).tolist())),
            fields["reason"].of(part["reason"]), rules,
        ]
        return "".join(map("".join, zip(*pieces, strict=True)))


def write_allocation_columns(blocks: Iterable[Mapping[str, Any]], structures: Mapping[str, Any], out: IO[str],
                             dialect: CsvDialect, chunk: int = CHUNK) -> None:
    """The rows of the allocation table (after its header) in `dialect`, from blocks of columns (COLUMNS, each
    block in the order to write) and `structures` (structure id: an object with name, type and commune_id),
    written into `out` `chunk` rows at a time."""
    rows = _Rows(structures, dialect)
    for block in blocks:
        rates, rules = rows.rates(block["rate"]), rows.rules(block["rules"])  # a block's objects: distinct ids
        for start in range(0, len(block["year"]), chunk):
            stop = start + chunk
            out.write(rows.text({name: values[start:stop] for name, values in block.items()}, rates[start:stop],
                                rules[start:stop]))
