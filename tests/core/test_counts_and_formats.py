"""Capped list counts (core.pagination.count_up_to) and the formatting template library."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.template import engines
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from core.formatting import as_written, format_money, format_percent
from core.pagination import ResultCount, count_up_to, paginate
from customers.models import Customer
from tests.factories import CustomerFactory

NBSP = "\N{NO-BREAK SPACE}"
WJ = "\N{WORD JOINER}"


def test_a_single_page_is_counted_without_a_query():
    rows = list(range(7))
    page = paginate(rows, 1, per_page=10)

    assert count_up_to(rows, page, cap=5) == ResultCount(7, capped=False)


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        (11, ResultCount(11, capped=False)),
        (12, ResultCount(12, capped=False)),
        (13, ResultCount(12, capped=True)),
    ],
)
def test_longer_lists_are_counted_up_to_the_cap(size, expected):
    rows = list(range(size))

    assert count_up_to(rows, paginate(rows, 1, per_page=10), cap=12) == expected
    assert count_up_to(rows, paginate(rows, 2, per_page=10), cap=12) == expected


@pytest.mark.django_db
def test_a_queryset_is_counted_in_a_limited_unordered_subquery(owner):
    CustomerFactory.create_batch(5, owner=owner)
    customers = Customer.objects.order_by("name")
    page = paginate(customers, 1, per_page=2)

    with CaptureQueriesContext(connection) as queries:
        count = count_up_to(customers, page, cap=3)

    assert count == ResultCount(3, capped=True)
    [sql] = [q["sql"].upper() for q in queries.captured_queries]
    assert sql.startswith("SELECT COUNT(*)")
    assert "LIMIT 4" in sql
    assert "ORDER BY" not in sql


@pytest.mark.parametrize(
    ("value", "currency", "shown"),
    [
        (Decimal("1234.5"), "EUR", "€1,234.50"),
        (Decimal("1234567.005"), "USD", "$1,234,567.01"),  # half up
        (Decimal("0.125"), "USD", "$0.13"),  # half up, not to even
        (12, "JPY", "¥12.00"),
        (-0.001, "USD", "$0.00"),
        (Decimal("-20"), "USD", f"-{WJ}$20.00"),  # no line break between "-" and "$"
        (Decimal("5"), "CHF", f"CHF{NBSP}5.00"),  # a letter code is spaced, unbreakably
        (Decimal("5"), "cny", "CN¥5.00"),
        (None, "USD", "—"),
        ("", "USD", "—"),
    ],
)
def test_money_has_two_decimals_grouped_thousands_and_its_symbol(value, currency, shown):
    assert format_money(value, currency) == shown


def test_money_without_a_currency_is_in_the_base_currency(settings):
    settings.CRM_BASE_CURRENCY = "CHF"
    assert format_money(Decimal("5"), "") == f"CHF{NBSP}5.00"


@pytest.mark.parametrize(
    ("value", "places", "shown"),
    [
        (0.35, 0, "35%"),
        (Decimal("0.125"), 0, "13%"),
        (0.1234, 1, "12.3%"),
        (12.5, 0, "1,250%"),
        (None, 0, "—"),
    ],
)
def test_percent_shows_a_fraction_as_people_write_it(value, places, shown):
    assert format_percent(value, places) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("0.350000"), "0.35"),
        (Decimal("10.000"), "10"),
        (Decimal("0.000100"), "0.0001"),
        (Decimal("1500"), "1500"),
        (3, "3"),
        (None, ""),
    ],
)
def test_settings_are_shown_as_written(value, shown):
    assert as_written(value) == shown


@pytest.mark.parametrize(
    ("language", "day", "moment", "money"),
    [
        ("en", "2024-02-27", "2024-02-27 04:27", "€1,234.50"),
        ("zh-hans", "2024年2月27日", "2024年2月27日 04:27", "€1,234.50"),
    ],
)
def test_compact_dates_and_numbers_are_alike_in_every_language(language, day, moment, money):
    template = engines["django"].from_string(
        '{% load humanize formatting %}{{ day }}|{{ day|date:"SHORT_DATE_FORMAT" }}|{{ moment }}|'
        '{{ moment|date:"SHORT_DATETIME_FORMAT" }}|{{ n|intcomma }}|{{ x|floatformat:"2g" }}|'
        '{{ x|money:"EUR" }}|{{ n }}'
    )
    context = {
        "day": dt.date(2024, 2, 27),
        "moment": dt.datetime(2024, 2, 27, 4, 27, tzinfo=dt.UTC),
        "n": 1234567,
        "x": Decimal("1234.5"),
    }
    with translation.override(language):
        shown = template.render(context)

    assert shown == (
        f"{day}|2024-02-27|{moment}|2024-02-27 04:27|1,234,567|1,234.50|"
        f"{money}|1234567"  # a bare number (an id in an attribute) stays ungrouped
    )
