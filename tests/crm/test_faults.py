"""Crashes and outages with a real worker process (``worker_process``): a worker killed
with ``kill -9`` in the middle of a full run's chunk or of a survey's sending, and the
broker unreachable from the web process. The work resumes, within the target, with exact
counts: nothing lost, no score row or email twice.

The workers here hold their work on a lease of LEASE seconds instead of 30, so the tests
take seconds; the test stands in for celery beat where a periodic sweep is needed.
"""

import datetime as dt
import re
import time
from contextlib import contextmanager
from decimal import Decimal
from unittest import mock

import pytest
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from metrics import services
from metrics.models import CustomerScore, DirtyCustomer, RecalcRun, ScoreSnapshot
from metrics.tasks import recalculate_dirty, resume_stalled_runs
from orders.models import Order
from surveys import tasks as survey_tasks
from surveys.models import Invitation, Survey
from tests.factories import CustomerFactory, UserFactory
from tests.metrics.population import AS_OF, population, scores
from tests.orders.factories import OrderFactory, ProductFactory
from tests.outages import broker_unreachable
from tests.surveys.factories import SurveyFactory

pytestmark = [pytest.mark.worker, pytest.mark.xdist_group("worker")]

LEASE = 1.0
LEASE_ENV = {"WORK_LEASE_SECONDS": str(LEASE)}
# The target for resuming once a worker is back; the real figures (in
# docs/architecture.md) are far below it, so the tests are not timing-sensitive.
TARGET = 60


def wait_for(condition, what, *, worker=None, timeout=TARGET, every=0.1, tick=None):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout} s\n" + (worker.log() if worker else ""))
        if tick:
            tick()
        time.sleep(every)


@contextmanager
def quietly():
    """Build test data without sending a recalculation task per saved row. The tasks it did
    not send count as done, so the next mark sends a real one at once."""
    with mock.patch("metrics.tasks.recalculate_dirty"):
        yield
    services.dirty_task_done()


def freezing(tmp_path, at, **env):
    """Environment for a worker that freezes at ``at`` (tests/crm/faults_worker.py)."""
    marker = tmp_path / "frozen"
    return marker, {**LEASE_ENV, "FAULT_AT": at, "FAULT_MARKER": str(marker), **env}


def lease_cutoff():
    """Work with no sign of life since then has lost its lease."""
    return timezone.now() - dt.timedelta(seconds=LEASE)


def test_a_full_run_resumes_after_its_worker_is_killed_mid_chunk(worker_process, tmp_path):
    with quietly(), transaction.atomic():  # one commit: much faster than one per row
        population(40, seed=7)
    services.full_run_sync(as_of=AS_OF)
    expected = scores()

    marker, env = freezing(tmp_path, "chunk:2", FAULT_CHUNK_SIZE="10")
    worker_process.start(env=env, include="tests.crm.faults_worker")
    run = services.recalc_request(trigger=RecalcRun.Trigger.USER, as_of=AS_OF)
    wait_for(marker.exists, "the worker freezes in the second chunk", worker=worker_process)
    worker_process.kill()

    run.refresh_from_db()
    assert (run.status, run.chunks_total, run.chunks_done) == (RecalcRun.Status.RUNNING, 4, 1)
    # The killed worker's chunk wrote nothing: its transaction died with it.
    assert run.chunks.filter(done=True).count() == 1
    wait_for(
        lambda: RecalcRun.objects.filter(pk=run.pk, heartbeat_at__lt=lease_cutoff()).exists(),
        "the run's lease runs out",
    )

    worker_process.start(env=LEASE_ENV)
    started = time.monotonic()
    # Celery beat sends the recovery sweep every RECOVERY_SWEEP_SECONDS; here, twice a second.
    wait_for(
        lambda: RecalcRun.objects.get(pk=run.pk).status == RecalcRun.Status.DONE,
        "the run finishes after the restart",
        worker=worker_process,
        every=0.5,
        tick=lambda: resume_stalled_runs.apply_async(expires=1),
    )
    print(f"full run resumed and finished {time.monotonic() - started:.1f} s after the restart")

    run.refresh_from_db()
    assert (run.processed, run.chunks_done, run.chunks_total) == (40, 4, 4)
    assert CustomerScore.objects.count() == 40
    assert ScoreSnapshot.objects.filter(as_of=AS_OF).count() == 40
    assert scores() == expected


