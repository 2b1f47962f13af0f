"""A self-contained HTML page for a comparison: tables and bar charts of the differences, inline CSS and SVG,
nothing fetched when it is opened, readable on a screen and printable."""

from __future__ import annotations

from decimal import Decimal
from html import escape

from ..analysis.compare import Comparison
from ..money import fmt_eur_page as _eur
from .compare import heading
from .html_page import CSS


def _signed(value: Decimal) -> str:
    cls = "pos" if value > 0 else "neg" if value < 0 else ""
    sign = "+" if value > 0 else ""
    return f'<span class="{cls}">{sign}{escape(_eur(value))}</span>'


def _table(comp: Comparison, limit: int | None = None) -> str:
    rows = comp.rows if limit is None else comp.rows[:limit]
    out = ['<table><thead><tr><th>key</th><th>name</th><th class="num">A</th><th class="num">B</th>'
           '<th class="num">B − A</th><th class="num">%</th></tr></thead><tbody>']
    for r in rows:
        pct = "" if r.difference_pct is None else f"{r.difference_pct:+.2f}\u00a0%"
        out.append(f"<tr><td>{escape(r.key)}</td><td>{escape(r.label)}</td><td class='num'>{escape(_eur(r.a))}</td>"
                   f"<td class='num'>{escape(_eur(r.b))}</td><td class='num'>{_signed(r.difference)}</td>"
                   f"<td class='num'>{pct}</td></tr>")
    if limit is not None and len(comp.rows) > limit:
        out.append(f"<tr><td colspan='6' class='note'>… {len(comp.rows) - limit} more rows in the CSV or xlsx "
                   "output</td></tr>")
    diff = comp.total_b - comp.total_a
    out.append(f"<tr class='total'><td>total</td><td></td><td class='num'>{escape(_eur(comp.total_a))}</td>"
               f"<td class='num'>{escape(_eur(comp.total_b))}</td><td class='num'>{_signed(diff)}</td><td></td></tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _bars(comp: Comparison, title: str) -> str:
    """Horizontal bars of B − A around a zero axis, one per key."""
    rows = [r for r in comp.rows if r.difference] or comp.rows
    if not rows:
        return "<p class='note'>No amounts.</p>"
    biggest = max(abs(r.difference) for r in rows) or Decimal(1)
    bar_h, label_w, half = 18, 230, 260
    width = label_w + 2 * half + 120
    height = bar_h * len(rows) + 30
    zero = label_w + half
    parts = [f'<svg role="img" aria-label="{escape(title)}" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}">',
             f'<line x1="{zero}" y1="0" x2="{zero}" y2="{height - 20}" stroke="#555"/>']
    for i, r in enumerate(rows):
        y = i * bar_h + 4
        length = float(abs(r.difference) / biggest) * half
        x = zero if r.difference >= 0 else zero - length
        color = "#2e8b57" if r.difference >= 0 else "#c0392b"
        label = r.label if len(r.label) <= 34 else r.label[:33] + "…"
        parts.append(f'<text x="{label_w - 6}" y="{y + 12}" text-anchor="end">{escape(label)}</text>')
        parts.append(f'<rect x="{x:.1f}" y="{y}" width="{max(length, 0.5):.1f}" height="{bar_h - 5}" '
                     f'fill="{color}"><title>{escape(r.key)}: {escape(_eur(r.difference))}</title></rect>')
        tx = zero + length + 4 if r.difference >= 0 else zero - length - 4
        anchor = "start" if r.difference >= 0 else "end"
        parts.append(f'<text x="{tx:.1f}" y="{y + 12}" text-anchor="{anchor}">{escape(_eur(r.difference))}</text>')
    parts.append(f'<text x="{zero}" y="{height - 4}" text-anchor="middle">0 (B − A)</text></svg>')
    return "".join(parts)


def render_html(views: dict[str, Comparison], envelopes: dict[str, dict[str, Decimal]]) -> str:
    first = next(iter(views.values()))
    a, b = first.a.scenario.name, first.b.scenario.name
    years = f"{first.years[0]}–{first.years[-1]}" if len(first.years) > 1 else str(first.years[0])
    env_rows = "".join(
        f"<tr><td>{escape(k)}</td><td class='num'>{escape(_eur(envelopes['a'][k]))}</td>"
        f"<td class='num'>{escape(_eur(envelopes['b'][k]))}</td>"
        f"<td class='num'>{_signed(envelopes['b'][k] - envelopes['a'][k])}</td></tr>"
        for k in envelopes["a"])
    body = [
        f"<h1>Bonus territoire CTG: comparison of two redistributions, {escape(years)}</h1>",
        f"<p><b>A</b>: {escape(a)}<br><b>B</b>: {escape(b)}</p>",
        f"<p class='note'>Rules {escape(first.a.rules_version)} / {escape(first.b.rules_version)}; dataset sha256 "
        f"{escape(first.a.dataset_sha256[:12])} / {escape(first.b.dataset_sha256[:12])}. Differences are B − A.</p>",
        f"<h2>Envelopes</h2><p class='note'>{escape(heading(first)[0].upper() + heading(first)[1:])}. Released "
        "amounts return to the Caf.</p>",
        "<table><thead><tr><th></th><th class='num'>A</th><th class='num'>B</th><th class='num'>B − A</th></tr>"
        f"</thead><tbody>{env_rows}</tbody></table>",
    ]
    for by, title in (("commune", "By commune"), ("family", "By family")):
        if by in views:
            body += [f"<h2>{title}</h2>", _bars(views[by], f"Differences {title.lower()}"), _table(views[by])]
    for by, title in (("manager", "By gestionnaire"), ("year", "By year"), ("structure", "By structure")):
        if by in views:
            body += [f"<h2>{title}</h2>", _table(views[by], limit=60 if by == "structure" else None)]
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Comparison: {escape(a)} / {escape(b)}</title><style>{CSS}</style></head>"
            f"<body>{''.join(body)}</body></html>\n")
