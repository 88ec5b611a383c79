"""The customer's owner copied onto the order row (``Order.customer_owner``), which a rep's
order list reads from an index led by it, and onto the purchase summary's rows
(``CustomerDay.customer_owner``), which their dashboard and cohorts read the same way
(issue 14): equal to the customer's own owner after every way an order or an owner is
written, and never a way to see another rep's order."""

import datetime as dt
from io import StringIO

import pytest
from django.contrib.admin.sites import AdminSite
from django.core.management import call_command
from django.test import RequestFactory

from customers.models import Customer
from customers.services import customer_merge, customer_update
from orders import selectors, services
from orders.admin import OrderAdmin
from orders.models import CustomerDay, Order
from orders.services import LineData
from tests.dataio.factories import csv_bytes, import_file
from tests.factories import CustomerFactory

from .factories import OrderFactory, ProductFactory


def assert_owners_copied():
    for model in (Order, CustomerDay):
        pairs = list(model.objects.values_list("customer_owner", "customer__owner"))
        assert pairs, model
        assert [copy for copy, _owner in pairs] == [owner for _copy, owner in pairs], model


def summary_owners(customer):
    return set(
        CustomerDay.objects.filter(customer=customer).values_list("customer_owner", flat=True)
    )


@pytest.fixture
def mine(owner):
    return CustomerFactory(owner=owner, external_id="C-1", name="Acme")


@pytest.fixture
def theirs(teammate):
    return CustomerFactory(owner=teammate, external_id="C-2", name="Bolt")


def test_an_order_created_through_the_service_copies_the_owner(owner, mine):
    order = services.order_create(
        user=owner, customer=mine, ordered_on=dt.date(2026, 3, 1), lines=[(ProductFactory(), 1)]
    )
    order.refresh_from_db()
    assert order.customer_owner == owner
    assert summary_owners(mine) == {owner.pk}


def test_an_order_without_an_owner_copies_none(manager):
    nobody = CustomerFactory(owner=None)
    order = services.order_create(
        user=manager, customer=nobody, ordered_on=dt.date(2026, 3, 1), lines=[(ProductFactory(), 1)]
    )
    order.refresh_from_db()
    assert order.customer_owner_id is None
    assert summary_owners(nobody) == {None}


def test_the_owner_read_is_the_stored_one_not_the_callers_copy(owner, teammate, mine):
    stale = Customer.objects.get(pk=mine.pk)
    Customer.objects.filter(pk=mine.pk).update(owner=teammate)
    order = services.order_create(
        user=None, customer=stale, ordered_on=dt.date(2026, 3, 1), lines=[(ProductFactory(), 1)]
    )
    order.refresh_from_db()
    assert order.customer_owner == teammate
    assert summary_owners(mine) == {teammate.pk}


def test_the_api_create_and_bulk_copy_the_owner(api_for, owner, mine):
    product = ProductFactory()
    item = {
        "customer": mine.pk,
        "ordered_on": "2026-03-01",
        "lines": [{"product": product.pk, "quantity": 1}],
    }
    client = api_for(owner)
    assert client.post("/api/v1/orders/", item, format="json").status_code == 201
    response = client.post(
        "/api/v1/orders/bulk/?async=false", {"orders": [item, item]}, format="json"
    )
    assert response.status_code == 201, response.content
    assert Order.objects.filter(customer_owner=owner).count() == 3
    assert_owners_copied()


def test_a_csv_order_import_copies_the_owner(owner, mine):
    header = ["customer_external_id", "customer_name", "number", "date", "total"]
    data = csv_bytes(
        [
            header,
            ["C-1", "", "INV-1", "2026-02-01", "10"],
            ["NEW-1", "Newco", "INV-2", "2026-02-01", "5"],
        ]
    )
    report = import_file("orders", data, user=owner, create_customers=True)
    assert (report.created, report.new_customers) == (2, 1)
    assert set(Order.objects.values_list("customer_owner", flat=True)) == {owner.pk}
    assert_owners_copied()


def test_an_edit_moving_the_order_takes_the_new_customers_owner(manager, mine, theirs):
    order = OrderFactory(customer=mine)
    services.order_update(
        user=manager,
        order=order,
        customer=theirs,
        number=order.number,
        ordered_on=order.ordered_on,
        currency=order.currency,
        lines=[LineData(ProductFactory(), 1)],
    )
    assert Order.objects.get(pk=order.pk).customer_owner_id == theirs.owner_id
    assert summary_owners(theirs) == {theirs.owner_id}
    assert not CustomerDay.objects.filter(customer=mine).exists()


