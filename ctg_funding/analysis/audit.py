"""R6: recorded payments set beside the entitlements recomputed with the rules in force each year.

The expected amounts are the simulation's lines: `simulate` already evaluates each year with the parameters in
force on 1 January of that year (and the scenario's dated overrides), so a figure changed in 2025 never reaches
2024. Each (year, structure, line) whose paid total differs from the expected amount by more than the tolerance
(`audit.tolerance`, in force that year) is one finding; each family whose payments in a year exceed its envelope
is one more. Every finding carries the explanation of its expected amount. No I/O here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..allocation.results import Line as AllocationLine
from ..errors import InputError, Problem
from ..i18n import _
from ..i18n import fmt_money as _eur
from ..inputs.dataset import Dataset
from ..inputs.model import ENVELOPE_LINES, Payment
from ..money import CENT, ZERO, money, to_cents
from ..rulebook import required
from ..simulation import SimulationResult
from .explain import explanation as explain

OVERPAID = "OVERPAID"
UNDERPAID = "UNDERPAID"
PAID_INELIGIBLE = "PAID_INELIGIBLE"
NOT_PAID = "NOT_PAID"
UNKNOWN_STRUCTURE = "UNKNOWN_STRUCTURE"
ENVELOPE_EXCEEDED = "ENVELOPE_EXCEEDED"
CODES = (OVERPAID, UNDERPAID, PAID_INELIGIBLE, NOT_PAID, UNKNOWN_STRUCTURE, ENVELOPE_EXCEEDED)


Key = tuple[int, str, str]  # year, structure_id, line


@dataclass(frozen=True)
class PaymentRecord:
    """One row of payments.csv that went into a finding (a recovery is a negative amount with its note)."""

    amount: Decimal
    note: str = ""


@dataclass
class Finding:
    """One difference between what was paid and what the rules in force that year give."""

    year: int
    structure_id: str | None  # None for a finding about a whole family (ENVELOPE_EXCEEDED)
    family: str | None  # None for a structure that is not in the dataset
    line: str | None
    expected: Decimal
    paid: Decimal
    code: str
    reason: str | None  # why the rules give the expected amount when the structure is not eligible
    note: str
    payments: list[PaymentRecord]
    explanation: dict[str, Any]  # why the rules give the expected amount (analysis.explain, or the envelope's)

    @property
    def difference(self) -> Decimal:
        """Paid minus expected."""
        return self.paid - self.expected


@dataclass
class FamilyYear:
    year: int
    family: str
    envelope: Decimal
    expected: Decimal  # the family's envelope lines (what the rules allocate out of the envelope)
    paid: Decimal  # payments to the family's structures on envelope lines
    territory: str = ""  # the CTG whose envelope this is

    @property
    def difference(self) -> Decimal:
        return self.paid - self.expected

    @property
    def envelope_left(self) -> Decimal:
        return self.envelope - self.paid


@dataclass
class YearSummary:
    year: int
    tolerance: Decimal
    envelope: Decimal
    expected: Decimal
    paid: Decimal
    payments: int  # rows of payments.csv for the year
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def difference(self) -> Decimal:
        return self.paid - self.expected

    @property
    def findings(self) -> int:
        return sum(self.counts.values())


@dataclass
class AuditResult:
    result: SimulationResult
    years: list[int]
    summary: list[YearSummary]
    families: list[FamilyYear]
    findings: list[Finding]


# ------------------------------------------------------------------------------------------------ inputs


def require_payments(dataset: Dataset) -> None:
    """An audit needs the dataset's payments.csv (an empty one, header only, means nothing was paid)."""
    if dataset.payments:
        return
    path = dataset.path
    if path.is_dir() and not (path / "payments.csv").is_file():
        raise InputError([Problem(str(path / "payments.csv"), None, None,
                                  "missing file: an audit sets the dataset's payments beside the expected "
                                  "amounts (columns: year, structure_id, line, amount, note)")])


def tolerance(result: SimulationResult, year: int) -> Decimal:
    """`audit.tolerance` in force on 1 January of `year` (the scenario may override it); none means zero."""
    value = result.scenario.rulebook.value(required.AUDIT_TOLERANCE, year)
    return ZERO if value is None else Decimal(str(value))


