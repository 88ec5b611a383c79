import datetime as dt
import hashlib
from decimal import Decimal

import pytest

from customers.models import Customer
from dataio.order_import import IMPORTED_SKU, fingerprint, order_key
from orders import totals
from orders.models import Order, OrderLine, Product
from tests.factories import CustomerFactory
from tests.orders.factories import ExchangeRateFactory, OrderFactory, ProductFactory

from .factories import csv_bytes, import_file, messages_of

ORDER_HEADER = ["customer_external_id", "number", "date", "total", "currency", "status"]
LINE_HEADER = [
    "customer",
    "order number",
    "date",
    "sku",
    "qty",
    "unit price",
    "discount",
    "currency",
]


@pytest.fixture
def acme(owner):
    return CustomerFactory(owner=owner, external_id="C-1", name="Acme")


@pytest.fixture
def widgets():
    return {
        "W-1": ProductFactory(sku="W-1", list_price=Decimal("10.00"), unit_cost=Decimal("4.00")),
        "W-2": ProductFactory(sku="W-2", list_price=Decimal("25.00"), unit_cost=Decimal("9.50")),
    }


@pytest.fixture
def euro_rate():
    return ExchangeRateFactory(currency="EUR", valid_on=dt.date(2026, 1, 1), rate=Decimal("1.1"))


def _counts():
    return (Customer.objects.count(), Order.objects.count(), OrderLine.objects.count())


# --- One row per order ----------------------------------------------------------------


def test_one_row_per_order_creates_orders_with_an_imported_line(owner, acme, euro_rate):
    data = csv_bytes(
        [
            ORDER_HEADER,
            ["C-1", "INV-1", "2026-02-01", "120.50", "", ""],
            ["C-1", "INV-2", "2026-02-03", "100", "EUR", "placed"],
        ]
    )

    report = import_file("orders", data, user=owner)

    assert (report.created, report.updated, report.unchanged, report.error_rows) == (2, 0, 0, 0)
    first = Order.objects.get(number="INV-1")
    assert (first.customer, first.status, first.currency) == (acme, "paid", "USD")
    assert (first.total, first.total_base, first.cost_total) == (
        Decimal("120.50"),
        Decimal("120.50"),
        Decimal("0.00"),
    )
    assert first.created_by == owner
    [line] = first.lines.all()
    assert (line.product.sku, line.quantity, line.unit_price) == (
        IMPORTED_SKU,
        1,
        Decimal("120.50"),
    )
    assert not line.product.active
    second = Order.objects.get(number="INV-2")
    assert (second.status, second.exchange_rate, second.total, second.total_base) == (
        "placed",
        Decimal("1.1"),
        Decimal("100.00"),
        Decimal("110.00"),
    )
    assert Product.objects.filter(sku=IMPORTED_SKU).count() == 1
    assert first.history.count() == 1


def test_one_row_per_order_reimport_is_unchanged_and_a_new_total_updates(owner, acme):
    data = csv_bytes([ORDER_HEADER, ["C-1", "INV-1", "2026-02-01", "120.50", "", ""]])
    import_file("orders", data, user=owner)

    report = import_file("orders", data, user=owner)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert _counts() == (1, 1, 1)

    changed = csv_bytes([ORDER_HEADER, ["C-1", "INV-1", "2026-02-01", "99.00", "", ""]])
    report = import_file("orders", changed, user=owner)
    assert report.updated == 1
    order = Order.objects.get(number="INV-1")
    assert order.total == Decimal("99.00")
    assert order.lines.get().unit_price == Decimal("99.00")
    assert _counts() == (1, 1, 1)


def test_an_order_entered_in_the_app_matches_on_its_total(owner, acme, widgets):
    order = OrderFactory(
        customer=acme, number="SO-7", status=Order.Status.PAID, lines=[(widgets["W-1"], 3)]
    )
    data = csv_bytes([ORDER_HEADER, ["C-1", "SO-7", "2026-03-01", "30.00", "USD", "paid"]])

    report = import_file("orders", data, user=owner)

    assert report.unchanged == 1
    assert order.lines.get().product == widgets["W-1"]


