"""The allocation of allocation.py over every (year, territory, family) at once, exact to the cent and identical.

Both are exact, so both give the same cents. Here every amount of a family-year is an integer numerator over
one common denominator per group (Python ints in NumPy object arrays, so nothing overflows): units are the
structure-year's unit-days scaled to integers, so that

    per_unit   exact cents_i = envelope cents x U_i / sum of eligible U        (denominator: sum of eligible U)
    historical exact cents_i = N-1 cents x open days / year days, capped     (denominator: year days x scale)

and the floor, the rounding (floor of each amount, then one more cent to the largest remainders, ties by
structure id then position, as allocation.largest_remainder) work on those integers group by group.

Routed to the reference allocation (allocation._allocate_family), family-year by family-year: the `weighted`
method (its weights are expressions), released amounts with destination `redistribute`, and a cap per unit that
is not a whole number of cents.
"""

from __future__ import annotations

import operator
from collections import defaultdict
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from . import allocation as ref
from .allocation import CTG_RULE, METHOD_RULES, Envelope, Released, YearResult, fmt_fraction, money
from .engine import Evaluation
from .engine.facts import StructureYear
from .rulebook import Rulebook


def _scale(values: Any) -> int:
    """A power of ten that makes every unit-days value an integer."""
    places = 0
    for value in values:
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > places:
            places = -exponent
    return 10**places


