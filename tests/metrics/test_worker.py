"""The value engine through a real Celery worker process (the ``live_worker`` fixture):
messages serialised, tasks run in another process reading the same test database."""

import datetime as dt
import time
from contextlib import contextmanager
from decimal import Decimal
from unittest import mock

import pytest
from django.db import transaction

from metrics import services
from metrics.models import CustomerScore, DirtyCustomer, RecalcChunk, RecalcRun
from tests.factories import CustomerFactory
from tests.metrics.population import AS_OF, population, scores
from tests.orders.factories import OrderFactory

pytestmark = [pytest.mark.worker, pytest.mark.xdist_group("worker")]

TIMEOUT = 120
ACTIVE = (RecalcRun.Status.QUEUED, RecalcRun.Status.RUNNING)


@contextmanager
def quietly():
    """Build test data without sending a recalculation task per saved row (the marks are
    still written; a full run covers them). The tasks it did not send count as done, so
    the next mark sends a real one at once (metrics.services._dirty_task_send)."""
    with mock.patch("metrics.tasks.recalculate_dirty"):
        yield
    services.dirty_task_done()


def wait_for(condition, what):
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"the worker did not {what} in {TIMEOUT} s"
        time.sleep(0.2)


def test_a_full_run_through_the_worker_scores_every_customer(live_worker):
    with quietly():
        population(120, seed=7)
    assert DirtyCustomer.objects.count() == 120

    with transaction.atomic():
        run = services.recalc_request(trigger=RecalcRun.Trigger.USER, as_of=AS_OF)
    # Sent when the transaction committed, not before.
    wait_for(lambda: RecalcRun.objects.get(pk=run.pk).status not in ACTIVE, "finish the run")

    run.refresh_from_db()
    assert run.status == RecalcRun.Status.DONE, run.error
    assert run.total == run.processed == 120
    assert run.chunks_done == run.chunks_total == 1
    assert CustomerScore.objects.count() == 120
    assert CustomerScore.objects.filter(clv_method="predictive").exists()
    # The marks made before the run are covered by it.
    assert not DirtyCustomer.objects.exists()


def test_an_order_is_recalculated_by_the_worker_after_the_commit(live_worker):
    with quietly():
        population(80, seed=5)
        customer = CustomerFactory(name="Late buyer")
        OrderFactory(customer=customer, ordered_on=dt.date(2020, 1, 10), total="100.00")
    services.full_run_sync(as_of=AS_OF)
    assert CustomerScore.objects.get(customer=customer).revenue == Decimal("100.00")
    assert not DirtyCustomer.objects.exists()

    with transaction.atomic():
        OrderFactory(customer=customer, ordered_on=dt.date(2020, 3, 1), total="250.00")
        assert DirtyCustomer.objects.filter(customer_id=customer.pk).exists()
    wait_for(
        lambda: not DirtyCustomer.objects.filter(customer_id=customer.pk).exists(),
        "clear the dirty mark",
    )
    score = CustomerScore.objects.get(customer=customer)
    assert score.revenue == Decimal("350.00")
    assert score.orders_count == 2
    assert score.purchase_days == 2


def test_a_stalled_run_is_finished_by_the_worker_with_identical_results(live_worker):
    with quietly():
        population(90, seed=3)
    services.full_run_sync(as_of=AS_OF)
    expected = scores()

    # A worker staged the run and published one chunk, then died; the messages for the
    # other chunks were lost with it (a flushed broker, a machine gone).
    run = RecalcRun.objects.create(as_of=AS_OF)
    indices = services.full_run_prepare(run_id=run.pk, chunk_size=20)
    services.full_run_publish_chunk(run_id=run.pk, index=indices[0])
    run.refresh_from_db()
    assert run.status == RecalcRun.Status.RUNNING
    assert run.chunks_done == 1

    resumed = services.stalled_runs_resume(now=run.heartbeat_at + 2 * services.lease())
    assert resumed == [run.pk]
    wait_for(lambda: RecalcRun.objects.get(pk=run.pk).status not in ACTIVE, "resume the run")

    run.refresh_from_db()
    assert run.status == RecalcRun.Status.DONE, run.error
    assert run.processed == 90
    assert run.chunks_done == run.chunks_total == 5
    assert not RecalcChunk.objects.filter(run=run, done=False).exists()
    assert scores() == expected