def test_orders_without_numbers_get_a_deterministic_key(owner, acme):
    header = ["customer", "date", "amount"]
    rows = [
        ["C-1", "2026-02-01", "50"],
        ["C-1", "2026-02-01", "50.00"],
        ["C-1", "2026-02-02", "50"],
    ]

    report = import_file("orders", csv_bytes([header, *rows]), user=owner)

    assert report.created == 3  # two identical purchases on one day are two orders
    text = "C-1|2026-02-01|50.00"
    expected = {order_key(text, 0), order_key(text, 1), order_key("C-1|2026-02-02|50.00", 0)}
    assert set(Order.objects.values_list("number", flat=True)) == expected
    digest = hashlib.sha256(b"C-1|2026-02-01|50.00|0").hexdigest()[:16]
    assert order_key(text, 0) == f"IMP-{digest}"

    report = import_file("orders", csv_bytes([header, *rows]), user=owner)
    assert (report.created, report.unchanged) == (0, 3)
    assert Order.objects.count() == 3


def test_fingerprint_is_normalised():
    values = {
        "customer_external_id": "C-1",
        "ordered_on": dt.date(2026, 2, 1),
        "total": Decimal("5"),
    }
    assert fingerprint(values, line_file=False) == "C-1|2026-02-01|5.00"
    values.update(sku="W-1", quantity=2)
    assert fingerprint(values, line_file=True) == "C-1|2026-02-01|W-1|2"


def test_duplicate_order_numbers_in_the_file(owner, acme):
    data = csv_bytes(
        [
            ORDER_HEADER,
            ["C-1", "INV-1", "2026-02-01", "10", "", ""],
            ["C-1", "INV-2", "2026-02-01", "10", "", ""],
            ["C-1", "INV-1", "2026-02-05", "12", "", ""],
            ["C-1", "INV-2", "2026-02-05", "12", "", ""],
        ]
    )

    report = import_file("orders", data, user=owner)

    assert messages_of(report) == [
        (4, "number", "Order INV-1 appears again (first on row 2): a duplicate."),
        (5, "number", "Order INV-2 appears again (first on row 3): a duplicate."),
    ]
    assert _counts() == (1, 0, 0)


def test_consecutive_duplicate_in_one_row_per_order_file(owner, acme):
    data = csv_bytes(
        [
            ORDER_HEADER,
            ["C-1", "INV-1", "2026-02-01", "10", "", ""],
            ["C-1", "INV-1", "2026-02-01", "10", "", ""],
        ]
    )
    report = import_file("orders", data, user=owner)
    assert messages_of(report) == [
        (3, "number", "Order INV-1 appears more than once (first on row 2).")
    ]
    assert Order.objects.count() == 0


# --- One row per line -----------------------------------------------------------------


def test_one_row_per_line_groups_lines_of_an_order(owner, acme, widgets, euro_rate):
    data = csv_bytes(
        [
            LINE_HEADER,
            ["C-1", "SO-1", "2026-02-01", "W-1", "3", "", "", ""],
            ["C-1", "SO-1", "2026-02-01", "W-2", "2", "20.00", "5", ""],
            ["C-1", "SO-2", "2026-02-02", "W-1", "1", "9.99", "", "EUR"],
        ]
    )

    report = import_file("orders", data, user=owner)

    assert (report.created, report.error_rows) == (2, 0)
    order = Order.objects.get(number="SO-1")
    lines = list(order.lines.order_by("product__sku"))
    assert [(x.product.sku, x.quantity, x.unit_price, x.discount, x.unit_cost) for x in lines] == [
        ("W-1", 3, Decimal("10.00"), Decimal("0.00"), Decimal("4.00")),
        ("W-2", 2, Decimal("20.00"), Decimal("5.00"), Decimal("9.50")),
    ]
    expected = totals.order_totals(
        [
            totals.LineInput(3, Decimal("10.00"), Decimal("4.00")),
            totals.LineInput(2, Decimal("20.00"), Decimal("9.50"), Decimal("5")),
        ]
    )
    assert (order.subtotal, order.discount_total, order.total, order.cost_total) == (
        expected.subtotal,
        expected.discount_total,
        expected.total,
        expected.cost_total,
    )
    euro = Order.objects.get(number="SO-2")
    assert (euro.currency, euro.total, euro.total_base) == (
        "EUR",
        Decimal("9.99"),
        Decimal("10.99"),
    )