def test_a_status_change_mends_a_stale_copy(owner, teammate, mine):
    order = OrderFactory(customer=mine)
    Order.objects.filter(pk=order.pk).update(customer_owner=teammate)
    services.order_set_status(user=None, order=order, status=Order.Status.PAID)
    assert Order.objects.get(pk=order.pk).customer_owner == owner


def test_the_admin_moving_an_order_takes_the_new_customers_owner(admin_user, mine, theirs):
    order = OrderFactory(customer=mine)
    order.customer = theirs
    request = RequestFactory().post("/")
    request.user = admin_user
    OrderAdmin(Order, AdminSite()).save_model(request, order, form=None, change=True)
    assert Order.objects.get(pk=order.pk).customer_owner_id == theirs.owner_id


def test_a_merge_moves_the_orders_to_the_survivors_owner(manager, mine, theirs):
    OrderFactory(customer=mine)
    OrderFactory(customer=theirs)
    customer_merge(user=manager, survivor=theirs, duplicate=mine)
    assert set(Order.objects.values_list("customer_owner", flat=True)) == {theirs.owner_id}
    assert_owners_copied()


def test_a_merge_into_a_customer_without_owner_leaves_the_orders_without(manager, mine):
    survivor = CustomerFactory(owner=None)
    OrderFactory(customer=mine)
    OrderFactory(customer=survivor)
    customer_merge(user=manager, survivor=survivor, duplicate=mine)
    assert set(Order.objects.values_list("customer_owner", flat=True)) == {None}


def test_a_saved_owner_reaches_the_orders(manager, teammate, mine):
    OrderFactory(customer=mine)
    OrderFactory(customer=mine)
    customer_update(user=manager, customer=mine, owner=teammate)
    assert set(Order.objects.values_list("customer_owner", flat=True)) == {teammate.pk}
    assert summary_owners(mine) == {teammate.pk}
    mine.owner = None
    mine.save(update_fields=["owner"])
    assert set(Order.objects.values_list("customer_owner", flat=True)) == {None}
    assert summary_owners(mine) == {None}


def test_the_api_patch_and_batch_copy_the_owner(api_for, manager, teammate, outsider, mine, theirs):
    OrderFactory(customer=mine)
    OrderFactory(customer=theirs)
    client = api_for(manager)
    response = client.patch(f"/api/v1/customers/{mine.pk}/", {"owner": teammate.pk}, format="json")
    assert response.status_code == 200, response.content
    response = client.post(
        "/api/v1/customers/batch/?async=false",
        {"mode": "update", "customers": [{"external_id": "C-2", "owner": manager.pk}]},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert Order.objects.get(customer=mine).customer_owner == teammate
    assert Order.objects.get(customer=theirs).customer_owner == manager
    assert_owners_copied()


def test_a_csv_customer_import_copies_the_owner(manager, teammate, mine):
    OrderFactory(customer=mine)
    data = csv_bytes([["external_id", "name", "owner"], ["C-1", "Acme", teammate.username]])
    report = import_file("customers", data, user=manager)
    assert report.updated == 1
    assert Order.objects.get(customer=mine).customer_owner == teammate
    assert_owners_copied()


def test_the_demo_loader_copies_the_owner(db):
    call_command("seed_demo", "--customers", "30", "--as-of", "2026-11-01", stdout=StringIO())
    assert Order.objects.filter(customer_owner__isnull=False).exists()
    assert_owners_copied()


def test_a_deleted_owner_leaves_no_copy(owner, mine):
    OrderFactory(customer=mine)
    owner.delete()
    assert Order.objects.get(customer=mine).customer_owner_id is None
    assert summary_owners(mine) == {None}


def test_a_stale_copy_never_shows_another_reps_order(owner, teammate, mine, theirs):
    mine_order = OrderFactory(customer=mine)
    their_order = OrderFactory(customer=theirs)
    # Written past every path that keeps the copy: it claims the teammate's order is mine.
    Order.objects.filter(pk=their_order.pk).update(customer_owner=owner)
    Order.objects.filter(pk=mine_order.pk).update(customer_owner=teammate)

    assert not selectors.orders_visible_to(owner).exists()
    assert not selectors.orders_visible_to(teammate).exists()
    assert not selectors.order_list(user=owner).exists()


def test_managers_see_every_order_whatever_the_copy(manager, mine, theirs):
    orders = {OrderFactory(customer=mine), OrderFactory(customer=theirs)}
    Order.objects.update(customer_owner=None)
    assert set(selectors.orders_visible_to(manager)) == orders
