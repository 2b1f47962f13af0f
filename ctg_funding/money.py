"""Money and exact figures: euros as Decimal with two places, exact amounts as Fraction, and how both are written.

Every amount is computed exactly (fractions of euros) and rounded once, on purpose, to the cent. This module is
the one place where cents, euros and their text forms meet.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_cents(value: Decimal | Fraction) -> int:
    """Exact euros to integer cents; the value must already be a whole number of cents."""
    cents = Fraction(value) * 100
    if cents.denominator != 1:
        raise ValueError(f"{value} is not a whole number of cents")
    return int(cents)


def money(cents: int) -> Decimal:
    """Integer cents as euros with two decimals."""
    return (Decimal(cents) / 100).quantize(CENT)


def round_cents(exact: Fraction) -> Decimal:
    """An exact amount that no envelope balances (a line paid outside the envelope: R5, R8, R9) rounded on its
    own to the cent, half to even."""
    return money(round(exact * 100))  # Fraction rounds half to even


def fmt_fraction(value: Fraction, places: int = 2) -> str:
    """An exact figure written with `places` decimals, rounded half to even, however large or small (integer
    arithmetic: no Decimal context can overflow)."""
    if not isinstance(value, Fraction):
        value = Fraction(value)
    return fmt_ratio(value.numerator, value.denominator, places)


def fmt_ratio(num: int, den: int, places: int = 2) -> str:
    """num / den (den not 0) written as `fmt_fraction` writes it, from the two integers: no Fraction is made (at
    national scale there are millions of figures to write)."""
    if den < 0:
        num, den = -num, -den
    scaled, rest = divmod(num * 10**places, den)
    twice = 2 * rest  # round half to even, as Fraction.__round__
    if twice > den or (twice == den and scaled & 1):
        scaled += 1
    sign, digits = ("-" if scaled < 0 else ""), str(abs(scaled)).rjust(places + 1, "0")
    if not places:
        return sign + digits
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def fmt_cents(cents: int) -> str:
    """Integer cents written as `fmt_fraction` writes the euros they make (two decimals)."""
    if cents < 0:
        return "-" + fmt_cents(-cents)
    return f"{cents // 100}.{cents % 100:02d}"


def fmt_units(value: Fraction) -> str:
    """Units for people: up to 4 decimals, trailing zeros dropped."""
    if not isinstance(value, Fraction):
        value = Fraction(value)
    return fmt_units_ratio(value.numerator, value.denominator)


def fmt_units_ratio(num: int, den: int) -> str:
    """num / den units as `fmt_units` writes them."""
    text = fmt_ratio(num, den, 4)
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_eur(value: Decimal) -> str:
    """Euros with thousands separators, as the text outputs write them: 1,234.56 EUR."""
    return f"{value:,.2f} EUR"


def sum_money(values) -> Decimal:
    """The sum of Decimal euros (0.00 for none)."""
    return sum(values, ZERO)


def fmt_eur_page(value: Decimal) -> str:
    """Euros as a printed page writes them: 1 234.56 € (narrow no-break spaces between thousands)."""
    return f"{value:,.2f}".replace(",", "\u202f") + "\u00a0€"
