"""The recorded arithmetic (`allocation.trace`) in words: one sentence per step, and the JSON form of a step."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ..allocation.trace import Step
from ..money import fmt_fraction as f
from ..money import fmt_units as u


def _pro_rata(x: dict) -> str:
    return f"open {x['open_days']} of {x['year_days']} days: units and N-1 amount count pro rata temporis"


def _capped(x: dict) -> str:
    share = f" x {x['share']}" if x["share"] < 1 else ""
    return (f"capped at {f(x['cap'])} EUR per ETP x {u(x['units'])} ETP{share} = {f(x['ceiling'], 6)} EUR; "
            f"{f(x['released'], 6)} EUR released ({x['reason']})")


def _per_unit(x: dict) -> str:
    w = f" x weight {f(x['weight'], 4)}" if x["weight"] is not None else ""
    return (f"family envelope {f(x['envelope'])} EUR / {f(x['units_total'], 4)} eligible "
            f"{'weighted ' if w else ''}units = {f(x['rate'], 6)} EUR per unit; "
            f"x {u(x['units'])} units{w} = {f(x['amount'], 6)} EUR")


def _np_rate(x: dict) -> str:
    return (f"commune {x['commune']}: tranche {x['tranche']}{' (QPV/ZRR)' if x['qpv'] else ''}, "
            f"new_places.rate.tranche_{x['tranche']} = {f(x['rate'])} EUR per place in {x['year']}")


def _rounded(x: dict) -> str:
    """The exact amount of a line paid outside the envelope and its own rounding to the cent."""
    return f"{f(x['exact'], 6)} EUR, rounded to {x['amount']} EUR"


def _growth(x: dict) -> str:
    return (f"eligible EAJE places of {x['territory']} on 1 January {x['year']}: {u(x['places'])}, on 1 January "
            f"{x['reference_year']}: {u(x['places_reference'])}; growth {u(x['places'])} / "
            f"{u(x['places_reference'])} - 1 = {f(x['growth'] * 100, 4)}%")


SENTENCES: dict[str, Callable[[dict], str]] = {
    "pro_rata": _pro_rata,
    "released_ineligible": lambda x: f"not eligible ({x['reason']}): its N-1 amount {f(x['amount'])} EUR is released",
    "no_cej": lambda x: "no CEJ action in N-1: under the historical method it gets nothing from the envelope",
    "historical_part_year": lambda x: (f"N-1 CEJ amount {f(x['cej'])} EUR x {x['share']} of the year "
                                       f"= {f(x['amount'], 6)} EUR; the rest is released (CLOSED)"),
    "historical": lambda x: f"N-1 CEJ amount {f(x['cej'])} EUR, open all year",
    "renewed": lambda x: (f"N-1 amount {f(x['n1'])} EUR: what it was allocated in {x['base_year']}, the last year "
                          "of the previous CTG (renewal, R7.renewal); open all year"),
    "renewed_part_year": lambda x: (f"N-1 amount {f(x['n1'])} EUR (allocated in {x['base_year']}, the last year of "
                                    f"the previous CTG, R7.renewal) x {x['share']} of the year = "
                                    f"{f(x['amount'], 6)} EUR; the rest is released (CLOSED)"),
    "no_renewed_amount": lambda x: (f"allocated nothing in {x['base_year']}, the last year of the previous CTG: its "
                                    "N-1 amount in the renewed CTG is 0 (R7.renewal): under the historical "
                                    "method nothing of the envelope is its own"),
    "renewed_envelope": lambda x: (f"family envelope {f(x['envelope'])} EUR = what the {x['family']} structures of "
                                   f"the territory were allocated in {x['base_year']}, the last year of the "
                                   "previous CTG (renewal.envelope_base = paid_last_year, R7.renewal)"),
    "capped": _capped,
    "no_share": lambda x: f"not eligible ({x['reason']}): no share of the envelope",
    "per_unit": _per_unit,
    "floor_met": lambda x: f"floor {f(x['floor'])} EUR per unit already met by every structure",
    "floor_lifted": lambda x: (f"below the floor: lifted to {f(x['floor'])} EUR x {u(x['units'])} "
                               f"units = {f(x['amount'], 6)} EUR"),
    "floor_gives": lambda x: (f"above the floor: gives {f(x['given'], 6)} EUR (its part of the "
                              f"{f(x['deficit'], 6)} EUR lift) = {f(x['amount'], 6)} EUR"),
    "floor_unmet": lambda x: (f"floor {f(x['floor'])} EUR per unit cannot be met (deficit {f(x['deficit'])} > "
                              f"excess {f(x['excess'])}): every structure gets the family total x its share of units"),
    "redistributed": lambda x: (f"receives {f(x['extra'], 6)} EUR of the {f(Fraction(x['total']))} EUR released in "
                                "its family (released.destination = redistribute), pro rata of its amount"),
    "rounded": lambda x: (f"exact amount {f(x['exact'], 6)} EUR rounded to {x['amount']} EUR "
                          "(largest remainder, R3.largest_remainder)"),
    "new_places": lambda x: (f"places in {x['year']} (pro rata temporis) {u(x['places'])} - places in N-1 "
                             f"({x['n1']}) {u(x['places_n1'])} = {u(x['new'])} new places"),
    "new_places_rate": _np_rate,
    "new_places_amount": lambda x: f"{u(x['new'])} x {f(x['rate'])} = {_rounded(x)}",
    "trajectoire_growth": _growth,
    "trajectoire_tier": lambda x: (f"growth >= {f(x['threshold'] * 100)}%: tier {x['tier']}, "
                                   f"trajectoire.rate.tier_{x['tier']} = {f(x['rate'])} EUR per place in {x['year']}"),
    "trajectoire_amount": lambda x: (f"{u(x['places'])} places (pro rata temporis) x {f(x['rate'])} = "
                                     f"{_rounded(x)} (outside the envelope)"),
    "plancher": lambda x: (f"national floor {f(x['floor'])} EUR per hour in {x['year']} (alsh.floor_per_hour) x "
                           f"{u(x['hours'])} hours (pro rata temporis) = {f(x['target'], 6)} EUR"),
    "plancher_topup": lambda x: (f"{f(x['target'], 6)} - its bonus territoire {x['bonus']} EUR = {_rounded(x)} "
                                 "(outside the envelope)"),
}


def sentence(step: Step) -> str:
    """One step in words."""
    return SENTENCES[step.kind](step.figures)


def step_json(step: Step) -> dict[str, Any]:
    """One step as JSON-ready data: exact figures with six decimals, money as Decimal."""
    def value(v: Any) -> Any:
        if isinstance(v, Fraction):
            return fmt_fraction_6(v)
        return v
    return {"kind": step.kind, **{k: value(v) for k, v in step.figures.items()}}


def fmt_fraction_6(value: Fraction) -> str:
    return f(value, 6)


def floor_warning(floor: Decimal, deficit: Fraction, excess: Fraction) -> str:
    """The warning of a floor that the structures above it cannot pay for."""
    return (f"floor {f(Fraction(floor))} per unit cannot be met (deficit {f(deficit)} EUR > excess {f(excess)} EUR); "
            "amounts split by units instead")
