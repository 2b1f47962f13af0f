"""The allocation policy, decided once for both allocators: per territory and year, where the N-1 amounts and
envelopes come from (the CEJ, or the previous CTG's last year: R7); per family and year, the method, the floor,
where released amounts go, which parameters decided them; which rules a line and a released amount cite; and which
family-years the vector allocator hands to the exact one.

The exact allocator (`exact`) and the vector allocator (`vector`) both read this module: neither decides any of
these on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from ..inputs.model import Period
from ..rulebook import Rulebook, required
from .renewal import FIRST, Base, period_index

# Kinds of warning (results.Warning).
FLOOR_UNMET = "floor_unmet"  # a floor that the structures above it cannot pay for
RELEASED_WHOLE = "released_whole"  # a family's whole envelope released: nobody could share it
CTG_OFF = "ctg_not_in_force"  # a year that no CTG of a territory covers

# Why a structure that passes R3 receives nothing under per_unit or weighted: its line says so (not eligible,
# with this reason) rather than "eligible, 0.00".
NO_SHARE_NO_UNITS = "NO_UNITS"  # no units (pro rata temporis) in the year
NO_SHARE_ZERO_WEIGHT = "ZERO_WEIGHT"  # the weight expression gives it 0


@dataclass(frozen=True)
class FamilyPolicy:
    year: int
    family: str
    method: str  # historical | per_unit | weighted
    floor: Decimal | None  # floor per unit; None (or 0) for none
    destination: str  # caf | redistribute
    weight: str | None  # the weight expression (weighted only)
    parameters: tuple[str, ...]  # the parameters read to decide the above (explain lists them)
    exact_only: bool  # the vector allocator hands this family-year to the exact one
    renewed_from: int | None = None  # R7: the year whose allocation its envelope and N-1 amounts renew

    @property
    def method_rule(self) -> str:
        return required.METHOD_RULES[self.method]

    @property
    def weight_expression(self) -> str:
        """The weight expression of a weighted family-year: 1 when the scenario gives none."""
        return self.weight or "1"


def envelope_base(rulebook: Rulebook, year: int, periods: Sequence[Period]) -> Base:
    """R7: where a territory-year's N-1 amounts and envelopes come from. In the first CTG, the CEJ (R1); in a
    renewed one, the last year of the CTG before it, unless `renewal.envelope_base` keeps the first envelopes."""
    index = period_index(periods, year)
    if index == 0:
        return FIRST
    if rulebook.value(required.ENVELOPE_BASE, year) != required.PAID_LAST_YEAR:
        return Base(index, None)
    return Base(index, periods[index - 1].end.year)


def family_policy(rulebook: Rulebook, family: str, year: int, forced: Iterable[str | None],
                  cap_params: Iterable[str | None] = (), base: Base = FIRST) -> FamilyPolicy:
    """The policy of one family in one year. `forced` are the methods the family's method rules force on its
    structures (one method forced by all of them wins); `cap_params` the caps that apply to its eligible ones;
    `base` where its territory-year's N-1 amounts come from (`envelope_base`)."""
    methods = {m for m in forced if m}
    own = required.family_method(family)
    own_value = rulebook.value(own, year) if own in rulebook.parameters else None
    parameters = [required.METHOD, *([required.ENVELOPE_BASE] if base.period else [])]
    if own_value:
        parameters.append(own)
    method = methods.pop() if len(methods) == 1 else own_value or rulebook.value(required.METHOD, year)
    floor_param = required.family_floor(family)
    floor = rulebook.value(floor_param, year) if floor_param in rulebook.parameters else None
    parameters.append(required.DESTINATION)
    if floor:
        parameters.append(floor_param)
    weight = str(rulebook.value(required.WEIGHT, year)) if method == "weighted" else None
    if weight is not None:
        parameters.append(required.WEIGHT)
    destination = rulebook.value(required.DESTINATION, year)
    # The vector allocator works in integer cents over one denominator per group: caps that are not whole cents
    # are left to the exact allocator (a cap's ceiling is counted in whole cents there).
    exact_only = any((Fraction(rulebook.value(c, year)) * 100).denominator != 1 for c in set(cap_params) if c)
    return FamilyPolicy(year, family, method, floor, destination, weight, tuple(parameters), exact_only,
                        base.year)


def line_rules(evaluation: Any, method: str, eligible: bool, reason: str | None, *, pro_rata: bool, capped: bool,
               floored: bool, received: bool, renewed: bool = False) -> list[str]:
    """The rules that decided a line's amount. Not eligible: the rule that gave its family and the one that gave
    its reason (with the method when the method left it nothing: NO_UNITS, ZERO_WEIGHT). Eligible: the rules that
    fired on it but formula rules (they have their own line) and a cap that did not cut, then pro rata temporis,
    the renewal its envelope and N-1 amount come from (R7), the method, the floor when it moved amounts, the
    released amounts it received."""
    if not eligible:
        rules = [evaluation.classify_rule, *([evaluation.reason_rule] if evaluation.reason_rule else [])]
        if reason in (NO_SHARE_NO_UNITS, NO_SHARE_ZERO_WEIGHT):
            rules.append(required.METHOD_RULES[method])
        return rules
    skip = set(evaluation.formulas) | ({evaluation.cap_rule} if evaluation.cap_rule and not capped else set())
    rules = [r for r in evaluation.fired if r not in skip]
    if pro_rata:
        rules.append(required.PRO_RATA_TEMPORIS)
    if renewed:
        rules.append(required.RENEWAL)
    rules.append(required.METHOD_RULES[method])
    if floored:
        rules.append(required.FLOOR)
    if received:
        rules.append(required.RELEASED)
    return rules


def ineligible_release(reason: str | None, reason_rule: str | None) -> tuple[str, list[str]]:
    """An ineligible structure's own N-1 amount: released with its reason and the rule that gave it."""
    return reason or "", [*([reason_rule] if reason_rule else []), required.RELEASED]


def closed_release() -> tuple[str, list[str]]:
    """The part of a historical amount that a structure open part of the year cannot take."""
    return required.CLOSED, [required.PRO_RATA_TEMPORIS, required.RELEASED]


def cap_release(cap_rule: str | None, cap_reason: str | None) -> tuple[str, list[str]]:
    """The part of an amount above its cap (R4)."""
    return cap_reason or required.CAPPED, [*([cap_rule] if cap_rule else []), required.RELEASED]


def whole_release(rulebook: Rulebook, ctg_off: bool) -> tuple[str, list[str]]:
    """A per-unit envelope that no eligible structure can share: in a year no CTG covers, released as the R1
    rule says (whatever else its structures fail); otherwise as NO_ELIGIBLE_STRUCTURE."""
    if ctg_off:
        rule = rulebook.rules[required.CTG_NOT_IN_FORCE]
        return rule.then["reason"], [rule.id, required.RELEASED]
    return required.NOBODY_ELIGIBLE, [required.NO_ELIGIBLE_STRUCTURE, required.RELEASED]


def ctg_off(fired_sets: Iterable[Iterable[str]]) -> bool:
    """Whether the R1 rule (no CTG in force) fired on any structure of the family-year."""
    return any(required.CTG_NOT_IN_FORCE in fired for fired in fired_sets)
