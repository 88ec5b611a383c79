import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from api.idempotency import IdempotencyKey, idempotency_keys_purge
from customers.models import Customer
from orders.models import Order
from tests.factories import CustomerFactory
from tests.orders.factories import ProductFactory


def _post(api, path, body, key):
    return api.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_retry_creates_nothing_and_replays_the_first_answer(api_for, owner):
    api = api_for(owner)
    first = _post(api, "/api/v1/customers/", {"name": "Acme"}, "key-1")
    retry = _post(api, "/api/v1/customers/", {"name": "Acme"}, "key-1")

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Customer.objects.filter(name="Acme").count() == 1


def test_orders_too_with_key_order_and_whitespace_ignored(api_for, owner):
    customer = CustomerFactory(owner=owner)
    product = ProductFactory()
    api = api_for(owner)
    body = {
        "customer": customer.pk,
        "ordered_on": "2026-03-01",
        "lines": [{"product": product.pk, "quantity": 1}],
    }
    first = _post(api, "/api/v1/orders/", body, "order-1")
    reordered = {"lines": body["lines"], "ordered_on": "2026-03-01", "customer": customer.pk}
    retry = _post(api, "/api/v1/orders/", reordered, "order-1")
    assert retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"]
    assert Order.objects.count() == 1


def test_same_key_different_body_is_422(api_for, owner):
    api = api_for(owner)
    _post(api, "/api/v1/customers/", {"name": "Acme"}, "key-1")
    response = _post(api, "/api/v1/customers/", {"name": "Other"}, "key-1")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert not Customer.objects.filter(name="Other").exists()


def test_same_key_on_another_endpoint_is_422(api_for, owner):
    api = api_for(owner)
    _post(api, "/api/v1/customers/", {"name": "Acme"}, "key-1")
    assert _post(api, "/api/v1/orders/", {"name": "Acme"}, "key-1").status_code == 422


def test_keys_belong_to_their_user(api_for, owner, teammate):
    _post(api_for(owner), "/api/v1/customers/", {"name": "Acme"}, "shared")
    response = _post(api_for(teammate), "/api/v1/customers/", {"name": "Acme"}, "shared")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Customer.objects.filter(name="Acme").count() == 2


def test_a_refused_request_is_not_remembered(api_for, owner):
    api = api_for(owner)
    assert _post(api, "/api/v1/customers/", {"name": ""}, "key-1").status_code == 400
    assert not IdempotencyKey.objects.exists()
    assert _post(api, "/api/v1/customers/", {"name": "Fixed"}, "key-1").status_code == 201


def test_bulk_imports_accept_a_key(api_for, owner):
    customer = CustomerFactory(owner=owner)
    product = ProductFactory()
    body = {
        "orders": [
            {
                "customer": customer.pk,
                "ordered_on": "2026-03-01",
                "lines": [{"product": product.pk, "quantity": 1}],
            }
        ]
    }
    api = api_for(owner)
    first = _post(api, "/api/v1/orders/bulk/", body, "bulk-1")
    retry = _post(api, "/api/v1/orders/bulk/", body, "bulk-1")
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1


@pytest.mark.parametrize("key", ["", "x" * 256])
def test_malformed_keys_are_400(api_for, owner, key):
    response = _post(api_for(owner), "/api/v1/customers/", {"name": "Acme"}, key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["details"]


def test_keys_expire_after_a_day(api_for, owner):
    api = api_for(owner)
    _post(api, "/api/v1/customers/", {"name": "Acme"}, "key-1")
    IdempotencyKey.objects.update(created_at=timezone.now() - dt.timedelta(hours=25))
    again = _post(api, "/api/v1/customers/", {"name": "Acme"}, "key-1")
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert Customer.objects.filter(name="Acme").count() == 2


def test_purge_deletes_only_old_keys(owner):
    now = dt.datetime(2026, 6, 2, tzinfo=dt.UTC)
    for hours, key in ((30, "old"), (2, "fresh")):
        IdempotencyKey.objects.create(
            user=owner,
            key=key,
            method="POST",
            path="/",
            request_hash="h",
            created_at=now - dt.timedelta(hours=hours),
        )
    assert idempotency_keys_purge(now=now) == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_create_once(api_for, owner):
    """Two requests with one key at the same time: the unique constraint makes the second
    wait for the first, then replay it."""
    # Clients (and their API keys) are made here: a thread that failed before the barrier
    # would leave the other waiting for ever. The timeouts turn a hang into a failure.
    apis = [api_for(owner) for _ in range(2)]
    start = threading.Barrier(2, timeout=30)
    results = []

    def send(api):
        try:
            start.wait()
            results.append(_post(api, "/api/v1/customers/", {"name": "Race"}, "race"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(api,)) for api in apis]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(r.status_code for r in results) == [201, 201]
    assert len({r.json()["id"] for r in results}) == 1
    assert Customer.objects.filter(name="Race").count() == 1


def test_losing_the_race_at_the_unique_constraint_replays_the_winner(api_for, owner, monkeypatch):
    """The other request committed between our lookup and our insert."""
    api = api_for(owner)
    first = _post(api, "/api/v1/customers/", {"name": "Acme"}, "key-1")
    monkeypatch.setattr("api.idempotency._stored", lambda user, key: IdempotencyKey.objects.none())
    retry = _post(api, "/api/v1/customers/", {"name": "Acme"}, "key-1")
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Customer.objects.filter(name="Acme").count() == 1
