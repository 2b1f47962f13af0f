"""The exact allocation (the reference): R1, R3, R4 family-year by family-year, with Python fractions.

Arithmetic is exact (fractions of euros) until the one rounding, to the cent, by the largest-remainder method
over everything that makes up a family's envelope in a year: the structures' amounts and the amounts released
to the Caf. So allocated + released equals the envelope to the cent, every year, every family. What to do is
decided by `policy`; this module does the arithmetic and records its figures on the lines and envelopes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from ..money import ZERO, money, to_cents
from ..rulebook import Rulebook
from ..rulebook.weights import WeightError, evaluate_weight, parse_weight
from . import policy
from .policy import FamilyPolicy
from .renewal import Base
from .results import Envelope, Line, Released, Warning, YearResult


def largest_remainder(items: Sequence[tuple[str, Fraction]], total_cents: int) -> list[int]:
    """Cents for each exact amount, summing to `total_cents`: floor each, then one more cent to the largest
    remainders, ties broken by key (structure id). The exact amounts must sum to total_cents / 100."""
    cents = [Fraction(v) * 100 for _k, v in items]
    floors = [c.numerator // c.denominator for c in cents]
    left = total_cents - sum(floors)
    if not 0 <= left <= len(items):
        raise ArithmeticError(f"amounts do not add up to the envelope ({left} cents left over)")
    order = sorted(range(len(items)), key=lambda i: (-(cents[i] - floors[i]), items[i][0]))
    for i in order[:left]:
        floors[i] += 1
    return floors


def allocate_year(year: int, sys_: Sequence[Any], evaluations: Mapping[str, Any], amounts: Mapping[str, Fraction],
                  base: Base, rulebook: Rulebook, weights: Any, territory: str) -> YearResult:
    """Allocate every family's envelope of one territory in `year` among its structure-years. `amounts` are the
    structures' N-1 amounts (`renewal.n1_cents`), from where `base` says; each family's envelope is their sum."""
    members: dict[str, list[Any]] = defaultdict(list)
    for sy in sys_:
        members[evaluations[sy.id].family].append(sy)
    envelopes: dict[str, Fraction] = defaultdict(Fraction)
    for sy in sys_:
        envelopes[evaluations[sy.id].family] += amounts.get(sy.structure.id, Fraction(0))
    result = YearResult()
    for family in sorted(members):
        group = members[family]
        evs = [evaluations[sy.id] for sy in group]
        pol = policy.family_policy(rulebook, family, year, (e.method for e in evs),
                                   (e.cap_param for e in evs if e.eligible), base)
        result.extend(allocate_family(pol, envelopes[family], group, evs, amounts, rulebook, weights, territory))
    return result


def allocate_family(pol: FamilyPolicy, envelope: Fraction, members: Sequence[Any], evs: Sequence[Any],
                    amounts: Mapping[str, Fraction], rulebook: Rulebook, weights: Any,
                    territory: str) -> YearResult:
    """One family's envelope in one year: the method, the floor, released amounts, one rounding."""
    year, family = pol.year, pol.family
    lines = [Line(year=year, structure_id=sy.structure.id, family=family, line=ev.line, unit=ev.unit,
                  units=Fraction(sy.unit_days) / sy.year_days, eligible=ev.eligible, reason=ev.reason, rules=[],
                  method=pol.method, n1_amount=amounts.get(sy.structure.id, Fraction(0)),
                  share=Fraction(sy.open_days, sy.year_days), renewed_from=pol.renewed_from)
             for sy, ev in zip(members, evs, strict=True)]
    env = Envelope(year=year, family=family, envelope=money(to_cents(envelope)), method=pol.method,
                   territory=territory, parameters=pol.parameters, renewed_from=pol.renewed_from)
    released: list[Released] = []
    if pol.method == "historical":
        _historical(lines, evs, rulebook, released)
    else:
        _per_unit(lines, envelope, pol, members, evs, weights, rulebook, released, env)
    eligible = [ln for ln in lines if ln.eligible]
    for ln in lines:
        ln.exact = ln.base
    out = YearResult()
    if pol.floor:
        env.floor = pol.floor
        if _apply_floor(eligible, Fraction(pol.floor), env):
            out.warnings.append(Warning(year, family, territory, policy.FLOOR_UNMET, floor=pol.floor,
                                        deficit=env.floor_deficit, excess=env.floor_excess))
    if pol.destination == "redistribute":
        _redistribute(eligible, released, env)
    for ln, sy, ev in zip(lines, members, evs, strict=True):
        ln.rules = policy.line_rules(ev, pol.method, ln.eligible, ln.reason, pro_rata=0 < sy.open_days < sy.year_days,
                                     capped=ln.capped, floored=ln.eligible and bool(env.floor_deficit),
                                     received=bool(ln.extra), renewed=pol.renewed_from is not None)
    _round(lines, released, env)
    for r in released:
        r.territory = territory
        if r.structure_id is None:
            out.warnings.append(Warning(year, family, territory, policy.RELEASED_WHOLE, amount=r.amount,
                                        reason=r.reason))
    out.lines.extend(lines)
    out.released.extend(released)
    out.envelopes.append(env)
    return out


