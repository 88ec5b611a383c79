"""Events are never lost nor doubled: each is written in the transaction of its change (the
outbox), and a worker turns it into deliveries; the sweep does it for whatever a process
that died left behind, and claims keep a delivery from being sent twice at once."""

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from api.webhooks import services
from api.webhooks.models import Event, OutboxEvent, WebhookDelivery
from customers.services import customer_create
from tests.api.factories import WebhookFactory
from tests.api.receiver import start_receiver
from tests.conftest import _database_url_for_test_db

Status = WebhookDelivery.Status
NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def receiver(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    state, stop = start_receiver()
    yield state
    stop()


def _sweep(now):
    """What webhooks_dispatch_due does at ``now``: dispatch the events left behind, then
    send the deliveries left behind."""
    services.events_sweep(now=now)
    for delivery_id in services.deliveries_due(now=now):
        services.delivery_attempt(delivery_id=delivery_id, now=now)


def _bodies(receiver):
    return [json.loads(request.body) for request in receiver.requests]


def test_the_event_is_written_in_the_transaction_of_the_change(db, owner):
    WebhookFactory(events=[Event.CUSTOMER_CREATED])
    with transaction.atomic():
        customer = customer_create(user=owner, name="Acme", external_id="ERP-1")
        event = OutboxEvent.objects.get()
        # Not yet dispatched: that waits for the commit.
        assert not WebhookDelivery.objects.exists()
    assert (event.type, event.object_id, event.external_id) == (
        "customer.created",
        customer.pk,
        "ERP-1",
    )
    assert event.dispatched_at is None


def test_a_rolled_back_change_writes_no_event(db, owner):
    def fails():
        with transaction.atomic():
            customer_create(user=owner, name="Ghost")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fails()
    assert not OutboxEvent.objects.exists()


def test_an_event_whose_dispatch_never_ran_is_delivered_once_by_the_sweep(receiver, owner):
    """The web process committed, then died before its after-commit hooks (none run)."""
    first = WebhookFactory(url=receiver.url, events=[Event.CUSTOMER_CREATED])
    second = WebhookFactory(url=receiver.url, events=[Event.CUSTOMER_CREATED])
    WebhookFactory(url=receiver.url, events=[Event.ORDER_CREATED])  # not subscribed
    customer = customer_create(user=owner, name="Acme")  # the test's hooks never run
    OutboxEvent.objects.update(created_at=NOW)

    _sweep(NOW)  # too fresh: its own task may still be on the way
    assert receiver.requests == []
    _sweep(NOW + services.SWEEP_GRACE)  # dispatched; deliveries due now, a minute on
    _sweep(NOW + 2 * services.SWEEP_GRACE)
    _sweep(NOW + 3 * services.SWEEP_GRACE)  # again: nothing more

    bodies = _bodies(receiver)
    assert len(bodies) == 2
    assert {(b["event"], b["data"]["id"], b["data"]["name"]) for b in bodies} == {
        ("customer.created", customer.pk, "Acme")
    }
    deliveries = WebhookDelivery.objects.order_by("webhook_id")
    assert [(d.webhook, d.status, d.attempts) for d in deliveries] == [
        (first, Status.SUCCEEDED, 1),
        (second, Status.SUCCEEDED, 1),
    ]
    assert {b["id"] for b in bodies} == {d.pk for d in deliveries}


def test_dispatching_an_event_twice_makes_its_deliveries_once(db, owner):
    WebhookFactory(events=[Event.CUSTOMER_CREATED])
    customer_create(user=owner, name="Acme")
    event = OutboxEvent.objects.get()
    assert len(services.events_dispatch(event_ids=[event.pk], now=NOW)) == 1
    assert services.events_dispatch(event_ids=[event.pk], now=NOW) == []
    # Even if the event were dispatched again (its mark lost), the delivery is unique.
    OutboxEvent.objects.update(dispatched_at=None)
    services.events_dispatch(event_ids=[event.pk], now=NOW)
    assert WebhookDelivery.objects.count() == 1


def test_a_worker_that_died_mid_delivery_is_retried_once_its_claim_expires(receiver, owner):
    WebhookFactory(url=receiver.url, events=[Event.CUSTOMER_CREATED])
    customer_create(user=owner, name="Acme")
    services.events_dispatch(event_ids=OutboxEvent.objects.values_list("pk", flat=True), now=NOW)
    delivery = WebhookDelivery.objects.get()
    # A worker claims it, then dies before sending (kill -9: nothing written after).
    assert services._claim(delivery.pk, NOW) is not None

    later = NOW + services.SWEEP_GRACE * 2
    assert services.deliveries_due(now=later) == []  # still claimed
    assert services.delivery_attempt(delivery_id=delivery.pk, now=later) is None
    assert receiver.requests == []

    expired = NOW + services.CLAIM_LEASE + services.SWEEP_GRACE
    assert services.deliveries_due(now=expired) == [delivery.pk]
    _sweep(expired)
    _sweep(expired)  # a duplicated sweep or task sends nothing more
    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (Status.SUCCEEDED, 2)


_CRASH_AFTER_COMMIT = """
import os
from django.db import transaction
from customers.services import customer_create

with transaction.atomic():
    # Registered first, so it runs first once the commit is done: the process dies between
    # the commit and the hooks that would have sent the event to a worker.
    transaction.on_commit(lambda: os._exit(1))
    customer_create(user=None, name="Committed then killed", external_id="ERP-KILL")
"""


def test_a_web_process_killed_right_after_its_commit_loses_no_event(transactional_db, receiver):
    hooks = [WebhookFactory(url=receiver.url, events=[Event.CUSTOMER_CREATED]) for _ in range(2)]
    env = {
        **os.environ,
        "DATABASE_URL": _database_url_for_test_db(),
        "CELERY_TASK_ALWAYS_EAGER": "true",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", textwrap.dedent(_CRASH_AFTER_COMMIT)],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr

    event = OutboxEvent.objects.get()  # committed with the customer
    assert (event.type, event.external_id, event.dispatched_at) == (
        "customer.created",
        "ERP-KILL",
        None,
    )
    assert not WebhookDelivery.objects.exists()

    later = timezone.now() + services.SWEEP_GRACE
    _sweep(later)
    _sweep(later + services.SWEEP_GRACE)
    bodies = _bodies(receiver)
    assert len(bodies) == len(hooks)
    assert {(b["event"], b["data"]["external_id"]) for b in bodies} == {
        ("customer.created", "ERP-KILL")
    }
    assert sorted(WebhookDelivery.objects.values_list("webhook_id", flat=True)) == sorted(
        hook.pk for hook in hooks
    )
