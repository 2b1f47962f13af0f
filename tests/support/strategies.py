"""Hypothesis strategies shared by the property tests: small random datasets and scenarios (structures of every
family, closures, conversions, CEJ amounts, methods, floors, destinations), written out by `case_runner`."""

from __future__ import annotations

import os
from decimal import Decimal

from hypothesis import strategies as st

# mutmut sets MUTANT_UNDER_TEST in every test run it starts (scripts/mutation.py): each mutant runs the properties
# again, so they run a tenth of their examples there, derandomized (tests/conftest.py), so that a mutant gets the
# same verdict at every run.
MUTATION = "MUTANT_UNDER_TEST" in os.environ


def examples(n: int) -> int:
    """How many examples a property runs: n, or a tenth of n (at least 5) under mutation testing."""
    return max(5, n // 10) if MUTATION else n


TYPES = ["EAJE", "CRECHE_FAMILIALE", "MAM", "RPE", "LAEP", "ALSH", "ACCUEIL_JEUNES", "SEJOURS", "COORDINATION"]
COMMUNES = ["COM-A", "COM-B", "NONSIG", "COM-OUT"]

dates = st.sampled_from(["", "", "", "2022-03-01", "2023-07-01", "2024-02-29", "2025-12-31", "2026-06-15"])


@st.composite
def structures(draw):
    n = draw(st.integers(1, 9))
    out = []
    for i in range(n):
        stype = draw(st.sampled_from(TYPES))
        commune = draw(st.sampled_from(COMMUNES))
        s = {"id": f"S{i:02d}", "type": stype, "commune": commune,
             "units": draw(st.sampled_from([0, 0.3, 1, 2.5, 10, 37, 1200])),
             "ps_funded": draw(st.booleans()) if draw(st.integers(0, 4)) == 0 else True,
             "supported_by": draw(st.sampled_from([[commune], [commune], ["NONSIG"], []]))}
        closed = draw(dates)
        if closed:
            s["closed"] = closed
        if stype == "COORDINATION" and draw(st.booleans()):
            s["post_status"] = "charge_cooperation"
            s["converted_on"] = draw(st.sampled_from(["2022-01-01", "2025-06-01", "2026-01-01", "2027-03-01"]))
        out.append(s)
    return out


@st.composite
def cases(draw):
    ss = draw(structures())
    cej = {s["id"]: draw(st.decimals(Decimal("0.01"), Decimal("99999.99"), places=2))
           for s in ss if draw(st.booleans())}
    params = {"redistribution.method": draw(st.sampled_from(["historical", "per_unit", "weighted"])),
              "released.destination": draw(st.sampled_from(["caf", "redistribute"]))}
    if params["redistribution.method"] == "weighted":
        params["redistribution.weight"] = draw(st.sampled_from(["1", "1 + qpv_zrr", "max(units, 1) / 10"]))
    if draw(st.booleans()):
        params["redistribution.floor_per_unit.EAJE"] = draw(st.sampled_from([100, 2500, 10**6]))
    if draw(st.booleans()):
        params["redistribution.floor_per_unit.ALSH"] = draw(st.sampled_from([1, 50]))
    if draw(st.booleans()):
        params["ctg.renewed_until"] = "2028-12-31"
    return {"name": "random", "structures": ss, "cej": {k: str(v) for k, v in cej.items()},
            "parameters": params, "years": [2022, 2028]}
