"""POST /api/v1/customers/batch/: create, update or upsert by external id, all or nothing,
checked as the single endpoints check, in a fixed number of queries."""

from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.jobs import BulkJob
from api.webhooks.models import OutboxEvent
from customers.models import Customer
from metrics.models import CustomerScore, DirtyCustomer
from orders.models import CustomerDay, Order
from tests.api.test_bulk import sqlite_variables  # noqa: F401  (a fixture)
from tests.campaigns.factories import CampaignFactory
from tests.factories import CustomerFactory

URL = "/api/v1/customers/batch/"


def _customer(i, **extra):
    return {
        "name": f"Batch {i}",
        "kind": "company",
        "status": "active",
        "email": f"b{i}@example.com",
        "region": "North",
        "tags": ["wholesale", "Batch"],
        "external_id": f"ERP-{i}",
        **extra,
    }


def _post(client, body, query="?async=false", **headers):
    return client.post(f"{URL}{query}", body, format="json", headers=headers)


def test_create_writes_every_customer_as_the_single_endpoint_would(api_for, owner, manager):
    campaign = CampaignFactory()
    referrer = CustomerFactory(owner=owner)
    client = api_for(owner)
    extra = {"acquired_by_campaign": campaign.pk, "referred_by": referrer.pk, "owner": manager.pk}
    single = client.post("/api/v1/customers/", _customer(0, **extra), format="json")
    assert single.status_code == 201
    DirtyCustomer.objects.all().delete()
    events_before = OutboxEvent.objects.count()

    response = _post(client, {"customers": [_customer(i, **extra) for i in (1, 2)]})

    assert response.status_code == 201, response.content
    ids = response.json()["ids"]
    one, batch = (
        client.get(f"/api/v1/customers/{single.json()['id']}/").json(),
        [client.get(f"/api/v1/customers/{pk}/").json() for pk in ids],
    )
    varying = {"id", "name", "email", "external_id", "created_at", "updated_at"}
    for got in batch:
        assert {k: v for k, v in got.items() if k not in varying} == {
            k: v for k, v in one.items() if k not in varying
        }
    # A rep owns what they create, whatever the item says.
    assert {c.owner_id for c in Customer.objects.filter(pk__in=ids)} == {owner.pk}
    assert sorted(batch[0]["tags"]) == ["Batch", "wholesale"]
    created = Customer.objects.get(pk=ids[0])
    assert [(h.history_type, h.history_user_id) for h in created.history.all()] == [("+", owner.pk)]
    events = OutboxEvent.objects.order_by("pk")[events_before:]
    assert [(e.type, e.object_id) for e in events] == [("customer.created", pk) for pk in ids]
    assert set(DirtyCustomer.objects.values_list("customer_id", flat=True)) >= set(ids)


def test_update_changes_the_fields_given_of_the_customers_named_by_external_id(api_for, owner):
    kept = CustomerFactory(owner=owner, external_id="ERP-1", region="South", phone="123")
    before = kept.updated_at
    response = _post(
        api_for(owner),
        {
            "mode": "update",
            "customers": [{"external_id": "ERP-1", "region": "West", "tags": ["vip"]}],
        },
    )

    assert response.status_code == 201, response.content
    assert response.json()["ids"] == [kept.pk]
    kept.refresh_from_db()
    assert (kept.region, kept.phone, kept.name) == ("West", "123", kept.name)
    assert [t.name for t in kept.tags.all()] == ["vip"]
    assert kept.updated_at > before
    assert kept.history.first().history_type == "~"
    assert OutboxEvent.objects.filter(type="customer.updated", object_id=kept.pk).exists()


def test_a_batch_analyzes_the_tables_its_owner_changes_reach(api_for, manager, owner):
    CustomerFactory(owner=owner, external_id="ERP-1")
    with mock.patch("api.bulk.analyze") as analyze:
        response = _post(
            api_for(manager),
            {"mode": "update", "customers": [{"external_id": "ERP-1", "owner": manager.pk}]},
        )
    assert response.status_code == 201, response.content
    # The owner is copied onto the customer's orders, summary and score rows
    # (core.db.analyze then analyzes those left with stale statistics, after the commit).
    analyze.assert_called_once()
    assert {Customer, CustomerDay, Order, CustomerScore} <= set(analyze.call_args.args)


def test_update_names_each_customer_by_an_external_id_of_the_users(api_for, owner, teammate):
    CustomerFactory(owner=teammate, external_id="THEIRS")
    CustomerFactory(owner=owner, external_id="MINE")
    response = _post(
        api_for(owner),
        {
            "mode": "update",
            "customers": [
                {"external_id": "MINE", "name": "Renamed"},
                {"name": "no id"},
                {"external_id": "THEIRS", "name": "x"},
                {"external_id": "NOBODY", "name": "x"},
            ],
        },
    )
    assert response.status_code == 400
    items = response.json()["error"]["details"]["items"]
    assert [(item["index"], list(item["errors"])) for item in items] == [
        (1, ["external_id"]),
        (2, ["external_id"]),
        (3, ["external_id"]),
    ]
    assert not Customer.objects.filter(name="Renamed").exists()


