"""The fixed cost of an API list (issue 14): the user's permissions in one query
(core.auth.PermissionsBackend), a page's tags read into a plain list; what a client sees
unchanged."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import CustomerFactory

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