def test_one_row_per_line_reimport_is_unchanged_even_after_a_list_price_change(
    owner, acme, widgets
):
    data = csv_bytes(
        [
            LINE_HEADER,
            ["C-1", "SO-1", "2026-02-01", "W-1", "3", "", "", ""],
            ["C-1", "SO-1", "2026-02-01", "W-2", "2", "20.00", "", ""],
        ]
    )
    import_file("orders", data, user=owner)
    Product.objects.filter(sku="W-1").update(list_price=Decimal("11.00"))

    report = import_file("orders", data, user=owner)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert _counts() == (1, 1, 2)


def test_one_row_per_line_changed_quantity_replaces_the_lines(owner, acme, widgets):
    import_file(
        "orders",
        csv_bytes([LINE_HEADER, ["C-1", "SO-1", "2026-02-01", "W-1", "3", "", "", ""]]),
        user=owner,
    )

    report = import_file(
        "orders",
        csv_bytes(
            [
                LINE_HEADER,
                ["C-1", "SO-1", "2026-02-01", "W-1", "4", "", "", ""],
                ["C-1", "SO-1", "2026-02-01", "W-2", "1", "", "", ""],
            ]
        ),
        user=owner,
    )

    assert report.updated == 1
    order = Order.objects.get(number="SO-1")
    assert sorted(order.lines.values_list("product__sku", "quantity")) == [("W-1", 4), ("W-2", 1)]
    assert order.total == Decimal("65.00")
    assert order.history.count() == 2


def test_line_rows_without_numbers_are_orders_of_their_own(owner, acme, widgets):
    header = ["customer", "date", "sku", "quantity"]
    rows = [["C-1", "2026-02-01", "W-1", "1"], ["C-1", "2026-02-01", "W-2", "1"]]

    report = import_file("orders", csv_bytes([header, *rows]), user=owner)
    assert report.created == 2
    assert Order.objects.get(number=order_key("C-1|2026-02-01|W-1|1", 0)).total == Decimal("10.00")

    report = import_file("orders", csv_bytes([header, *rows]), user=owner)
    assert (report.created, report.unchanged) == (0, 2)
    assert _counts() == (1, 2, 2)


def test_lines_of_one_order_must_agree_and_not_repeat(owner, acme, widgets):
    CustomerFactory(owner=owner, external_id="C-2")
    data = csv_bytes(
        [
            LINE_HEADER,
            ["C-1", "SO-1", "2026-02-01", "W-1", "1", "", "", ""],
            ["C-2", "SO-1", "2026-02-01", "W-2", "1", "", "", ""],
            ["C-1", "SO-2", "2026-02-01", "W-1", "1", "", "", ""],
            ["C-1", "SO-2", "2026-02-01", "W-1", "1", "", "", ""],
            ["C-1", "SO-3", "2026-02-01", "W-1", "1", "", "", ""],
            ["C-1", "SO-1", "2026-02-01", "W-2", "1", "", "", ""],
        ]
    )

    report = import_file("orders", data, user=owner)

    assert messages_of(report) == [
        (3, "customer", "Lines of order SO-1 disagree on Customer external id (see row 2)."),
        (5, "sku", "The same line as row 4: a duplicate row."),
        (7, "order number", "Order SO-1 appears again (first on row 2): a duplicate."),
    ]
    assert Order.objects.count() == 0


def test_unknown_sku_and_bad_discount(owner, acme, widgets):
    data = csv_bytes(
        [
            LINE_HEADER,
            ["C-1", "SO-1", "2026-02-01", "NOPE", "1", "", "", ""],
            ["C-1", "SO-2", "2026-02-01", "W-1", "1", "", "50", ""],
        ]
    )
    report = import_file("orders", data, user=owner)
    assert messages_of(report) == [
        (2, "sku", "There is no product with SKU NOPE."),
        (3, "discount", "Discount cannot exceed the line amount."),
    ]


# --- Customers of the orders ----------------------------------------------------------


def test_unknown_customer_is_an_error_unless_creating_them_was_chosen(owner):
    data = csv_bytes(
        [
            ["customer_external_id", "customer_name", "number", "date", "total"],
            ["NEW-1", "Newco", "INV-1", "2026-02-01", "10"],
            ["NEW-1", "Newco", "INV-2", "2026-02-02", "20"],
            ["NEW-2", "", "INV-3", "2026-02-02", "30"],
        ]
    )

    report = import_file("orders", data, user=owner)
    assert [(row, column) for row, column, _m in messages_of(report)] == [
        (2, "customer_external_id"),
        (3, "customer_external_id"),
        (4, "customer_external_id"),
    ]
    assert "There is no customer with external id NEW-1" in report.errors[0].message
    assert _counts() == (0, 0, 0)

    report = import_file("orders", data, user=owner, create_customers=True)
    assert (report.created, report.new_customers) == (3, 2)
    newco = Customer.objects.get(external_id="NEW-1")
    assert (newco.name, newco.owner, newco.status) == ("Newco", owner, "active")
    assert Customer.objects.get(external_id="NEW-2").name == "NEW-2"
    assert newco.orders.count() == 2

    report = import_file("orders", data, user=owner, create_customers=True)
    assert (report.created, report.unchanged, report.new_customers) == (0, 3, 0)