def test_upsert_updates_the_known_and_creates_the_rest(api_for, owner):
    known = CustomerFactory(owner=owner, external_id="ERP-1")
    response = _post(
        api_for(owner),
        {"mode": "upsert", "customers": [_customer(0), _customer(1, name="Known, renamed")]},
    )

    assert response.status_code == 201, response.content
    new_id, known_id = response.json()["ids"]
    assert known_id == known.pk
    assert Customer.objects.get(pk=known.pk).name == "Known, renamed"
    assert Customer.objects.get(pk=new_id).external_id == "ERP-0"
    assert OutboxEvent.objects.filter(type="customer.created", object_id=new_id).exists()
    assert OutboxEvent.objects.filter(type="customer.updated", object_id=known_id).exists()


def test_every_invalid_item_is_listed_and_nothing_is_written(api_for, owner):
    CustomerFactory(owner=owner, external_id="TAKEN")
    single = api_for(owner).post(
        "/api/v1/customers/", _customer(9, external_id="TAKEN"), format="json"
    )
    customers = [
        _customer(0),
        _customer(1, email="not an email", referred_by=999999),
        _customer(2, external_id="TAKEN"),
        _customer(3, external_id="ERP-0"),  # the same as item 0
        "not an object",
    ]
    response = _post(api_for(owner), {"customers": customers})

    assert response.status_code == 400
    items = response.json()["error"]["details"]["items"]
    assert [(item["index"], sorted(item["errors"])) for item in items] == [
        (1, ["email", "referred_by"]),
        (4, ["non_field_errors"]),
    ]

    # Once every item passes the fields' checks, the writing finds the taken external ids.
    response = _post(api_for(owner), {"customers": customers[0:1] + customers[2:4]})
    items = response.json()["error"]["details"]["items"]
    assert [(item["index"], sorted(item["errors"])) for item in items] == [
        (1, ["external_id"]),
        (2, ["external_id"]),
    ]
    # The same message as the single endpoint's.
    assert items[0]["errors"]["external_id"] == single.json()["error"]["details"]["external_id"]
    assert not Customer.objects.filter(name__startswith="Batch").exists()


@pytest.mark.parametrize(
    "body",
    [{}, {"customers": []}, {"customers": "x"}, [], {"mode": "merge", "customers": [{}]}],
)
def test_the_body_needs_a_mode_and_a_list(api_for, owner, body):
    response = _post(api_for(owner), body)
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) & {"customers", "mode"}


def _batch_queries(client, body):
    with CaptureQueriesContext(connection) as captured:
        response = _post(client, body)
    assert response.status_code == 201, response.content[:500]
    return len(captured)


@pytest.mark.usefixtures("sqlite_variables")
@pytest.mark.parametrize("mode", ["create", "upsert"])
def test_the_number_of_queries_does_not_grow_with_the_customers(api_for, manager, mode):
    campaign = CampaignFactory()
    referrer = CustomerFactory()
    for i in range(0, 200, 2):  # upsert: half of them exist
        CustomerFactory(external_id=f"U-{i}")
    client = api_for(manager)

    def body(prefix, count):
        return {
            "mode": mode,
            "customers": [
                _customer(
                    i,
                    external_id=f"{prefix}-{i}",
                    owner=manager.pk,
                    referred_by=referrer.pk,
                    acquired_by_campaign=campaign.pk,
                    tags=[f"{prefix}{count}-{i % 7}", "all"],  # new tags in every batch
                )
                for i in range(count)
            ],
        }

    _batch_queries(client, body("W", 3))  # warm-up: first-time reads
    prefix = "U" if mode == "upsert" else "C"
    ten = _batch_queries(client, body(prefix, 10))
    hundred = _batch_queries(client, body(prefix + "2" if mode == "create" else prefix, 100))
    assert ten == hundred
    # Three of them move the customers' CLV to their new campaign in the score totals
    # (metrics.totals.campaigns_changing: read before, lock, read and add after), and two
    # add the new and the moved customers to their campaigns' counts (one upsert each). The
    # new owners reach the copies on the score rows and on the orders (one UPDATE each).
    assert hundred <= 45


def test_an_idempotency_key_replays_the_batch(api_for, owner):
    client = api_for(owner)
    body = {"customers": [_customer(0)]}
    first = _post(client, body, **{"Idempotency-Key": "c1"})
    again = _post(client, body, **{"Idempotency-Key": "c1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Customer.objects.filter(external_id="ERP-0").count() == 1


def test_a_large_batch_is_a_job(api_for, owner, settings, django_capture_on_commit_callbacks):
    settings.API_BULK_ASYNC_ITEMS = 2
    client = api_for(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(
            client, {"mode": "upsert", "customers": [_customer(i) for i in range(3)]}, query=""
        )
    assert response.status_code == 202
    job = client.get(response.json()["url"]).json()
    assert (job["kind"], job["status"]) == (BulkJob.Kind.CUSTOMERS, "succeeded")
    assert job["ids"] == list(
        Customer.objects.filter(external_id__startswith="ERP-")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
