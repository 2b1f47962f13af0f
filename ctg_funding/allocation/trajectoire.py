"""R9: the bonus trajectoire de développement, on its own line, outside the envelope.

From 2025 to `trajectoire.last_year`, a territory's growth in year Y is its eligible EAJE places on 1 January of
Y over its eligible EAJE places on 1 January of `trajectoire.reference_year`, minus one. Eligible places are the
places of the structures R9 applies to (the EAJE family) that pass the eligibility rules on that day. When the
growth reaches a tier (`trajectoire.growth.tier_N`), every eligible EAJE of the territory receives the highest
tier's amount per place (`trajectoire.rate.tier_N`) for its places of the year (pro rata temporis), rounded to
the cent on its own, on the `bonus_trajectoire` line: national money, taken from no envelope.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import pandas as pd

from ..money import round_cents
from ..rulebook import Rulebook, required
from .results import Line

LINE = "bonus_trajectoire"


@dataclass(frozen=True)
class Growth:
    """A territory's eligible EAJE places on 1 January of the reference year and of a year, and the tier they
    reach (tier 0: none)."""

    reference_year: int
    places_reference: Fraction
    places: Fraction
    tier: int = 0
    threshold: Fraction = Fraction(0)  # the tier's growth
    rate: Fraction = Fraction(0)  # EUR per place

    @property
    def growth(self) -> Fraction | None:
        """places / places of the reference year - 1 (None without places in the reference year)."""
        return self.places / self.places_reference - 1 if self.places_reference else None


@dataclass(slots=True)
class TrajectoireLine(Line):
    """A line of R9, with what decided it: its territory's growth and the tier it reaches."""

    territory: str = ""
    growth: Growth | None = None

    def parameters(self) -> tuple[str, ...]:
        """The parameters its tier and rate were read from."""
        assert self.growth is not None  # every R9 line is made with its territory's growth (trajectoire_lines)
        tier = self.growth.tier
        return (required.TRAJECTOIRE_REFERENCE_YEAR, required.TRAJECTOIRE_LAST_YEAR,
                required.TRAJECTOIRE_GROWTH.format(tier), required.TRAJECTOIRE_RATE.format(tier))


def payment_year(rulebook: Rulebook, year: int) -> int | None:
    """The reference year, when R9 may pay in `year` (a tier has a rate, and the year is not after the last);
    else None."""
    last = rulebook.value(required.TRAJECTOIRE_LAST_YEAR, year)
    if last is None or year > last:
        return None
    if not any(rulebook.value(required.TRAJECTOIRE_RATE.format(t), year) for t in required.TIERS):
        return None
    return rulebook.value(required.TRAJECTOIRE_REFERENCE_YEAR, year)


def eligible_places(days: Any, evaluations: Any) -> dict[tuple[str, int], Fraction]:
    """(territory, year) -> the places on 1 January of that year of the eligible structures R9 applies to, from
    their one-day structure-years (a frame: `scenario.frame.day_frame`) and those days' evaluations (as codes,
    engine/coded.py)."""
    counted = evaluations.codes_where(lambda ev: ev.eligible and required.BONUS_TRAJECTOIRE in ev.formulas)
    sums = pd.DataFrame({"tid": days.territory_id[counted], "year": days.year[counted],
                         "places": days.unit_days[counted].astype(object)}).groupby(["tid", "year"])["places"].sum()
    return {(tid, int(year)): Fraction(int(total), days.scale) for (tid, year), total in sums.items()}


def growth_of(rulebook: Rulebook, year: int, reference_year: int, places_reference: Fraction,
              places: Fraction) -> Growth:
    """The territory's growth in `year` and the highest tier it reaches (by its growth threshold)."""
    found = Growth(reference_year, places_reference, places)
    rise = found.growth
    if rise is None:
        return found
    best = found
    for tier in required.TIERS:
        threshold = rulebook.value(required.TRAJECTOIRE_GROWTH.format(tier), year)
        rate = rulebook.value(required.TRAJECTOIRE_RATE.format(tier), year)
        if threshold is None or not rate or rise < Fraction(threshold):
            continue
        if best.tier == 0 or Fraction(threshold) > best.threshold:
            best = Growth(reference_year, places_reference, places, tier, Fraction(threshold), Fraction(rate))
    return best


def trajectoire_lines(year: int, sys_: Sequence[Any], evaluations: Mapping[str, Any],
                      growths: Mapping[tuple[str, int], Growth]) -> list[TrajectoireLine]:
    """One line per eligible structure R9 applies to, with places in `year`, in a territory that reaches a tier."""
    out: list[TrajectoireLine] = []
    reached = {tid: g for (tid, y), g in growths.items() if y == year and g.tier}
    if not reached:
        return out
    for sy in sys_:
        growth = reached.get(sy.territory_id)
        if growth is None:
            continue
        ev = evaluations[sy.id]
        if not ev.eligible or required.BONUS_TRAJECTOIRE not in ev.formulas:
            continue
        places = Fraction(sy.unit_days) / sy.year_days
        if not places:
            continue
        exact = places * growth.rate
        share = Fraction(sy.open_days, sy.year_days)
        rules = [required.BONUS_TRAJECTOIRE, ev.classify_rule, *([required.PRO_RATA_TEMPORIS] if share < 1 else [])]
        out.append(TrajectoireLine(year=year, structure_id=sy.structure.id, family=ev.family, line=LINE,
                                   unit=ev.unit, units=places, eligible=True, reason=None, rules=rules,
                                   method="bonus_trajectoire", share=share, rate=growth.rate, base=exact,
                                   exact=exact, amount=round_cents(exact), territory=sy.territory_id,
                                   growth=growth))
    return out