def _mail_recipients(folder):
    text = "".join(path.read_text() for path in folder.iterdir()) if folder.exists() else ""
    return sorted(re.findall(r"^To: (\S+)$", text, flags=re.MULTILINE))


def test_a_survey_send_resumes_after_its_worker_is_killed_mid_send(
    worker_process, tmp_path, monkeypatch
):
    monkeypatch.setenv("SURVEY_SEND_BATCH_SIZE", "3")
    sender = UserFactory(username="sender", is_superuser=True)
    emails = sorted(f"buyer{i}@example.com" for i in range(10))
    for email in emails:
        CustomerFactory(owner=sender, email=email)
    survey = SurveyFactory(
        status=Survey.Status.SCHEDULED,
        scheduled_for=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
        sent_by=sender,
    )

    # Frozen once the first email of the second batch has left, before it is marked sent.
    marker, env = freezing(
        tmp_path, "email:4", EMAIL_BACKEND="tests.crm.faults_worker.FreezingEmailBackend"
    )
    worker_process.start(env=env)
    survey_tasks.start_survey.delay(survey.pk)
    wait_for(marker.exists, "the worker freezes in the second batch", worker=worker_process)
    worker_process.kill()

    states = dict.fromkeys(Invitation.State.values, 0)
    for state in survey.invitations.values_list("state", flat=True):
        states[state] += 1
    assert (states["sent"], states["sending"], states["pending"]) == (3, 1, 6)
    wait_for(
        lambda: not survey.invitations.filter(claimed_at__gte=lease_cutoff()).exists(),
        "the survey's lease runs out",
    )

    # No beat here: the worker asks for the recovery sweeps as it starts.
    worker_process.start(env=LEASE_ENV)
    started = time.monotonic()
    wait_for(
        lambda: Survey.objects.get(pk=survey.pk).status == Survey.Status.OPEN,
        "the sending finishes after the restart",
        worker=worker_process,
    )
    print(f"survey send resumed and finished {time.monotonic() - started:.1f} s after the restart")

    # Everyone got exactly one email, the one being sent when the worker died included.
    assert _mail_recipients(worker_process.mail_dir) == emails
    # That one stays "sending" and becomes "interrupted", never sent again.
    assert survey.invitations.filter(state=Invitation.State.SENT).count() == 9
    assert survey.invitations.filter(state=Invitation.State.SENDING).count() == 1
    survey_tasks.sweep.apply_async().get(timeout=TARGET)
    survey_tasks.resume_sends.apply_async().get(timeout=TARGET)
    assert _mail_recipients(worker_process.mail_dir) == emails


def test_a_page_write_answers_at_once_with_the_broker_down_and_the_sweep_does_the_work(
    live_worker, client_for, owner, caplog
):
    with quietly(), transaction.atomic():
        population(20, seed=5)
        customer = CustomerFactory(owner=owner, name="Late buyer")
        OrderFactory(customer=customer, ordered_on=dt.date(2026, 1, 10), total="100.00")
    services.full_run_sync(as_of=AS_OF)
    product = ProductFactory(list_price=Decimal("250.00"))
    data = {
        "customer": str(customer.pk),
        "number": "",
        "ordered_on": "2026-03-01",
        "currency": settings.CRM_BASE_CURRENCY,
        "status": "paid",
        "note": "",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": str(product.pk),
        "lines-0-quantity": "1",
        "lines-0-unit_price": "",
        "lines-0-discount": "0",
    }
    client = client_for(owner)

    with broker_unreachable():
        started = time.monotonic()
        response = client.post(reverse("orders:create"), data)
        elapsed = time.monotonic() - started
    print(f"order saved through the page in {elapsed:.2f} s with the broker down")

    assert response.status_code == 302, response.content.decode()[:500]
    assert elapsed < 5  # about 0.3 s; generous so a loaded machine does not fail it
    assert Order.objects.filter(customer=customer).count() == 2
    assert DirtyCustomer.objects.filter(customer_id=customer.pk).exists()
    assert "Could not queue metrics.tasks.recalculate_dirty" in caplog.text

    # The broker is back: the dirty sweep (celery beat, every minute) recalculates.
    recalculate_dirty.delay()
    wait_for(
        lambda: not DirtyCustomer.objects.filter(customer_id=customer.pk).exists(),
        "the sweep recalculates the customer",
    )
    assert CustomerScore.objects.get(customer=customer).revenue == Decimal("350.00")
