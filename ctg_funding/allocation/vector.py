"""The exact allocation over every (year, territory, family) at once: the same cents as `exact`, for national scale.

Every amount of a family-year is an integer numerator over one common denominator per group (Python ints in
NumPy object arrays, so nothing overflows): units are the structure-year's unit-days scaled to integers, so that

    per_unit   exact cents_i = envelope cents x U_i / sum of eligible U        (denominator: sum of eligible U)
    weighted   the same with U_i x weight_i x L (L: the lcm of the group's weights' denominators) for U_i
    historical exact cents_i = N-1 cents x open days / year days, capped     (denominator: year days x scale)

and the floor, the redistribution of released amounts and the rounding (floor of each amount, then one more cent
to the largest remainders, ties by structure id then position, as `exact.largest_remainder`) work on those
integers group by group. The run goes in stages over one `_Groups` record: group the rows, read the policy of
each group, the weights, the methods, the released amounts, the floors, the redistribution, one rounding, then
the results. Family-years that the policy marks `exact_only` (a cap that is not whole cents) are allocated by
`exact.allocate_family`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from ..money import money
from ..rulebook import Rulebook, required
from ..rulebook.weights import YEAR_FIELDS, Column, WeightError, evaluate_weights, parse_weight
from . import exact, policy
from .policy import FamilyPolicy
from .renewal import Base
from .results import Envelope, Released, Warning, YearResult

ONE = Fraction(1)


class PackedLine(NamedTuple):
    """A line of the vector allocator: the attributes of results.Line, with its exact figures kept as integers
    and turned into Fractions and Decimals only when read. At national scale most lines are only summed."""

    year: int
    structure_id: str
    family: str
    line: str
    unit: str
    eligible: bool
    reason: str | None
    rules: list[str]
    method: str
    weight: Fraction | None
    rate: Fraction | None
    capped: bool
    units_num: int  # units pro rata temporis = units_num / units_den
    units_den: int
    n1_cents: int
    num: int  # exact amount = num / den100 euros
    den100: int
    cents: int
    open_days: int
    year_days: int
    base_num: int  # the method's amount before the floor = base_num / base_den100 euros
    base_den100: int
    cap_cents: int | None
    renewed_from: int | None
    extra_num: int = 0  # received from released amounts (redistribute) = extra_num / den100 euros

    @property
    def units(self) -> Fraction:
        return Fraction(self.units_num, self.units_den)

    @property
    def n1_amount(self) -> Fraction:
        return Fraction(self.n1_cents, 100)

    @property
    def exact(self) -> Fraction:
        return Fraction(self.num, self.den100)

    @property
    def base(self) -> Fraction:
        return Fraction(self.base_num, self.base_den100)

    @property
    def amount(self) -> Any:
        return money(self.cents)

    @property
    def share(self) -> Fraction:
        return Fraction(self.open_days, self.year_days)

    @property
    def cap(self) -> Fraction | None:
        return None if self.cap_cents is None else Fraction(self.cap_cents, 100)

    @property
    def extra(self) -> Fraction:
        return Fraction(self.extra_num, self.den100)


@dataclass
class _Groups:
    """The rows sorted by (year, territory, family), each group's policy and the integer figures of each row. The
    rows are a frame's (scenario/frame.py) and their evaluations codes (engine/coded.py): columns, with an object
    made only for the rows that need one (`sy`, `ev`)."""

    frame: Any
    evs: Any
    starts: np.ndarray
    sizes: np.ndarray
    g_year: list[int]
    g_terr: list[str]
    g_fam: list[str]
    families: np.ndarray  # per row
    years: np.ndarray  # per row
    policies: list[FamilyPolicy] = field(default_factory=list)
    routed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    a_cents: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    envelope: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    elig: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    od: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    yd: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    big_u: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    scale: int = 1
    weight: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))  # per row: its weight (weighted)
    share_u: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))  # per row: the units it shares
    # its group's envelope by, x its group's `wl` (weighted: units x weight x wl, an integer; else big_u)
    wl: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))  # per group: see share_u
    reasons: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))  # per row: the evaluation's,
    # or why no share

    @property
    def n(self) -> int:
        return len(self.frame)

    def sy(self, i: int) -> Any:
        """Row i's structure-year."""
        return self.frame[i]

    def ev(self, i: int) -> Any:
        """Row i's evaluation."""
        return self.evs.at(i)

    @property
    def ng(self) -> int:
        return len(self.starts)

    @property
    def g_of(self) -> np.ndarray:
        return np.repeat(np.arange(self.ng), self.sizes)

    def rows(self, g: int) -> range:
        return range(int(self.starts[g]), int(self.starts[g] + self.sizes[g]))


