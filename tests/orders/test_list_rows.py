"""The order list's rows (orders/templatetags/order_rows.py, written in Python for speed,
issue 14) show what the template showed, for orders made through the service and written
straight to the table (an import, the demo loader: no lines, no author), in any status and
currency; every value escaped; words, dates and amounts in the reader's language. The owner
filter's choices come from the cache, not a query of the users per page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Order
from tests.factories import CustomerFactory
from tests.orders.factories import OrderFactory
from tests.tables import table_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def orders(owner):
    customer = CustomerFactory(owner=owner, name="Acme <b>Ltd</b>")
    placed = OrderFactory(customer=customer, number="SO-<1>")
    straight = OrderFactory(
        customer=CustomerFactory(owner=None, name="Imported"),
        user=None,
        number="INV-7",
        total="1234.5",
        status=Order.Status.REFUNDED,
        refunded="1234.5",
    )
    return placed, straight


def test_a_managers_rows_show_every_cell_for_orders_made_every_way(client_for, manager, orders):
    placed, straight = orders
    html = client_for(manager).get(reverse("orders:list")).content.decode()
    rows = table_rows(html)

    assert rows["SO-<1>"] == [
        "SO-<1>",
        placed.ordered_on.isoformat(),
        "Acme <b>Ltd</b>",
        "Placed",
        f"${placed.total:,.2f}",
        f"${placed.total_base:,.2f}",
    ]
    assert rows["INV-7"] == [
        "INV-7",
        "2026-03-01",
        "Imported",
        "Refunded",
        "$1,234.50",
        "$1,234.50",
    ]
    assert "Acme &lt;b&gt;Ltd&lt;/b&gt;" in html  # escaped, never markup
    assert "SO-&lt;1&gt;" in html
    assert f'href="{placed.get_absolute_url()}"' in html
    customer_orders = reverse("orders:customer_orders", args=[straight.customer_id])
    assert f'href="{customer_orders}"' in html
    assert '<span class="badge order-refunded">Refunded</span>' in html
    # What a phone shows beside each figure of a row's card (static/css/app.css).
    assert '<td class="num" data-label="Total (USD)">$1,234.50</td>' in html
    assert f'<td class="nowrap" data-label="Date">{placed.ordered_on.isoformat()}</td>' in html


def test_the_rows_speak_the_readers_language(client_for, owner, orders):
    html = (
        client_for(owner)
        .get(reverse("orders:list"), HTTP_ACCEPT_LANGUAGE="zh-hans")
        .content.decode()
    )
    row = table_rows(html)["SO-<1>"]

    assert row[3] == "已下单"
    assert 'data-label="合计（USD）"' in html
    assert row[4].startswith("US$")
    assert "Imported" not in html  # another owner's customer


def test_the_owner_filter_names_people_and_keeps_the_choice_without_a_query(
    client_for, manager, owner, orders
):
    owner.first_name, owner.last_name = "Olga", "Owner"
    owner.save()
    client = client_for(manager)
    client.get(reverse("orders:list"))  # the choices go into the cache

    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("orders:list"), {"owner": owner.pk}).content.decode()

    assert f'<option value="{owner.pk}" selected>Olga Owner</option>' in html
    assert '<option value="">Anyone</option>' in html
    assert list(table_rows(html)) == ["SO-<1>"]
    user_queries = [q for q in queries.captured_queries if 'FROM "auth_user"' in q["sql"]]
    assert len(user_queries) == 2  # the session's user and the owner filter's own check
    assert 'name="owner"' not in client_for(owner).get(reverse("orders:list")).content.decode()
