import datetime as dt
import json
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from api.webhooks import services, signing
from api.webhooks.models import Event, WebhookDelivery
from customers.services import customer_create
from tests.api.factories import DeliveryFactory, WebhookFactory
from tests.api.receiver import start_receiver
from tests.factories import CustomerFactory, UserFactory
from tests.orders.factories import OrderFactory, ProductFactory
from tests.surveys.factories import InvitationFactory, ResponseFactory

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
Status = WebhookDelivery.Status


@pytest.fixture
def receiver(db, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    state, stop = start_receiver()
    yield state
    stop()


@pytest.fixture
def emit(django_capture_on_commit_callbacks):
    """Run a change and everything it queues after commit (the event, then its task)."""

    def run(change):
        with django_capture_on_commit_callbacks(execute=True):
            return change()

    return run


def _signed_ok(request, secret):
    return signing.verify(
        secret=secret,
        timestamp=request.headers["X-CRM-Timestamp"],
        body=request.body,
        received=request.headers["X-CRM-Signature"],
    )


def test_a_new_customer_is_posted_signed_to_the_subscribed_webhook(receiver, emit, owner):
    hook = WebhookFactory(url=receiver.url, secret="s3cret", events=[Event.CUSTOMER_CREATED])
    WebhookFactory(url=receiver.url, events=[Event.ORDER_CREATED])  # not subscribed

    customer = emit(lambda: customer_create(user=owner, name="Acme"))

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    body = json.loads(request.body)
    delivery = WebhookDelivery.objects.get()
    assert body["id"] == delivery.pk
    assert body["event"] == "customer.created"
    assert body["data"]["id"] == customer.pk
    assert body["data"]["name"] == "Acme"
    assert request.headers["X-CRM-Event"] == "customer.created"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-CRM-Signature"].startswith("sha256=")
    assert _signed_ok(request, "s3cret")
    assert not _signed_ok(request, "wrong")
    assert (delivery.webhook, delivery.status, delivery.attempts) == (hook, Status.SUCCEEDED, 1)
    assert delivery.last_status_code == 200
    assert delivery.delivered_at


def test_an_order_event_carries_its_lines(receiver, emit, owner):
    WebhookFactory(url=receiver.url, events=[Event.ORDER_CREATED, Event.ORDER_UPDATED])
    customer = CustomerFactory(owner=owner)
    product = ProductFactory()
    emit(lambda: OrderFactory(customer=customer, lines=[(product, 2)]))
    body = json.loads(receiver.requests[0].body)
    assert body["event"] == "order.created"
    assert body["data"]["lines"][0]["quantity"] == 2
    assert body["data"]["total"] == "200.00"


def test_a_rolled_back_change_announces_nothing(receiver, emit, owner):
    WebhookFactory(url=receiver.url, events=[Event.CUSTOMER_CREATED])

    def fails():
        with transaction.atomic():
            customer_create(user=owner, name="Ghost")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        emit(fails)
    assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []


def test_paused_webhooks_get_nothing(receiver, emit, owner):
    WebhookFactory(url=receiver.url, events=[Event.CUSTOMER_CREATED], active=False)
    emit(lambda: customer_create(user=owner, name="Acme"))
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize(
    ("score", "events"), [(3, ["survey.response", "survey.detractor"]), (9, ["survey.response"])]
)
def test_answers_and_detractors(receiver, emit, owner, score, events):
    WebhookFactory(url=receiver.url, events=[Event.SURVEY_RESPONSE, Event.DETRACTOR_RESPONSE])
    invitation = InvitationFactory(customer=CustomerFactory(owner=owner))
    emit(lambda: ResponseFactory(invitation=invitation, score=score))
    assert sorted(json.loads(r.body)["event"] for r in receiver.requests) == sorted(events)


def test_failures_are_retried_with_backoff_then_given_up(receiver):
    receiver.statuses = [500] * 10
    delivery = DeliveryFactory(webhook=WebhookFactory(url=receiver.url))
    now = NOW
    delays = []
    while True:
        delay = services.delivery_attempt(delivery_id=delivery.pk, now=now)
        assert services.delivery_attempt(delivery_id=delivery.pk, now=now) is None  # not due
        if delay is None:
            break
        delays.append(delay.total_seconds())
        now += delay
    delivery.refresh_from_db()
    assert delays == [30, 120, 480, 1920, 7680]
    assert (delivery.status, delivery.attempts, len(receiver.requests)) == (Status.FAILED, 6, 6)
    assert (delivery.last_status_code, delivery.last_error) == (500, "HTTP 500")
    # Every attempt sends the same body, signed anew.
    assert len({r.body for r in receiver.requests}) == 1


def test_a_later_attempt_can_succeed(receiver):
    receiver.statuses = [503]
    delivery = DeliveryFactory(webhook=WebhookFactory(url=receiver.url))
    delay = services.delivery_attempt(delivery_id=delivery.pk, now=NOW)
    delivery.refresh_from_db()
    assert delivery.status == Status.PENDING
    assert delivery.next_attempt_at == NOW + delay
    assert services.delivery_attempt(delivery_id=delivery.pk, now=NOW + delay) is None
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (Status.SUCCEEDED, 2, "")


def test_a_delivery_is_sent_once_even_if_its_task_runs_twice(receiver):
    delivery = DeliveryFactory(webhook=WebhookFactory(url=receiver.url))
    services.delivery_attempt(delivery_id=delivery.pk, now=NOW)
    services.delivery_attempt(delivery_id=delivery.pk, now=NOW)
    assert len(receiver.requests) == 1


def test_an_unreachable_receiver_is_logged(db, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    delivery = DeliveryFactory(webhook=WebhookFactory(url="http://127.0.0.1:9/closed"))
    assert services.delivery_attempt(delivery_id=delivery.pk, now=NOW) is not None
    delivery.refresh_from_db()
    assert delivery.last_status_code is None
    assert delivery.last_error


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/x",
        "http://10.1.2.3/x",
        "http://[::1]/x",
        "ftp://hooks.example.com/",
        "https://hooks.example.com:99999/",
    ],
)
def test_registration_refuses_private_addresses_and_other_schemes(admin_user, settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
    with pytest.raises(ValidationError) as excinfo:
        services.webhook_create(user=admin_user, url=url, events=[Event.ORDER_CREATED])
    assert "url" in excinfo.value.message_dict


def test_delivery_refuses_a_name_resolving_to_loopback(db, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
    delivery = DeliveryFactory(webhook=WebhookFactory(url="http://localhost:8000/hook"))
    services.delivery_attempt(delivery_id=delivery.pk, now=NOW)
    delivery.refresh_from_db()
    assert "private or local" in delivery.last_error


def test_registration_checks_events_and_makes_a_secret(admin_user, owner):
    with pytest.raises(ValidationError):
        services.webhook_create(user=admin_user, url="https://a.example.com", events=["nope"])
    with pytest.raises(ValidationError):
        services.webhook_create(user=admin_user, url="https://a.example.com", events=[])
    hook = services.webhook_create(
        user=admin_user, url="https://a.example.com", events=[Event.ORDER_CREATED] * 2
    )
    assert hook.events == ["order.created"]
    assert len(hook.secret) > 30
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.webhook_create(user=owner, url="https://a.example.com", events=["order.created"])


def test_tier_changes_are_queued_for_subscribed_hooks(db, emit):
    hook = WebhookFactory(events=[Event.TIER_CHANGED])
    WebhookFactory(events=[Event.ORDER_CREATED])
    change = {
        "customer": 7,
        "tier": "A",
        "previous_tier": "B",
        "value_score": 50.0,
        "as_of": dt.date(2026, 6, 1),
        "run": 3,
    }
    assert len(emit(lambda: services.tier_changes_emit(changes=[change], now=NOW))) == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.webhook == hook
    assert delivery.event == Event.TIER_CHANGED
    assert delivery.payload["data"] == {**change, "as_of": "2026-06-01"}


def test_the_sweep_picks_only_overdue_deliveries(db):
    overdue = DeliveryFactory(next_attempt_at=NOW - dt.timedelta(minutes=5))
    DeliveryFactory(next_attempt_at=NOW)  # its own task is on the way
    DeliveryFactory(next_attempt_at=NOW - dt.timedelta(hours=1), status=Status.SUCCEEDED)
    assert services.deliveries_due(now=NOW) == [overdue.pk]


def test_a_failed_delivery_can_be_retried(receiver, emit, admin_user):
    delivery = DeliveryFactory(
        webhook=WebhookFactory(url=receiver.url), status=Status.FAILED, attempts=6
    )
    emit(lambda: services.delivery_retry(user=admin_user, delivery=delivery))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.SUCCEEDED, 1)


@pytest.fixture
def worker_may_reach_loopback(monkeypatch):
    """Before live_worker starts: the worker process reads its settings from the env."""
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE_NETWORKS", "1")


@pytest.mark.worker
def test_a_real_worker_delivers(worker_may_reach_loopback, receiver, live_worker):
    """The whole path: a change commits, a Celery worker process sends the event."""
    user = UserFactory(username="integrator", is_superuser=True)
    WebhookFactory(url=receiver.url, events=[Event.CUSTOMER_CREATED])
    customer_create(user=user, name="Acme")

    assert receiver.arrived.wait(timeout=30), "nothing arrived"
    deadline = time.monotonic() + 10
    while WebhookDelivery.objects.get().status != Status.SUCCEEDED:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert json.loads(receiver.requests[0].body)["data"]["name"] == "Acme"
