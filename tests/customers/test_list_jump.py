"""The customer list's "jump to" field (core.jump, as the order list's): its label and kind
follow the sort; a value that is not one of its kind is a 400 with a message beside the
field, the list's first page below it, the filters and the sort kept; never a 500 and never
silently page 1. Where a valid jump lands: test_list_keyset.py."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.api.factories import ScoreFactory
from tests.factories import CustomerFactory

URL = reverse("customers:list")


@pytest.fixture
def customers(owner):
    made = []
    for n, name in enumerate(["Alpha", "Bravo", "Charlie", "Delta"]):
        customer = CustomerFactory(
            owner=owner,
            name=name,
            region="North",
            created_at=dt.datetime(2026, 3, 1 + n, 9, tzinfo=dt.UTC),
        )
        ScoreFactory(
            customer=customer,
            value_score=10.0 * (n + 1),
            churn_risk=0.2 * (n + 1),
            revenue=Decimal(100 * (n + 1)),
        )
        made.append(customer)
    return made


def _names(response):
    return [customer.name for customer in response.context["page"].items]


def _jump_input(html):
    return re.search(r'<input[^>]*id="customer-jump-from"[^>]*>', html)[0]


@pytest.mark.parametrize(
    ("sort", "label", "kind"),
    [
        ("name", "Go to names starting with", 'type="search"'),
        ("-name", "Go to names starting with", 'type="search"'),
        ("created", "Go to customers created on or after", 'type="date"'),
        ("-created", "Go to customers created on or before", 'type="date"'),
        ("score", "Go to a score of at least", 'type="number"'),
        ("-score", "Go to a score of at most", 'type="number"'),
        # The column shows a percentage: the jump takes one.
        ("churn", "Go to a churn risk (%) of at least", 'type="number"'),
        ("-churn", "Go to a churn risk (%) of at most", 'type="number"'),
        ("revenue", "Go to a revenue of at least", 'type="number"'),
        ("-revenue", "Go to a revenue of at most", 'type="number"'),
    ],
)
def test_the_jump_field_says_what_it_takes_for_the_sort(
    client_for, owner, customers, sort, label, kind
):
    html = client_for(owner).get(URL, {"sort": sort}).content.decode()

    assert f'<label for="customer-jump-from">{label}</label>' in html
    assert kind in _jump_input(html)
    assert 'form="customer-jump"' in _jump_input(html)


def test_a_churn_risk_is_typed_in_percent(client_for, owner, customers):
    # Churn risks 20, 40, 60 and 80%.
    response = client_for(owner).get(URL, {"sort": "churn", "from": "50"})

    assert response.status_code == 200
    assert _names(response) == ["Charlie", "Delta"]


@pytest.mark.parametrize(
    ("sort", "value", "message"),
    [
        ("-score", "abc", "Enter a number."),
        ("score", "Infinity", "Enter a number."),
        ("churn", "nan", "Enter a number."),
        ("created", "2026-13-45", "Enter a valid date."),
        ("-created", "yesterday", "Enter a valid date."),
        ("revenue", "1e999999", "Ensure that there are no more than 16 digits in total."),
        ("-revenue", "12.345", "Ensure that there are no more than 2 decimal places."),
        ("name", "x" * 201, "Ensure this value has at most 200 characters (it has 201)."),
        # Descending, a prefix reads the names before the next one; this one has none.
        ("-name", "A\U0010ffff", "Enter the beginning of a name."),
    ],
)
def test_a_value_of_the_wrong_kind_is_a_400_with_a_message_and_the_first_page(
    client_for, owner, customers, settings, sort, value, message
):
    settings.CRM_PAGE_SIZE = 2
    client = client_for(owner)
    first_page = _names(client.get(URL, {"sort": sort, "region": "North"}))

    response = client.get(URL, {"sort": sort, "region": "North", "from": value})

    assert response.status_code == 400
    html = response.content.decode()
    assert message in html.replace("&#x27;", "'")
    assert '<span class="error" id="customer-jump-error" role="alert">' in html
    assert 'aria-describedby="customer-jump-error"' in _jump_input(html)
    assert _names(response) == first_page
    # The filters and the sort stay, to correct the value and go again.
    assert '<input type="hidden" form="customer-jump" name="region" value="North">' in html
    assert f'<input type="hidden" form="customer-jump" name="sort" value="{sort}">' in html


def test_a_bad_value_in_an_htmx_request_is_a_400_too(client_for, owner, customers):
    response = client_for(owner).get(
        URL, {"sort": "score", "from": "abc"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 400
    assert "Enter a number." in response.content.decode()


def test_the_jump_is_a_plain_get_keeping_the_filters_and_the_sort(client_for, owner, customers):
    response = client_for(owner).get(
        URL, {"sort": "-score", "region": "North", "q": "a", "from": "25"}
    )

    html = response.content.decode()
    # Not htmx: a 400 with the field's error would not be swapped in.
    assert '<form id="customer-jump" method="get" action="/customers/"></form>' in html
    for name, value in (("region", "North"), ("q", "a"), ("sort", "-score")):
        assert f'<input type="hidden" form="customer-jump" name="{name}" value="{value}">' in html
    assert 'form="customer-jump" name="cursor"' not in html


def test_a_jump_wins_over_a_cursor_sent_with_it(client_for, owner, customers, settings):
    settings.CRM_PAGE_SIZE = 1
    client = client_for(owner)
    cursor = client.get(URL, {"sort": "name"}).context["page"].next_cursor

    response = client.get(URL, {"sort": "name", "cursor": cursor, "from": "c"})

    assert _names(response) == ["Charlie"]


@pytest.mark.parametrize(
    ("zone", "sort", "day"),
    [("America/New_York", "-created", "9999-12-31"), ("Asia/Tokyo", "created", "0001-01-01")],
)
def test_a_day_at_the_calendars_edge_is_the_lists_end(
    client_for, owner, customers, settings, zone, sort, day
):
    # That day's bounds in the time zone are out of a datetime's range in UTC.
    settings.TIME_ZONE = zone

    response = client_for(owner).get(URL, {"sort": sort, "from": day})

    assert response.status_code == 200
    assert _names(response) == _names(client_for(owner).get(URL, {"sort": sort}))
