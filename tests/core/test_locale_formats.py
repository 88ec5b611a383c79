"""Amounts, numbers and dates as each language writes them (core.formatting, crm/formats):
symbols where the language puts them, thousands grouped in Chinese too, Chinese dates in
sentences and ISO dates in tables."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.template import engines
from django.utils import translation
from django.utils.formats import date_format

from core.formatting import format_money, format_percent

NBSP = "\N{NO-BREAK SPACE}"
WJ = "\N{WORD JOINER}"


@pytest.mark.parametrize(
    ("language", "value", "currency", "shown"),
    [
        ("en", Decimal("1234.5"), "USD", "$1,234.50"),
        ("en", Decimal("1234.5"), "CNY", "CN¥1,234.50"),
        ("en", Decimal("-20"), "CNY", f"-{WJ}CN¥20.00"),
        ("zh-hans", Decimal("1234.5"), "USD", "US$1,234.50"),
        ("zh-hans", Decimal("1234.5"), "CNY", "¥1,234.50"),
        ("zh-hans", Decimal("13212.2"), "USD", "US$13,212.20"),  # the "13212.20 USD"
        ("zh-hans", Decimal("1234567.005"), "CNY", "¥1,234,567.01"),  # half up
        ("zh-hans", Decimal("-0.004"), "CNY", "¥0.00"),  # no "-0.00"
        ("zh-hans", Decimal("-20"), "CNY", f"-{WJ}¥20.00"),
        ("zh-hans", Decimal("5"), "CHF", f"CHF{NBSP}5.00"),
        ("zh-hans", None, "CNY", "—"),
    ],
)
def test_money_in_each_language(language, value, currency, shown):
    with translation.override(language):
        assert format_money(value, currency) == shown


def test_money_in_the_base_currency_follows_the_language(settings):
    settings.CRM_BASE_CURRENCY = "CNY"
    with translation.override("zh-hans"):
        assert format_money(Decimal("88")) == "¥88.00"
    with translation.override("en"):
        assert format_money(Decimal("88")) == "CN¥88.00"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("currency", ["USD", "CNY", "EUR", "GBP", "JPY", "CHF", "XYZ"])
@pytest.mark.parametrize("value", [Decimal("-1234567.89"), Decimal("0"), Decimal("12.5")])
def test_nothing_inside_an_amount_lets_a_line_break(language, currency, value):
    with translation.override(language):
        shown = format_money(value, currency)
    assert not re.search(r"\s", shown.replace(NBSP, "")), shown  # spaces are no-break ones
    assert not re.search(r"-(?=[^\d\N{WORD JOINER}])", shown), shown  # "-$": a joiner between


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_money_filter_is_the_helper(language):
    template = engines["django"].from_string('{% load formatting %}{{ x|money:"CNY" }}')
    with translation.override(language):
        assert template.render({"x": Decimal("1234.5")}) == format_money(Decimal("1234.5"), "CNY")


def test_numbers_are_grouped_in_chinese():
    template = engines["django"].from_string(
        '{% load humanize %}{{ n|intcomma }}|{{ x|floatformat:"2g" }}|{{ x|floatformat:"0g" }}'
    )
    with translation.override("zh-hans"):
        shown = template.render({"n": 1234567, "x": Decimal("13212.2")})
        percent = format_percent(Decimal("12.5"))
    assert shown == "1,234,567|13,212.20|13,212"
    assert percent == "1,250%"


def test_chinese_dates_in_sentences_and_iso_dates_in_tables():
    day = dt.date(2026, 12, 6)
    moment = dt.datetime(2026, 12, 6, 16, 27, tzinfo=dt.UTC)
    template = engines["django"].from_string(
        '{{ day }}|{{ day|date }}|{{ day|date:"SHORT_DATE_FORMAT" }}|'
        '{{ moment|date:"DATETIME_FORMAT" }}|{{ moment|date:"SHORT_DATETIME_FORMAT" }}|'
        '{{ day|date:"YEAR_MONTH_FORMAT" }}'
    )
    with translation.override("zh-hans"):
        shown = template.render({"day": day, "moment": moment})
        assert date_format(day) == "2026年12月6日"
    assert (
        shown
        == "2026年12月6日|2026年12月6日|2026-12-06|2026年12月6日 16:27|2026-12-06 16:27|2026年12月"
    )
    with translation.override("en"):
        assert date_format(day) == "2026-12-06"
        assert date_format(day, "YEAR_MONTH_FORMAT") == "Dec 2026"


def test_no_template_prints_a_date_with_a_pattern_of_its_own(settings):
    """Dates go through the named formats of crm/formats; only a clock with seconds (no
    named format has one) and ISO timestamps for machines ("c") are written out."""
    allowed = {'"SHORT_DATE_FORMAT"', '"SHORT_DATETIME_FORMAT"', '"DATE_FORMAT"'}
    allowed |= {'"DATETIME_FORMAT"', '"YEAR_MONTH_FORMAT"', "'c'", '"c"'}
    found = []
    for path in (settings.BASE_DIR / "templates").rglob("*.html"):
        for match in re.finditer(r"\|date:(\"[^\"]*\"|'[^']*')", path.read_text()):
            if match.group(1) not in allowed:
                found.append(f"{path.name}: {match.group(0)}")
    assert found == []
