"""What ctg's HTML pages share: one look (inline CSS, readable on a screen and printable), the page around a body,
and small escaping helpers. A page fetches nothing when it is opened: no script, no external URL."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

from ..i18n import language

CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 2em; color: #1b1b1b; max-width: 1100px; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #999; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { padding: 0.25em 0.6em; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total td { font-weight: bold; border-top: 2px solid #555; }
.pos { color: #0b6b2f; } .neg { color: #a11a1a; }
.note { color: #555; font-size: 0.85em; }
svg text { font-size: 11px; fill: #1b1b1b; }
@media print { body { margin: 0.5cm; } h2 { break-after: avoid; } table, svg { break-inside: avoid; } }
"""

# Rules, parameters and explanations: a card per item, badges for kinds and statuses.
CARDS_CSS = """
h3 { font-size: 1.05em; margin: 0 0 0.3em; }
a { color: #0b4f8a; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 0.9em; }
section.card { border: 1px solid #ccc; border-radius: 4px; padding: 0.6em 0.9em; margin: 0.8em 0; }
section.card:target { border-color: #0b4f8a; box-shadow: 0 0 0 2px #9cc3e6; }
dl { display: grid; grid-template-columns: 13em 1fr; gap: 0.25em 1em; margin: 0.4em 0; }
dt { color: #555; } dd { margin: 0; }
.badge { display: inline-block; font-size: 0.75em; padding: 0.05em 0.5em; border-radius: 1em; margin-left: 0.4em;
         border: 1px solid #999; color: #333; font-weight: normal; vertical-align: middle; }
.badge.seed { background: #e3f1e5; border-color: #6aa874; }
.badge.national { background: #e4edf8; border-color: #6f96c6; }
.badge.assumed { background: #fbf0dc; border-color: #c9a25a; }
.badge.off { background: #eee; color: #777; }
tr.current td { background: #eef5ff; font-weight: bold; }
ul.toc { columns: 3 16em; padding-left: 1.2em; font-size: 0.9em; }
.amount { font-size: 1.5em; font-weight: bold; margin: 0.4em 0; }
ol.steps li { margin: 0.2em 0; }
@media print { a { color: inherit; text-decoration: none; } section.card { break-inside: avoid; }
               ul.toc { display: none; } }
"""


def e(value: Any) -> str:
    """A value as HTML text (attributes' quotes escaped too)."""
    return escape("" if value is None else str(value), quote=True)


def tag(name: str, text: str, cls: str = "", ident: str = "") -> str:
    """An element holding `text`, escaped (messages are passed here, never formatted inside an f-string, so that
    the catalogue's extraction finds them)."""
    attrs = (f' class="{e(cls)}"' if cls else "") + (f' id="{e(ident)}"' if ident else "")
    return f"<{name}{attrs}>{e(text)}</{name}>"


def page(title: str, body: Iterable[str], css: str = "") -> str:
    """A whole self-contained page in the current language."""
    return (f'<!DOCTYPE html>\n<html lang="{language()}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{e(title)}</title><style>{CSS}{css}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def table(headers: list[str], rows: Iterable[list[str]], numeric: Iterable[int] = (),
          row_class: Iterable[str] | None = None) -> str:
    """A table of already escaped cells; the columns in `numeric` right-aligned."""
    nums = set(numeric)

    def cls(i: int) -> str:
        return ' class="num"' if i in nums else ""

    head = "".join(f"<th{cls(i)}>{h}</th>" for i, h in enumerate(headers))
    classes = iter(row_class) if row_class is not None else None
    body = []
    for row in rows:
        rc = next(classes, "") if classes is not None else ""
        attr = f' class="{rc}"' if rc else ""
        body.append(f"<tr{attr}>" + "".join(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(row)) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def definitions(items: Iterable[tuple[str, str | None]]) -> str:
    """A definition list of (term, already escaped description); items without a description left out."""
    return "<dl>" + "".join(f"<dt>{term}</dt><dd>{desc}</dd>" for term, desc in items if desc) + "</dl>"