@dataclass
class _Amounts:
    """Exact amounts as integer numerators over one denominator per group (x 100: cents), and the figures the
    lines and envelopes record."""

    num: np.ndarray
    den: np.ndarray
    capped: np.ndarray
    cap_cents: list[int | None]
    s_g: np.ndarray  # eligible scaled units per group (per_unit)
    whole: dict[int, bool]  # per_unit groups that nobody eligible shares: g -> whether no CTG was in force
    base_num: np.ndarray  # the methods' amounts, before the floor
    base_den: np.ndarray
    before_cap: np.ndarray  # historical amounts before the cap, and the cap's ceiling
    ceiling: np.ndarray
    floor_rows: np.ndarray  # rows whose amount the floor moved
    floors: dict[int, tuple[Fraction, Fraction]] = field(default_factory=dict)  # g -> (deficit, excess)
    moved: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # groups whose released amounts
    # went to their structures (redistribute)
    moved_total: dict[int, Fraction] = field(default_factory=dict)  # g -> the exact amount they moved, euros
    extra: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))  # per row: what it received
    received: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))


class _Items(NamedTuple):
    """Released amounts of the vectorised groups: (group, row or -1, structure id, reason, numerator, rules)."""

    rows: list[tuple[int, int, str | None, str, Any, list[str]]]
    group: np.ndarray
    num: np.ndarray


