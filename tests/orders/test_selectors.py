import datetime as dt

import pytest
from django.http import Http404

from orders import selectors, services
from tests.factories import CustomerFactory

from .factories import CustomerCostFactory, OrderFactory, ProductFactory


@pytest.fixture
def orders(owner, teammate):
    mine = OrderFactory(customer=CustomerFactory(owner=owner, name="Acme"), number="A-1")
    theirs = OrderFactory(customer=CustomerFactory(owner=teammate, name="Acme Two"), number="B-1")
    return mine, theirs


def test_reps_see_only_orders_of_their_customers(orders, owner, manager, outsider):
    mine, theirs = orders
    assert list(selectors.orders_visible_to(owner)) == [mine]
    assert set(selectors.orders_visible_to(manager)) == {mine, theirs}
    assert not selectors.orders_visible_to(outsider).exists()


@pytest.mark.parametrize(
    "filters",
    [{"search": "B-1"}, {"search": "Acme Two"}, {"status": "placed"}, {"owner": "teammate"}],
)
def test_filters_never_widen_a_reps_view(orders, owner, teammate, filters):
    if filters.get("owner") == "teammate":
        filters = {"owner": teammate}
    numbers = {o.number for o in selectors.order_list(user=owner, **filters)}
    assert "B-1" not in numbers


def test_order_list_filters(orders, manager, teammate):
    mine, _theirs = orders
    old = OrderFactory(customer=mine.customer, number="A-0", ordered_on=dt.date(2025, 6, 1))

    def numbers(**filters):
        return [o.number for o in selectors.order_list(user=manager, **filters)]

    assert numbers(date_to=dt.date(2025, 12, 31)) == ["A-0"]
    assert numbers(date_from=dt.date(2026, 1, 1)) == ["B-1", "A-1"]
    assert numbers(customer=mine.customer) == ["A-1", "A-0"]
    assert numbers(owner=teammate) == ["B-1"]
    assert numbers(search="a-1") == ["A-1"]
    assert numbers(search="acme") == ["B-1", "A-1", "A-0"]
    assert old in selectors.order_list(user=manager, status="placed")


def test_order_get_is_a_404_for_another_reps_order(orders, owner):
    mine, theirs = orders
    assert selectors.order_get(user=owner, order_id=mine.pk) == mine
    with pytest.raises(Http404):
        selectors.order_get(user=owner, order_id=theirs.pk)


def test_costs(owner, teammate):
    mine = CustomerCostFactory(customer=CustomerFactory(owner=owner))
    theirs = CustomerCostFactory(customer=CustomerFactory(owner=teammate))
    assert list(selectors.costs_of(mine.customer)) == [mine]
    assert selectors.cost_get(user=owner, cost_id=mine.pk) == mine
    with pytest.raises(Http404):
        selectors.cost_get(user=owner, cost_id=theirs.pk)


def test_product_list(db):
    active = ProductFactory(name="Alpha", sku="AL-1")
    retired = ProductFactory(name="Beta", sku="BE-1", active=False)
    assert list(selectors.product_list()) == [active, retired]
    assert list(selectors.product_list(active=True)) == [active]
    assert list(selectors.product_list(search="be-1")) == [retired]
    assert list(selectors.product_list(search="alp")) == [active]


def test_products_for_an_order_keep_a_retired_one_already_on_it(owner):
    retired = ProductFactory(name="Old")
    order = OrderFactory(customer=CustomerFactory(owner=owner), lines=[(retired, 1)])
    retired.active = False
    retired.save()
    assert retired not in selectors.products_for_order()
    assert retired in selectors.products_for_order(order)


def test_order_changes_list_who_changed_what(owner):
    order = OrderFactory(customer=CustomerFactory(owner=owner), status="placed")
    services.order_set_status(user=owner, order=order, status="paid")
    latest, created = selectors.order_changes(order)
    assert latest["record"].history_user == owner
    assert [(str(label), old, new) for label, old, new in latest["changes"]] == [
        ("status", "Placed", "Paid")
    ]
    assert created["record"].history_type == "+"
    assert created["changes"] == []