def _group_sums(values: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Per contiguous group sums of an object (or int) array, one per group."""
    if not len(starts):
        return np.zeros(0, dtype=object)
    sums = np.add.reduceat(values.astype(object), starts)
    return np.where(sizes > 0, sums, 0)


def allocate_vector(sys_: Sequence[StructureYear], evaluations: dict[str, Evaluation], cej: Sequence[Any],
                    rulebook: Rulebook, weight_values: Any, territory_default: str,
                    multi: bool) -> dict[int, YearResult]:
    """Every family-year of every territory, by year: the lines, released amounts and envelopes of allocation.py."""
    out: dict[int, YearResult] = defaultdict(lambda: YearResult([], [], [], []))
    n = len(sys_)
    if not n:
        return {}
    memo: dict[tuple[str, int], Any] = {}

    def value(name: str, year: int) -> Any:
        """rulebook.value, asked once per parameter and year (there are tens of thousands of groups)."""
        key = (name, year)
        if key not in memo:
            memo[key] = rulebook.value(name, year)
        return memo[key]

    params = rulebook.parameters
    evs = [evaluations[sy.id] for sy in sys_]
    # Groups (year, territory, family) in sorted order, rows kept in their order within a group (stable).
    years_in = np.fromiter((sy.year for sy in sys_), dtype=np.int64, count=n)
    fam_codes, fam_names = pd.factorize(np.array([ev.family for ev in evs], dtype=object), sort=True)
    if multi:
        terr_codes, terr_names = pd.factorize(
            np.array([sy.territory_id or territory_default for sy in sys_], dtype=object), sort=True)
    else:
        terr_codes, terr_names = np.zeros(n, dtype=np.int64), np.array([territory_default], dtype=object)
    order = np.lexsort((fam_codes, terr_codes, years_in))
    y_s, t_s, f_s = years_in[order], terr_codes[order], fam_codes[order]
    sys_ = [sys_[i] for i in order.tolist()]
    evs = [evs[i] for i in order.tolist()]
    frame = pd.DataFrame({"year": y_s, "territory": np.asarray(terr_names, dtype=object)[t_s],
                          "family": np.asarray(fam_names, dtype=object)[f_s],
                          "sid": [ev.structure_id for ev in evs]})
    change = (y_s[1:] != y_s[:-1]) | (t_s[1:] != t_s[:-1]) | (f_s[1:] != f_s[:-1])
    starts = np.flatnonzero(np.r_[True, change])
    sizes = np.diff(np.r_[starts, n])
    ng = len(starts)

    # N-1 CEJ cents of each row: its structure's actions that ended before the row's year.
    cej_frame = pd.DataFrame({"sid": [a.structure_id for a in cej], "last_year": [a.last_year for a in cej],
                              "cents": [int(Fraction(a.amount) * 100) for a in cej]})
    a_cents = np.zeros(n, dtype=np.int64)
    if len(cej_frame):
        merged = frame[["sid", "year"]].reset_index().merge(cej_frame, on="sid")
        merged = merged[merged["last_year"] < merged["year"]]
        summed = merged.groupby("index")["cents"].sum()
        a_cents[summed.index.to_numpy()] = summed.to_numpy()
    elig = np.fromiter((ev.eligible for ev in evs), dtype=bool, count=n)
    od = np.fromiter((sy.open_days for sy in sys_), dtype=np.int64, count=n)
    yd = np.fromiter((sy.year_days for sy in sys_), dtype=np.int64, count=n)
    # Unit-days repeat from year to year: read and scale each distinct value once.
    unit_days = [sy.unit_days for sy in sys_]
    distinct = dict.fromkeys(unit_days)
    scale = _scale(distinct)
    for v in distinct:
        distinct[v] = int(v * scale)
    big_u = np.array([distinct[v] for v in unit_days], dtype=object)
    envelope = _group_sums(a_cents, starts, sizes)

    g_year = frame["year"].to_numpy()[starts].tolist()
    g_terr = frame["territory"].to_numpy()[starts].tolist()
    g_fam = frame["family"].to_numpy()[starts].tolist()
    methods, routed, floors = [], np.zeros(ng, dtype=bool), []
    for g in range(ng):
        s, e = starts[g], starts[g] + sizes[g]
        forced = {ev.method for ev in evs[s:e] if ev.method}
        year, family = g_year[g], g_fam[g]
        own = f"redistribution.method.{family}"
        method = (forced.pop() if len(forced) == 1
                  else (own in params and value(own, year)) or value("redistribution.method", year))
        methods.append(method)
        floor_param = f"redistribution.floor_per_unit.{family}"
        floors.append(value(floor_param, year) if floor_param in params else None)
        if method == "weighted" or value("released.destination", year) == "redistribute":
            routed[g] = True
        caps = {ev.cap_param for ev in evs[s:e] if ev.cap_param and ev.eligible}
        if any((Fraction(value(c, year)) * 100).denominator != 1 for c in caps):
            routed[g] = True
    g_of = np.repeat(np.arange(ng), sizes)
    hist = np.array([m == "historical" for m in methods])[g_of]
    live = ~routed[g_of]

    # -- historical: own N-1 amount, pro rata temporis, within the cap; what it cannot take is released.
    obj = lambda a: a.astype(object)  # noqa: E731
    den = np.ones(ng, dtype=object)
    den_hist = obj(yd) * scale
    num = np.zeros(n, dtype=object)
    keep = hist & live & elig & (a_cents > 0)
    amount = np.where(keep, obj(a_cents) * obj(od) * scale, 0)
    closed_rel = np.where(keep & (od < yd), obj(a_cents) * obj(yd - od) * scale, 0)
    cap_cents = np.zeros(n, dtype=object)
    has_cap = np.zeros(n, dtype=bool)
    for i in np.flatnonzero(keep):
        ev = evs[i]
        if ev.cap_param:
            has_cap[i] = True
            cap_cents[i] = int(Fraction(value(ev.cap_param, int(g_year[g_of[i]]))) * 100)
    ceiling = cap_cents * big_u
    capped = has_cap & (amount > ceiling)
    cap_rel = np.where(capped, amount - ceiling, 0)
    amount = np.where(capped, ceiling, amount)
    num = np.where(hist & live, amount, num)
    inel_rel = np.where(hist & live & ~elig & (a_cents > 0), obj(a_cents) * obj(yd) * scale, 0)
    hist_groups = np.flatnonzero(np.array([m == "historical" for m in methods]) & ~routed)
    den[hist_groups] = den_hist[starts[hist_groups]]

    # -- per_unit: one rate per unit over the family's eligible structures.
    pu = ~hist & live
    u_elig = np.where(elig, big_u, 0)
    s_g = _group_sums(u_elig, starts, sizes)
    pu_groups = np.flatnonzero(np.array([m == "per_unit" for m in methods]) & ~routed)
    pu_nonzero = [g for g in pu_groups if s_g[g]]
    for g in pu_nonzero:
        den[g] = s_g[g]
    sel = pu & elig & (s_g[g_of] != 0)
    num = np.where(sel, envelope[g_of] * big_u, num)
    whole_released: dict[int, str] = {}
    for g in pu_groups:
        if not s_g[g]:
            ctg_off = any(CTG_RULE in ev.fired for ev in evs[starts[g]:starts[g] + sizes[g]])
            whole_released[g] = "CTG_NOT_IN_FORCE" if ctg_off else "NO_ELIGIBLE_STRUCTURE"

    # Released items of the vectorised groups, in the reference's order: per line, ineligible, closed, capped.
    rel_rows: list[tuple[int, int, str | None, str, Any, list[str]]] = []  # (group, row, sid, reason, num, rules)
    reason_rules: dict[tuple[tuple[str, ...], str | None], list[str]] = {}
    for i in np.flatnonzero((inel_rel != 0) | (closed_rel != 0) | capped):
        g, ev, sid = int(g_of[i]), evs[i], sys_[i].structure.id
        if inel_rel[i]:
            key = (ev.fired, ev.reason)
            if key not in reason_rules:
                reason_rules[key] = [*ref._reason_rule(rulebook, ev), "R3.released"]
            rel_rows.append((g, i, sid, ev.reason or "", inel_rel[i], reason_rules[key]))
            continue
        if od[i] < yd[i]:
            rel_rows.append((g, i, sid, "CLOSED", closed_rel[i], ["R2.pro_rata_temporis", "R3.released"]))
        if capped[i]:
            rel_rows.append((g, i, sid, ev.cap_reason or "CAPPED", cap_rel[i], ["R4.post_capped", "R3.released"]))
    for g, reason in whole_released.items():
        if envelope[g]:
            rules = [CTG_RULE] if reason == "CTG_NOT_IN_FORCE" else ["R3.no_eligible_structure"]
            rel_rows.append((g, -1, None, reason, envelope[g], [*rules, "R3.released"]))
    rel_rows.sort(key=lambda r: (r[0], r[1] if r[1] >= 0 else n))  # stable: a row's items keep their order
    rel_g = np.array([r[0] for r in rel_rows], dtype=np.int64)
    rel_num = np.array([r[4] for r in rel_rows] + [0], dtype=object)[:-1]

    # -- floor on top of either method, over the eligible lines of each group that has one.
    floor_rows = np.zeros(n, dtype=bool)
    warnings: dict[int, str] = {}
    for g in [g for g in range(ng) if floors[g] and not routed[g]]:
        s, e = starts[g], starts[g] + sizes[g]
        idx = np.arange(s, e)[elig[s:e]]
        f = Fraction(floors[g]) * 100
        mult = f.denominator * scale * int(yd[s])
        d1 = den[g] * mult
        exact = num[idx] * mult
        target = np.array([f.numerator * int(u) * den[g] for u in big_u[idx]], dtype=object)
        gap = target - exact
        deficit = sum((x for x in gap if x > 0), 0)
        excess = sum((-x for x in gap if x < 0), 0)
        if not deficit:
            continue
        floor_rows[idx] = True
        if deficit <= excess:
            above = np.where(gap < 0, exact * excess - deficit * (-gap), exact * excess)
            new = np.where(gap > 0, target * excess, above)
            rescale = mult * excess
            den[g] = d1 * excess
        else:
            total = sum(exact, 0)
            units = sum(big_u[idx], 0)
            if units:
                new = np.array([total * int(u) for u in big_u[idx]], dtype=object)
                rescale, den[g] = mult * units, d1 * units
            else:
                new = np.zeros(len(idx), dtype=object)
                rescale, den[g] = mult, d1
            warnings[g] = (f"{g_year[g]} {g_fam[g]}: floor {fmt_fraction(Fraction(floors[g]))} per unit cannot be met "
                           f"(deficit {fmt_fraction(Fraction(deficit, d1 * 100))} EUR > excess "
                           f"{fmt_fraction(Fraction(excess, d1 * 100))} EUR); amounts split by units instead")
        num[s:e] = num[s:e] * rescale
        num[idx] = new
        if len(rel_g):
            rel_num = np.where(rel_g == g, rel_num * rescale, rel_num)

    # -- one rounding per group: the lines and the released amounts share the envelope's cents.
    items_g = np.r_[g_of, rel_g]
    items_num = np.r_[num, rel_num] if len(rel_g) else num
    items_den = den[items_g]
    floor_cents = items_num // items_den
    rem = items_num - floor_cents * items_den
    rel_pos = sizes[rel_g] + np.arange(len(rel_g)) - np.searchsorted(rel_g, rel_g, side="left")
    position = np.r_[np.arange(n) - starts[g_of], rel_pos]
    keys = [ev.structure_id for ev in evs] + [r[2] or "" for r in rel_rows]
    live_items = ~routed[items_g]
    # Cents left per group after flooring (int64 is exact here: every figure is at most the envelope's cents).
    fc = np.where(live_items, floor_cents, 0).astype(np.int64)
    sums = np.zeros(ng, dtype=np.int64)
    sums += np.add.reduceat(fc[:n], starts) if n else 0
    np.add.at(sums, rel_g, fc[n:])
    left = np.array([int(x) for x in envelope], dtype=np.int64) - sums
    count = sizes + np.bincount(rel_g, minlength=ng)
    bad = ~routed & ((left < 0) | (left > count))
    if bad.any():
        g = int(np.flatnonzero(bad)[0])
        raise ArithmeticError(f"amounts do not add up to the envelope ({left[g]} cents left over)")
    # Only amounts with a remainder can take an extra cent: the remainders of a group add up to `left` whole
    # cents, each below one, so at least `left` of them are non-zero (and a zero remainder is never bumped).
    idx = np.flatnonzero(live_items & (rem != 0))
    key_code = pd.factorize(np.array(keys, dtype=object), sort=True)[0]
    # Rank by remainder (as a float ratio), then structure id, then position. Float rounding keeps the order of
    # different remainders or makes them equal, never swaps them: where the float values at a group's cut-off
    # are equal, that group is ranked again with the exact integers below.
    ratio = (rem[idx] / items_den[idx]).astype(np.float64)
    order = np.lexsort((position[idx], key_code[idx], -ratio, items_g[idx]))
    ranked, gs, rs = idx[order], items_g[idx][order], ratio[order]
    first = np.r_[True, gs[1:] != gs[:-1]] if len(gs) else np.zeros(0, dtype=bool)
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(gs)), 0)) if len(gs) else gs
    rank = np.arange(len(gs)) - group_start
    bump = rank < left[gs]
    cut = np.flatnonzero(first)
    for a, b in zip(cut.tolist(), [*cut[1:].tolist(), len(gs)][:len(cut)], strict=True):
        k = int(left[gs[a]])
        if 0 < k < b - a and rs[a + k - 1] == rs[a + k]:
            exact = sorted(range(a, b), key=lambda j: (-rem[ranked[j]], key_code[ranked[j]], position[ranked[j]]))
            ranked[a:b] = ranked[exact]
    cents = floor_cents.copy()
    cents[ranked[bump]] += 1

    # -- results. Lines of the vectorised groups are built column by column (one tuple per line, no Python loop
    # body per line); routed groups come from the reference allocation.
    rates = [None] * ng
    for g in range(ng):
        if methods[g] == "per_unit" and s_g[g] and not routed[g]:
            rates[g] = Fraction(int(envelope[g]) * scale * int(yd[starts[g]]), 100 * s_g[g])
    done = live  # the lines this path builds: those of the groups not routed to the reference
    rows = np.flatnonzero(done)
    if len(rows):
        # The rules of a line depend on its fired rules, its group's method, pro rata and the floor only.
        fired_code = pd.factorize(np.fromiter((id(ev.fired) for ev in evs), dtype=np.int64, count=n))[0]
        method_code = np.array([list(METHOD_RULES).index(m) for m in methods], dtype=np.int64)[g_of]
        prorata = (od > 0) & (od < yd)
        combined = ((fired_code * 4 + method_code) * 2 + prorata) * 2 + floor_rows
        keys_u, first, inverse = np.unique(combined[rows], return_index=True, return_inverse=True)
        rules_of = []
        for k in range(len(keys_u)):
            i = int(rows[first[k]])
            ev = evs[i]
            rules = [r for r in ev.fired if r not in ev.formulas]
            if prorata[i]:
                rules.append("R2.pro_rata_temporis")
            rules.append(METHOD_RULES[methods[g_of[i]]])
            if floor_rows[i]:
                rules.append("R3.floor")
            rules_of.append(rules)  # lines with the same rules share one list
        every = len(rows) == n  # no routed group: whole columns, no indexing
        pick = (lambda a: a) if every else (lambda a: a[rows])
        sel = evs if every else [evs[i] for i in rows.tolist()]
        g_rows = pick(g_of)
        pu = np.array([m == "per_unit" for m in methods])[g_rows] & pick(elig)
        rate_col = np.array(rates + [None], dtype=object)[:-1][g_rows]
        den100 = den * 100
        columns = (
            pick(y_s).tolist(), [ev.structure_id for ev in sel], pick(frame["family"].to_numpy()).tolist(),
            [ev.line for ev in sel], [ev.unit for ev in sel], pick(elig).tolist(), [ev.reason for ev in sel],
            [rules_of[k] for k in inverse.tolist()], np.array(methods, dtype=object)[g_rows].tolist(),
            np.where(pu, ONE, None).tolist(), np.where(pu, rate_col, None).tolist(),
            pick(capped).tolist(), pick(has_cap).tolist(),
            pick(big_u).tolist(), (pick(yd) * scale).tolist(), pick(a_cents).tolist(), pick(num).tolist(),
            den100[g_rows].tolist(), cents[:n][rows].tolist(), pick(od).tolist(), pick(yd).tolist(),
        )
        lines = list(map(PackedLine, zip(*columns, strict=True)))
        row_years = pick(y_s)  # rows are sorted by year: one slice per year
        for year in np.unique(row_years).tolist():
            lo, hi = np.searchsorted(row_years, year, "left"), np.searchsorted(row_years, year, "right")
            out[year].lines.extend(lines[lo:hi])
    line_cents = np.where(done, cents[:n], 0)
    allocated_g = _group_sums(line_cents, starts, sizes)
    rel_by_group: dict[int, list[int]] = defaultdict(list)
    for k, r in enumerate(rel_rows):
        rel_by_group[r[0]].append(k)
    for g in range(ng):
        s, e = int(starts[g]), int(starts[g] + sizes[g])
        year, family, tid = int(g_year[g]), g_fam[g], g_terr[g]
        if routed[g]:
            sub = YearResult([], [], [], [])
            cej_g = {sys_[i].structure.id: Fraction(int(a_cents[i]), 100) for i in range(s, e) if a_cents[i]}
            ref._allocate_family(year, family, Fraction(int(envelope[g]), 100), list(sys_[s:e]),
                                 evaluations, cej_g, rulebook, weight_values, sub)
            out[year].merge(sub, tid, multi)
            continue
        env = Envelope(year=year, family=family, envelope=money(int(envelope[g])), method=methods[g],
                       rate=rates[g], territory=tid)
        if floors[g]:
            env.floor = floors[g]
        released_cents = 0
        for k in rel_by_group.get(g, []):
            _g, _i, sid, reason, _num, rules = rel_rows[k]
            c = int(cents[n + k])
            released_cents += c
            out[year].released.append(Released(year, family, sid, reason, Fraction(rel_num[k], den[g] * 100),
                                         rules=list(rules), amount=money(c), territory=tid))
        env.allocated, env.released = money(int(allocated_g[g])), money(released_cents)
        out[year].envelopes.append(env)
        if g in warnings:
            out[year].warnings.append(f"{tid} {warnings[g]}" if multi else warnings[g])
    return dict(out)


ONE = Fraction(1)
# The tuple's layout: these attributes of allocation.Line first, then the packed integers read by the
# properties below (units num and den, N-1 cents, exact num and den, cents, open days, days in the year).
_FIELDS = ("year", "structure_id", "family", "line", "unit", "eligible", "reason", "rules", "method", "weight",
           "rate", "capped", "cap_applies")


class PackedLine(tuple):
    """A line of the vector engine: the attributes of allocation.Line, kept in one tuple, with its exact figures
    as integers turned into Fractions and Decimals only when read. At national scale most lines are only
    summed, and building Line objects with three Fractions each would cost most of the run."""

    __slots__ = ()
    steps: tuple[str, ...] = ()  # the vector path writes no arithmetic trail: `ctg explain` uses the reference

    @property
    def units(self) -> Fraction:
        return Fraction(self[13], self[14])

    @property
    def cej_amount(self) -> Fraction:
        return Fraction(self[15], 100)

    @property
    def exact(self) -> Fraction:
        return Fraction(self[16], self[17])

    @property
    def amount(self) -> Any:
        return money(self[18])

    @property
    def share(self) -> Fraction:
        return Fraction(self[19], self[20])

    def __repr__(self) -> str:
        return f"PackedLine({self.year}, {self.structure_id!r}, {self.line}, {self.amount})"


for _i, _name in enumerate(_FIELDS):
    setattr(PackedLine, _name, property(operator.itemgetter(_i)))
