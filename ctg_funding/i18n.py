"""The language of the interface: French or English, every text for people looked up in a gettext catalogue
(`locale/fr/LC_MESSAGES/ctg.po`, compiled when first needed), numbers, money and dates written by Babel in the
language's conventions. JSON keys, reason codes and ids are an interface: they are never translated.

The language is chosen once per command (`--lang`, else `CTG_LANG`, else French when the locale is French:
`LC_ALL`, `LC_MESSAGES` or `LANG` starting with `fr`), and read by every writer through `_` and the formatters.
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext
import io
import os
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

LANGUAGES = ("fr", "en")
LOCALES = {"fr": "fr_FR", "en": "en_GB"}
CATALOGUE = Path(__file__).parent / "locale" / "fr" / "LC_MESSAGES" / "ctg.po"

_current = "en"


def default_language(environ: Mapping[str, str] | None = None) -> str:
    """CTG_LANG if set, else French when the locale is French, else English."""
    env = os.environ if environ is None else environ
    if env.get("CTG_LANG") in LANGUAGES:
        return env["CTG_LANG"]
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name)
        if value:
            return "fr" if value.lower().startswith("fr") else "en"
    return "en"


def set_language(lang: str) -> None:
    global _current
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}")
    _current = lang


def language() -> str:
    return _current


@functools.cache
def _french() -> gettext.NullTranslations:
    with CATALOGUE.open("rb") as f:
        catalog = read_po(f, locale="fr")
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def _(message: str) -> str:
    """`message` (English, the msgid) in the current language."""
    return _french().gettext(message) if _current == "fr" else message


def ngettext(singular: str, plural: str, n: int) -> str:
    return _french().ngettext(singular, plural, n) if _current == "fr" else (singular if n == 1 else plural)


def locale() -> str:
    return LOCALES[_current]


def fmt_money(value: Decimal) -> str:
    """Euros in the language's way: 1 920 528,00 € / €1,920,528.00."""
    return format_currency(value, "EUR", locale=locale())


def fmt_amount(value: Decimal) -> str:
    """Euros without the symbol, two decimals, thousands grouped (table cells)."""
    return format_decimal(value, format="#,##0.00", locale=locale())


def fmt_number(value: Decimal | Fraction | int, places: int = 0, *, grouped: bool = True) -> str:
    """A number with at most `places` decimals (trailing zeros dropped), rounded half to even."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    pattern = ("#,##0" if grouped else "0") + ("." + "#" * places if places else "")
    return format_decimal(value, format=pattern, locale=locale(), decimal_quantization=True)


def fmt_fixed(value: Decimal | Fraction, places: int) -> str:
    """A number with exactly `places` decimals (rates, percentages)."""
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return format_decimal(value, format="#,##0." + "0" * places if places else "#,##0", locale=locale())


def fmt_money_exact(value: Decimal | Fraction) -> str:
    """Euros as a trail of arithmetic writes them: two decimals for a whole number of cents, else six (an exact
    amount before its rounding)."""
    exact = Fraction(value)
    places = 2 if (exact * 100).denominator == 1 else 6
    number = Decimal(exact.numerator) / Decimal(exact.denominator)
    pattern = "#,##0." + "0" * places
    text = format_decimal(round(number, places), format=pattern, locale=locale())
    return f"{text}\u00a0€" if _current == "fr" else f"€{text}"


def fmt_date(value: dt.date) -> str:
    return format_date(value, "short" if _current == "fr" else "yyyy-MM-dd", locale=locale())


def yes_no(value: bool) -> str:
    return _("yes") if value else _("no")
