"""The events API (what was sent, 30 days), resend and ping, the deliveries' status filter,
the deletions feed, the archive rule for customers with orders, the purge, the queues."""

import datetime as dt
import json

import pytest
from django.conf import settings
from django.urls import reverse

from api.webhooks import services, signing
from api.webhooks.models import Event, OutboxEvent, WebhookDelivery
from customers.models import Customer
from customers.services import customer_create
from tests.api.factories import DeliveryFactory, WebhookFactory
from tests.api.receiver import start_receiver
from tests.factories import CustomerFactory
from tests.orders.factories import OrderFactory

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
Status = WebhookDelivery.Status


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    state, stop = start_receiver()
    yield state
    stop()


@pytest.fixture
def emit(django_capture_on_commit_callbacks):
    """Run a change and everything it queues after commit (dispatch, then delivery)."""

    def run(change):
        with django_capture_on_commit_callbacks(execute=True):
            return change()

    return run


def _results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def _all_pages(client, url):
    rows = []
    while url:
        page = client.get(url)
        assert page.status_code == 200, page.content
        rows += page.json()["results"]
        url = page.json()["next"]
    return rows


# --- Deleting customers: the archive rule, the events, the feed ---------------------------


def test_deleting_a_customer_without_orders_announces_it(api_for, owner, emit, receiver):
    WebhookFactory(url=receiver.url, events=[Event.CUSTOMER_DELETED])
    customer = CustomerFactory(owner=owner, external_id="ERP-7")
    response = emit(lambda: api_for(owner).delete(f"/api/v1/customers/{customer.pk}/"))
    assert response.status_code == 204
    body = json.loads(receiver.requests[0].body)
    assert body["event"] == "customer.deleted"
    assert body["data"] == {"id": customer.pk, "external_id": "ERP-7", "owner": owner.pk}
    event = OutboxEvent.objects.get(type=Event.CUSTOMER_DELETED)
    assert body["event_id"] == event.pk


def test_a_customer_with_orders_is_not_deleted_409(api_for, owner):
    customer = CustomerFactory(owner=owner)
    OrderFactory(customer=customer, total="10.00")
    response = api_for(owner).delete(f"/api/v1/customers/{customer.pk}/")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "conflict"
    assert "has orders" in error["message"]
    assert "churned" in error["message"]
    assert error["details"] == {"archive": {"status": "churned"}}
    assert Customer.objects.filter(pk=customer.pk).exists()
    assert not OutboxEvent.objects.filter(type=Event.CUSTOMER_DELETED).exists()


def test_the_delete_page_of_a_customer_with_orders_says_why_and_has_no_button(client_for, owner):
    customer = CustomerFactory(owner=owner)
    OrderFactory(customer=customer, total="10.00")
    client = client_for(owner)
    url = reverse("customers:delete", args=[customer.pk])
    page = client.get(url).content.decode()
    assert "This customer has orders, so it cannot be deleted" in page
    assert "Delete customer</button>" not in page
    # A hand-made POST is refused the same way.
    assert client.post(url).status_code == 200
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_the_delete_page_of_a_customer_without_orders_deletes(client_for, owner):
    customer = CustomerFactory(owner=owner)
    client = client_for(owner)
    url = reverse("customers:delete", args=[customer.pk])
    assert "Delete customer</button>" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert not Customer.objects.filter(pk=customer.pk).exists()


