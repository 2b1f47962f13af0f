"""`ctg audit` written out: the summary per year, the families' envelopes, the findings and the explanation of
each one, as JSON-ready data, tables and text."""

from __future__ import annotations

from typing import Any

from ..analysis.audit import CODES, UNKNOWN_STRUCTURE, AuditResult, Finding
from ..i18n import _, fmt_money
from .explain import explain_json, explain_text
from .simulate import warning_texts
from .writers import Table


def explanation_json(finding: Finding) -> dict[str, Any]:
    """A finding's explanation as JSON-ready data (a structure's as `ctg explain` gives it, with the line
    audited)."""
    if finding.structure_id is None or finding.code == UNKNOWN_STRUCTURE:
        return finding.explanation
    data = explain_json(finding.explanation)
    trace = data.pop("trace")
    return {**data, "audited_line": finding.line, "trace": trace}


def explanation_text(finding: Finding) -> str:
    """A finding's explanation as `ctg explain` prints it (a family's envelope, or an unknown structure's)."""
    e = finding.explanation
    if finding.code == UNKNOWN_STRUCTURE:
        return "\n".join(e["steps"]) + "\n"
    if finding.structure_id is not None:
        return explain_text(e)
    text = [_("Envelope {family} {year} - scenario: {scenario}   rules {rules}").format(
        family=e["family"], year=e["year"], scenario=e["scenario"], rules=e["rules_version"]), ""]
    for rule in e["rules"]:
        text += [f"  {rule['id']}: {rule['label']}",
                 "      " + _("source ({status}): {source}").format(status=rule["status"], source=rule["source"]), ""]
    text += [f"  {s}" for s in e["steps"]]
    text += ["", "  " + _("N-1 CEJ actions of the family:")]
    text += [f"    {a['structure_id']} ({a['contract_id']}, {a['last_year']}): {fmt_money(a['amount'])}"
             for a in e["cej_actions"]]
    return "\n".join(text) + "\n"


def audit_json(audit_result: AuditResult) -> dict[str, Any]:
    """The audit as JSON-ready data: years, summary, families, findings (money as Decimal, written with 2
    decimals), each finding with its explanation."""
    return {
        **audit_result.result.provenance(),
        "years": audit_result.years,
        "warnings": warning_texts(audit_result.result),
        "summary": [
            {"year": s.year, "envelope": s.envelope, "expected": s.expected, "paid": s.paid,
             "difference": s.difference, "tolerance": s.tolerance, "payments": s.payments,
             "findings": s.findings, "by_code": s.counts}
            for s in audit_result.summary
        ],
        "families": [
            {"year": f.year, "family": f.family, "envelope": f.envelope, "expected": f.expected, "paid": f.paid,
             "difference": f.difference, "envelope_left": f.envelope_left, "territory": f.territory}
            for f in audit_result.families
        ],
        "findings": [
            {"year": f.year, "structure_id": f.structure_id, "family": f.family, "line": f.line,
             "expected": f.expected, "paid": f.paid, "difference": f.difference, "code": f.code,
             "reason": f.reason, "note": f.note,
             "payments": [{"amount": p.amount, "note": p.note} for p in f.payments],
             "explanation": explanation_json(f)}
            for f in audit_result.findings
        ],
    }


FINDING_HEADERS = ["#", "year", "structure_id", "family", "line", "expected", "paid", "difference", "code",
                   "reason", "note"]
MONEY = {"envelope", "expected", "paid", "difference", "envelope_left", "tolerance"}


