"""How pages show amounts, percentages and settings: ``{% load formatting %}``, then
``{{ order.total|money:order.currency }}``, ``{{ score.churn_risk|percent }}``,
``{{ settings.discount_rate|as_written }}``.

One look for every amount: two decimals, thousands grouped as the language writes them
(``crm/formats``), the currency code after the number, joined by a no-break space so the two
never part ("1,234.50 USD"). Rounding is half up, as everywhere in the value models. An
empty value is "—".

Registered as the template library ``formatting`` in ``settings.TEMPLATES`` (``core`` is not
an app, so it has no ``templatetags`` package).
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import template
from django.conf import settings
from django.utils.formats import number_format

register = template.Library()

EMPTY = "—"
NO_BREAK_SPACE = "\u00a0"


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


def _grouped(number: Decimal, places: int) -> str:
    rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # no "-0.00"
    return number_format(rounded, decimal_pos=places, use_l10n=True, force_grouping=True)


def format_money(value: Any, currency: str = "") -> str:
    """``1234.5, "EUR"`` → "1,234.50 EUR"; the base currency when none is given."""
    number = _decimal(value)
    if number is None:
        return EMPTY
    code = currency or settings.CRM_BASE_CURRENCY
    return f"{_grouped(number, 2)}{NO_BREAK_SPACE}{code}"


def format_percent(value: Any, places: int = 0) -> str:
    """A fraction as a percentage: ``0.35`` → "35%", ``0.1234, 1`` → "12.3%"."""
    number = _decimal(value)
    if number is None:
        return EMPTY
    return f"{_grouped(number * 100, places)}%"


def as_written(value: Any) -> str:
    """A stored decimal as a person writes it: ``Decimal("0.350000")`` → "0.35",
    ``Decimal("10.000")`` → "10" (no exponent, no trailing zeros, no grouping)."""
    number = _decimal(value)
    if number is None:
        return "" if value is None else str(value)
    if number == number.to_integral_value():
        return str(number.quantize(Decimal(1)))
    return format(number.normalize(), "f")


@register.filter
def money(value: Any, currency: str = "") -> str:
    return format_money(value, currency)


@register.filter
def percent(value: Any, places: int = 0) -> str:
    return format_percent(value, int(places))


register.filter("as_written", as_written)
