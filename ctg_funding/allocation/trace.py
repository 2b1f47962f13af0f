"""The arithmetic behind an amount, as data: a list of steps rebuilt from what the allocator recorded.

Both allocators record the same figures on each line (its N-1 amount, share of the year, units, weight, rate,
the method's amount, the cap, what it received, the exact and rounded amounts) and on each envelope (its total
units, floor deficit and excess, what was redistributed). The steps are read from that record only, so the
explanation is the same whichever allocator ran. Each step is a kind and its figures; `output` writes it out in
words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .new_places import NewPlacesLine
from .plancher import PlancherLine
from .results import Envelope, Line
from .trajectoire import TrajectoireLine


@dataclass(frozen=True)
class Step:
    kind: str
    figures: dict[str, Any] = field(default_factory=dict)


def line_trace(line: Line, evaluation: Any, envelope: Envelope | None, open_days: int,
               year_days: int) -> list[Step]:
    """The steps that led to one line's amount."""
    if isinstance(line, NewPlacesLine):
        return _new_places(line)
    if isinstance(line, PlancherLine):
        return _plancher(line)
    if isinstance(line, TrajectoireLine):
        return _trajectoire(line)
    steps: list[Step] = []
    if 0 < open_days < year_days:
        steps.append(Step("pro_rata", {"open_days": open_days, "year_days": year_days}))
    if line.method == "historical":
        steps += _historical(line, evaluation)
    elif envelope is not None and envelope.units_total is not None:
        if envelope.renewed_from is not None and line.eligible:
            steps.append(Step("renewed_envelope", {"family": envelope.family, "base_year": envelope.renewed_from,
                                                   "envelope": Fraction(envelope.envelope)}))
        steps += _per_unit(line, envelope)
    if line.eligible and envelope is not None and envelope.floor:
        steps += _floor(line, envelope)
    if line.extra:
        steps.append(Step("redistributed", {"extra": line.extra, "total": envelope.moved if envelope else 0}))
    if line.exact != Fraction(line.amount):
        steps.append(Step("rounded", {"exact": line.exact, "amount": line.amount}))
    return steps


def _historical(line: Line, evaluation: Any) -> list[Step]:
    a = line.n1_amount
    if not line.eligible:
        if a:
            return [Step("released_ineligible", {"reason": line.reason, "amount": a})]
        return _n1(line) if line.renewed_from is not None else []
    steps = _n1(line)
    if not a:
        return steps
    amount = a * line.share
    if line.capped and line.cap is not None:
        units = line.units / line.share  # a capped line is eligible, hence open some days: its share is > 0
        steps.append(Step("capped", {"cap": line.cap, "units": units, "share": line.share, "ceiling": line.base,
                                     "released": amount - line.base, "reason": evaluation.cap_reason}))
    return steps


def _n1(line: Line) -> list[Step]:
    """Its N-1 amount (pro rata temporis): the CEJ's (R1), or in a renewed CTG its allocation in the base year (R7)."""
    a, renewed = line.n1_amount, line.renewed_from
    if not a:
        return [Step("no_renewed_amount", {"base_year": renewed})] if renewed is not None else [Step("no_cej")]
    if renewed is None:
        if line.share < 1:
            return [Step("historical_part_year", {"cej": a, "share": line.share, "amount": a * line.share})]
        return [Step("historical", {"cej": a})]
    if line.share < 1:
        return [Step("renewed_part_year", {"n1": a, "base_year": renewed, "share": line.share,
                                           "amount": a * line.share})]
    return [Step("renewed", {"n1": a, "base_year": renewed})]


def _per_unit(line: Line, env: Envelope) -> list[Step]:
    if not line.eligible:
        return [Step("no_share", {"reason": line.reason})]
    return [Step("per_unit", {"envelope": Fraction(env.envelope), "units_total": env.units_total, "rate": line.rate,
                              "units": line.units, "weight": line.weight if line.method == "weighted" else None,
                              "amount": line.base})]


def _floor(line: Line, env: Envelope) -> list[Step]:
    floor = Fraction(env.floor)
    if not env.floor_deficit:
        return [Step("floor_met", {"floor": floor})]
    if not env.floor_met:
        return [Step("floor_unmet", {"floor": floor, "deficit": env.floor_deficit, "excess": env.floor_excess})]
    target = floor * line.units
    after = line.exact - line.extra
    if line.base < target:
        return [Step("floor_lifted", {"floor": floor, "units": line.units, "amount": target})]
    if line.base > target:
        return [Step("floor_gives", {"given": line.base - after, "deficit": env.floor_deficit, "amount": after})]
    return []


def _new_places(line: NewPlacesLine) -> list[Step]:
    places = line.units + line.places_n1
    return [
        Step("new_places", {"year": line.year, "places": places, "n1": line.n1, "places_n1": line.places_n1,
                            "new": line.units}),
        Step("new_places_rate", {"commune": line.commune_id, "tranche": line.tranche, "qpv": line.qpv,
                                 "rate": line.rate, "year": line.year}),
        Step("new_places_amount", {"new": line.units, "rate": line.rate, "exact": line.exact,
                                   "amount": line.amount}),
    ]


def _plancher(line: PlancherLine) -> list[Step]:
    return [
        Step("plancher", {"year": line.year, "floor": line.floor, "hours": line.units, "target": line.target}),
        Step("plancher_topup", {"target": line.target, "bonus": line.bonus, "exact": line.exact,
                                "amount": line.amount}),
    ]


def _trajectoire(line: TrajectoireLine) -> list[Step]:
    g = line.growth
    assert g is not None
    return [
        Step("trajectoire_growth", {"territory": line.territory, "reference_year": g.reference_year,
                                    "places_reference": g.places_reference, "year": line.year, "places": g.places,
                                    "growth": g.growth}),
        Step("trajectoire_tier", {"tier": g.tier, "threshold": g.threshold, "rate": g.rate, "year": line.year}),
        Step("trajectoire_amount", {"places": line.units, "rate": line.rate, "exact": line.exact,
                                    "amount": line.amount}),
    ]