def test_the_deletions_feed_pages_tombstones_since_a_time(api_for, owner, teammate, admin_user):
    mine = [CustomerFactory(owner=owner, external_id=f"ERP-{n}") for n in range(3)]
    theirs = CustomerFactory(owner=teammate)
    for customer in [*mine, theirs]:
        api_for(admin_user).delete(f"/api/v1/customers/{customer.pk}/")
    OutboxEvent.objects.filter(object_id=mine[0].pk).update(created_at=NOW - dt.timedelta(days=2))

    since = (NOW - dt.timedelta(days=1)).isoformat().replace("+00:00", "Z")
    rows = _all_pages(api_for(owner), f"/api/v1/deletions/?type=customer&page_size=1&since={since}")
    assert [(r["type"], r["object_id"], r["external_id"]) for r in rows] == [
        ("customer", mine[1].pk, "ERP-1"),
        ("customer", mine[2].pk, "ERP-2"),
    ]  # oldest first; another rep's customer is not the owner's to know of
    everyone = _all_pages(api_for(admin_user), "/api/v1/deletions/")
    assert {r["object_id"] for r in everyone} == {c.pk for c in [*mine, theirs]}
    assert api_for(owner).get("/api/v1/deletions/?type=contact").status_code == 400
    assert api_for(owner).get("/api/v1/deletions/?since=yesterday").status_code == 400
    assert api_for(owner).get("/api/v1/deletions/?updated_since=2026-01-01").status_code == 400


def test_a_deleted_order_is_a_tombstone_too(api_for, owner, admin_user):
    customer = CustomerFactory(owner=owner)
    order = OrderFactory(customer=customer, total="10.00")
    order_id, number = order.pk, order.number
    order.delete()  # orders go only with their customer's merge or by hand (admin, shell)
    rows = _results(api_for(owner).get("/api/v1/deletions/?type=order"))
    assert [(r["type"], r["object_id"], r["external_id"]) for r in rows] == [
        ("order", order_id, None)
    ]
    event = OutboxEvent.objects.get(type=Event.ORDER_DELETED)
    assert event.data == {
        "id": order_id,
        "external_id": None,
        "owner": owner.pk,
        "number": number,
        "customer": customer.pk,
    }


def test_the_deletions_feed_needs_the_right_to_read_customers(api_for, outsider):
    assert api_for(outsider).get("/api/v1/deletions/").status_code == 403


# --- The events API -----------------------------------------------------------------------


def test_events_list_since_and_by_type(api_for, admin_user, owner):
    customer = customer_create(user=owner, name="Acme")
    OrderFactory(customer=customer, total="10.00")
    OutboxEvent.objects.filter(type=Event.CUSTOMER_CREATED).update(
        created_at=NOW - dt.timedelta(days=3)
    )
    client = api_for(admin_user)
    everything = _all_pages(client, "/api/v1/events/?page_size=2")
    assert everything[0]["type"] == "customer.created"  # oldest first
    assert {"customer.created", "order.created"} <= {e["type"] for e in everything}

    rows = _results(client.get("/api/v1/events/?type=customer.created,order.created"))
    assert {r["type"] for r in rows} == {"customer.created", "order.created"}
    since = (NOW - dt.timedelta(days=1)).isoformat().replace("+00:00", "Z")
    rows = _results(client.get(f"/api/v1/events/?type=customer.created&since={since}"))
    assert rows == []
    assert client.get("/api/v1/events/?type=nope").status_code == 400
    one = client.get(f"/api/v1/events/{everything[0]['id']}/").json()
    assert (one["object_type"], one["object_id"]) == ("customer", customer.pk)


def test_only_webhook_managers_read_events(api_for, owner):
    assert api_for(owner).get("/api/v1/events/").status_code == 403
    assert api_for(owner).post("/api/v1/events/1/resend/").status_code == 403


def test_an_event_is_resent_to_its_webhooks_or_one(api_for, admin_user, owner, emit, receiver):
    subscribed = WebhookFactory(url=receiver.url, events=[Event.CUSTOMER_CREATED])
    other = WebhookFactory(url=receiver.url, events=[Event.ORDER_CREATED])
    emit(lambda: customer_create(user=owner, name="Acme"))
    event = OutboxEvent.objects.get(type=Event.CUSTOMER_CREATED)
    assert len(receiver.requests) == 1
    client = api_for(admin_user)

    response = emit(lambda: client.post(f"/api/v1/events/{event.pk}/resend/"))
    assert response.status_code == 202
    delivery = WebhookDelivery.objects.get(webhook=subscribed)
    assert response.json() == {"deliveries": [delivery.pk]}
    # The same delivery again: the same id, the same body.
    assert receiver.requests[1].body == receiver.requests[0].body

    response = emit(
        lambda: client.post(
            f"/api/v1/events/{event.pk}/resend/", {"webhook": other.pk}, format="json"
        )
    )
    assert response.status_code == 202
    assert WebhookDelivery.objects.get(webhook=other).status == Status.SUCCEEDED
    assert len(receiver.requests) == 3
    assert (
        client.post(
            f"/api/v1/events/{event.pk}/resend/", {"webhook": 999999}, format="json"
        ).status_code
        == 400
    )
    assert client.post("/api/v1/events/999999/resend/").status_code == 404


