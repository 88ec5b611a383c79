import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.csv import safe_cell
from customers.models import Customer
from dataio.columns import guess_mapping
from metrics.models import CustomerScore
from orders.models import Order
from tests.factories import CustomerFactory, TagFactory
from tests.orders.factories import OrderFactory, ProductFactory

from .factories import import_file


def _download(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    return body, list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


@pytest.fixture
def book(owner, teammate):
    vip = TagFactory(name="vip")
    mine = CustomerFactory(owner=owner, external_id="C-1", name="Acme", status="active")
    mine.tags.add(vip)
    lead = CustomerFactory(owner=owner, external_id="C-2", name="Bolt", status="lead")
    theirs = CustomerFactory(owner=teammate, external_id="T-1", name="Theirs", status="active")
    widget = ProductFactory(sku="W-1", list_price=Decimal("10.00"), unit_cost=Decimal("4.00"))
    for customer, number in ((mine, "SO-1"), (lead, "SO-2"), (theirs, "SO-3")):
        OrderFactory(customer=customer, number=number, lines=[(widget, 2)])
    return {"mine": mine, "lead": lead, "theirs": theirs}


@pytest.mark.parametrize(
    ("who", "names"),
    [
        ("owner", ["Acme", "Bolt"]),
        ("manager", ["Acme", "Bolt", "Theirs"]),
        ("admin_user", ["Acme", "Bolt", "Theirs"]),
    ],
)
def test_customer_export_is_scoped_to_what_the_user_sees(request, client_for, book, who, names):
    _body, rows = _download(
        client_for(request.getfixturevalue(who)), reverse("dataio:export_customers")
    )
    assert [row["name"] for row in rows] == names


def test_customer_export_takes_the_list_filters(client_for, owner, manager, teammate, book):
    url = reverse("dataio:export_customers")
    client = client_for(owner)
    assert [r["name"] for r in _download(client, url, status="lead")[1]] == ["Bolt"]
    assert [r["name"] for r in _download(client, url, tag="vip")[1]] == ["Acme"]
    assert [r["name"] for r in _download(client, url, q="C-2")[1]] == ["Bolt"]
    assert [r["name"] for r in _download(client, url, sort="-name")[1]] == ["Bolt", "Acme"]
    # A rep cannot widen the export with an owner filter.
    assert [r["name"] for r in _download(client, url, owner=teammate.pk)[1]] == ["Acme", "Bolt"]
    rows = _download(client_for(manager), url, owner=teammate.pk)[1]
    assert [r["name"] for r in rows] == ["Theirs"]


def test_customer_export_columns(client_for, owner, book):
    _body, rows = _download(client_for(owner), reverse("dataio:export_customers"))
    acme = rows[0]
    assert acme["external_id"] == "C-1"
    assert acme["tags"] == "vip"
    assert acme["owner"] == owner.username
    assert acme["marketing_opt_out"] == "no"
    assert acme["crm_id"] == str(book["mine"].pk)


@pytest.mark.parametrize(
    ("who", "numbers"),
    [("owner", {"SO-1", "SO-2"}), ("manager", {"SO-1", "SO-2", "SO-3"})],
)
def test_order_export_is_scoped(request, client_for, book, who, numbers):
    client = client_for(request.getfixturevalue(who))
    _body, rows = _download(client, reverse("dataio:export_orders"))
    assert {row["number"] for row in rows} == numbers
    _body, lines = _download(client, reverse("dataio:export_orders"), lines="1")
    assert {row["number"] for row in lines} == numbers


def test_order_export_takes_the_list_filters_and_shows_costs(client_for, owner, book):
    Order.objects.filter(number="SO-2").update(ordered_on=dt.date(2026, 5, 1))
    url = reverse("dataio:export_orders")
    rows = _download(client_for(owner), url, date_from="2026-04-01")[1]
    assert [row["number"] for row in rows] == ["SO-2"]
    assert rows[0]["total"] == "20.00"
    assert rows[0]["cost_total"] == "8.00"
    rows = _download(client_for(owner), url, search="Acme")[1]
    assert [row["number"] for row in rows] == ["SO-1"]


def test_formula_injection_is_guarded(client_for, owner):
    CustomerFactory(
        owner=owner, external_id="=HYPERLINK(1)", name="@SUM(A1)", phone="+1 555", email=""
    )
    body, rows = _download(client_for(owner), reverse("dataio:export_customers"))
    row = rows[0]
    assert (row["external_id"], row["name"], row["phone"]) == (
        "'=HYPERLINK(1)",
        "'@SUM(A1)",
        "'+1 555",
    )
    assert b"\n=" not in body
    assert b",=" not in body


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("-2", "'-2"),
        ("\tx", "'\tx"),
        ("ok", "ok"),
        (None, ""),
        (True, "yes"),
        (Decimal("-1.50"), "-1.50"),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_an_export_imports_back_unchanged(client_for, owner, book):
    client = client_for(owner)
    customers, _rows = _download(client, reverse("dataio:export_customers"))
    report = import_file("customers", customers, user=owner)
    assert (report.unchanged, report.created, report.updated, report.error_rows) == (2, 0, 0, 0)

    orders, _rows = _download(client, reverse("dataio:export_orders"))
    report = import_file("orders", orders, user=owner)
    assert (report.unchanged, report.error_rows) == (2, 0)

    lines, _rows = _download(client, reverse("dataio:export_orders"), lines="1")
    report = import_file("orders", lines, user=owner)
    assert (report.unchanged, report.error_rows) == (2, 0)
    assert Customer.objects.count() == 3
    assert Order.objects.count() == 3


# --- The value columns ------------------------------------------------------------------

VALUE_COLUMNS = ["value_score", "tier", "segment", "predicted_clv", "churn_risk_percent"]


def _score(customer, **fields):
    # With the customer's owner and status copied onto the row, as a recalculation writes it.
    return CustomerScore.objects.create(
        customer=customer,
        customer_owner=customer.owner,
        customer_status=customer.status,
        as_of=dt.date(2026, 6, 1),
        model_version="test",
        **fields,
    )


def test_customer_export_has_the_value_columns(client_for, owner, book):
    _score(
        book["mine"],
        value_score=86.5,
        tier="A",
        segment="champions",
        predicted_clv=Decimal("12345.60"),
        churn_risk=0.234,
    )
    _score(book["lead"], value_score=None, tier="", segment="")

    body, rows = _download(client_for(owner), reverse("dataio:export_customers"))

    header = body.decode("utf-8-sig").splitlines()[0].split(",")
    assert header[-len(VALUE_COLUMNS) :] == VALUE_COLUMNS
    acme, bolt = rows
    # Rounded as the pages show them: a whole score, a whole percentage.
    assert [acme[c] for c in VALUE_COLUMNS] == ["87", "A", "champions", "12345.60", "23"]
    assert [bolt[c] for c in VALUE_COLUMNS] == ["", "", "", "", ""]


def test_customer_export_filters_on_value(client_for, owner, book):
    _score(book["mine"], value_score=90, tier="A", segment="champions", churn_risk=0.1)
    _score(book["lead"], value_score=20, tier="C", segment="lost", churn_risk=0.9)
    url = reverse("dataio:export_customers")

    assert [r["name"] for r in _download(client_for(owner), url, tier="C")[1]] == ["Bolt"]
    rows = _download(client_for(owner), url, churn_risk="low")[1]
    assert [r["name"] for r in rows] == ["Acme"]


def _export_queries(client):
    with CaptureQueriesContext(connection) as queries:
        _download(client, reverse("dataio:export_customers"))
    return len(queries)


def test_customer_export_reads_the_value_in_the_same_query(client_for, owner, book):
    tag = TagFactory(name="key account")
    for customer in (book["mine"], book["lead"]):
        _score(customer, value_score=50, tier="B", segment="loyal", churn_risk=0.2)
    client = client_for(owner)
    few = _export_queries(client)
    for i in range(10):
        customer = CustomerFactory(owner=owner, external_id=f"M-{i}")
        customer.tags.add(tag)
        _score(customer, value_score=i, tier="C", segment="lost", churn_risk=0.9)

    many = _export_queries(client)

    assert many == few
    # Session, user and their permissions (1, core.auth); the rows with their scores; tags.
    assert few == 5


def test_an_export_with_values_imports_back_unchanged(client_for, owner, book):
    _score(book["mine"], value_score=86.5, tier="A", segment="champions", churn_risk=0.234)
    customers, _rows = _download(client_for(owner), reverse("dataio:export_customers"))

    headers = customers.decode("utf-8-sig").splitlines()[0].split(",")
    mapping = guess_mapping("customers", headers)
    assert not {headers[index] for index in mapping.values()} & set(VALUE_COLUMNS)
    report = import_file("customers", customers, user=owner)
    assert (report.unchanged, report.created, report.updated, report.error_rows) == (2, 0, 0, 0)