def _round(lines: list[Line], released: list[Released], env: Envelope) -> None:
    """One rounding: structures' amounts and what goes back to the Caf share the envelope's cents."""
    to_caf = [r for r in released if r.destination == "caf"]
    items = [(ln.structure_id, ln.exact) for ln in lines] + [(r.structure_id or "", r.exact) for r in to_caf]
    for index, cents in enumerate(largest_remainder(items, to_cents(env.envelope))):
        if index < len(lines):
            lines[index].amount = money(cents)
        else:
            to_caf[index - len(lines)].amount = money(cents)
    moved = [r for r in released if r.destination == "redistribute"]
    if moved:
        # Listed for the trail only (their cents are inside the structures' amounts): rounded as a group.
        target = round(sum((r.exact for r in moved), Fraction(0)) * 100)  # Fraction rounds half to even
        for r, cents in zip(moved, largest_remainder([(r.structure_id or "", r.exact) for r in moved], target),
                            strict=True):
            r.amount = money(cents)
    env.allocated = sum((ln.amount for ln in lines), ZERO)
    env.released = sum((r.amount for r in to_caf), ZERO)
    env.redistributed = sum((r.amount for r in moved), ZERO)


def _historical(lines: list[Line], evs: Sequence[Any], rulebook: Rulebook, released: list[Released]) -> None:
    """R3.historical (and R4): each structure keeps its own N-1 amount, pro rata temporis, within its cap."""
    for line, ev in zip(lines, evs, strict=True):
        a = line.n1_amount
        if not ev.eligible:
            if a:
                reason, rules = policy.ineligible_release(ev.reason, ev.reason_rule)
                released.append(Released(line.year, line.family, line.structure_id, reason, a, rules=rules))
            continue
        if not a:
            continue
        amount = a * line.share
        if line.share < 1:
            reason, rules = policy.closed_release()
            released.append(Released(line.year, line.family, line.structure_id, reason, a - amount, rules=rules))
        if ev.cap_param:
            line.cap = Fraction(rulebook.value(ev.cap_param, line.year))
            ceiling = line.cap * full_year_units(line) * line.share
            if amount > ceiling:
                reason, rules = policy.cap_release(ev.cap_rule, ev.cap_reason)
                released.append(Released(line.year, line.family, line.structure_id, reason, amount - ceiling,
                                         rules=rules))
                amount = ceiling
                line.capped = True
        line.base = amount


def full_year_units(line: Any) -> Fraction:
    """Full-year units (before pro rata temporis), what caps are counted on. Read for eligible lines only, which
    are open at least one day: their share is above 0."""
    return line.units / line.share


