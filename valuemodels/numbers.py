"""Decimal conversion and rounding shared by the scalar formulas.

Money rounds half-up to the cent, the rule of orders.totals.to_cents; it is restated here so
that the calculation layer imports nothing from the apps (and so nothing from Django)."""

from decimal import ROUND_HALF_UP, Decimal
from typing import TypeAlias

# What the scalar formulas accept for a number: floats are read by their shortest repr.
DecimalLike: TypeAlias = Decimal | int | float | str

ZERO = Decimal("0")
ONE = Decimal("1")
HUNDRED = Decimal("100")
# Money is kept to the cent, percentages and ratios to two places.
_HUNDREDTH = Decimal("0.01")


def dec(value: DecimalLike) -> Decimal:
    """A Decimal from a Decimal, int, str or float (a float by its shortest repr, so 0.9 is
    0.9 and not 0.90000000000000002220446…)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def to_cents(amount: DecimalLike) -> Decimal:
    return dec(amount).quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)


def to_hundredths(value: Decimal) -> Decimal:
    return value.quantize(_HUNDREDTH, rounding=ROUND_HALF_UP)


def ratio(numerator: DecimalLike, denominator: DecimalLike) -> Decimal | None:
    """numerator / denominator to two places, or None when the denominator is zero."""
    denominator = dec(denominator)
    if denominator == 0:
        return None
    return to_hundredths(dec(numerator) / denominator)


def to_percent(numerator: DecimalLike, denominator: DecimalLike) -> Decimal | None:
    """numerator / denominator * 100 to two places, or None when the denominator is zero."""
    denominator = dec(denominator)
    if denominator == 0:
        return None
    return to_hundredths(dec(numerator) * HUNDRED / denominator)
