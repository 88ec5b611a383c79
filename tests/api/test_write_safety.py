"""Issue 13, "Write safety and limits": optional fields that are optional, deleting what was
just created, one body size limit answered in the API's error body, and Idempotency-Key
honoured on every POST and refused elsewhere."""

import datetime as dt
import json

import pytest
from django.conf import settings as django_settings

from api.idempotency import IdempotencyKey
from customers.models import Customer
from metrics.models import CustomerScore
from orders.models import CustomerCost, Order
from tests.factories import CustomerFactory
from tests.orders.factories import OrderFactory, ProductFactory

AS_OF = dt.date(2026, 3, 1)


def _error(response):
    body = response.json()
    assert set(body) == {"error"}
    return body["error"]


# --- Optional means optional ---------------------------------------------------------------


def test_a_cost_without_kind_gets_the_documented_default(api_for, owner):
    customer = CustomerFactory(owner=owner)
    response = api_for(owner).post(
        "/api/v1/customer-costs/",
        {"customer": customer.pk, "incurred_on": "2026-03-01", "amount": "5"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["kind"] == "service"
    assert CustomerCost.objects.get().kind == CustomerCost.Kind.SERVICE


def test_the_schema_says_what_the_default_kind_is(api_for, owner):
    schema = api_for(owner).get("/api/schema/?format=json").json()
    request = schema["components"]["schemas"]["CustomerCostRequest"]
    assert "kind" not in request["required"]
    assert request["properties"]["kind"]["default"] == "service"


# --- Deleting a customer just created ------------------------------------------------------


def test_deleting_a_customer_right_after_creating_it(
    api_for, owner, django_capture_on_commit_callbacks, monkeypatch
):
    """The customer's recalculation (queued by its creation) runs after the delete: neither
    fails (tests/metrics/test_deleted_customer.py has the races themselves)."""
    from metrics import services

    OrderFactory(customer=CustomerFactory(owner=owner), total="50.00", ordered_on=AS_OF)
    services.full_run_sync(as_of=AS_OF)
    api = api_for(owner)
    with django_capture_on_commit_callbacks() as queued:
        created = api.post("/api/v1/customers/", {"name": "Brief"}, format="json").json()
    assert api.delete(f"/api/v1/customers/{created['id']}/").status_code == 204
    for callback in queued:
        callback()  # the recalculation task (eager), after the delete
    assert not Customer.objects.filter(pk=created["id"]).exists()
    assert not CustomerScore.objects.filter(customer_id=created["id"]).exists()


# --- One body size limit -------------------------------------------------------------------


def test_one_limit_for_django_and_the_api(settings):
    assert settings.API_MAX_REQUEST_BYTES == 5 * 1024 * 1024
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == settings.API_MAX_REQUEST_BYTES


def test_a_body_over_the_limit_is_a_json_413(api_for, owner):
    body = json.dumps({"name": "x", "address": "y" * django_settings.API_MAX_REQUEST_BYTES})
    response = api_for(owner).post("/api/v1/customers/", body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert _error(response)["code"] == "request_too_large"
    assert not Customer.objects.exists()


def test_a_body_between_django_s_old_limit_and_ours_reaches_the_view(api_for, owner):
    """3 MB: over Django's default 2.5 MB (an HTML 400 before), under the documented 5 MB."""
    body = json.dumps({"name": "Big address", "address": "y" * (3 * 1024 * 1024)})
    response = api_for(owner).post("/api/v1/customers/", body, content_type="application/json")
    assert response.status_code == 201
    assert len(Customer.objects.get().address) == 3 * 1024 * 1024


def test_a_session_request_over_the_limit_is_a_json_413_too(client_for, owner):
    body = json.dumps({"name": "x", "address": "y" * django_settings.API_MAX_REQUEST_BYTES})
    response = client_for(owner).post("/api/v1/customers/", body, content_type="application/json")
    assert response.status_code == 413
    assert _error(response)["code"] == "request_too_large"


def test_a_page_over_the_limit_keeps_django_s_400_page(client_for, owner):
    client = client_for(owner)
    client.raise_request_exception = False
    response = client.post(
        "/customers/new/", {"name": "x", "address": "y" * django_settings.API_MAX_REQUEST_BYTES}
    )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


# --- Idempotency-Key on every POST -----------------------------------------------------------


@pytest.fixture
def paid_order(owner):
    product = ProductFactory(list_price="100.00")
    order = OrderFactory(customer=CustomerFactory(owner=owner), lines=[(product, 2)])
    Order.objects.filter(pk=order.pk).update(status=Order.Status.PAID)
    return order


def test_a_repeated_refund_with_the_same_key_applies_once(api_for, owner, paid_order):
    api = api_for(owner)
    path = f"/api/v1/orders/{paid_order.pk}/refund/"
    first = api.post(path, {"amount": "50.00"}, format="json", HTTP_IDEMPOTENCY_KEY="refund-1")
    again = api.post(path, {"amount": "50.00"}, format="json", HTTP_IDEMPOTENCY_KEY="refund-1")

    assert first.status_code == again.status_code == 200
    assert "Idempotent-Replayed" not in first
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert first.json()["refunded_total"] == "50.00"
    paid_order.refresh_from_db()
    assert paid_order.refunded_total == 50

    # A new key is a new refund.
    third = api.post(path, {"amount": "50.00"}, format="json", HTTP_IDEMPOTENCY_KEY="refund-2")
    assert third.json()["refunded_total"] == "100.00"


def test_a_refused_refund_is_not_remembered(api_for, owner, paid_order):
    api = api_for(owner)
    path = f"/api/v1/orders/{paid_order.pk}/refund/"
    too_much = api.post(path, {"amount": "999.00"}, format="json", HTTP_IDEMPOTENCY_KEY="r")
    assert too_much.status_code == 400
    assert not IdempotencyKey.objects.exists()


def test_a_status_change_with_a_key_is_replayed(api_for, owner, paid_order):
    api = api_for(owner)
    path = f"/api/v1/orders/{paid_order.pk}/status/"
    first = api.post(path, {"status": "refunded"}, format="json", HTTP_IDEMPOTENCY_KEY="s-1")
    again = api.post(path, {"status": "refunded"}, format="json", HTTP_IDEMPOTENCY_KEY="s-1")
    assert first.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert IdempotencyKey.objects.count() == 1


def test_starting_a_recalculation_twice_with_one_key_starts_one(api_for, admin_user):
    api = api_for(admin_user)
    first = api.post("/api/v1/recalculations/", HTTP_IDEMPOTENCY_KEY="run-1")
    again = api.post("/api/v1/recalculations/", HTTP_IDEMPOTENCY_KEY="run-1")
    assert first.status_code == again.status_code == 202
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]


def _operations(api):
    schema = api.get("/api/schema/?format=json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
            yield path, method, names


def test_every_post_takes_a_key_and_no_other_method_does(api_for, owner):
    operations = list(_operations(api_for(owner)))
    assert len([op for op in operations if op[1] == "post"]) >= 14
    for path, method, headers in operations:
        assert ("Idempotency-Key" in headers) == (method == "post"), (method, path)


def test_the_views_honour_a_key_on_every_post():
    """The schema above comes from the same mark the views check (api.idempotency)."""
    from api.idempotency import is_idempotent
    from api.urls import router

    posts = 0
    for _prefix, viewset, _basename in router.registry:
        for name in ("create", *(a.__name__ for a in viewset.get_extra_actions())):
            handler = getattr(viewset, name, None)
            if handler is not None and "post" in getattr(handler, "mapping", {"post": name}):
                posts += 1
                assert is_idempotent(handler), f"{viewset.__name__}.{name}"
    assert posts >= 14


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_a_key_where_none_is_taken_is_a_400_not_ignored(api_for, owner, method):
    customer = CustomerFactory(owner=owner)
    api = api_for(owner)
    response = getattr(api, method)(
        f"/api/v1/customers/{customer.pk}/", {}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in _error(response)["details"]
    assert Customer.objects.filter(pk=customer.pk).exists()
