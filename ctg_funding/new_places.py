"""R5: the new-places bonus of EAJE, on its own line, outside the CEJ envelope."""

from __future__ import annotations

from fractions import Fraction

from .allocation import Line, fmt_fraction, fmt_units, money
from .engine import Evaluation
from .engine.facts import StructureYear
from .model import Collectivite

RULE = "R5.new_places"
QPV_RULE = "R5.qpv_zrr_tranche_1"
LINE = "bonus_places_nouvelles"


def reference_year(cej_years: list[int], default: int) -> int:
    """N-1: the last year of the CEJ (the latest last_year of the dataset's CEJ actions)."""
    return max(cej_years) if cej_years else default


def new_places_lines(year: int, sys_: list[StructureYear], evaluations: dict[str, Evaluation],
                     places_n1: dict[str, Fraction], n1: int, collectivites: dict[str, Collectivite],
                     rate_of: dict[int, Fraction]) -> list[Line]:
    """One line per eligible EAJE with more places (pro rata temporis) in `year` than in N-1."""
    out = []
    if year <= n1:
        return out
    for sy in sys_:
        ev = evaluations[sy.id]
        if RULE not in ev.fired or not ev.eligible:
            continue
        places = Fraction(sy.unit_days) / sy.year_days
        before = places_n1.get(sy.structure.id, Fraction(0))
        new = places - before
        if new <= 0:
            continue
        commune = collectivites[sy.structure.commune_id]
        qpv = commune.qpv_zrr
        tranche = 1 if qpv else (commune.tranche or 3)
        rate = rate_of[tranche]
        exact = new * rate
        amount = money(round(exact * 100))  # no envelope to balance: each amount rounded to the cent (half even)
        rules = [RULE, *([QPV_RULE] if qpv and commune.tranche != 1 else []), "R2.eaje"]
        line = Line(year=year, structure_id=sy.structure.id, family=ev.family, line=LINE, unit="new places",
                    units=new, eligible=True, reason=None, rules=rules, method="new_places", rate=rate,
                    exact=exact, amount=amount, share=Fraction(sy.open_days, sy.year_days))
        line.step(f"places in {year} (pro rata temporis) {fmt_units(places)} - places in N-1 ({n1}) "
                  f"{fmt_units(before)} = {fmt_units(new)} new places")
        line.step(f"commune {commune.id}: tranche {tranche}{' (QPV/ZRR)' if qpv else ''}, "
                  f"new_places.rate.tranche_{tranche} = {fmt_fraction(rate)} EUR per place in {year}")
        line.step(f"{fmt_units(new)} x {fmt_fraction(rate)} = {fmt_fraction(exact, 6)} EUR, rounded to {amount} EUR")
        out.append(line)
    return out
