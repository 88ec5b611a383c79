"""The order list's "jump to" (issue 14): a date, the start of an order number or a total,
whichever the list is sorted by, starts the list at that place in either direction; the
pages before and after it follow by their links; a value that is not one of its kind is a
400 with a message beside the field, never a 500; the queries do not grow with the page."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Order
from tests.factories import CustomerFactory
from tests.orders.factories import OrderFactory

URL = reverse("orders:list")

# (number, day of March 2026, total): ties on the date and the total, numbers out of the
# order the rows are made in.
ORDERS = [
    ("SO-0000210", 2, "50.00"),
    ("SO-0000120", 3, "10.00"),
    ("SO-0000300", 7, "20.00"),
    ("SO-0000110", 1, "30.00"),
    ("SO-0000121", 3, "30.00"),
    ("SO-0000200", 5, "20.00"),
    ("SO-0000122", 6, "40.00"),
]
KEYS = {
    "date": lambda o: o.ordered_on,
    "number": lambda o: o.number,
    "total": lambda o: o.total_base,
}


@pytest.fixture
def orders(manager):
    made = []
    for number, day, total in ORDERS:
        made.append(
            OrderFactory(
                customer=CustomerFactory(owner=manager),
                number=number,
                ordered_on=dt.date(2026, 3, day),
                total=total,
            )
        )
    return made


def _in_order(orders, sort):
    key = KEYS[sort.removeprefix("-")]
    return sorted(orders, key=lambda o: (key(o), o.pk), reverse=sort.startswith("-"))


def _numbers(response):
    return [order.number for order in response.context["page"].items]


def _following(client, sort, response):
    """The numbers of every page after ``response``, reached by its "next" links."""
    numbers = []
    while cursor := response.context["page"].next_cursor:
        assert f"cursor={cursor}" in response.content.decode(), "the pager links to it"
        response = client.get(URL, {"sort": sort, "cursor": cursor})
        numbers += _numbers(response)
    return numbers


@pytest.mark.parametrize(
    ("sort", "value", "first"),
    [
        # A date on which there are orders, and one between two, in either direction.
        ("date", "2026-03-03", "SO-0000120"),
        ("-date", "2026-03-03", "SO-0000121"),
        ("date", "2026-03-04", "SO-0000200"),
        ("-date", "2026-03-04", "SO-0000121"),
        # The start of a number: the first number with it, or descending the last one; a
        # whole number lands on that order both ways; small letters count as capitals.
        ("number", "SO-00001", "SO-0000110"),
        ("-number", "SO-00001", "SO-0000122"),
        ("number", "so-0000121", "SO-0000121"),
        ("-number", "SO-0000121", "SO-0000121"),
        ("-number", "SO-00002", "SO-0000210"),
        # A total some orders have, and one between two.
        ("total", "20", "SO-0000300"),
        ("-total", "20", "SO-0000200"),
        ("total", "25.50", "SO-0000110"),
        ("-total", "25.50", "SO-0000200"),
    ],
)
def test_a_jump_lands_on_the_right_order_and_the_pages_around_it_follow(
    client_for, manager, orders, settings, sort, value, first
):
    settings.CRM_PAGE_SIZE = 2
    client = client_for(manager)
    for order in orders:
        order.refresh_from_db()
    expected = [order.number for order in _in_order(orders, sort)]
    at = expected.index(first)

    response = client.get(URL, {"sort": sort, "from": value})

    assert response.status_code == 200
    assert _numbers(response) == expected[at : at + 2]
    html = response.content.decode()
    assert f'value="{value}"' in html, "the field keeps what was typed"
    # "Next" from there reaches the end, each order once; "Previous" the two before (at
    # the top, the first page whole).
    assert _following(client, sort, response) == expected[at + 2 :]
    previous = response.context["page"].previous_cursor
    assert f"cursor={previous}" in html
    back = client.get(URL, {"sort": sort, "cursor": previous})
    assert _numbers(back) == expected[max(at - 2, 0) : max(at, 2)]


@pytest.mark.parametrize(
    ("sort", "label"),
    [
        ("date", "Go to orders placed on or after"),
        ("-date", "Go to orders placed on or before"),
        ("number", "Go to order numbers starting with"),
        ("-number", "Go to order numbers starting with"),
        ("total", "Go to a total (USD) of at least"),
        ("-total", "Go to a total (USD) of at most"),
    ],
)
def test_the_jump_field_says_what_it_takes_for_the_sort(client_for, manager, orders, sort, label):
    html = client_for(manager).get(URL, {"sort": sort}).content.decode()

    assert f'<label for="order-jump-from">{label}</label>' in html
    kind = {"date": 'type="date"', "number": 'type="text"', "total": 'type="number"'}
    assert (
        kind[sort.removeprefix("-")] in re.search(r'<input[^>]*id="order-jump-from"[^>]*>', html)[0]
    )


def test_the_newest_first_list_offers_a_date(client_for, manager, orders):
    html = client_for(manager).get(URL).content.decode()
    assert "Go to orders placed on or before" in html


@pytest.mark.parametrize(
    ("sort", "value", "message"),
    [
        ("date", "2026-02-30", "Enter a valid date."),
        ("-date", "yesterday", "Enter a valid date."),
        ("total", "abc", "Enter a number."),
        ("-total", "NaN", "Enter a number."),
        ("total", "-5", "Ensure this value is greater than or equal to 0."),
        ("total", "1e20", "Ensure that there are no more than 14 digits in total."),
        ("-total", "12.345", "Ensure that there are no more than 2 decimal places."),
        ("number", "S" * 65, "Ensure this value has at most 64 characters (it has 65)."),
        ("-number", "SO-\U0010ffff", "Enter the beginning of an order number."),
    ],
)
def test_a_value_of_the_wrong_kind_is_a_400_with_a_message_and_the_first_page(
    client_for, manager, orders, settings, sort, value, message
):
    settings.CRM_PAGE_SIZE = 2
    client = client_for(manager)
    first_page = _numbers(client.get(URL, {"sort": sort}))

    response = client.get(URL, {"sort": sort, "from": value})

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="order-jump-error" role="alert"' in html
    assert message in html.replace("&#x27;", "'")
    assert 'aria-describedby="order-jump-error"' in html
    assert _numbers(response) == first_page


def test_a_jump_past_the_end_says_so_and_leads_back(client_for, manager, orders):
    response = client_for(manager).get(URL, {"sort": "date", "from": "2030-01-01"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "No orders from this point on." in html
    assert 'href="?sort=date">Back to the first page' in html
    assert 'name="from"' in html, "the field stays, to jump again"


def test_a_jump_keeps_the_filters_and_the_sort_but_no_cursor(client_for, manager, orders):
    Order.objects.filter(number__in=["SO-0000121", "SO-0000122"]).update(
        status=Order.Status.CANCELLED
    )
    client = client_for(manager)

    response = client.get(
        URL, {"sort": "number", "status": "cancelled", "from": "SO-00001", "cursor": "junk"}
    )

    assert _numbers(response) == ["SO-0000121", "SO-0000122"]
    html = response.content.decode()
    assert '<input type="hidden" form="order-jump" name="status" value="cancelled">' in html
    assert '<input type="hidden" form="order-jump" name="sort" value="number">' in html
    assert 'form="order-jump" name="cursor"' not in html
    assert '<form id="order-jump" method="get" action="/orders/">' in html


def test_a_rep_jumps_within_their_own_orders(client_for, owner, teammate):
    OrderFactory(customer=CustomerFactory(owner=owner), number="SO-0000500", total="10.00")
    OrderFactory(customer=CustomerFactory(owner=teammate), number="SO-0000400", total="10.00")

    response = client_for(owner).get(URL, {"sort": "number", "from": "SO-00004"})

    assert _numbers(response) == ["SO-0000500"]


@pytest.mark.parametrize("sort", ["date", "-date", "number", "-number", "total", "-total"])
def test_a_jump_runs_the_same_queries_whatever_the_page_size(client_for, manager, settings, sort):
    for n in range(60):
        OrderFactory(
            customer=CustomerFactory(owner=manager),
            number=f"SO-{n:07d}",
            ordered_on=dt.date(2026, 1, 1) + dt.timedelta(days=n),
            total=Decimal(10 + n),
        )
    client = client_for(manager)
    # Halfway: 20 orders or more on either side.
    value = {"date": "2026-01-31", "number": "SO-000003", "total": "40"}[sort.removeprefix("-")]
    client.get(URL, {"sort": sort, "from": value})  # sessions, permissions, rates cached

    counts = []
    for size in (2, 20):
        settings.CRM_PAGE_SIZE = size
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, {"sort": sort, "from": value})
        assert len(response.context["page"].items) == size
        assert response.context["page"].has_next
        assert response.context["page"].has_previous
        counts.append(len(queries))

    assert counts[0] == counts[1]
