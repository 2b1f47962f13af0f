"""R5: the new-places bonus of EAJE, on its own line, outside the CEJ envelope."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ..inputs.model import Collectivite
from ..money import round_cents
from ..rulebook import required
from .results import Line

LINE = "bonus_places_nouvelles"


@dataclass(slots=True)
class NewPlacesLine(Line):
    """A line of R5, with what decided it: the places of N-1, the commune's tranche and whether it is QPV/ZRR."""

    n1: int = 0
    places_n1: Fraction = Fraction(0)
    commune_id: str = ""
    tranche: int = 0
    qpv: bool = False

    def parameters(self) -> tuple[str, ...]:
        """The parameter its rate was read from."""
        return (required.NEW_PLACES_RATE.format(self.tranche),)


def reference_year(cej_years: list[int], default: int) -> int:
    """N-1: the last year of the CEJ (the latest last_year of the dataset's CEJ actions)."""
    return max(cej_years) if cej_years else default


def paid_rows(frame: Any, evaluations: Any, places_n1: Mapping[str, Fraction], n1: int) -> np.ndarray:
    """The structure-years of a frame (scenario/frame.py) that R5 pays: after N-1, eligible, R5 fired on them,
    and more places than their structure had in N-1 (`places_n1`; none: 0), as a boolean mask."""
    out = np.zeros(len(frame), dtype=bool)
    fired = evaluations.codes_where(lambda ev: ev.eligible and required.NEW_PLACES in ev.formulas)
    rows = np.flatnonzero(fired & (frame.year > n1))
    none = Fraction(0)
    before = [places_n1.get(sid, none) for sid in frame.structure_id[rows].tolist()]
    num = np.array([b.numerator for b in before] + [0], dtype=object)[:-1]
    den = np.array([b.denominator for b in before] + [1], dtype=object)[:-1]
    # places = unit-days / (scale x year days) > num / den, in integers (most crèches do not grow)
    more = frame.unit_days[rows].astype(object) * den > num * frame.scale * frame.year_days[rows].astype(object)
    out[rows] = np.asarray(more, dtype=bool)
    return out


def new_places_lines(year: int, sys_: Sequence[Any], evaluations: Mapping[str, Any],
                     places_n1: Mapping[str, Fraction], n1: int, collectivites: Mapping[str, Collectivite],
                     rate_of: Mapping[int, Fraction]) -> list[NewPlacesLine]:
    """One line per structure-year of `sys_`, the structure-years of `year` that R5 pays (`paid_rows`): its new
    places (pro rata temporis) over N-1's, at its commune's tranche rate."""
    out: list[NewPlacesLine] = []
    for sy in sys_:
        ev = evaluations[sy.id]
        before = places_n1.get(sy.structure.id, Fraction(0))
        num, den = sy.unit_days.as_integer_ratio()
        new = Fraction(num, den * sy.year_days) - before
        commune = collectivites[sy.structure.commune_id]
        qpv = commune.qpv_zrr
        tranche = 1 if qpv else (commune.tranche or 3)
        rate = rate_of[tranche]
        exact = new * rate
        amount = round_cents(exact)  # no envelope to balance: each amount rounded to the cent
        rules = [required.NEW_PLACES, *([required.QPV_ZRR_TRANCHE_1] if qpv and commune.tranche != 1 else []),
                 ev.classify_rule]
        out.append(NewPlacesLine(year=year, structure_id=sy.structure.id, family=ev.family, line=LINE,
                                 unit="new places", units=new, eligible=True, reason=None, rules=rules,
                                 method="new_places", rate=rate, base=exact, exact=exact, amount=amount,
                                 share=Fraction(sy.open_days, sy.year_days), n1=n1, places_n1=before,
                                 commune_id=commune.id, tranche=tranche, qpv=qpv))
    return out
