"""R1, R3, R4: the envelope of each family, its redistribution among eligible structures, and released amounts.

Arithmetic is exact (fractions of euros) until the one rounding, to the cent, by the largest-remainder method
over everything that makes up a family's envelope in a year: the structures' amounts and the amounts released
to the Caf. So allocated + released equals the envelope to the cent, every year, every family.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from .engine import Evaluation
from .engine.facts import StructureYear
from .errors import InputError, Problem
from .model import CejAction
from .rulebook import Rulebook
from .weights import WeightError, evaluate_weight, parse_weight

CENT = Decimal("0.01")
CTG_RULE = "R1.ctg_not_in_force"
METHOD_RULES = {"historical": "R3.historical", "per_unit": "R3.per_unit", "weighted": "R3.weighted"}


def to_cents(value: Decimal | Fraction) -> int:
    """Exact euros to integer cents; the value must already be a whole number of cents."""
    cents = Fraction(value) * 100
    if cents.denominator != 1:
        raise ValueError(f"{value} is not a whole number of cents")
    return int(cents)


def fmt_units(value: Fraction) -> str:
    """Units for people: up to 4 decimals, trailing zeros dropped."""
    text = fmt_fraction(value, 4)
    return text.rstrip("0").rstrip(".") if "." in text else text


def money(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def fmt_fraction(value: Fraction, places: int = 2) -> str:
    q = Decimal(1).scaleb(-places)
    return str((Decimal(value.numerator) / Decimal(value.denominator)).quantize(q, rounding=ROUND_HALF_EVEN))


@dataclass(slots=True)  # slots: there are 600,000 of them at national scale
class Line:
    """One structure's result in one year, with the trail that explains it."""

    year: int
    structure_id: str
    family: str
    line: str
    unit: str
    units: Fraction  # pro rata temporis
    eligible: bool
    reason: str | None
    rules: list[str]
    method: str
    cej_amount: Fraction = Fraction(0)
    share: Fraction = Fraction(0)  # open days / days in the year
    weight: Fraction | None = None
    rate: Fraction | None = None
    exact: Fraction = Fraction(0)
    amount: Decimal = Decimal("0.00")
    steps: list[str] = field(default_factory=list)
    capped: bool = False  # the cap cut its amount
    cap_applies: bool = False  # R4: after the deadline a post's funding is at most its capped N-1 amount

    def step(self, text: str) -> None:
        self.steps.append(text)


@dataclass
class Released:
    year: int
    family: str
    structure_id: str | None
    reason: str
    exact: Fraction
    destination: str = "caf"
    rules: list[str] = field(default_factory=list)
    amount: Decimal = Decimal("0.00")
    territory: str = ""


@dataclass
class Envelope:
    year: int
    family: str
    envelope: Decimal
    allocated: Decimal = Decimal("0.00")
    released: Decimal = Decimal("0.00")
    redistributed: Decimal = Decimal("0.00")
    method: str = ""
    rate: Fraction | None = None
    floor: Decimal | None = None
    territory: str = ""

    @property
    def balanced(self) -> bool:
        return self.allocated + self.released == self.envelope


@dataclass
class YearResult:
    lines: list[Line]
    released: list[Released]
    envelopes: list[Envelope]
    warnings: list[str]

    def merge(self, other: YearResult, territory: str, multi: bool) -> None:
        """Add one territory's results: its id goes on its envelopes and released amounts (and warnings)."""
        for item in (*other.released, *other.envelopes):
            item.territory = territory
        self.lines.extend(other.lines)
        self.released.extend(other.released)
        self.envelopes.extend(other.envelopes)
        self.warnings.extend(f"{territory} {w}" if multi else w for w in other.warnings)


