"""The fixed cost of an API list (issue 14): the user's permissions in one query
(core.auth.PermissionsBackend), a page's tags read into a plain list; what a client sees
unchanged."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from api.views.base import since_query
from api.views.orders import OrderQuery
from tests.factories import CustomerFactory
from tests.orders.factories import OrderFactory

pytestmark = pytest.mark.django_db


def _permission_queries(queries):
    return [q["sql"] for q in queries.captured_queries if '"auth_permission"' in q["sql"]]


def test_an_api_list_reads_the_users_permissions_in_one_query(api_for, owner):
    CustomerFactory(owner=owner, name="Acme")
    client = api_for(owner)

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/customers/")

    assert response.status_code == 200
    assert [c["name"] for c in response.json()["results"]] == ["Acme"]
    assert len(_permission_queries(queries)) == 1


def test_the_customer_list_and_the_api_show_each_customers_tags_in_name_order(
    client_for, api_for, owner
):
    customer = CustomerFactory(owner=owner, name="Acme")
    customer.tags.create(name="wholesale")
    customer.tags.create(name="export")
    CustomerFactory(owner=owner, name="Bolt")

    html = client_for(owner).get(reverse("customers:list")).content.decode()
    rows = api_for(owner).get("/api/v1/customers/", {"ordering": "name"}).json()["results"]

    acme_row = html[html.index(">Acme<") :].split("</tr>")[0]
    assert '<span class="badge">export</span> <span class="badge">wholesale</span>' in acme_row
    assert [(r["name"], r["tags"]) for r in rows] == [
        ("Acme", ["export", "wholesale"]),
        ("Bolt", []),
    ]


def test_a_changed_customer_answers_with_its_new_tags(api_for, owner):
    customer = CustomerFactory(owner=owner, name="Acme")
    customer.tags.create(name="old")

    response = api_for(owner).patch(
        f"/api/v1/customers/{customer.pk}/", {"tags": ["new"]}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["tags"] == ["new"]


def test_a_list_asked_no_filter_builds_no_query_serializer(api_for, owner, monkeypatch):
    OrderFactory(customer=CustomerFactory(owner=owner))
    client = api_for(owner)
    client.get("/api/v1/orders/")  # the defaults worked out once
    built = []
    real = OrderQuery.__init__
    monkeypatch.setattr(
        OrderQuery, "__init__", lambda self, *a, **kw: built.append(1) or real(self, *a, **kw)
    )

    assert len(client.get("/api/v1/orders/").json()["results"]) == 1
    assert built == []
    # A filter is validated as before: a bad one is a 400, a good one filters.
    assert client.get("/api/v1/orders/", {"status": "nonsense"}).status_code == 400
    assert client.get("/api/v1/orders/", {"status": "cancelled"}).json()["results"] == []
    assert len(built) == 2


def test_the_since_parameters_are_one_serializer_class():
    assert since_query({"updated_since": "updated_at"}) is since_query(
        {"updated_since": "updated_at"}
    )