def compact_explanation(finding: Finding) -> str:
    """The explanation on one line (for CSV and spreadsheet cells): rules that fired, then the arithmetic."""
    e = explanation_json(finding)
    parts = []
    if e.get("rules"):
        parts.append(_("rules {ids}").format(ids=", ".join(r["id"] for r in e["rules"])))
    if e.get("envelope") and finding.structure_id is not None:
        env = e["envelope"]
        parts.append(_("envelope {family} {amount} (method {method})").format(
            family=env["family"], amount=env["envelope"], method=e.get("method")))
    parts.extend(e.get("steps", []))
    for r in e.get("released", []):
        if finding.structure_id is not None:
            parts.append(_("released {amount} ({reason}, to {destination})").format(**r))
    if "eligible" in e:
        parts.append(_("amount {amount}").format(amount=e["amount"])
                     + ("" if e["eligible"] else ", " + _("not eligible: {reason}").format(reason=e["reason"])))
    return " | ".join(str(p) for p in parts)


def findings_table(audit_result: AuditResult, explanations: bool = False) -> Table:
    """The findings, largest first; with `explanations`, each one's explanation on one line (CSV, xlsx)."""
    headers = FINDING_HEADERS + (["explanation"] if explanations else [])
    rows = [[i, f.year, f.structure_id, f.family, f.line, f.expected, f.paid, f.difference, f.code, f.reason, f.note]
            + ([compact_explanation(f)] if explanations else [])
            for i, f in enumerate(audit_result.findings, start=1)]
    return Table(_("Findings, largest difference first (difference = paid - expected)"), headers, rows,
                 money=MONEY, kinds={"#": "count"}, sheet="findings", optional=("note", "reason", "line"))


def audit_tables(audit_result: AuditResult, with_explanations: bool = False) -> list[Table]:
    """Summary per year, the families' envelopes, the findings (with their one-line explanation if asked), and
    the explanation of each finding, one row per line of text."""
    r = audit_result.result
    notes = "".join(_("Warning: {warning}").format(warning=w) + "\n" for w in warning_texts(r))
    summary = Table(
        _("Audit: {name}  (rules {rules}, dataset sha256 {sha})").format(
            name=r.scenario.name, rules=r.rules_version, sha=r.dataset_sha256[:12]) + f"\n\n{notes}"
        + ("\n" if notes else "") + _("Summary per year (difference = paid - expected)"),
        ["year", "envelope", "expected", "paid", "difference", "tolerance", "payments", "findings", "by code"],
        [[s.year, s.envelope, s.expected, s.paid, s.difference, s.tolerance, s.payments, s.findings,
          ", ".join(f"{c} {s.counts[c]}" for c in CODES if s.counts[c])] for s in audit_result.summary],
        money=MONEY, kinds={"payments": "count", "findings": "count"}, sheet="summary")
    families = Table(
        _("Envelopes: payments on the envelope lines by family"),
        ["year", "family", "envelope", "expected", "paid", "difference", "envelope_left"],
        [[f.year, f.family, f.envelope, f.expected, f.paid, f.difference, f.envelope_left]
         for f in audit_result.families],
        money=MONEY, sheet="families")
    explanations = Table(
        _("Explanations of the expected amounts"), ["#", "year", "structure_id", "code", "explanation"],
        [[i, f.year, f.structure_id or _("(family {family})").format(family=f.family), f.code, text]
         for i, f in enumerate(audit_result.findings, start=1) for text in explanation_text(f).splitlines()],
        sheet="explanations")
    return [summary, families, findings_table(audit_result, explanations=with_explanations), explanations]


def explanations_text(audit_result: AuditResult) -> str:
    """Each finding's explanation as `ctg explain` prints it, for the terminal."""
    out = []
    for i, f in enumerate(audit_result.findings, start=1):
        who = f.structure_id or _("family {family}").format(family=f.family)
        sign = "+" if f.difference > 0 else ""
        out.append("\n--- " + _("Finding {i}: {code} {who} {year} ({line}): difference {difference}").format(
            i=i, code=f.code, who=who, year=f.year, line=f.line or _("all lines"),
            difference=sign + fmt_money(f.difference)) + f"\n    {f.note}\n")
        out.append(explanation_text(f))
    return "".join(out)