def largest_remainder(items: Sequence[tuple[str, Fraction]], total_cents: int) -> list[int]:
    """Cents for each exact amount, summing to `total_cents`: floor each, then one more cent to the largest
    remainders, ties broken by key (structure id). The exact amounts must sum to total_cents / 100."""
    cents = [Fraction(v) * 100 for _k, v in items]
    floors = [c.numerator // c.denominator for c in cents]
    left = total_cents - sum(floors)
    if not 0 <= left <= len(items):
        raise ArithmeticError(f"amounts do not add up to the envelope ({left} cents left over)")
    order = sorted(range(len(items)), key=lambda i: (-(cents[i] - floors[i]), items[i][0]))
    for i in order[:left]:
        floors[i] += 1
    return floors


def family_envelopes(cej: Iterable[CejAction], family_of: dict[str, str], year: int) -> dict[str, Fraction]:
    """R1: per family, the N-1 amounts of the CEJ actions that had ended before `year`."""
    out: dict[str, Fraction] = defaultdict(Fraction)
    for action in cej:
        if action.last_year < year:
            out[family_of[action.structure_id]] += Fraction(action.amount)
    return dict(out)


def allocate_year(year: int, sys_: Sequence[StructureYear], evaluations: dict[str, Evaluation],
                  cej: Sequence[CejAction], rulebook: Rulebook, weight_values) -> YearResult:
    """Allocate every family's envelope of `year` among the structure-years given."""
    family_of = {sy.structure.id: evaluations[sy.id].family for sy in sys_}
    cej_by_structure: dict[str, Fraction] = defaultdict(Fraction)
    for action in cej:
        if action.last_year < year:
            cej_by_structure[action.structure_id] += Fraction(action.amount)
    envelopes = family_envelopes(cej, family_of, year)
    members: dict[str, list[StructureYear]] = defaultdict(list)
    for sy in sys_:
        members[family_of[sy.structure.id]].append(sy)
    result = YearResult([], [], [], [])
    for family in sorted(set(members) | set(envelopes)):
        _allocate_family(year, family, envelopes.get(family, Fraction(0)), members.get(family, []), evaluations,
                         cej_by_structure, rulebook, weight_values, result)
    return result


def _allocate_family(year: int, family: str, envelope: Fraction, members: list[StructureYear],
                     evaluations: dict[str, Evaluation], cej: dict[str, Fraction], rulebook: Rulebook,
                     weight_values, out: YearResult) -> None:
    evs = [evaluations[sy.id] for sy in members]
    forced = {e.method for e in evs if e.method}
    own = f"redistribution.method.{family}"
    method = (forced.pop() if len(forced) == 1
              else (own in rulebook.parameters and rulebook.value(own, year))
              or rulebook.value("redistribution.method", year))
    lines: list[Line] = []
    released: list[Released] = []
    for sy, ev in zip(members, evs, strict=True):
        share = Fraction(sy.open_days, sy.year_days)
        line = Line(year=year, structure_id=sy.structure.id, family=family, line=ev.line, unit=ev.unit,
                    units=Fraction(sy.unit_days) / sy.year_days, eligible=ev.eligible, reason=ev.reason,
                    rules=[r for r in ev.fired if r not in ev.formulas], method=method,
                    cej_amount=cej.get(sy.structure.id, Fraction(0)),
                    share=share)
        if share < 1 and sy.open_days:
            line.rules.append("R2.pro_rata_temporis")
            line.step(f"open {sy.open_days} of {sy.year_days} days: units and N-1 amount count pro rata temporis")
        lines.append(line)

    env = Envelope(year=year, family=family, envelope=money(to_cents(envelope)), method=method)
    if method == "historical":
        _historical(lines, evs, rulebook, year, released)
    else:
        _per_unit(lines, envelope, method, rulebook, year, members, weight_values, released, env)
    eligible = [ln for ln in lines if ln.eligible]
    floor_param = f"redistribution.floor_per_unit.{family}"
    if floor_param in rulebook.parameters:
        floor = rulebook.value(floor_param, year)
        if floor:
            env.floor = floor
            warning = _apply_floor(eligible, Fraction(floor))
            if warning:
                out.warnings.append(f"{year} {family}: {warning}")
    destination = rulebook.value("released.destination", year)
    if destination == "redistribute":
        _redistribute(eligible, released)
    # One rounding: structures' amounts and what goes back to the Caf share the envelope's cents.
    to_caf = [r for r in released if r.destination == "caf"]
    items = [(ln.structure_id, ln.exact) for ln in lines] + [(r.structure_id or "", r.exact) for r in to_caf]
    for index, cents in enumerate(largest_remainder(items, to_cents(env.envelope))):
        if index < len(lines):
            lines[index].amount = money(cents)
            if lines[index].exact != Fraction(cents, 100):
                lines[index].step(f"exact amount {fmt_fraction(lines[index].exact, 6)} EUR rounded to "
                                  f"{money(cents)} EUR (largest remainder, R3.largest_remainder)")
        else:
            to_caf[index - len(lines)].amount = money(cents)
    moved = [r for r in released if r.destination == "redistribute"]
    if moved:
        # Listed for the trail only (their cents are inside the structures' amounts): rounded as a group.
        total = sum((r.exact for r in moved), Fraction(0)) * 100
        target = round(total)  # Fraction rounds half to even, exactly
        for r, cents in zip(moved, largest_remainder([(r.structure_id or "", r.exact) for r in moved], target),
                            strict=True):
            r.amount = money(cents)
    env.allocated = sum((ln.amount for ln in lines), Decimal("0.00"))
    env.released = sum((r.amount for r in to_caf), Decimal("0.00"))
    env.redistributed = sum((r.amount for r in moved), Decimal("0.00"))
    out.lines.extend(lines)
    out.released.extend(released)
    out.envelopes.append(env)


def _historical(lines: list[Line], evs: list[Evaluation], rulebook: Rulebook, year: int,
                released: list[Released]) -> None:
    """R3.historical (and R4): each structure keeps its own N-1 amount, pro rata temporis, within its cap."""
    for line, ev in zip(lines, evs, strict=True):
        line.rules.append("R3.historical")
        a = line.cej_amount
        if not ev.eligible:
            if a:
                released.append(Released(line.year, line.family, line.structure_id, ev.reason or "", a,
                                         rules=[*_reason_rule(rulebook, ev), "R3.released"]))
                line.step(f"not eligible ({ev.reason}): its N-1 amount {fmt_fraction(a)} EUR is released")
            continue
        if not a:
            line.step("no CEJ action in N-1: under the historical method it gets nothing from the envelope")
            continue
        amount = a * line.share
        if line.share < 1:
            line.step(f"N-1 CEJ amount {fmt_fraction(a)} EUR x {line.share} of the year "
                      f"= {fmt_fraction(amount, 6)} EUR; the rest is released (CLOSED)")
        else:
            line.step(f"N-1 CEJ amount {fmt_fraction(a)} EUR, open all year")
        if line.share < 1:
            released.append(Released(year, line.family, line.structure_id, "CLOSED", a - amount,
                                     rules=["R2.pro_rata_temporis", "R3.released"]))
        if ev.cap_param:
            line.cap_applies = True
            per_unit = Fraction(rulebook.value(ev.cap_param, year))
            ceiling = per_unit * Fraction(str(_units_of(line, ev))) * line.share
            if amount > ceiling:
                released.append(Released(year, line.family, line.structure_id, ev.cap_reason or "CAPPED",
                                         amount - ceiling, rules=["R4.post_capped", "R3.released"]))
                line.step(f"capped at {fmt_fraction(per_unit)} EUR per ETP x {fmt_units(_units_of(line, ev))} ETP"
                          f"{' x ' + str(line.share) if line.share < 1 else ''} = {fmt_fraction(ceiling, 6)} EUR; "
                          f"{fmt_fraction(amount - ceiling, 6)} EUR released ({ev.cap_reason})")
                amount = ceiling
                line.capped = True
        line.exact = amount


def _units_of(line: Line, ev: Evaluation) -> Fraction:
    """Full-year units (before pro rata temporis) used by caps."""
    return line.units / line.share if line.share else Fraction(0)


def _reason_rule(rulebook: Rulebook, ev: Evaluation) -> list[str]:
    return [r for r in ev.fired if rulebook.rules[r].kind == "exclude"
            and rulebook.rules[r].then.get("reason") == ev.reason][:1]


def _per_unit(lines: list[Line], envelope: Fraction, method: str, rulebook: Rulebook, year: int,
              members: list[StructureYear], weight_values, released: list[Released], env: Envelope) -> None:
    """R3.per_unit / R3.weighted: one rate per (weighted) unit over the family's eligible structures."""
    rule = METHOD_RULES[method]
    weights: dict[str, Fraction] = {}
    if method == "weighted":
        text = str(rulebook.value("redistribution.weight", year))
        tree = parse_weight(text, weight_values.fields)
        for line, sy in zip(lines, members, strict=True):
            if line.eligible:
                try:
                    w = evaluate_weight(tree, weight_values.of(sy))
                except WeightError as exc:
                    raise InputError([Problem("scenario", None, "parameters.redistribution.weight",
                                              f"{exc} for {sy.structure.id} in {year}")]) from None
                if w < 0:
                    raise InputError([Problem("scenario", None, "parameters.redistribution.weight",
                                              f"weight {text!r} is negative ({w}) for {sy.structure.id} in {year}")])
                weights[line.structure_id] = w
    total = Fraction(0)
    for line in lines:
        line.rules.append(rule)
        if line.eligible:
            line.weight = weights.get(line.structure_id, Fraction(1))
            total += line.units * line.weight
    if not total:
        # In a year no CTG covers, the whole envelope is released as CTG_NOT_IN_FORCE (R1), whatever else a
        # structure fails; otherwise nobody eligible is NO_ELIGIBLE_STRUCTURE.
        ctg_off = any(CTG_RULE in ln.rules for ln in lines)
        reason = "CTG_NOT_IN_FORCE" if ctg_off else "NO_ELIGIBLE_STRUCTURE"
        rules = [CTG_RULE] if ctg_off else ["R3.no_eligible_structure"]
        if envelope:
            released.append(Released(year, lines[0].family if lines else env.family, None, reason, envelope,
                                     rules=[*rules, "R3.released"]))
        return
    rate = envelope / total
    env.rate = rate
    for line in lines:
        if not line.eligible:
            line.step(f"not eligible ({line.reason}): no share of the envelope")
            continue
        line.rate = rate
        line.exact = rate * line.units * line.weight
        w = f" x weight {fmt_fraction(line.weight, 4)}" if method == "weighted" else ""
        line.step(f"family envelope {fmt_fraction(envelope)} EUR / {fmt_fraction(total, 4)} eligible "
                  f"{'weighted ' if w else ''}units = {fmt_fraction(rate, 6)} EUR per unit; "
                  f"x {fmt_units(line.units)} units{w} = {fmt_fraction(line.exact, 6)} EUR")


def _apply_floor(lines: list[Line], floor: Fraction) -> str | None:
    """R3.floor: lift structures to floor x units, taking the cost pro rata from those above it."""
    targets = {ln.structure_id: floor * ln.units for ln in lines}
    deficit = sum((max(targets[ln.structure_id] - ln.exact, Fraction(0)) for ln in lines), Fraction(0))
    excess = sum((max(ln.exact - targets[ln.structure_id], Fraction(0)) for ln in lines), Fraction(0))
    if not deficit:
        for ln in lines:
            ln.step(f"floor {fmt_fraction(floor)} EUR per unit already met by every structure")
        return None
    for ln in lines:
        ln.rules.append("R3.floor")
    if deficit <= excess:
        for ln in lines:
            target = targets[ln.structure_id]
            before = ln.exact
            if ln.exact < target:
                ln.exact = target
                ln.step(f"below the floor: lifted to {fmt_fraction(floor)} EUR x {fmt_units(ln.units)} "
                        f"units = {fmt_fraction(target, 6)} EUR")
            elif ln.exact > target:
                ln.exact = ln.exact - deficit * (ln.exact - target) / excess
                ln.step(f"above the floor: gives {fmt_fraction(before - ln.exact, 6)} EUR (its part of the "
                        f"{fmt_fraction(deficit, 6)} EUR lift) = {fmt_fraction(ln.exact, 6)} EUR")
        return None
    total = sum((ln.exact for ln in lines), Fraction(0))
    units = sum((ln.units for ln in lines), Fraction(0))
    for ln in lines:
        ln.exact = total * ln.units / units if units else Fraction(0)
        ln.step(f"floor {fmt_fraction(floor)} EUR per unit cannot be met (deficit {fmt_fraction(deficit)} > "
                f"excess {fmt_fraction(excess)}): every structure gets the family total x its share of units")
    return (f"floor {fmt_fraction(floor)} per unit cannot be met (deficit {fmt_fraction(deficit)} EUR > "
            f"excess {fmt_fraction(excess)} EUR); amounts split by units instead")


def _redistribute(lines: list[Line], released: list[Released]) -> None:
    """R3.released with destination `redistribute`: released amounts go to the family's eligible structures
    pro rata of their amounts. A post under R4's cap (after the deadline) takes none: its funding is at most its
    N-1 amount within the cap, so what posts release then goes back to the Caf."""
    takers = [ln for ln in lines if ln.exact > 0 and not ln.cap_applies]
    base = sum((ln.exact for ln in takers), Fraction(0))
    if not base or not released:
        return
    total = sum((r.exact for r in released), Fraction(0))
    for r in released:
        r.destination = "redistribute"
    for ln in takers:
        extra = total * ln.exact / base
        ln.exact += extra
        ln.rules.append("R3.released")
        ln.step(f"receives {fmt_fraction(extra, 6)} EUR of the {fmt_fraction(total)} EUR released in its family "
                "(released.destination = redistribute), pro rata of its amount")