def expected_amounts(result: SimulationResult) -> dict[Key, Decimal]:
    """What the rules give, per year, structure and line (every line of the simulation, zeros included)."""
    out: dict[Key, Decimal] = defaultdict(lambda: ZERO)
    for ln in result.lines:
        out[(ln.year, ln.structure_id, ln.line)] += ln.amount
    return dict(out)


def paid_amounts(payments: list[Payment], years: list[int]) -> dict[Key, list[PaymentRecord]]:
    """The payments of the years audited, grouped by year, structure and line (several rows add up)."""
    wanted = set(years)
    out: dict[Key, list[PaymentRecord]] = defaultdict(list)
    for p in payments:
        if p.year in wanted:
            out[(p.year, p.structure_id, p.line.value)].append(PaymentRecord(p.amount, p.note))
    return dict(out)


def classify(*, known: bool, eligible: bool, expected: Decimal, paid: Decimal, tol: Decimal) -> str | None:
    """The finding code for one structure and line in one year, or None when the difference is within tolerance."""
    if abs(paid - expected) <= tol:
        return None
    if not known:
        return UNKNOWN_STRUCTURE
    if expected == 0 and paid > 0 and not eligible:
        return PAID_INELIGIBLE
    if paid == 0 and expected > 0:
        return NOT_PAID
    return OVERPAID if paid > expected else UNDERPAID


# ------------------------------------------------------------------------------------------------- audit


def _sum(records: list[PaymentRecord]) -> Decimal:
    return sum((r.amount for r in records), ZERO).quantize(CENT)


def _payments_text(records: list[PaymentRecord]) -> str:
    if len(records) <= 1:
        return ""
    parts = [_eur(r.amount) + (f" ({r.note})" if r.note else "") for r in records]
    return " " + _("in {n} payments: {parts}").format(n=len(records), parts=" + ".join(parts))


def audit(result: SimulationResult, payments: list[Payment]) -> AuditResult:
    """Every finding of the years simulated in `result`, largest absolute difference first."""
    sc = result.scenario
    years = list(result.years)
    known = set(sc.structures)
    expected = expected_amounts(result)
    paid = paid_amounts(payments, years)
    envelope_line = {(ln.year, ln.structure_id): ln for ln in result.lines if ln.line in ENVELOPE_LINES}
    tolerances = {y: tolerance(result, y) for y in years}

    findings: list[Finding] = []
    for key in sorted(set(expected) | set(paid)):
        year, sid, line = key
        records = paid.get(key, [])
        exp = expected.get(key, ZERO)
        got = _sum(records)
        main = envelope_line.get((year, sid))
        eligible = main.eligible if main else True
        code = classify(known=sid in known, eligible=eligible, expected=exp, paid=got, tol=tolerances[year])
        if code is None:
            continue
        reason = None if code == UNKNOWN_STRUCTURE or main is None or main.eligible else main.reason
        findings.append(_structure_finding(result, key, exp, got, records, code, reason, main))

    families = _family_years(result, paid)
    over = [fy for fy in families if fy.paid - fy.envelope > tolerances[fy.year]]
    if over:
        in_group: dict[tuple[int, str, str], list[AllocationLine]] = defaultdict(list)  # envelope lines by group
        for ln in result.lines:
            if ln.line in ENVELOPE_LINES:
                in_group[(ln.year, _territory(result, ln), ln.family)].append(ln)
        for fy in over:
            findings.append(_envelope_finding(result, fy, paid, in_group[(fy.year, fy.territory, fy.family)]))

    # Ties: the structure before its family's envelope, then by year and id, so that the order never varies.
    findings.sort(key=lambda f: (-abs(f.difference), f.year, f.structure_id is None, f.structure_id or "",
                                 f.line or "", f.code))
    return AuditResult(result=result, years=years, summary=_summary(result, expected, paid, findings, tolerances),
                       families=families, findings=findings)