def _weights(lines: list[Line], members: Sequence[Any], pol: FamilyPolicy, weights: Any) -> None:
    """R3.weighted: each eligible structure's weight, from the scenario's expression (never run as Python)."""
    text = pol.weight_expression
    tree = parse_weight(text, weights.fields)
    for line, sy in zip(lines, members, strict=True):
        if not line.eligible:
            continue
        try:
            w = evaluate_weight(tree, weights.of(sy))
        except WeightError as exc:
            raise weight_failed(str(exc), sy.structure.id, pol.year) from None
        if w < 0:
            raise negative_weight(text, w, sy.structure.id, pol.year)
        line.weight = w
        if not w:
            line.eligible, line.reason = False, policy.NO_SHARE_ZERO_WEIGHT


def weight_failed(message: str, structure_id: str, year: int) -> WeightError:
    """A weight expression that cannot be computed for a structure-year (its message), naming it."""
    return WeightError(f"{message} for {structure_id} in {year}")


def negative_weight(text: str, weight: Fraction, structure_id: str, year: int) -> WeightError:
    """A weight expression that gives a structure-year a negative weight."""
    return WeightError(f"weight {text!r} is negative ({weight}) for {structure_id} in {year}")


def _per_unit(lines: list[Line], envelope: Fraction, pol: FamilyPolicy, members: Sequence[Any], evs: Sequence[Any],
              weights: Any, rulebook: Rulebook, released: list[Released], env: Envelope) -> None:
    """R3.per_unit / R3.weighted: one rate per (weighted) unit over the family's eligible structures."""
    if pol.method == "weighted":
        _weights(lines, members, pol, weights)
    total = Fraction(0)
    for line in lines:
        if line.eligible and not line.units:
            line.eligible, line.reason = False, policy.NO_SHARE_NO_UNITS
        if line.eligible:
            if line.weight is None:
                line.weight = Fraction(1)
            total += line.units * line.weight
    if not total:
        reason, rules = policy.whole_release(rulebook, policy.ctg_off(ev.fired for ev in evs))
        if envelope:
            released.append(Released(pol.year, pol.family, None, reason, envelope, rules=rules))
        return
    rate = envelope / total
    env.rate, env.units_total = rate, total
    for line in lines:
        if line.eligible:
            line.rate = rate
            line.base = rate * line.units * line.weight


def _apply_floor(lines: list[Line], floor: Fraction, env: Envelope) -> bool:
    """R3.floor: lift structures to floor x units, taking the cost pro rata from those above it. Records the
    deficit and excess on the envelope; returns True when the floor cannot be met (amounts split by units)."""
    targets = [floor * ln.units for ln in lines]
    env.floor_deficit = sum((max(t - ln.exact, Fraction(0)) for ln, t in zip(lines, targets, strict=True)),
                            Fraction(0))
    env.floor_excess = sum((max(ln.exact - t, Fraction(0)) for ln, t in zip(lines, targets, strict=True)),
                           Fraction(0))
    deficit, excess = env.floor_deficit, env.floor_excess
    if not deficit:
        return False
    if deficit <= excess:
        for ln, target in zip(lines, targets, strict=True):
            if ln.exact < target:
                ln.exact = target
            elif ln.exact > target:
                ln.exact = ln.exact - deficit * (ln.exact - target) / excess
        return False
    total = sum((ln.exact for ln in lines), Fraction(0))
    units = sum((ln.units for ln in lines), Fraction(0))  # > 0: a deficit needs a target above 0, hence units
    for ln in lines:
        ln.exact = total * ln.units / units
    return True


def _redistribute(lines: list[Line], released: list[Released], env: Envelope) -> None:
    """R3.released with destination `redistribute`: released amounts go to the family's eligible structures
    pro rata of their amounts. A post under R4's cap (after the deadline) takes none: its funding is at most its
    N-1 amount within the cap, so what posts release then goes back to the Caf."""
    takers = [ln for ln in lines if ln.exact > 0 and ln.cap is None]
    base = sum((ln.exact for ln in takers), Fraction(0))
    if not base or not released:
        return
    total = sum((r.exact for r in released), Fraction(0))
    env.moved = total
    for r in released:
        r.destination = "redistribute"
    for ln in takers:
        ln.extra = total * ln.exact / base
        ln.exact += ln.extra