def _group_sums(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per group sums of an object (or int) array, one per group. The groups are the runs that begin at `starts`
    (`_group`: at least one, each non-empty), so reduceat's sums are exact as they are."""
    return np.add.reduceat(values.astype(object), starts)


def allocate_vector(frame: Any, evaluations: Any, n1_cents: np.ndarray,
                    bases: Mapping[tuple[str, int], Base], rulebook_of: Callable[[str], Rulebook],
                    weights: Any) -> dict[int, YearResult]:
    """Every family-year of every territory, by year: the lines, released amounts and envelopes of `exact`.
    `frame` holds the structure-years (scenario/frame.py), `evaluations` their codes (engine/coded.py, the same
    rows), `n1_cents` their N-1 amounts (`renewal.n1_cents`), `bases` where those come from."""
    if not len(frame):
        return {}
    gr = _group(frame, evaluations, n1_cents)
    _read_figures(gr)
    _decide(gr, rulebook_of, bases)
    _weights(gr, weights)
    _no_share(gr)
    am = _methods(gr, rulebook_of)
    items = _released(gr, am, rulebook_of)
    warnings = _floors(gr, am, items)
    _redistribute(gr, am, items)
    cents = _round(gr, am, items)
    return _results(gr, am, items, cents, warnings, rulebook_of, weights)


def _group(frame: Any, evaluations: Any, n1_cents: np.ndarray) -> _Groups:
    """Rows sorted by (year, territory, family), rows kept in their order within a group (stable), with their
    N-1 amounts."""
    n = len(frame)
    years_in = np.asarray(frame.year, dtype=np.int64)
    fam_codes, fam_names = pd.factorize(evaluations.column("family"), sort=True)
    terr_codes, terr_names = pd.factorize(frame.territory_id, sort=True)
    order = np.lexsort((fam_codes, terr_codes, years_in))
    y_s, t_s, f_s = years_in[order], terr_codes[order], fam_codes[order]
    change = (y_s[1:] != y_s[:-1]) | (t_s[1:] != t_s[:-1]) | (f_s[1:] != f_s[:-1])
    starts = np.flatnonzero(np.r_[True, change])
    families = np.asarray(fam_names, dtype=object)[f_s]
    sorted_frame = frame.take(order)
    return _Groups(frame=sorted_frame, evs=evaluations.take(order, sorted_frame), starts=starts,
                   sizes=np.diff(np.r_[starts, n]), g_year=y_s[starts].tolist(),
                   g_terr=np.asarray(terr_names, dtype=object)[t_s][starts].tolist(),
                   g_fam=families[starts].tolist(), families=families, years=y_s,
                   a_cents=np.asarray(n1_cents, dtype=np.int64)[order])


def _read_figures(gr: _Groups) -> None:
    """Each row's eligibility, days, units scaled to integers, and each group's envelope (the sum of its rows'
    N-1 cents)."""
    gr.elig = gr.evs.column("eligible").copy()  # _no_share takes some rows out
    gr.od = np.asarray(gr.frame.open_days, dtype=np.int64)
    gr.yd = np.asarray(gr.frame.year_days, dtype=np.int64)
    gr.scale = gr.frame.scale
    gr.big_u = gr.frame.unit_days.astype(object)  # exact Python ints: they are multiplied by cents
    gr.envelope = _group_sums(gr.a_cents, gr.starts)
    gr.reasons = gr.evs.column("reason").copy()


def _decide(gr: _Groups, rulebook_of: Callable[[str], Rulebook], bases: Mapping[tuple[str, int], Base]) -> None:
    """Each group's policy (the same decision as the exact allocator's)."""
    gr.routed = np.zeros(gr.ng, dtype=bool)
    kinds = [gr.evs.at_code(c) for c in range(len(gr.evs.tails))]  # one evaluation per code
    by_codes: dict[tuple[int, ...], tuple[frozenset, frozenset]] = {}
    for g, codes in enumerate(_codes_of_groups(gr)):
        if codes not in by_codes:
            by_codes[codes] = (frozenset(kinds[c].method for c in codes if kinds[c].method),
                               frozenset(kinds[c].cap_param for c in codes if kinds[c].cap_param and kinds[c].eligible))
        forced, caps = by_codes[codes]
        tid, year, family = gr.g_terr[g], gr.g_year[g], gr.g_fam[g]
        # One group per (year, territory, family): each policy is decided once (territories have their own
        # rulebooks, so policies are not shared between them).
        decided = policy.family_policy(rulebook_of(tid), family, year, forced, caps, bases[(tid, year)])
        gr.policies.append(decided)
        gr.routed[g] = decided.exact_only


def _codes_of_groups(gr: _Groups) -> list[tuple[int, ...]]:
    """The distinct evaluation codes of each group's rows (what decides its policy), in code order."""
    nc = max(len(gr.evs.tails), 1)
    pairs = np.unique(gr.g_of.astype(np.int64) * nc + gr.evs.code)
    bounds = np.searchsorted(pairs // nc, np.arange(gr.ng + 1)).tolist()
    codes = (pairs % nc).tolist()
    return [tuple(codes[bounds[g]:bounds[g + 1]]) for g in range(gr.ng)]


def _weights(gr: _Groups, weights: Any) -> None:
    """R3.weighted (exact._weights): the weight of each eligible row of the weighted groups, from the scenario's
    expression evaluated over those rows at once; a zero weight leaves a row no share (ZERO_WEIGHT). The rows'
    weighted units are then integers over one denominator per group: share_u = units x weight x wl, wl the least
    common multiple of the group's weights' denominators."""
    gr.weight = np.full(gr.n, None, dtype=object)
    gr.share_u, gr.wl = gr.big_u, np.ones(gr.ng, dtype=object)
    weighted = np.array([p.method == "weighted" for p in gr.policies], dtype=bool) & ~gr.routed
    rows = np.flatnonzero(weighted[gr.g_of] & gr.elig)
    if not weighted.any():
        return
    num, den = _evaluated(gr, weights, weighted, rows)
    w = [Fraction(a, b) for a, b in zip(num.tolist(), den.tolist(), strict=True)]
    gr.weight[rows] = np.array([*w, None], dtype=object)[:-1]
    zero = rows[num == 0]
    gr.elig[zero], gr.reasons[zero] = False, policy.NO_SHARE_ZERO_WEIGHT
    w_num = np.array([x.numerator for x in w] + [0], dtype=object)[:-1]
    w_den = [x.denominator for x in w]
    g_rows = gr.g_of[rows]
    bounds = np.searchsorted(g_rows, np.arange(gr.ng + 1)).tolist()
    for g in np.flatnonzero(weighted).tolist():
        gr.wl[g] = math.lcm(*w_den[bounds[g]:bounds[g + 1]])
    gr.share_u = gr.big_u.copy()
    gr.share_u[rows] = gr.big_u[rows] * w_num * (gr.wl[g_rows] // np.array([*w_den, 1], dtype=object)[:-1])


def _evaluated(gr: _Groups, weights: Any, weighted: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The weights of `rows` (numerators, positive denominators), else the WeightError that the exact allocator
    raises first: groups in order, a group's expression refused before its rows, its rows in order."""
    texts = {g: gr.policies[g].weight_expression for g in np.flatnonzero(weighted).tolist()}
    trees: dict[str, Any] = {}
    for text in texts.values():
        if text not in trees:
            try:
                trees[text] = parse_weight(text, weights.fields)
            except WeightError as exc:
                trees[text] = exc
    refused = next((g for g, text in texts.items() if isinstance(trees[text], WeightError)), gr.ng)
    g_rows = gr.g_of[rows]
    text_of = np.array([texts[g] for g in g_rows.tolist()] + [""], dtype=object)[:-1]
    num, den = np.zeros(len(rows), dtype=object), np.ones(len(rows), dtype=object)
    messages: list[str | None] = [None] * len(rows)
    column = _weight_columns(gr, weights, rows)
    for text, tree in trees.items():
        at = np.flatnonzero(text_of == text)
        if isinstance(tree, WeightError) or not len(at):
            continue
        num[at], den[at], failed = evaluate_weights(tree, lambda name, at=at: tuple(c[at] for c in column(name)),
                                                    len(at))
        for k, message in zip(at.tolist(), failed, strict=True):
            messages[k] = message
    bad = [k for k, m in enumerate(messages) if m is not None] + np.flatnonzero(num < 0).tolist()
    k = min(bad, default=len(rows))
    if refused < gr.ng and (k == len(rows) or refused <= g_rows[k]):
        raise trees[texts[refused]]
    if k < len(rows):
        i, g = int(rows[k]), int(g_rows[k])
        sid, year = gr.frame.structure_id[i], gr.g_year[g]
        if messages[k] is not None:
            raise exact.weight_failed(messages[k], sid, year)
        raise exact.negative_weight(texts[g], Fraction(num[k], den[k]), sid, year)
    return num, den


def _weight_columns(gr: _Groups, weights: Any, rows: np.ndarray) -> Callable[[str], Column]:
    """The fields a weight expression reads, for `rows`: the structure-year's (YEAR_FIELDS) from the frame's
    columns, the structure's (WeightValues.of_structure) once per structure, over the former as in
    WeightValues.of."""
    year = {"units": (gr.frame.units_scaled(rows), np.full(len(rows), gr.scale, dtype=object)),
            "open_days": (gr.od[rows], np.ones(len(rows), dtype=object)),
            "year_days": (gr.yd[rows], np.ones(len(rows), dtype=object))}
    distinct: dict[int, int] = {}
    values: list[dict[str, Fraction]] = []
    position = np.empty(len(rows), dtype=np.int64)
    for k, structure in enumerate(gr.frame.structures(rows)):
        d = distinct.get(id(structure))
        if d is None:
            d = distinct[id(structure)] = len(values)
            values.append(weights.of_structure(structure))
        position[k] = d

    def column(name: str) -> Column:
        given = [v.get(name) for v in values]
        has = np.array([v is not None for v in given], dtype=bool)[position]
        num = np.array([v.numerator if v is not None else 0 for v in given] + [0], dtype=object)[:-1][position]
        den = np.array([v.denominator if v is not None else 1 for v in given] + [1], dtype=object)[:-1][position]
        if name not in YEAR_FIELDS:
            return num, den, ~has
        y_num, y_den = year[name]
        return np.where(has, num, y_num), np.where(has, den, y_den), np.zeros(len(rows), dtype=bool)

    return column


def _no_share(gr: _Groups) -> None:
    """Under per_unit and weighted, a row that passes R3 but has no units receives nothing: not eligible,
    NO_UNITS (as the exact allocator says)."""
    per_unit = np.array([p.method != "historical" for p in gr.policies])[gr.g_of] & ~gr.routed[gr.g_of]
    none = per_unit & gr.elig & (gr.big_u == 0)
    gr.elig[none], gr.reasons[none] = False, policy.NO_SHARE_NO_UNITS


def _methods(gr: _Groups, rulebook_of: Callable[[str], Rulebook]) -> _Amounts:
    """R3.historical (own N-1 amount, pro rata temporis, within the cap) and R3.per_unit (one rate per unit)."""
    n, g_of, scale = gr.n, gr.g_of, gr.scale
    hist_g = np.array([p.method == "historical" for p in gr.policies])
    live = ~gr.routed[g_of]
    hist = hist_g[g_of]
    obj = lambda a: a.astype(object)  # noqa: E731
    keep = hist & live & gr.elig & (gr.a_cents > 0)
    amount = np.where(keep, obj(gr.a_cents) * obj(gr.od) * scale, 0)
    cap_cents: list[int | None] = [None] * n
    cap_num = np.zeros(n, dtype=object)
    cap_params = gr.evs.column("cap_param")
    for i in np.flatnonzero(keep).tolist():
        if cap_params[i]:
            cap_cents[i] = int(Fraction(rulebook_of(gr.g_terr[g_of[i]]).value(cap_params[i], gr.years[i])) * 100)
            cap_num[i] = cap_cents[i]
    has_cap = np.array([c is not None for c in cap_cents], dtype=bool)
    ceiling = cap_num * gr.big_u
    capped = has_cap & (amount > ceiling)
    num = np.where(hist & live, np.where(capped, ceiling, amount), 0)
    den = np.ones(gr.ng, dtype=object)
    hist_groups = np.flatnonzero(hist_g & ~gr.routed)
    den[hist_groups] = (obj(gr.yd) * scale)[gr.starts[hist_groups]]
    # per_unit
    s_g = _group_sums(np.where(gr.elig, gr.share_u, 0), gr.starts)
    pu_groups = np.flatnonzero(~hist_g & ~gr.routed)
    whole = {}
    for g in pu_groups.tolist():
        if s_g[g]:
            den[g] = s_g[g]
        else:
            whole[g] = policy.ctg_off(gr.evs.column("fired")[gr.starts[g]:gr.starts[g] + gr.sizes[g]].tolist())
    sel = ~hist & live & gr.elig & (s_g[g_of] != 0)
    num = np.where(sel, gr.envelope[g_of] * gr.share_u, num)
    return _Amounts(num=num, den=den, capped=capped, cap_cents=cap_cents, s_g=s_g, whole=whole,
                    base_num=num.copy(), base_den=den.copy(), before_cap=amount, ceiling=ceiling,
                    floor_rows=np.zeros(n, dtype=bool))


def _released(gr: _Groups, am: _Amounts, rulebook_of: Callable[[str], Rulebook]) -> _Items:
    """Released amounts of the vectorised groups, in the exact allocator's order: per line, ineligible, closed,
    capped; then a group's whole envelope when nobody eligible shares it."""
    g_of, scale, obj = gr.g_of, gr.scale, (lambda a: a.astype(object))
    hist = np.array([p.method == "historical" for p in gr.policies])[g_of] & ~gr.routed[g_of]
    keep = hist & gr.elig & (gr.a_cents > 0)
    closed_rel = np.where(keep & (gr.od < gr.yd), obj(gr.a_cents) * obj(gr.yd - gr.od) * scale, 0)
    inel_rel = np.where(hist & ~gr.elig & (gr.a_cents > 0), obj(gr.a_cents) * obj(gr.yd) * scale, 0)
    cap_rel = np.where(am.capped, am.before_cap - am.ceiling, 0)
    rows: list[tuple[int, int, str | None, str, Any, list[str]]] = []
    for i in np.flatnonzero((inel_rel != 0) | (closed_rel != 0) | am.capped).tolist():
        g, ev, sid = int(g_of[i]), gr.ev(i), gr.frame.structure_id[i]
        if inel_rel[i]:
            reason, rules = policy.ineligible_release(ev.reason, ev.reason_rule)
            rows.append((g, i, sid, reason, inel_rel[i], rules))
            continue
        if gr.od[i] < gr.yd[i]:
            reason, rules = policy.closed_release()
            rows.append((g, i, sid, reason, closed_rel[i], rules))
        if am.capped[i]:
            reason, rules = policy.cap_release(ev.cap_rule, ev.cap_reason)
            rows.append((g, i, sid, reason, cap_rel[i], rules))
    for g, off in am.whole.items():
        if gr.envelope[g]:
            reason, rules = policy.whole_release(rulebook_of(gr.g_terr[g]), off)
            rows.append((g, -1, None, reason, gr.envelope[g], rules))
    rows.sort(key=lambda r: (r[0], r[1] if r[1] >= 0 else gr.n))  # stable: a row's items keep their order
    return _Items(rows, np.array([r[0] for r in rows], dtype=np.int64),
                  np.array([r[4] for r in rows] + [0], dtype=object)[:-1])


def _floors(gr: _Groups, am: _Amounts, items: _Items) -> dict[int, Warning]:
    """R3.floor on top of either method, over the eligible rows of each group that has one; the warnings of the
    floors that cannot be met, by group."""
    warnings: dict[int, Warning] = {}
    for g in range(gr.ng):
        pol = gr.policies[g]
        if not pol.floor or gr.routed[g]:
            continue
        s, e = int(gr.starts[g]), int(gr.starts[g] + gr.sizes[g])
        idx = np.arange(s, e)[gr.elig[s:e]]
        f = Fraction(pol.floor) * 100
        mult = f.denominator * gr.scale * int(gr.yd[s])
        d1 = am.den[g] * mult
        scaled = am.num[idx] * mult
        target = np.array([f.numerator * int(u) * am.den[g] for u in gr.big_u[idx]], dtype=object)
        gap = target - scaled
        deficit = sum((x for x in gap if x > 0), 0)
        excess = sum((-x for x in gap if x < 0), 0)
        am.floors[g] = (Fraction(deficit, d1 * 100), Fraction(excess, d1 * 100))
        if not deficit:
            continue
        am.floor_rows[idx] = True
        if deficit <= excess:
            above = np.where(gap < 0, scaled * excess - deficit * (-gap), scaled * excess)
            new = np.where(gap > 0, target * excess, above)
            rescale, am.den[g] = mult * excess, d1 * excess
        else:
            # units > 0: a deficit needs a target above 0, hence an eligible row with units (as in exact)
            total, units = sum(scaled, 0), sum(gr.big_u[idx], 0)
            new = np.array([total * int(u) for u in gr.big_u[idx]], dtype=object)
            rescale, am.den[g] = mult * units, d1 * units
            deficit, excess = am.floors[g]
            warnings[g] = Warning(gr.g_year[g], gr.g_fam[g], gr.g_terr[g], policy.FLOOR_UNMET, floor=pol.floor,
                                  deficit=deficit, excess=excess)
        am.num[s:e] = am.num[s:e] * rescale
        am.num[idx] = new
        if len(items.group):
            items.num[:] = np.where(items.group == g, items.num * rescale, items.num)
    return warnings


def _redistribute(gr: _Groups, am: _Amounts, items: _Items) -> None:
    """R3.released with destination `redistribute` (exact._redistribute): a group's released amounts go to its
    eligible rows with an amount above 0 and no cap, pro rata of their amounts (the group's figures multiplied by
    the takers' sum, so that they stay integers over one denominator); when nobody can take them they stay with
    the Caf."""
    n, ng, g_of = gr.n, gr.ng, gr.g_of
    am.moved, am.extra, am.received = np.zeros(ng, dtype=bool), np.zeros(n, dtype=object), np.zeros(n, dtype=bool)
    to_structures = np.array([p.destination == "redistribute" for p in gr.policies], dtype=bool) & ~gr.routed
    if not (to_structures.any() and len(items.group)):
        return
    takers = gr.elig & (am.num > 0) & np.array([c is None for c in am.cap_cents], dtype=bool)
    base = _group_sums(np.where(takers, am.num, 0), gr.starts)
    total = np.zeros(ng, dtype=object)
    for g, num in zip(items.group.tolist(), items.num.tolist(), strict=True):
        total[g] += num
    am.moved = to_structures & (base != 0) & (np.bincount(items.group, minlength=ng) > 0)
    for g in np.flatnonzero(am.moved).tolist():
        am.moved_total[g] = Fraction(total[g], am.den[g] * 100)
    am.received = takers & am.moved[g_of]
    am.extra = np.where(am.received, total[g_of] * am.num, 0)
    am.num = am.num * np.where(am.moved, base, 1)[g_of] + am.extra
    items.num[:] = items.num * np.where(am.moved, base, 1)[items.group]
    am.den = np.where(am.moved, am.den * base, am.den)


def _order_keys(values: np.ndarray) -> np.ndarray:
    """Integers (int64, or Python ints of any size in an object array) as int64 keys in the same order: the values
    themselves when they fit, else their exact ranks (np.unique sorts Python ints exactly; it is slower, and only
    needed beyond int64)."""
    try:
        return values.astype(np.int64)
    except OverflowError:
        return np.unique(values, return_inverse=True)[1].reshape(-1)


def _divmod(num: np.ndarray, den: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Floor division and remainder of integer arrays (Python ints in object arrays): in int64 when both fit, the
    same figures at a fraction of the cost; else on the Python ints (a floor's denominators can be large)."""
    try:
        num64, den64 = num.astype(np.int64), den.astype(np.int64)
    except OverflowError:
        quotient = num // den
        return quotient, num - quotient * den
    quotient = num64 // den64
    return quotient, num64 - quotient * den64


def _round(gr: _Groups, am: _Amounts, items: _Items) -> np.ndarray:
    """One rounding per group: the lines and the released amounts share the envelope's cents (largest
    remainder, ties by structure id then position, exactly as `exact.largest_remainder`). Released amounts that
    went to the structures are inside the lines' amounts: they are rounded apart (as exact._round), in a pool of
    their own (pool ng + g), to their exact sum rounded half to even."""
    n, ng, g_of, rel_g = gr.n, gr.ng, gr.g_of, items.group
    items_g = np.r_[g_of, rel_g]
    pool = np.r_[g_of, rel_g + ng * am.moved[rel_g]]
    items_num = np.r_[am.num, items.num] if len(rel_g) else am.num
    items_den = am.den[items_g]
    floor_cents, rem = _divmod(items_num, items_den)
    rel_pos = gr.sizes[rel_g] + np.arange(len(rel_g)) - np.searchsorted(rel_g, rel_g, side="left")
    position = np.r_[np.arange(n) - gr.starts[g_of], rel_pos]
    keys = np.concatenate([gr.frame.structure_id, np.array([r[2] or "" for r in items.rows] + [""], dtype=object)[:-1]])
    live_items = ~gr.routed[items_g]
    # Cents left per pool after flooring (int64 is exact here: every figure is at most the envelope's cents).
    fc = np.where(live_items, floor_cents, 0).astype(np.int64)
    sums = np.zeros(2 * ng, dtype=np.int64)
    sums[:ng] += np.add.reduceat(fc[:n], gr.starts) if n else 0
    np.add.at(sums, pool[n:], fc[n:])
    targets = [int(x) for x in gr.envelope] + [0] * ng
    for g, total in am.moved_total.items():
        targets[ng + g] = round(total * 100)  # Fraction rounds half to even
    left = np.array(targets, dtype=np.int64) - sums
    count = np.bincount(pool, minlength=2 * ng)
    bad = ~np.r_[gr.routed, gr.routed] & ((left < 0) | (left > count))
    if bad.any():
        g = int(np.flatnonzero(bad)[0])
        raise ArithmeticError(f"amounts do not add up to the envelope ({left[g]} cents left over)")
    # Only amounts with a remainder can take an extra cent: the remainders of a group add up to `left` whole
    # cents, each below one, so at least `left` of them are non-zero (and a zero remainder is never bumped).
    idx = np.flatnonzero(live_items & (rem != 0))
    key_code = pd.factorize(keys[idx], sort=True)[0]  # ranks of the ids among the amounts with a remainder
    # Rank by remainder, then structure id, then position. The items of a group share one denominator, so their
    # remainders compare as the integers `rem`, exactly: as int64 when every remainder fits (per_unit and historical
    # groups: a denominator is year days x scale, or a sum of scaled units), else by their exact ranks among Python
    # ints (a floor multiplies a group's denominator by its own figures, which can take it beyond int64).
    order = np.lexsort((position[idx], key_code, -_order_keys(rem[idx]), pool[idx]))
    ranked, gs = idx[order], pool[idx][order]
    first = np.r_[True, gs[1:] != gs[:-1]] if len(gs) else np.zeros(0, dtype=bool)
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(gs)), 0)) if len(gs) else gs
    bump = np.arange(len(gs)) - group_start < left[gs]
    cents = floor_cents.copy()
    cents[ranked[bump]] += 1
    return cents


def _row_codes(columns: list[np.ndarray]) -> np.ndarray:
    """One code per distinct row of equal-length integer or boolean columns (0, 1, ... in order of first
    appearance): each column is combined into the codes so far, and the pairs renumbered, so that no key grows
    beyond int64 however many columns (np.unique over rows sorts them, 30 times slower)."""
    code = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        part, values = pd.factorize(column)
        code = pd.factorize(code * len(values) + part)[0]
    return code


def _line_rules(gr: _Groups, am: _Amounts, rows: np.ndarray) -> list[list[str]]:
    """Each row's rules (policy.line_rules), computed once per distinct (fired rules, method, pro rata, floor,
    cap, eligibility, renewal, reason, received): lines with the same rules share one list."""
    g_of = gr.g_of
    fired_code = gr.evs.code  # one code per distinct set of fired rules
    methods = [p.method for p in gr.policies]
    method_code = np.array([list(required.METHOD_RULES).index(m) for m in methods], dtype=np.int64)[g_of]
    renewed = np.array([p.renewed_from is not None for p in gr.policies], dtype=bool)[g_of]
    prorata = (gr.od > 0) & (gr.od < gr.yd)
    reason_code = pd.factorize(gr.reasons)[0]
    inverse = _row_codes([a[rows] for a in (fired_code, method_code, prorata, am.floor_rows, am.capped, gr.elig,
                                            renewed, reason_code, am.received)])
    first = np.unique(inverse, return_index=True)[1]
    rules_of = []
    for k in range(len(first)):
        i = int(rows[first[k]])
        ev = gr.ev(i)
        rules_of.append(policy.line_rules(ev, methods[g_of[i]], bool(gr.elig[i]), gr.reasons[i],
                                          pro_rata=bool(prorata[i]), capped=bool(am.capped[i]),
                                          floored=bool(am.floor_rows[i]), received=bool(am.received[i]),
                                          renewed=bool(renewed[i])))
    return [rules_of[k] for k in inverse.reshape(-1).tolist()]


def _packed_lines(gr: _Groups, am: _Amounts, cents: np.ndarray, rows: np.ndarray) -> LineBlock:
    """The lines of the vectorised groups, as columns (no Python object per line)."""
    g_of = gr.g_of
    every = len(rows) == gr.n  # no routed group: whole columns, no indexing
    pick = (lambda a: a) if every else (lambda a: a[rows])
    g_rows = pick(g_of)
    methods = np.array([p.method for p in gr.policies], dtype=object)
    elig = pick(gr.elig)
    pu = (methods == "per_unit")[g_rows] & elig
    shares = (methods != "historical")[g_rows] & elig
    rates = _rates(gr, am)
    rate_col = np.array(rates + [None], dtype=object)[:-1][g_rows]
    cap_col = np.array(am.cap_cents + [None], dtype=object)[:-1]
    renewed_col = np.array([p.renewed_from for p in gr.policies] + [None], dtype=object)[:-1][g_rows]
    columns = (
        pick(gr.years), pick(gr.frame.structure_id), pick(gr.families), pick(gr.evs.column("line")),
        pick(gr.evs.column("unit")), pick(gr.elig), pick(gr.reasons), _line_rules(gr, am, rows), methods[g_rows],
        np.where(pu, ONE, pick(gr.weight)), np.where(shares, rate_col, None), pick(am.capped), pick(gr.big_u),
        pick(gr.yd) * gr.scale, pick(gr.a_cents), pick(am.num), (am.den * 100)[g_rows], cents[:gr.n][rows],
        pick(gr.od), pick(gr.yd), pick(am.base_num), (am.base_den * 100)[g_rows], pick(cap_col), renewed_col,
        pick(am.extra),
    )
    return LineBlock(dict(zip(PackedLine._fields, columns, strict=True)))


class LineBlock(Sequence[PackedLine]):
    """Lines of the vector allocator held as columns, one per field of PackedLine (NumPy arrays, and a list for
    the rules): at national scale the CSV, compare and the plancher read columns, and PackedLines are made only
    when the lines are read one by one (JSON, xlsx, audit, explain), once."""

    def __init__(self, columns: dict[str, Any]) -> None:
        self._columns = columns
        self._lines: list[PackedLine] | None = None  # once read one by one, kept: outputs may read them again

    def column(self, name: str) -> Any:
        """One field of every line (an array, or the list of rules)."""
        return self._columns[name]

    def __len__(self) -> int:
        return len(self._columns["year"])

    def take(self, rows: np.ndarray) -> LineBlock:
        """The lines at `rows` (positions in this block), in that order."""
        return LineBlock({name: c[rows] if isinstance(c, np.ndarray) else [c[i] for i in rows.tolist()]
                          for name, c in self._columns.items()})

    def __iter__(self) -> Iterator[PackedLine]:
        if self._lines is None:
            # tolist(): Python ints, bools and strs, as the fields of a line hold them
            self._lines = list(map(PackedLine._make, zip(*(c.tolist() if isinstance(c, np.ndarray) else c
                                                           for c in self._columns.values()), strict=True)))
        return iter(self._lines)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return LineBlock({name: c[index] for name, c in self._columns.items()})
        i = index + len(self) if index < 0 else index
        if not 0 <= i < len(self):
            raise IndexError("line index out of range")
        return self._lines[i] if self._lines is not None else next(iter(self[i:i + 1]))


def _rates(gr: _Groups, am: _Amounts) -> list[Fraction | None]:
    """The rate per (weighted) unit of each per_unit or weighted group shared by someone eligible."""
    rates: list[Fraction | None] = [None] * gr.ng
    for g in range(gr.ng):
        if gr.policies[g].method != "historical" and am.s_g[g] and not gr.routed[g]:
            yd = int(gr.yd[gr.starts[g]])
            rates[g] = Fraction(int(gr.envelope[g]) * gr.scale * yd * gr.wl[g], 100 * am.s_g[g])
    return rates


def _results(gr: _Groups, am: _Amounts, items: _Items, cents: np.ndarray, warnings: dict[int, Warning],
             rulebook_of: Callable[[str], Rulebook], weights: Any) -> dict[int, YearResult]:
    """Lines, released amounts, envelopes and warnings by year; routed groups from the exact allocator."""
    out: dict[int, YearResult] = defaultdict(YearResult)
    live = ~gr.routed[gr.g_of]
    rows = np.flatnonzero(live)
    if len(rows):
        lines = _packed_lines(gr, am, cents, rows)
        row_years = gr.years[rows]  # rows are sorted by year: one slice per year
        for year in np.unique(row_years).tolist():
            lo, hi = np.searchsorted(row_years, year, "left"), np.searchsorted(row_years, year, "right")
            out[year].lines.extend(lines[lo:hi])
    allocated_g = _group_sums(np.where(live, cents[:gr.n], 0), gr.starts)
    rel_by_group: dict[int, list[int]] = defaultdict(list)
    for k, r in enumerate(items.rows):
        rel_by_group[r[0]].append(k)
    rates = _rates(gr, am)
    for g in range(gr.ng):
        year, family, tid, pol = gr.g_year[g], gr.g_fam[g], gr.g_terr[g], gr.policies[g]
        if gr.routed[g]:
            r = gr.rows(g)
            amounts = {gr.frame.structure_id[i]: Fraction(int(gr.a_cents[i]), 100) for i in r if gr.a_cents[i]}
            out[year].extend(exact.allocate_family(pol, Fraction(int(gr.envelope[g]), 100), [gr.sy(i) for i in r],
                                                   [gr.ev(i) for i in r], amounts, rulebook_of(tid), weights, tid))
            continue
        env = Envelope(year=year, family=family, envelope=money(int(gr.envelope[g])), method=pol.method,
                       rate=rates[g], territory=tid, parameters=pol.parameters, renewed_from=pol.renewed_from)
        if pol.method != "historical" and am.s_g[g]:
            env.units_total = Fraction(am.s_g[g], gr.scale * int(gr.yd[gr.starts[g]]) * gr.wl[g])
        if pol.floor:
            env.floor = pol.floor
            env.floor_deficit, env.floor_excess = am.floors.get(g, (Fraction(0), Fraction(0)))
        released_cents = moved_cents = 0
        destination = "redistribute" if am.moved[g] else "caf"
        for k in rel_by_group.get(g, []):
            _g, _i, sid, reason, _num, rules = items.rows[k]
            c = int(cents[gr.n + k])
            if am.moved[g]:
                moved_cents += c
            else:
                released_cents += c
            out[year].released.append(Released(year, family, sid, reason, Fraction(items.num[k], am.den[g] * 100),
                                               destination=destination, rules=list(rules), amount=money(c),
                                               territory=tid))
            if sid is None:
                out[year].warnings.append(Warning(year, family, tid, policy.RELEASED_WHOLE, amount=money(c),
                                                  reason=reason))
        env.allocated, env.released = money(int(allocated_g[g])), money(released_cents)
        env.redistributed, env.moved = money(moved_cents), am.moved_total.get(g, Fraction(0))
        out[year].envelopes.append(env)
        if g in warnings:
            out[year].warnings.append(warnings[g])
    return dict(out)

