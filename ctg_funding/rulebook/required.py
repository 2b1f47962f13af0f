"""What the Python code relies on in `rules/`, declared once and checked when a rulebook is loaded.

The rules say which outcome applies and with which figures; Python implements the formulas and cites the rules
behind each step of the arithmetic. A rulebook that lacks one of these ids, or names a `formula:` that Python does
not implement, is refused at load (exit 2, the file and the id named), never found missing half way through a run.
"""

from __future__ import annotations

# Rule ids that the allocation cites on its lines and released amounts, or tests for.
ENVELOPE = "R1.envelope"
CTG_NOT_IN_FORCE = "R1.ctg_not_in_force"
PRO_RATA_TEMPORIS = "R2.pro_rata_temporis"
HISTORICAL = "R3.historical"
PER_UNIT = "R3.per_unit"
WEIGHTED = "R3.weighted"
FLOOR = "R3.floor"
NO_ELIGIBLE_STRUCTURE = "R3.no_eligible_structure"
RELEASED = "R3.released"
LARGEST_REMAINDER = "R3.largest_remainder"
PILOTAGE_KEPT = "R4.pilotage_kept"
NEW_PLACES = "R5.new_places"
QPV_ZRR_TRANCHE_1 = "R5.qpv_zrr_tranche_1"
RENEWAL = "R7.renewal"
PLANCHER_ALSH = "R8.plancher_alsh"
BONUS_TRAJECTOIRE = "R9.bonus_trajectoire"

# Each of those rules, with the formula it must name (None: a rule with a condition, evaluated by the engine).
RULES: dict[str, str | None] = {
    ENVELOPE: "envelope",
    CTG_NOT_IN_FORCE: None,
    PRO_RATA_TEMPORIS: "pro_rata_temporis",
    HISTORICAL: "historical",
    PER_UNIT: "per_unit",
    WEIGHTED: "weighted",
    FLOOR: "floor",
    NO_ELIGIBLE_STRUCTURE: "no_eligible_structure",
    RELEASED: "released",
    LARGEST_REMAINDER: "largest_remainder",
    PILOTAGE_KEPT: "pilotage_kept",
    NEW_PLACES: "new_places",
    QPV_ZRR_TRANCHE_1: "qpv_zrr_tranche_1",
    RENEWAL: "renewal",
    PLANCHER_ALSH: "plancher_alsh",
    BONUS_TRAJECTOIRE: "bonus_trajectoire",
}

# The formulas Python implements: a rule's `then: {formula: X}` must name one of these.
FORMULAS = frozenset(f for f in RULES.values() if f)

# The method each redistribution method's rule stands for.
METHOD_RULES = {"historical": HISTORICAL, "per_unit": PER_UNIT, "weighted": WEIGHTED}

# Parameters read by Python (not only by rule conditions). Per-family parameters
# (redistribution.method.<FAMILY>, redistribution.floor_per_unit.<FAMILY>) are optional: a family without them
# follows redistribution.method and has no floor.
METHOD = "redistribution.method"
WEIGHT = "redistribution.weight"
DESTINATION = "released.destination"
DEADLINE_YEAR = "pilotage.deadline_year"
AUDIT_TOLERANCE = "audit.tolerance"
NEW_PLACES_RATE = "new_places.rate.tranche_{}"
TRANCHES = (1, 2, 3)
RENEWED_UNTIL = "ctg.renewed_until"
ENVELOPE_BASE = "renewal.envelope_base"  # paid_last_year | first_envelope (R7)
PAID_LAST_YEAR = "paid_last_year"
ALSH_FLOOR = "alsh.floor_per_hour"
TRAJECTOIRE_REFERENCE_YEAR = "trajectoire.reference_year"
TRAJECTOIRE_LAST_YEAR = "trajectoire.last_year"
TRAJECTOIRE_GROWTH = "trajectoire.growth.tier_{}"
TRAJECTOIRE_RATE = "trajectoire.rate.tier_{}"
TIERS = (1, 2, 3)
PARAMETERS = (METHOD, WEIGHT, DESTINATION, DEADLINE_YEAR, AUDIT_TOLERANCE,
              *(NEW_PLACES_RATE.format(t) for t in TRANCHES), RENEWED_UNTIL, ENVELOPE_BASE, ALSH_FLOOR,
              TRAJECTOIRE_REFERENCE_YEAR, TRAJECTOIRE_LAST_YEAR, *(TRAJECTOIRE_GROWTH.format(t) for t in TIERS),
              *(TRAJECTOIRE_RATE.format(t) for t in TIERS))


def family_method(family: str) -> str:
    """The parameter that sets one family's method (wins over redistribution.method when it has a value)."""
    return f"{METHOD}.{family}"


def family_floor(family: str) -> str:
    """The parameter that sets one family's floor per unit (0 or none: no floor)."""
    return f"redistribution.floor_per_unit.{family}"


# Reason codes that Python itself gives (the others come from the exclusion rules' `reason`).
CLOSED = "CLOSED"  # the part of a historical amount a structure open part of the year cannot take
CAPPED = "CAPPED"  # default reason of a cap rule that names none
CTG_OFF = "CTG_NOT_IN_FORCE"
NOBODY_ELIGIBLE = "NO_ELIGIBLE_STRUCTURE"
