"""Every kind of bad input gives a clear report naming the row and column, and writes
nothing, even when the other rows are fine."""

import codecs
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from customers.models import Customer, Tag
from dataio import parsing
from orders.models import Order, OrderLine, Product
from tests.factories import CustomerFactory
from tests.orders.factories import ProductFactory

from .factories import csv_bytes, import_file, messages_of

ORDERS = ["customer_external_id", "number", "date", "total"]
LINES = ["customer_external_id", "number", "date", "sku", "quantity"]


@pytest.fixture
def catalogue(owner):
    CustomerFactory(owner=owner, external_id="C-1")
    ProductFactory(sku="W-1", list_price=Decimal("10.00"))


def _state():
    return (
        Customer.objects.count(),
        Customer.history.count(),
        Tag.objects.count(),
        Order.objects.count(),
        OrderLine.objects.count(),
        Product.objects.count(),
    )


BAD_FILES = {
    "non-UTF-8 bytes": (
        "customers",
        b"external_id,name\nC-7,Fine\nC-8,Caf\xe9\n",
        [(3, "", "Line 3 is not valid UTF-8 (byte 0xE9 at character 8).")],
    ),
    "bad date": (
        "orders",
        csv_bytes([ORDERS, ["C-1", "A-1", "2026-02-01", "5"], ["C-1", "A-2", "2026-02-30", "5"]]),
        [(3, "date", "“2026-02-30” is not a date like 2026-03-31.")],
    ),
    "negative quantity": (
        "orders",
        csv_bytes(
            [
                LINES,
                ["C-1", "A-1", "2026-02-01", "W-1", "2"],
                ["C-1", "A-2", "2026-02-01", "W-1", "-2"],
            ]
        ),
        [(3, "quantity", "The quantity must be at least 1.")],
    ),
    "fractional quantity": (
        "orders",
        csv_bytes([LINES, ["C-1", "A-1", "2026-02-01", "W-1", "1.5"]]),
        [(2, "quantity", "“1.5” is not a whole number.")],
    ),
    "unknown SKU": (
        "orders",
        csv_bytes(
            [
                LINES,
                ["C-1", "A-1", "2026-02-01", "W-1", "1"],
                ["C-1", "A-2", "2026-02-01", "W-9", "1"],
            ]
        ),
        [(3, "sku", "There is no product with SKU W-9.")],
    ),
    "unknown customer": (
        "orders",
        csv_bytes([ORDERS, ["C-1", "A-1", "2026-02-01", "5"], ["C-404", "A-2", "2026-02-01", "5"]]),
        [(3, "customer_external_id", "There is no customer with external id C-404.")],
    ),
    "duplicate order in the file": (
        "orders",
        csv_bytes([ORDERS, ["C-1", "A-1", "2026-02-01", "5"], ["C-1", "A-1", "2026-02-01", "5"]]),
        [(3, "number", "Order A-1 appears more than once (first on row 2).")],
    ),
    "amount with letters": (
        "orders",
        csv_bytes(
            [ORDERS, ["C-1", "A-1", "2026-02-01", "5"], ["C-1", "A-2", "2026-02-01", "12,5O"]]
        ),
        [(3, "total", "“12,5O” is not a number.")],
    ),
    "negative amount": (
        "orders",
        csv_bytes([ORDERS, ["C-1", "A-1", "2026-02-01", "-5"]]),
        [(2, "total", "The amount cannot be negative.")],
    ),
    "too many decimals": (
        "orders",
        csv_bytes([ORDERS, ["C-1", "A-1", "2026-02-01", "5.001"]]),
        [(2, "total", "Use at most 2 decimal places.")],
    ),
    "empty required cell": (
        "orders",
        csv_bytes([ORDERS, ["C-1", "A-1", "", "5"]]),
        [(2, "date", "Date is empty.")],
    ),
    "header only": (
        "customers",
        b"external_id,name\n",
        [(None, "", "The file has a header but no data rows.")],
    ),
    "stray quote": (
        "customers",
        b'external_id,name\nC-1,"Acme" Inc\nC-2,B\n',
        [(2, "", "Line 2 cannot be read as CSV")],
    ),
    "unterminated quote": (
        "customers",
        b'external_id,name\nC-1,"Acme\n',
        [(2, "", "Line 2 cannot be read as CSV")],
    ),
}


@pytest.mark.parametrize("case", BAD_FILES.keys())
def test_bad_file_gives_a_row_report_and_writes_nothing(case, owner, catalogue):
    kind, data, expected = BAD_FILES[case]
    before = _state()

    for write in (False, True):
        report = import_file(kind, data, user=owner, write=write)

        errors = messages_of(report)
        assert len(errors) == len(expected), errors
        for (row, column, message), (want_row, want_column, want_start) in zip(
            errors, expected, strict=True
        ):
            assert (row, column) == (want_row, want_column)
            assert message.startswith(want_start), message
        assert report.has_errors
        assert _state() == before


@pytest.mark.parametrize("data", [b"", b"\n\r\n", codecs.BOM_UTF8])
def test_empty_file(owner, data):
    with pytest.raises(parsing.FileError, match="The file is empty"):
        import_file("customers", data, user=owner)


@pytest.mark.parametrize(
    ("kind", "header", "message"),
    [
        ("customers", ["name", "email"], "Map a column to External id: it is required."),
        ("orders", ["customer_external_id", "total"], "Map a column to Date: it is required."),
        ("orders", ["customer_external_id", "date"], "Map Total (one row per order) or Product"),
        ("orders", ["customer_external_id", "date", "sku"], "Map a column to Quantity"),
    ],
)
def test_missing_required_column_is_refused_before_reading_rows(owner, kind, header, message):
    data = csv_bytes([header, ["x"] * len(header)])
    with pytest.raises(ValidationError) as excinfo:
        import_file(kind, data, user=owner)
    assert any(m.startswith(message) for m in excinfo.value.messages)
    assert Customer.objects.count() == 0


def test_a_file_in_another_encoding_reads_when_chosen(owner):
    data = "external_id,name\nC-1,Café Müller\n".encode("cp1252")

    report = import_file("customers", data, user=owner, encoding="cp1252")

    assert report.created == 1
    assert Customer.objects.get().name == "Café Müller"
