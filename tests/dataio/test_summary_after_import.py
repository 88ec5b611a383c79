"""CSV imports write in bulk, without signals: the purchase summary (orders.summary) must
still follow every order and every customer's churn they write."""

import datetime as dt

from orders import summary
from tests.factories import CustomerFactory
from tests.orders.factories import OrderFactory
from tests.orders.test_summary import everything

from .factories import csv_bytes, import_file

ORDER_HEADER = ["customer_external_id", "number", "date", "total", "currency", "status"]


def _rebuilt():
    current = everything()
    summary.rebuild()
    return current, everything()


def test_imported_orders_are_in_the_summary(owner):
    CustomerFactory(owner=owner, external_id="C-1")
    CustomerFactory(owner=owner, external_id="C-2")
    rows = [
        ["C-1", "INV-1", "2026-02-01", "120.50", "", ""],
        ["C-1", "INV-2", "2026-03-03", "100", "", "placed"],
        ["C-2", "INV-3", "2026-03-03", "80", "", ""],
    ]
    report = import_file("orders", csv_bytes([ORDER_HEADER, *rows]), user=owner)
    assert report.created == 3
    current, rebuilt = _rebuilt()
    assert current == rebuilt
    assert len(current[0]) == 3


def test_a_reimport_that_moves_an_order_to_another_customer(owner):
    first = CustomerFactory(owner=owner, external_id="C-1")
    CustomerFactory(owner=owner, external_id="C-2")
    OrderFactory(customer=first, number="INV-9", ordered_on=dt.date(2026, 2, 1))
    moved = [["C-2", "INV-9", "2026-02-01", "55", "", ""]]
    import_file("orders", csv_bytes([ORDER_HEADER, *moved]), user=owner)
    current, rebuilt = _rebuilt()
    assert current == rebuilt


def test_a_customer_import_that_churns_a_customer(owner):
    customer = CustomerFactory(owner=owner, external_id="C-1", status="active")
    OrderFactory(customer=customer, ordered_on=dt.date(2025, 6, 1))
    header = ["external_id", "name", "status", "churned_on"]
    data = csv_bytes([header, ["C-1", customer.name, "churned", "2025-12-01"]])
    report = import_file("customers", data, user=owner)
    assert report.updated == 1
    current, rebuilt = _rebuilt()
    assert current == rebuilt
