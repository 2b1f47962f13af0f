"""The recorded arithmetic (`allocation.trace`) in words, in the interface's language: one sentence per step, and
the JSON form of a step (its figures as exact decimals, language-independent)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ..allocation.trace import Step
from ..i18n import _, fmt_fixed, fmt_money_exact, fmt_number
from ..money import fmt_fraction


def e(value: Any) -> str:
    """Euros: two decimals for whole cents, six for an exact amount before rounding."""
    return fmt_money_exact(Fraction(value))


def u(value: Any) -> str:
    """Units: up to four decimals."""
    return fmt_number(Fraction(value), 4)


def _pro_rata(x: dict) -> str:
    return _("open {open_days} of {year_days} days: units and N-1 amount count pro rata temporis").format(**x)


def _capped(x: dict) -> str:
    share = f" x {x['share']}" if x["share"] < 1 else ""
    return _("capped at {cap} per ETP x {units} ETP{share} = {ceiling}; {released} released ({reason})").format(
        cap=e(x["cap"]), units=u(x["units"]), share=share, ceiling=e(x["ceiling"]), released=e(x["released"]),
        reason=x["reason"])


def _per_unit(x: dict) -> str:
    if x["weight"] is not None:
        return _("family envelope {envelope} / {total} eligible weighted units = {rate} per unit; x {units} units x "
                 "weight {weight} = {amount}").format(
            envelope=e(x["envelope"]), total=fmt_fixed(x["units_total"], 4), rate=fmt_fixed(x["rate"], 6),
            units=u(x["units"]), weight=fmt_fixed(x["weight"], 4), amount=e(x["amount"]))
    return _("family envelope {envelope} / {total} eligible units = {rate} per unit; x {units} units = "
             "{amount}").format(envelope=e(x["envelope"]), total=fmt_fixed(x["units_total"], 4),
                                rate=fmt_fixed(x["rate"], 6), units=u(x["units"]), amount=e(x["amount"]))


def _np_rate(x: dict) -> str:
    return _("commune {commune}: tranche {tranche}{qpv}, new_places.rate.tranche_{tranche} = {rate} per place in "
             "{year}").format(commune=x["commune"], tranche=x["tranche"], qpv=" (QPV/ZRR)" if x["qpv"] else "",
                              rate=e(x["rate"]), year=x["year"])


def _rounded(x: dict) -> str:
    """The exact amount of a line paid outside the envelope and its own rounding to the cent."""
    return _("{exact}, rounded to {amount}").format(exact=e(x["exact"]), amount=e(x["amount"]))


def _growth(x: dict) -> str:
    return _("eligible EAJE places of {territory} on 1 January {year}: {places}, on 1 January {reference_year}: "
             "{before}; growth {places} / {before} - 1 = {growth}%").format(
        territory=x["territory"], year=x["year"], places=u(x["places"]), reference_year=x["reference_year"],
        before=u(x["places_reference"]), growth=fmt_fixed(x["growth"] * 100, 4))


SENTENCES: dict[str, Callable[[dict], str]] = {
    "pro_rata": _pro_rata,
    "released_ineligible": lambda x: _("not eligible ({reason}): its N-1 amount {amount} is released").format(
        reason=x["reason"], amount=e(x["amount"])),
    "no_cej": lambda x: _("no CEJ action in N-1: under the historical method it gets nothing from the envelope"),
    "historical_part_year": lambda x: _("N-1 CEJ amount {cej} x {share} of the year = {amount}; the rest is "
                                        "released (CLOSED)").format(cej=e(x["cej"]), share=x["share"],
                                                                    amount=e(x["amount"])),
    "historical": lambda x: _("N-1 CEJ amount {cej}, open all year").format(cej=e(x["cej"])),
    "renewed": lambda x: _("N-1 amount {n1}: what it was allocated in {base_year}, the last year of the previous "
                           "CTG (renewal, R7.renewal); open all year").format(n1=e(x["n1"]),
                                                                             base_year=x["base_year"]),
    "renewed_part_year": lambda x: _("N-1 amount {n1} (allocated in {base_year}, the last year of the previous CTG, "
                                     "R7.renewal) x {share} of the year = {amount}; the rest is released "
                                     "(CLOSED)").format(n1=e(x["n1"]), base_year=x["base_year"], share=x["share"],
                                                        amount=e(x["amount"])),
    "no_renewed_amount": lambda x: _("allocated nothing in {base_year}, the last year of the previous CTG: its N-1 "
                                     "amount in the renewed CTG is 0 (R7.renewal): under the historical method "
                                     "nothing of the envelope is its own").format(base_year=x["base_year"]),
    "renewed_envelope": lambda x: _("family envelope {envelope} = what the {family} structures of the territory "
                                    "were allocated in {base_year}, the last year of the previous CTG "
                                    "(renewal.envelope_base = paid_last_year, R7.renewal)").format(
        envelope=e(x["envelope"]), family=x["family"], base_year=x["base_year"]),
    "capped": _capped,
    "no_share": lambda x: _("not eligible ({reason}): no share of the envelope").format(reason=x["reason"]),
    "per_unit": _per_unit,
    "floor_met": lambda x: _("floor {floor} per unit already met by every structure").format(floor=e(x["floor"])),
    "floor_lifted": lambda x: _("below the floor: lifted to {floor} x {units} units = {amount}").format(
        floor=e(x["floor"]), units=u(x["units"]), amount=e(x["amount"])),
    "floor_gives": lambda x: _("above the floor: gives {given} (its part of the {deficit} lift) = {amount}").format(
        given=e(x["given"]), deficit=e(x["deficit"]), amount=e(x["amount"])),
    "floor_unmet": lambda x: _("floor {floor} per unit cannot be met (deficit {deficit} > excess {excess}): every "
                               "structure gets the family total x its share of units").format(
        floor=e(x["floor"]), deficit=e(x["deficit"]), excess=e(x["excess"])),
    "redistributed": lambda x: _("receives {extra} of the {total} released in its family (released.destination = "
                                 "redistribute), pro rata of its amount").format(extra=e(x["extra"]),
                                                                                 total=e(x["total"])),
    "rounded": lambda x: _("exact amount {exact} rounded to {amount} (largest remainder, "
                           "R3.largest_remainder)").format(exact=e(x["exact"]), amount=e(x["amount"])),
    "new_places": lambda x: _("places in {year} (pro rata temporis) {places} - places in N-1 ({n1}) {before} = "
                              "{new} new places").format(year=x["year"], places=u(x["places"]), n1=x["n1"],
                                                         before=u(x["places_n1"]), new=u(x["new"])),
    "new_places_rate": _np_rate,
    "new_places_amount": lambda x: f"{u(x['new'])} x {e(x['rate'])} = {_rounded(x)}",
    "trajectoire_growth": _growth,
    "trajectoire_tier": lambda x: _("growth >= {threshold}%: tier {tier}, trajectoire.rate.tier_{tier} = {rate} per "
                                    "place in {year}").format(threshold=fmt_number(x["threshold"] * 100, 4),
                                                              tier=x["tier"], rate=e(x["rate"]), year=x["year"]),
    "trajectoire_amount": lambda x: _("{places} places (pro rata temporis) x {rate} = {rounded} (outside the "
                                      "envelope)").format(places=u(x["places"]), rate=e(x["rate"]),
                                                          rounded=_rounded(x)),
    "plancher": lambda x: _("national floor {floor} per hour in {year} (alsh.floor_per_hour) x {hours} hours (pro "
                            "rata temporis) = {target}").format(floor=e(x["floor"]), year=x["year"],
                                                                hours=u(x["hours"]), target=e(x["target"])),
    "plancher_topup": lambda x: _("{target} - its bonus territoire {bonus} = {rounded} (outside the "
                                  "envelope)").format(target=e(x["target"]), bonus=e(x["bonus"]), rounded=_rounded(x)),
}


def sentence(step: Step) -> str:
    """One step in words."""
    return SENTENCES[step.kind](step.figures)


def step_json(step: Step) -> dict[str, Any]:
    """One step as JSON-ready data: exact figures with six decimals, money as Decimal."""
    def value(v: Any) -> Any:
        if isinstance(v, Fraction):
            return fmt_fraction(v, 6)
        return v
    return {"kind": step.kind, **{k: value(v) for k, v in step.figures.items()}}


def floor_warning(floor: Decimal, deficit: Fraction, excess: Fraction) -> str:
    """The warning of a floor that the structures above it cannot pay for."""
    return _("floor {floor} per unit cannot be met (deficit {deficit} > excess {excess}); amounts split by units "
             "instead").format(floor=e(floor), deficit=e(deficit), excess=e(excess))
