"""How pages show amounts, percentages and settings: ``{% load formatting %}``, then
``{{ order.total|money:order.currency }}``, ``{{ score.churn_risk|percent }}``,
``{{ settings.discount_rate|as_written }}``.

One look for every amount, in the active language: two decimals rounded half up (as everywhere
in the value models), thousands grouped, the currency's symbol where the language puts it
(Babel's CLDR data: "$1,234.50" and "CN¥1,234.50" in English, "US$1,234.50" and "¥1,234.50"
in Chinese). Nothing inside an amount lets a line break: a symbol never wraps away from its
number. An empty value is "—". Python code that writes an amount into a sentence (messages,
explanations) calls ``format_money`` too. CSV exports never do: they write plain numbers.

Registered as the template library ``formatting`` in ``settings.TEMPLATES`` (``core`` is not
an app, so it has no ``templatetags`` package).
"""

import functools
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from babel.core import Locale, UnknownLocaleError
from babel.numbers import format_currency
from django import template
from django.conf import settings
from django.utils import translation
from django.utils.formats import number_format

register = template.Library()

EMPTY = "—"
NO_BREAK_SPACE = "\u00a0"
WORD_JOINER = "\u2060"  # invisible; forbids a line break where it stands
# A letter against a digit ("CHF1,234.50"): CLDR's currency spacing puts a space there.
_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")
# A minus before a symbol ("-$20.00"): browsers may break after a hyphen that no digit follows.
_MINUS_SYMBOL = re.compile(r"([-\u2212])(?=[^\d\u2060])")


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None
    return number if number.is_finite() else None


def _rounded(number: Decimal, places: int) -> Decimal:
    rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return abs(rounded) if rounded == 0 else rounded  # no "-0.00"


def _grouped(number: Decimal, places: int) -> str:
    rounded = _rounded(number, places)
    return number_format(rounded, decimal_pos=places, use_l10n=True, force_grouping=True)


@functools.lru_cache(maxsize=32)
def babel_locale(language: str) -> Locale:
    """Django's language code as a Babel (CLDR) locale: "zh-hans" → zh_Hans, "en" → en;
    English for a code CLDR does not know."""
    try:
        return Locale.parse(translation.to_locale(language))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def format_money(value: Any, currency: str = "") -> str:
    """An amount in the active language: ``1234.5, "USD"`` → "$1,234.50" in English,
    "US$1,234.50" in Chinese; the base currency when none is given. Always two decimals,
    rounded half up (a yen amount too: amounts are stored in hundredths)."""
    number = _decimal(value)
    if number is None:
        return EMPTY
    code = (currency or settings.CRM_BASE_CURRENCY).upper()
    language = translation.get_language() or settings.LANGUAGE_CODE
    text = format_currency(
        _rounded(number, 2), code, locale=babel_locale(language), currency_digits=False
    )
    text = _LETTER_DIGIT.sub(NO_BREAK_SPACE, text.replace(" ", NO_BREAK_SPACE))
    return _MINUS_SYMBOL.sub(r"\1" + WORD_JOINER, text)


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
