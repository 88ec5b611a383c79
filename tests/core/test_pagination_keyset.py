"""core.pagination's keyset pages: cursors only this site made, for the order they were
made for, and the order list walked by each of its sorts (issue 14)."""

import datetime as dt

import pytest
from django.urls import reverse

from core.pagination import Keyset, Position, cursor_for, read_cursor
from tests.factories import CustomerFactory
from tests.orders.factories import OrderFactory

BY_NAME = Keyset(name="name", key="name")
BY_SCORE = Keyset(name="-score", key="score__value_score", descending=True, nullable=True)


@pytest.mark.parametrize(
    "value",
    ["Acme", 12, 0.1 + 0.2, None, dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC)],
)
def test_a_cursor_carries_its_position_exactly(value):
    keyset = BY_SCORE if value is None else BY_NAME
    cursor = cursor_for(keyset, Position(value, 7), forward=False)

    position, forward = read_cursor(keyset, cursor)

    expected = value.isoformat() if isinstance(value, dt.datetime) else value
    assert (position, forward) == (Position(expected, 7), False)
    assert ":" not in cursor  # kept as is in a query string


def test_a_cursor_is_refused_for_another_order_or_when_altered():
    cursor = cursor_for(BY_NAME, Position("Acme", 7), forward=True)
    payload, signature = cursor.rsplit(".", 1)

    assert read_cursor(BY_SCORE, cursor) is None
    assert read_cursor(BY_NAME, f"{payload}.{signature[::-1]}") is None
    assert read_cursor(BY_NAME, "") is None
    assert read_cursor(BY_NAME, "not.a.cursor") is None


def test_a_blank_position_is_refused_for_a_key_that_has_none():
    cursor = cursor_for(BY_NAME, Position(None, 7), forward=True)
    assert read_cursor(BY_NAME, cursor) is None


@pytest.fixture
def orders(manager):
    made = []
    for n, (total, day) in enumerate(
        [(30, 1), (10, 2), (30, 3), (20, 1), (10, 5), (50, 4), (20, 2)]
    ):
        order = OrderFactory(
            customer=CustomerFactory(owner=manager),
            number=f"ORD-{7 - n:03d}",
            total=f"{total}.00",
            ordered_on=dt.date(2026, 3, day),
        )
        made.append(order)
    return made


ORDER_KEYS = {
    "date": lambda o: o.ordered_on,
    "number": lambda o: o.number,
    "total": lambda o: o.total_base,
}


@pytest.mark.parametrize("sort", [f"{p}{k}" for k in ORDER_KEYS for p in ("", "-")])
def test_the_order_list_walks_every_order_once_in_order(
    client_for, manager, orders, sort, settings
):
    settings.CRM_PAGE_SIZE = 3
    client = client_for(manager)
    url = reverse("orders:list")
    key = ORDER_KEYS[sort.removeprefix("-")]
    for order in orders:
        order.refresh_from_db()
    expected = [
        o.pk for o in sorted(orders, key=lambda o: (key(o), o.pk), reverse=sort.startswith("-"))
    ]

    seen, pages = [], []
    response = client.get(url, {"sort": sort})
    while True:
        page = response.context["page"]
        pages.append(page.items)
        seen += [order.pk for order in page.items]
        if not page.next_cursor:
            break
        assert f"cursor={page.next_cursor}" in response.content.decode()
        response = client.get(url, {"sort": sort, "cursor": page.next_cursor})
    back = client.get(url, {"sort": sort, "cursor": response.context["page"].previous_cursor})

    assert seen == expected
    assert [o.pk for o in back.context["page"].items] == [o.pk for o in pages[-2]]


def test_the_order_list_headers_sort_and_a_bad_cursor_shows_the_newest(
    client_for, manager, orders, settings
):
    settings.CRM_PAGE_SIZE = 3
    client = client_for(manager)
    url = reverse("orders:list")

    newest = client.get(url)
    bad = client.get(url, {"cursor": "junk", "status": "paid"})

    html = newest.content.decode()
    assert 'aria-sort="descending"' in html
    assert 'href="?sort=-total"' in html
    assert 'href="?sort=date"' in html  # the second click reverses
    assert [o.pk for o in bad.context["page"].items] == [o.pk for o in newest.context["page"].items]