def test_a_ping_is_signed_and_logged(api_for, admin_user, emit, receiver):
    hook = WebhookFactory(url=receiver.url, secret="s3cret", events=[Event.ORDER_CREATED])
    WebhookFactory(url=receiver.url, events=[Event.ORDER_CREATED])  # not pinged
    response = emit(lambda: api_for(admin_user).post(f"/api/v1/webhooks/{hook.pk}/ping/"))
    assert response.status_code == 202
    assert response.json()["type"] == "webhook.ping"
    [request] = receiver.requests
    assert request.headers["X-CRM-Event"] == "webhook.ping"
    assert signing.verify(
        secret="s3cret",
        timestamp=request.headers["X-CRM-Timestamp"],
        body=request.body,
        received=request.headers["X-CRM-Signature"],
    )
    assert json.loads(request.body)["data"] == {"webhook": hook.pk, "url": hook.url}
    assert WebhookDelivery.objects.get().webhook == hook

    hook.active = False
    hook.save()
    assert api_for(admin_user).post(f"/api/v1/webhooks/{hook.pk}/ping/").status_code == 400


def test_deliveries_filter_by_status(api_for, admin_user):
    hook = WebhookFactory()
    failed = DeliveryFactory(webhook=hook, status=Status.FAILED)
    DeliveryFactory(webhook=hook, status=Status.SUCCEEDED)
    client = api_for(admin_user)
    url = f"/api/v1/webhooks/{hook.pk}/deliveries/"
    assert [d["id"] for d in _results(client.get(url + "?status=failed"))] == [failed.pk]
    assert len(_results(client.get(url))) == 2
    response = client.get(url + "?status=broken")
    assert response.status_code == 400
    assert "status" in response.json()["error"]["details"]


# --- Keeping events 30 days ---------------------------------------------------------------


def test_events_older_than_30_days_are_purged_and_their_log_stays(db, owner):
    customer_create(user=owner, name="Acme")
    hook = WebhookFactory(events=[Event.CUSTOMER_CREATED])
    services.events_dispatch(event_ids=OutboxEvent.objects.values_list("pk", flat=True), now=NOW)
    OutboxEvent.objects.update(created_at=NOW - dt.timedelta(days=31))
    fresh = OutboxEvent.objects.create(type=Event.CUSTOMER_UPDATED, created_at=NOW)

    assert services.events_purge(now=NOW) >= 1
    assert services.events_purge(now=NOW) == 0  # idempotent
    assert list(OutboxEvent.objects.all()) == [fresh]
    assert WebhookDelivery.objects.get().webhook == hook  # the log keeps the delivery


# --- Queues ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("api.tasks.deliver_webhook", "webhooks"),
        ("api.tasks.dispatch_events", "webhooks"),
        ("dataio.tasks.commit_import", "imports"),
        ("surveys.tasks.send_invitations", "surveys"),
        ("metrics.tasks.recalculate_dirty", "celery"),
    ],
)
def test_slow_work_has_queues_of_its_own(task, queue):
    from celery.app.routes import Router, prepare

    from crm.celery import app

    router = Router(prepare(settings.CELERY_TASK_ROUTES), app.amqp.queues, True, app=app)
    routed = router.route({}, task)
    assert routed["queue"].name == settings.CELERY_QUEUE_PREFIX + queue
