"""The order services check the acting user themselves, whoever calls them (page, API,
import, task): the model permission and, for orders and costs, that the customer is one
the user can see. ``user=None`` is the system (see core.services)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from orders import services
from orders.models import CustomerCost, ExchangeRate, Order, Product
from tests.factories import CustomerFactory

from .factories import CustomerCostFactory, ExchangeRateFactory, OrderFactory, ProductFactory

DAY = dt.date(2026, 3, 1)


@pytest.fixture
def book(owner):
    customer = CustomerFactory(owner=owner)
    product = ProductFactory(sku="W-1", name="Widget")
    return {
        "customer": customer,
        "product": product,
        "order": OrderFactory(customer=customer, status="paid", lines=[(product, 1)]),
        "cost": CustomerCostFactory(customer=customer),
        "rate": ExchangeRateFactory(),
    }


# service name -> call(user, book)
CUSTOMER_CALLS = {
    "order_create": lambda user, b: services.order_create(
        user=user, customer=b["customer"], ordered_on=DAY, lines=[(b["product"], 1)]
    ),
    "order_update": lambda user, b: services.order_update(
        user=user,
        order=b["order"],
        customer=b["customer"],
        number="",
        ordered_on=DAY,
        currency="USD",
        lines=[(b["product"], 2)],
    ),
    "order_set_status": lambda user, b: services.order_set_status(
        user=user, order=b["order"], status=Order.Status.REFUNDED
    ),
    "order_refund": lambda user, b: services.order_refund(
        user=user, order=b["order"], amount=Decimal("1.00")
    ),
    "customer_cost_create": lambda user, b: services.customer_cost_create(
        user=user,
        customer=b["customer"],
        incurred_on=DAY,
        amount=Decimal("5.00"),
        kind=CustomerCost.Kind.SERVICE,
    ),
    "customer_cost_delete": lambda user, b: services.customer_cost_delete(
        user=user, cost=b["cost"]
    ),
}
CATALOGUE_CALLS = {
    "product_create": lambda user, b: services.product_create(
        user=user, sku="N-1", name="New", list_price=Decimal("1"), unit_cost=Decimal("1")
    ),
    "product_update": lambda user, b: services.product_update(
        user=user, product=b["product"], name="Renamed"
    ),
    "exchange_rate_set": lambda user, b: services.exchange_rate_set(
        user=user, currency="GBP", valid_on=DAY, rate=Decimal("1.3")
    ),
    "exchange_rate_update": lambda user, b: services.exchange_rate_update(
        user=user, exchange_rate=b["rate"], currency="EUR", valid_on=DAY, rate=Decimal("1.2")
    ),
    "exchange_rate_delete": lambda user, b: services.exchange_rate_delete(
        user=user, exchange_rate=b["rate"]
    ),
}
CALLS = {**CUSTOMER_CALLS, **CATALOGUE_CALLS}


def unchanged(book):
    order = Order.objects.get(pk=book["order"].pk)
    return (
        Order.objects.count() == 1
        and (order.status, order.refunded_total, order.lines.get().quantity) == ("paid", 0, 1)
        and CustomerCost.objects.filter(pk=book["cost"].pk).count() == 1
        and CustomerCost.objects.count() == 1
        and list(Product.objects.values_list("name", flat=True)) == ["Widget"]
        and list(ExchangeRate.objects.values_list("currency", "rate")) == [("EUR", Decimal("1.1"))]
    )


@pytest.mark.parametrize("service", CALLS)
def test_a_user_without_the_permission_is_refused(outsider, book, service):
    with pytest.raises(PermissionDenied):
        CALLS[service](outsider, book)
    assert unchanged(book)


@pytest.mark.parametrize("service", CUSTOMER_CALLS)
def test_a_rep_is_refused_on_a_teammates_customer(teammate, book, service):
    with pytest.raises(PermissionDenied):
        CALLS[service](teammate, book)
    assert unchanged(book)


@pytest.mark.parametrize("service", CATALOGUE_CALLS)
def test_only_admins_change_the_catalogue_and_rates(owner, manager, admin_user, book, service):
    for user in (owner, manager):
        with pytest.raises(PermissionDenied):
            CALLS[service](user, book)
    assert unchanged(book)
    CALLS[service](admin_user, book)


@pytest.mark.parametrize("service", CUSTOMER_CALLS)
@pytest.mark.parametrize("persona", ["owner", "manager"])
def test_the_owner_and_a_manager_may(request, book, service, persona):
    CALLS[service](request.getfixturevalue(persona), book)


def test_a_rep_cannot_move_an_order_to_a_teammates_customer(owner, teammate, book):
    with pytest.raises(PermissionDenied):
        services.order_update(
            user=owner,
            order=book["order"],
            customer=CustomerFactory(owner=teammate),
            number="",
            ordered_on=DAY,
            currency="USD",
            lines=[(book["product"], 1)],
        )
    assert Order.objects.get(pk=book["order"].pk).customer == book["customer"]


def test_the_system_may(book):
    """``user=None``: a task, a command, or the importer's placeholder product."""
    services.product_create(
        user=None, sku="IMPORTED", name="Imported", list_price=Decimal("0"), unit_cost=0
    )
    order = services.order_create(
        user=None, customer=book["customer"], ordered_on=DAY, lines=[(book["product"], 1)]
    )
    assert order.created_by is None


def test_an_unknown_product_field_is_refused(admin_user, book):
    with pytest.raises(TypeError, match="unexpected field"):
        services.product_create(user=admin_user, sku="N", name="N", list_price=1, pk=7)
    with pytest.raises(TypeError, match="unexpected field"):
        services.product_update(user=admin_user, product=book["product"], nmae="typo")
    assert unchanged(book)