def test_rep_cannot_import_orders_for_another_reps_customer(owner, teammate):
    CustomerFactory(owner=teammate, external_id="T-1", name="Theirs")
    data = csv_bytes([ORDER_HEADER, ["T-1", "INV-1", "2026-02-01", "10", "", ""]])

    for create in (False, True):
        report = import_file("orders", data, user=owner, create_customers=create)
        [(row, column, message)] = messages_of(report)
        assert (row, column) == (2, "customer_external_id")
        assert "belongs to another owner" in message
        assert "Theirs" not in message
    assert _counts() == (1, 0, 0)


def test_rep_cannot_overwrite_another_reps_order_number(owner, teammate, acme, widgets):
    theirs = CustomerFactory(owner=teammate, external_id="T-1")
    OrderFactory(customer=theirs, number="INV-9", lines=[(widgets["W-1"], 1)])
    data = csv_bytes([ORDER_HEADER, ["C-1", "INV-9", "2026-02-01", "10", "", ""]])

    report = import_file("orders", data, user=owner)

    assert messages_of(report) == [
        (2, "number", "Order INV-9 belongs to a customer you do not own.")
    ]
    assert Order.objects.get(number="INV-9").customer == theirs


def test_an_order_number_of_another_customer_is_an_error(manager, owner, acme, widgets):
    other = CustomerFactory(owner=owner, external_id="C-2")
    OrderFactory(customer=other, number="INV-9", lines=[(widgets["W-1"], 1)])
    data = csv_bytes([ORDER_HEADER, ["C-1", "INV-9", "2026-03-01", "10", "", "placed"]])

    report = import_file("orders", data, user=manager)

    assert messages_of(report) == [
        (2, "customer_external_id", "Order INV-9 is already recorded for another customer.")
    ]


def test_missing_exchange_rate_is_a_row_error(owner, acme, euro_rate):
    data = csv_bytes([ORDER_HEADER, ["C-1", "INV-1", "2025-12-31", "10", "EUR", ""]])
    report = import_file("orders", data, user=owner)
    [(row, column, message)] = messages_of(report)
    assert (row, column) == (2, "currency")
    assert "No exchange rate for EUR on or before 2025-12-31" in message


def test_refunded_and_cancelled_orders(owner, acme, widgets):
    data = csv_bytes([ORDER_HEADER, ["C-1", "INV-1", "2026-02-01", "10", "", "refunded"]])
    report = import_file("orders", data, user=owner)
    assert messages_of(report) == [
        (2, "status", "Import a refunded order as paid and record the refund on the order page.")
    ]
    cancelled = OrderFactory(
        customer=acme, number="SO-5", status=Order.Status.DRAFT, lines=[(widgets["W-1"], 1)]
    )
    Order.objects.filter(pk=cancelled.pk).update(status=Order.Status.CANCELLED)
    data = csv_bytes([ORDER_HEADER, ["C-1", "SO-5", "2026-03-01", "99", "", "paid"]])
    report = import_file("orders", data, user=owner)
    assert messages_of(report) == [
        (2, "number", "Order SO-5 is cancelled; an import cannot change it.")
    ]


def test_a_changed_customer_in_a_later_batch_is_seen(owner, acme, monkeypatch):
    monkeypatch.setattr("dataio.engine.BATCH_ROWS", 1)
    data = csv_bytes(
        [
            ["customer_external_id", "number", "date", "total"],
            ["NEW-1", "INV-1", "2026-02-01", "10"],
            ["NEW-1", "INV-2", "2026-02-02", "20"],
            ["C-1", "INV-3", "2026-02-02", "30"],
        ]
    )
    report = import_file("orders", data, user=owner, create_customers=True)
    assert (report.created, report.new_customers) == (3, 1)
    assert Customer.objects.get(external_id="NEW-1").orders.count() == 2
