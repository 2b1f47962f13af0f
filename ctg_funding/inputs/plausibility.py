"""Values that are valid but implausible: warnings naming file, row and column, so that a typo (a crèche of a
million places, a CEJ action of ten billion euros) is seen before it takes a whole envelope.

A value is implausible when it lies far outside the dataset's own distribution for its family: above FACTOR times
the family's median, or below the median divided by FACTOR. A territory none of whose communes holds a structure
is implausible too. `--strict` turns these warnings into errors (exit 2).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal

from ..errors import Problem
from ..i18n import _
from .model import CejAction, Structure, Territory

FACTOR = 100


def _outliers(values: list[tuple[str, Decimal, int]], file: str, column: str, what: str) -> list[Problem]:
    """(family, value, row) triples: those far from their family's median (zeros are not judged)."""
    by_family: dict[str, list[Decimal]] = defaultdict(list)
    for family, value, _row in values:
        if value > 0:
            by_family[family].append(value)
    medians = {f: statistics.median(v) for f, v in by_family.items() if len(v) >= 3}
    # value * FACTOR < median exactly when value < median / FACTOR: FACTOR is a power of ten, by which a Decimal is
    # multiplied or divided exactly; the bounds are worked out once per family, not once per value.
    bounds = {f: (m / FACTOR, m * FACTOR) for f, m in medians.items()}
    out = []
    for family, value, row in values:
        if family not in bounds or value <= 0:
            continue
        low, high = bounds[family]
        if value > high or value < low:
            median = medians[family]
            message = (_("implausible {what} {value}: more than 100 times the median of the {family} family in this "
                         "dataset ({median}); check it") if value > median else
                       _("implausible {what} {value}: less than a hundredth of the median of the {family} family in "
                         "this dataset ({median}); check it"))
            out.append(Problem(file, row, column, message.format(what=_(what), value=_shown(value), family=family,
                                                                 median=_shown(median))))
    return out


def N_(message: str) -> str:  # noqa: N802 - gettext's "mark for the catalogue, translate later"
    return message


def _shown(value: Decimal) -> str:
    return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.6g}"


def plausibility_warnings(structures: Mapping[str, Structure], structure_rows: list[int], cej: list[CejAction],
                          cej_rows: list[int], territories: list[Territory], family_of: Mapping[str, str],
                          files: Mapping[str, str]) -> list[Problem]:
    """Implausible units, CEJ amounts and amounts per unit, and territories without any structure."""
    family = {sid: family_of.get(s.type, s.type) for sid, s in structures.items()}
    units = [(family[s.id], s.units, row) for s, row in zip(structures.values(), structure_rows, strict=True)]
    out = _outliers(units, files["structures"], "units", N_("units"))
    amounts = [(family.get(a.structure_id, "?"), a.amount, row) for a, row in zip(cej, cej_rows, strict=True)]
    out += _outliers(amounts, files["cej"], "amount", N_("N-1 amount (EUR)"))
    per_unit = [(family[a.structure_id], a.amount / structures[a.structure_id].units, row)
                for a, row in zip(cej, cej_rows, strict=True)
                if a.structure_id in structures and structures[a.structure_id].units > 0]
    out += _outliers(per_unit, files["cej"], "amount", N_("N-1 amount per unit (EUR)"))
    held = {s.commune_id for s in structures.values()}
    for t in territories:
        if structures and not held & set(t.communes):
            message = _("no structure of the dataset lies in any commune of territory {id}: check its communes")
            out.append(Problem(files["territory"], None, "communes", message.format(id=t.id)))
    return out