def _structure_finding(result: SimulationResult, key: Key, expected: Decimal, paid: Decimal,
                       records: list[PaymentRecord], code: str, reason: str | None,
                       main: AllocationLine | None) -> Finding:
    year, sid, line = key
    diff = paid - expected
    how = _payments_text(records)
    if code == UNKNOWN_STRUCTURE:
        note = _("{paid} paid on the {line} line{how} to {sid}, which is not a structure of the dataset (nor one "
                 "the scenario opens): nothing can be due to it").format(paid=_eur(paid), line=line, how=how, sid=sid)
        return Finding(year, sid, None, line, expected, paid, code, None, note, records,
                       _unknown_explanation(result, sid, year, line))
    if code == PAID_INELIGIBLE:
        note = _("not eligible in {year} ({reason}): nothing is due on the {line} line, {paid} paid{how}").format(
            year=year, reason=reason, line=line, paid=_eur(paid), how=how)
    elif code == NOT_PAID:
        note = _("{expected} due on the {line} line, nothing paid").format(expected=_eur(expected), line=line)
        if records:
            note += " " + _("(net of {n} payments: {parts})").format(
                n=len(records), parts=" + ".join(_eur(r.amount) for r in records))
    elif code == OVERPAID:
        note = _("paid {paid}{how}, {diff} more than the {expected} due on the {line} line").format(
            paid=_eur(paid), how=how, diff=_eur(diff), expected=_eur(expected), line=line)
        if expected == 0 and main is not None and main.line != line:
            note += " " + _("(its amount is due on the {line} line)").format(line=main.line)
    else:
        note = _("paid {paid}{how}, {diff} less than the {expected} due on the {line} line").format(
            paid=_eur(paid), how=how, diff=_eur(-diff), expected=_eur(expected), line=line)
    return Finding(year, sid, main.family if main else None, line, expected, paid, code, reason, note, records,
                   explain(result, sid, year))


def _unknown_explanation(result: SimulationResult, sid: str, year: int, line: str) -> dict[str, Any]:
    sc = result.scenario
    return {
        "scenario": sc.name, "rules_version": result.rules_version, "dataset_sha256": result.dataset_sha256,
        "year": year, "structure": None, "audited_line": line, "amount": ZERO,
        "steps": [_("{sid} is not among the {n} structures of the dataset {dataset} and the scenario opens no "
                    "structure with this id").format(sid=sid, n=len(sc.structures), dataset=sc.dataset.label),
                  _("no rule can give it an amount: expected {amount}").format(amount=_eur(ZERO))],
    }


def _family_years(result: SimulationResult, paid: dict[Key, list[PaymentRecord]]) -> list[FamilyYear]:
    """Each envelope (year, territory, family) with what the rules allocate out of it and what was paid on its
    lines to its structures."""
    group_of = {(ln.year, ln.structure_id): (ln.year, _territory(result, ln), ln.family)
                for ln in result.lines if ln.line in ENVELOPE_LINES}
    expected: dict[tuple[int, str, str], Decimal] = defaultdict(lambda: ZERO)
    for ln in result.lines:
        if ln.line in ENVELOPE_LINES:
            expected[group_of[(ln.year, ln.structure_id)]] += ln.amount
    paid_by: dict[tuple[int, str, str], Decimal] = defaultdict(lambda: ZERO)
    for (year, sid, line), records in paid.items():
        group = group_of.get((year, sid))
        if group and line in ENVELOPE_LINES:
            paid_by[group] += _sum(records)
    return [FamilyYear(e.year, e.family, e.envelope, expected[(e.year, e.territory, e.family)],
                       paid_by[(e.year, e.territory, e.family)], territory=e.territory)
            for e in sorted(result.envelopes, key=lambda e: (e.year, e.territory, e.family))]


def _territory(result: SimulationResult, line: AllocationLine) -> str:
    return result.scenario.territory_of[line.structure_id]  # a structure's territory, every year


