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

import datetime as dt
import functools
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from babel.core import Locale, UnknownLocaleError
from babel.numbers import format_currency
from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format

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


def _grouped_by_django(rounded: Decimal, places: int) -> str:
    return number_format(rounded, decimal_pos=places, use_l10n=True, force_grouping=True)


# Python's own grouping ("1,234,567.891") with the language's two separators put in, where
# that is what Django's number_format gives for the language: read once per language off
# Django's output, and trusted only if it rebuilds these numbers exactly.
_NUMBER_PROBES = tuple(Decimal(text) for text in ("1234567.891", "-1234.500", "0.125", "999.000"))
_GROUPED_DIGITS = re.compile(r"1(\D+)234(?:\1)567(\D+)891")


def _python_grouped(rounded: Decimal, places: int, separators: dict[int, str]) -> str:
    return f"{rounded:,.{places}f}".translate(separators)


@functools.lru_cache(maxsize=32)
def _number_separators(language: str) -> dict[int, str] | None:
    match = _GROUPED_DIGITS.fullmatch(_grouped_by_django(_NUMBER_PROBES[0], 3))
    if match is None:
        return None
    separators = str.maketrans({",": match[1], ".": match[2]})
    for probe in _NUMBER_PROBES:
        for places in (0, 1, 3):
            rounded = _rounded(probe, places)
            if _python_grouped(rounded, places, separators) != _grouped_by_django(rounded, places):
                return None
    return separators


def _grouped(number: Decimal, places: int) -> str:
    rounded = _rounded(number, places)
    separators = _number_separators(translation.get_language() or settings.LANGUAGE_CODE)
    if separators is None:
        return _grouped_by_django(rounded, places)
    return _python_grouped(rounded, places, separators)


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
    rounded = _rounded(number, 2)
    shape = _money_shape(language, code)
    if shape is None:
        return _money_by_babel(rounded, code, language)
    return shape.apply(rounded)


def _money_by_babel(rounded: Decimal, code: str, language: str) -> str:
    text = format_currency(rounded, code, locale=babel_locale(language), currency_digits=False)
    text = _LETTER_DIGIT.sub(NO_BREAK_SPACE, text.replace(" ", NO_BREAK_SPACE))
    return _MINUS_SYMBOL.sub(r"\1" + WORD_JOINER, text)


@dataclass(frozen=True)
class _MoneyShape:
    """What Babel puts around an amount's digits in one language and currency, and its two
    separators: Babel parses and applies its CLDR pattern for every amount (about a tenth of
    a millisecond), and a list page shows dozens."""

    positive: tuple[str, str]
    negative: tuple[str, str]
    separators: dict[int, str]

    def apply(self, rounded: Decimal) -> str:
        prefix, suffix = self.negative if rounded < 0 else self.positive
        return f"{prefix}{_python_grouped(abs(rounded), 2, self.separators)}{suffix}"


_MONEY_PROBES = tuple(
    Decimal(text) for text in ("1234567.89", "-1234567.89", "5.00", "-0.50", "0.00", "999.99")
)
_MONEY_DIGITS = re.compile(r"1(\D+)234(?:\1)567(\D+)89")


@functools.lru_cache(maxsize=256)
def _money_shape(language: str, code: str) -> _MoneyShape | None:
    """The shape read off Babel's own output, trusted only if it rebuilds Babel's output for
    every probe (an unusual pattern, say other digits or grouping, keeps Babel)."""
    sides = []
    separators = None
    for probe in _MONEY_PROBES[:2]:
        text = _money_by_babel(probe, code, language)
        match = _MONEY_DIGITS.search(text)
        if match is None:
            return None
        sides.append((text[: match.start()], text[match.end() :]))
        separators = str.maketrans({",": match[1], ".": match[2]})
    assert separators is not None
    shape = _MoneyShape(sides[0], sides[1], separators)
    if any(shape.apply(p) != _money_by_babel(p, code, language) for p in _MONEY_PROBES):
        return None
    return shape


def format_percent(value: Any, places: int = 0) -> str:
    """A fraction as a percentage: ``0.35`` → "35%", ``0.1234, 1`` → "12.3%"."""
    number = _decimal(value)
    if number is None:
        return EMPTY
    return f"{_grouped(number * 100, places)}%"


def format_number(value: Any, places: int = 0) -> str:
    """A number rounded half up and grouped: ``87.5`` → "88", ``1234.5, 1`` → "1,234.5"."""
    number = _decimal(value)
    if number is None:
        return EMPTY
    return _grouped(number, places)


@functools.lru_cache(maxsize=8192)
def _short_date(language: str, day: dt.date) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


def short_date(moment: dt.datetime) -> str:
    """An aware moment's local date, as ``{{ moment|date:"SHORT_DATE_FORMAT" }}`` writes it:
    a list shows one per row, and a day's text only depends on the day and the language."""
    return short_day(timezone.localtime(moment).date())


def short_day(day: dt.date) -> str:
    """A day as ``{{ day|date:"SHORT_DATE_FORMAT" }}`` writes it."""
    return _short_date(translation.get_language() or "", day)


@receiver(setting_changed)
def _formats_changed(**kwargs: Any) -> None:
    # Tests change the formats' settings; Django forgets its own format cache then too.
    _number_separators.cache_clear()
    _money_shape.cache_clear()
    _short_date.cache_clear()


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
