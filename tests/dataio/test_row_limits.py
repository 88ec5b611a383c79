"""What the check (a dry run) must report as row errors, because the import itself would
fail on it or store nonsense: numbers past their column, rows whose cells do not line up
with the header, dates in the future."""

import datetime as dt
from decimal import Decimal

import pytest

from customers.models import Customer
from orders.models import Order
from tests.factories import CustomerFactory
from tests.orders.factories import ProductFactory

from .factories import csv_bytes, import_file, messages_of

ORDER_HEADER = ["customer_external_id", "number", "date", "total"]
LINE_HEADER = ["customer_external_id", "number", "date", "sku", "quantity", "unit_price"]


@pytest.fixture
def acme(owner):
    return CustomerFactory(owner=owner, external_id="C-1", name="Acme")


@pytest.fixture
def widget():
    return ProductFactory(sku="W-1", list_price=Decimal("10.00"), unit_cost=Decimal("4.00"))


def _check_then_import(kind, rows, user):
    """The dry run's report, after asserting that importing the file writes nothing."""
    data = csv_bytes(rows)
    report = import_file(kind, data, user=user, write=False)
    orders, customers = Order.objects.count(), Customer.objects.count()
    committed = import_file(kind, data, user=user)
    assert committed.has_errors
    assert (Order.objects.count(), Customer.objects.count()) == (orders, customers)
    return report


def test_a_quantity_past_its_column_is_a_row_error_in_the_check(owner, acme, widget):
    report = _check_then_import(
        "orders",
        [LINE_HEADER, ["C-1", "INV-1", "2026-02-01", "W-1", "99999999999999999999", ""]],
        owner,
    )

    [(row, column, message)] = messages_of(report)
    assert (row, column) == (2, "quantity")
    # The column's own limit: 2147483647 on PostgreSQL, a 64-bit integer on SQLite.
    assert "less than or equal to" in message


def test_an_amount_past_its_column_is_a_row_error_in_the_check(owner, acme):
    report = _check_then_import(
        "orders", [ORDER_HEADER, ["C-1", "INV-1", "2026-02-01", "1" + "0" * 15]], owner
    )

    assert [(row, column) for row, column, _message in messages_of(report)] == [(2, "total")]


def test_totals_that_overflow_are_a_row_error_in_the_check(owner, acme, widget):
    # Each number fits its column; the line's amount (quantity × price) does not.
    report = _check_then_import(
        "orders",
        [LINE_HEADER, ["C-1", "INV-1", "2026-02-01", "W-1", "2000000000", "999999.00"]],
        owner,
    )

    [(row, _column, message)] = messages_of(report)
    assert row == 2
    assert "too large" in message


@pytest.mark.parametrize(
    "cells",
    [["C-1", "INV-1", "2026-02-01"], ["C-1", "INV-1", "2026-02-01", "10.00", "surplus"]],
    ids=["too few", "too many"],
)
def test_a_row_whose_cells_do_not_match_the_header_is_a_row_error(owner, acme, cells):
    report = _check_then_import("orders", [ORDER_HEADER, cells], owner)

    assert report.error_rows == 1
    assert any(
        "cells but the header has 4" in message for _row, _column, message in messages_of(report)
    )


def test_a_customer_row_with_too_few_cells_is_a_row_error(owner):
    report = _check_then_import(
        "customers", [["external_id", "name", "email"], ["C-9", "Acme"]], owner
    )

    assert messages_of(report) == [(2, "", "The row has 2 cells but the header has 3.")]


@pytest.mark.parametrize("kind", ["orders", "customers"])
def test_a_date_in_the_future_is_a_row_error(owner, acme, kind):
    rows = (
        [ORDER_HEADER, ["C-1", "INV-1", "2099-01-01", "10.00"]]
        if kind == "orders"
        else [["external_id", "name", "acquired_on"], ["C-1", "Acme", "2099-01-01"]]
    )

    report = _check_then_import(kind, rows, owner)

    [(row, _column, message)] = messages_of(report)
    assert row == 2
    assert "2099-01-01 is in the future" in message


def test_today_and_tomorrow_are_not_in_the_future(owner, acme):
    # The server's today: the rule is relative to it (a day of slack for time zones).
    from django.utils import timezone

    today = timezone.localdate()
    rows = [
        ORDER_HEADER,
        ["C-1", "INV-1", today.isoformat(), "10.00"],
        ["C-1", "INV-2", (today + dt.timedelta(days=1)).isoformat(), "10.00"],
    ]

    report = import_file("orders", csv_bytes(rows), user=owner, write=False)

    assert messages_of(report) == []
