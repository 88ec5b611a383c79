"""POST /api/v1/orders/bulk/: all or nothing, with the errors of every item by index."""

import time
from unittest import mock

import pytest

from orders.models import Order, OrderLine
from tests.factories import CustomerFactory
from tests.orders.factories import ProductFactory

URL = "/api/v1/orders/bulk/"


@pytest.fixture
def setup(owner):
    return CustomerFactory(owner=owner), ProductFactory(), ProductFactory()


def _order(customer, product, **extra):
    return {
        "customer": customer.pk,
        "ordered_on": "2026-03-01",
        "lines": [{"product": product.pk, "quantity": 2}],
        **extra,
    }


def test_all_valid_are_created_in_request_order(api_for, owner, setup):
    customer, apple, pear = setup
    orders = [_order(customer, apple, number="A-1"), _order(customer, pear, number="A-2")]
    response = api_for(owner).post(URL, {"orders": orders}, format="json")

    assert response.status_code == 201
    ids = response.json()["ids"]
    assert list(
        Order.objects.filter(pk__in=ids).order_by("pk").values_list("number", flat=True)
    ) == [
        "A-1",
        "A-2",
    ]
    assert Order.objects.get(number="A-1").total == 200


def test_one_invalid_item_writes_nothing_and_reports_each_by_index(api_for, owner, setup):
    customer, apple, _pear = setup
    orders = [
        _order(customer, apple),
        {"customer": customer.pk, "ordered_on": "not a date", "lines": []},
        _order(customer, apple),
        {"customer": 999999, "ordered_on": "2026-03-01", "lines": [{"product": apple.pk}]},
    ]
    response = api_for(owner).post(URL, {"orders": orders}, format="json")

    assert response.status_code == 400
    items = response.json()["error"]["details"]["items"]
    assert [item["index"] for item in items] == [1, 3]
    assert set(items[0]["errors"]) == {"ordered_on", "lines"}
    assert set(items[1]["errors"]) == {"customer", "lines"}
    assert not Order.objects.exists()


def test_an_error_found_by_the_service_rolls_back_the_others(api_for, owner, setup):
    """Item 2 reuses item 0's number: only the service, writing, can tell."""
    customer, apple, _pear = setup
    orders = [
        _order(customer, apple, number="DUP"),
        _order(customer, apple),
        _order(customer, apple, number="DUP"),
        _order(customer, apple, currency="EUR"),  # no EUR rate set
    ]
    response = api_for(owner).post(URL, {"orders": orders}, format="json")

    assert response.status_code == 400
    items = response.json()["error"]["details"]["items"]
    assert [(item["index"], sorted(item["errors"])) for item in items] == [
        (2, ["number"]),
        (3, ["currency"]),
    ]
    assert not Order.objects.exists()
    assert not OrderLine.objects.exists()


def test_a_bulk_request_analyzes_the_order_tables_it_filled_and_a_refused_one_does_not(
    api_for, owner, setup
):
    customer, apple, pear = setup
    with mock.patch("api.views.orders.analyze") as analyze:
        api_for(owner).post(URL, {"orders": [_order(customer, apple, number="DUP")]}, format="json")
        api_for(owner).post(URL, {"orders": [_order(customer, pear, number="DUP")]}, format="json")
    # core.db.analyze runs after the commit and only for the tables left with stale
    # statistics (tests/core/test_db.py); the refused request rolled back and asked nothing.
    analyze.assert_called_once()
    assert {Order, OrderLine} <= set(analyze.call_args.args)
    assert analyze.call_args.kwargs == {"added": 1}


def test_another_reps_customer_is_an_invalid_item(api_for, owner, teammate, setup):
    customer, apple, _pear = setup
    response = api_for(teammate).post(URL, {"orders": [_order(customer, apple)]}, format="json")
    assert response.status_code == 400
    assert "customer" in response.json()["error"]["details"]["items"][0]["errors"]


@pytest.mark.parametrize("body", [{}, {"orders": []}, {"orders": "x"}, []])
def test_the_body_needs_a_list_of_orders(api_for, owner, body):
    response = api_for(owner).post(URL, body, format="json")
    assert response.status_code == 400
    assert "orders" in response.json()["error"]["details"]


def test_more_than_the_limit_is_refused_before_anything_is_checked(api_for, owner, setup, settings):
    settings.API_BULK_MAX_ITEMS = 3
    customer, apple, _pear = setup
    response = api_for(owner).post(URL, {"orders": [_order(customer, apple)] * 4}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"orders": ["At most 3 orders per request."]}
    assert not Order.objects.exists()


@pytest.mark.slow
def test_a_thousand_orders_in_one_request(api_for, owner, setup):
    customer, apple, pear = setup
    orders = [_order(customer, apple if i % 2 else pear) for i in range(1000)]
    started = time.monotonic()
    response = api_for(owner).post(URL, {"orders": orders}, format="json")
    assert response.status_code == 201, response.content[:300]
    assert len(response.json()["ids"]) == Order.objects.count() == 1000
    print(f"1,000 orders imported in {time.monotonic() - started:.1f} s")
