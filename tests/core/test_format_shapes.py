"""The fast paths of core.formatting write exactly what Babel, Django's number_format, the
floatformat filter and the date filter write: they only skip re-reading the same pattern for
every amount of a page."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.template.defaultfilters import floatformat
from django.utils import timezone, translation
from django.utils.formats import date_format
from hypothesis import given
from hypothesis import strategies as st

from core import formatting
from core.formatting import format_money, format_number, format_percent, short_date

LANGUAGES = ["en", "zh-hans", "de", "fr", "ar-eg", "hi"]
CURRENCIES = ["USD", "CNY", "EUR", "JPY", "CHF", "GBP", "INR", "XYZ"]
amounts = st.decimals(
    min_value=Decimal("-1e13"), max_value=Decimal("1e13"), allow_nan=False, places=3
)


@given(amount=amounts, language=st.sampled_from(LANGUAGES), currency=st.sampled_from(CURRENCIES))
def test_money_is_babels_amount(amount, language, currency):
    with translation.override(language):
        rounded = formatting._rounded(amount, 2)
        assert format_money(amount, currency) == formatting._money_by_babel(
            rounded, currency, language
        )


@given(number=amounts, places=st.integers(0, 3), language=st.sampled_from(LANGUAGES))
def test_grouped_numbers_are_djangos(number, places, language):
    with translation.override(language):
        rounded = formatting._rounded(number, places)
        assert formatting._grouped(number, places) == formatting._grouped_by_django(rounded, places)


@given(fraction=st.floats(min_value=-2, max_value=2), places=st.integers(0, 2))
def test_percentages_are_djangos(fraction, places):
    for language in ("en", "zh-hans"):
        with translation.override(language):
            rounded = formatting._rounded(Decimal(str(fraction)) * 100, places)
            assert format_percent(fraction, places) == (
                formatting._grouped_by_django(rounded, places) + "%"
            )


@given(score=st.floats(min_value=0, max_value=100).filter(lambda s: s == 0 or s > 1e-12))
def test_a_score_is_written_as_floatformat_writes_it(score):
    assert format_number(score) == floatformat(score, 0)


def test_a_tiny_score_is_zero():
    # floatformat gives up on 1e-300 (Decimal's precision) and prints the float as it is.
    assert format_number(1e-300) == "0"


def test_no_number_is_a_dash():
    assert format_number(None) == formatting.EMPTY


@given(
    moment=st.datetimes(
        # Hypothesis bounds are naive; the zone comes from `timezones`.
        min_value=dt.datetime(1990, 1, 1),  # noqa: DTZ001
        max_value=dt.datetime(2100, 1, 1),  # noqa: DTZ001
        timezones=st.just(dt.UTC),
    ),
    zone=st.sampled_from(["UTC", "Asia/Shanghai", "America/Los_Angeles", "Pacific/Kiritimati"]),
    language=st.sampled_from(["en", "zh-hans"]),
)
def test_a_short_date_is_the_date_filters(moment, zone, language):
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo(zone)):
        assert short_date(moment) == date_format(timezone.localtime(moment), "SHORT_DATE_FORMAT")


def test_an_unreadable_pattern_keeps_babel(monkeypatch):
    # A currency pattern whose digits the probes cannot find (other digits): Babel writes it.
    formatting._money_shape.cache_clear()
    monkeypatch.setattr(
        formatting, "_money_by_babel", lambda rounded, code, language: f"~{rounded}"
    )
    try:
        assert formatting._money_shape("en", "USD") is None
        assert format_money(Decimal("1234.5"), "USD") == "~1234.50"
    finally:
        monkeypatch.undo()
        formatting._money_shape.cache_clear()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_changed_separators_are_followed(settings, language):
    with translation.override(language):
        assert format_percent(Decimal("12.345"), 1) == "1,234.5%"
        settings.FORMAT_MODULE_PATH = None
        settings.USE_L10N = True
        settings.DECIMAL_SEPARATOR = "·"
        settings.THOUSAND_SEPARATOR = " "
        shown = format_percent(Decimal("12.345"), 1)
        assert shown == formatting._grouped_by_django(Decimal("1234.5"), 1) + "%"
