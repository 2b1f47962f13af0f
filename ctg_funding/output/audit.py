"""`ctg audit` written out: the summary per year, the families' envelopes, the findings and the explanation of
each one, as JSON-ready data, tables and text."""

from __future__ import annotations

from typing import Any

from ..analysis.audit import CODES, UNKNOWN_STRUCTURE, AuditResult, Finding
from ..money import fmt_eur
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
    text = [f"Envelope {e['family']} {e['year']} - scenario: {e['scenario']}   rules {e['rules_version']}", ""]
    for rule in e["rules"]:
        text += [f"  {rule['id']}: {rule['label']}", f"      source ({rule['status']}): {rule['source']}", ""]
    text += [f"  {s}" for s in e["steps"]]
    text += ["", "  N-1 CEJ actions of the family:"]
    text += [f"    {a['structure_id']} ({a['contract_id']}, {a['last_year']}): {fmt_eur(a['amount'])}"
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
        parts.append("rules " + ", ".join(r["id"] for r in e["rules"]))
    if e.get("envelope") and finding.structure_id is not None:
        env = e["envelope"]
        parts.append(f"envelope {env['family']} {env['envelope']} (method {e.get('method')})")
    parts.extend(e.get("steps", []))
    for r in e.get("released", []):
        if finding.structure_id is not None:
            parts.append(f"released {r['amount']} ({r['reason']}, to {r['destination']})")
    if "eligible" in e:
        parts.append(f"amount {e['amount']}" + ("" if e["eligible"] else f", not eligible: {e['reason']}"))
    return " | ".join(str(p) for p in parts)


def findings_table(audit_result: AuditResult, explanations: bool = False) -> Table:
    """The findings, largest first; with `explanations`, each one's explanation on one line (CSV, xlsx)."""
    headers = FINDING_HEADERS + (["explanation"] if explanations else [])
    rows = [[i, f.year, f.structure_id, f.family, f.line, f.expected, f.paid, f.difference, f.code, f.reason, f.note]
            + ([compact_explanation(f)] if explanations else [])
            for i, f in enumerate(audit_result.findings, start=1)]
    return Table("Findings, largest difference first (difference = paid - expected)", headers, rows,
                 money=MONEY, sheet="findings")


def audit_tables(audit_result: AuditResult, with_explanations: bool = False) -> list[Table]:
    """Summary per year, the families' envelopes, the findings (with their one-line explanation if asked), and
    the explanation of each finding, one row per line of text."""
    r = audit_result.result
    notes = "".join(f"Warning: {w}\n" for w in warning_texts(r))
    summary = Table(
        f"Audit: {r.scenario.name}  (rules {r.rules_version}, dataset sha256 {r.dataset_sha256[:12]})\n\n{notes}"
        + ("\n" if notes else "") + "Summary per year (difference = paid - expected)",
        ["year", "envelope", "expected", "paid", "difference", "tolerance", "payments", "findings", *CODES],
        [[s.year, s.envelope, s.expected, s.paid, s.difference, s.tolerance, s.payments, s.findings,
          *(s.counts[c] for c in CODES)] for s in audit_result.summary],
        money=MONEY, sheet="summary")
    families = Table(
        "Envelopes: payments on the envelope lines by family",
        ["year", "family", "envelope", "expected", "paid", "difference", "envelope_left"],
        [[f.year, f.family, f.envelope, f.expected, f.paid, f.difference, f.envelope_left]
         for f in audit_result.families],
        money=MONEY, sheet="families")
    explanations = Table(
        "Explanations of the expected amounts", ["#", "year", "structure_id", "code", "explanation"],
        [[i, f.year, f.structure_id or f"(family {f.family})", f.code, text]
         for i, f in enumerate(audit_result.findings, start=1) for text in explanation_text(f).splitlines()],
        sheet="explanations")
    return [summary, families, findings_table(audit_result, explanations=with_explanations), explanations]


def explanations_text(audit_result: AuditResult) -> str:
    """Each finding's explanation as `ctg explain` prints it, for the terminal."""
    out = []
    for i, f in enumerate(audit_result.findings, start=1):
        who = f.structure_id or f"family {f.family}"
        out.append(f"\n--- Finding {i}: {f.code} {who} {f.year} ({f.line or 'all lines'}): "
                   f"difference {f.difference:+,.2f} EUR\n    {f.note}\n")
        out.append(explanation_text(f))
    return "".join(out)