def _envelope_finding(result: SimulationResult, fy: FamilyYear, paid: dict[Key, list[PaymentRecord]],
                      lines: list[AllocationLine]) -> Finding:
    """The finding of a family-year paid above its envelope; `lines` are its envelope lines."""
    sc = result.scenario
    rb = sc.rulebook
    env = next(e for e in result.envelopes if (e.year, e.territory, e.family) == (fy.year, fy.territory, fy.family))
    line_names = sorted({ln.line for ln in lines})
    members = {ln.structure_id for ln in lines}
    renewed = env.renewed_from is not None
    actions = [] if renewed else [a for a in sc.dataset.cej if a.structure_id in members and a.last_year < fy.year]
    by_structure = []
    for ln in sorted(lines, key=lambda x: x.structure_id):
        got = sum((_sum(paid.get((fy.year, ln.structure_id, name), [])) for name in ENVELOPE_LINES), ZERO)
        if got or ln.amount:
            by_structure.append({"structure_id": ln.structure_id, "expected": ln.amount, "paid": got,
                                 "difference": got - ln.amount})
    released = [r for r in result.released
                if (r.year, r.territory, r.family) == (fy.year, fy.territory, fy.family)]
    rule = rb.rules[required.RENEWAL if renewed else required.ENVELOPE]
    excess = fy.paid - fy.envelope
    base = [{"structure_id": ln.structure_id, "year": env.renewed_from, "amount": money(to_cents(ln.n1_amount))}
            for ln in sorted(lines, key=lambda x: x.structure_id) if renewed and ln.n1_amount]
    steps = [
        (_("envelope {family} {year} = what the family's structures were allocated in {base_year}, the last year "
           "of the previous CTG ({n} structures) = {amount} (R7.renewal)").format(
            family=fy.family, year=fy.year, base_year=env.renewed_from, n=len(base), amount=_eur(env.envelope))
         if renewed else
         _("envelope {family} {year} = the N-1 amounts of the family's {n} CEJ actions = {amount} "
           "(R1.envelope)").format(family=fy.family, year=fy.year, n=len(actions), amount=_eur(env.envelope))),
        _("allocated by the rules in {year}: {allocated}; released: {released}").format(
            year=fy.year, allocated=_eur(env.allocated), released=_eur(env.released))
        + ("; " + _("redistributed: {amount}").format(amount=_eur(env.redistributed)) if env.redistributed else ""),
        _("paid to the family's structures on the {lines} line: {paid} ({n} structures)").format(
            lines=_(" and ").join(line_names), paid=_eur(fy.paid), n=len([b for b in by_structure if b["paid"]])),
        _("paid - envelope = {excess} above the envelope").format(excess=_eur(excess)),
    ]
    gaps = [b for b in by_structure if b["difference"]]
    if gaps:
        steps.append(_("structures paid other than their amount: ") + "; ".join(
            f"{b['structure_id']} {'+' if b['difference'] > 0 else ''}{_eur(b['difference'])}" for b in gaps))
    explanation = {
        "scenario": sc.name, "rules_version": result.rules_version, "dataset_sha256": result.dataset_sha256,
        "year": fy.year, "family": fy.family, "lines": line_names, "method": env.method,
        "rules": [{"id": rule.id, "label": rule.label, "source": rule.source.text, "status": rule.source.status,
                   "file": rule.file}],
        "envelope": {"year": fy.year, "family": fy.family, "envelope": env.envelope, "allocated": env.allocated,
                     "released": env.released, "redistributed": env.redistributed},
        "cej_actions": [{"contract_id": a.contract_id, "collectivite_id": a.collectivite_id,
                         "structure_id": a.structure_id, "last_year": a.last_year, "amount": a.amount}
                        for a in sorted(actions, key=lambda a: (a.structure_id, a.contract_id))],
        "renewed_from": env.renewed_from,
        "renewed_amounts": base,
        "released": [{"structure_id": r.structure_id, "amount": r.amount, "reason": r.reason,
                      "destination": r.destination} for r in released],
        "paid_by_structure": by_structure,
        "steps": steps,
        "amount": env.envelope,
    }
    note = _("payments to the {family} structures {paid} exceed the family's {year} envelope {envelope} by "
             "{excess}").format(family=fy.family, paid=_eur(fy.paid), year=fy.year, envelope=_eur(fy.envelope),
                                excess=_eur(excess))
    return Finding(fy.year, None, fy.family, line_names[0] if len(line_names) == 1 else None, fy.envelope, fy.paid,
                   ENVELOPE_EXCEEDED, None, note, [], explanation)


def _summary(result: SimulationResult, expected: dict[Key, Decimal], paid: dict[Key, list[PaymentRecord]],
             findings: list[Finding], tolerances: dict[int, Decimal]) -> list[YearSummary]:
    out = []
    for year in result.years:
        counts = {code: 0 for code in CODES}
        for f in findings:
            if f.year == year:
                counts[f.code] += 1
        out.append(YearSummary(
            year=year, tolerance=tolerances[year],
            envelope=sum((e.envelope for e in result.envelopes if e.year == year), ZERO),
            expected=sum((v for (y, _s, _ln), v in expected.items() if y == year), ZERO),
            paid=sum((_sum(r) for (y, _s, _ln), r in paid.items() if y == year), ZERO),
            payments=sum(len(r) for (y, _s, _ln), r in paid.items() if y == year),
            counts=counts,
        ))
    return out
