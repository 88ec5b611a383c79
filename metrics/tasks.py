"""Thin Celery wrappers around metrics.services: ids and ISO dates in, idempotent."""

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from . import services
from .models import RecalcRun

TRANSIENT = (OperationalError, ConnectionError)


def _as_of(value):
    return timezone.localdate() if value is None else services.validate_as_of(value)


@shared_task(bind=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def full_run_prepare(self, run_id):
    try:
        indices = services.full_run_prepare(run_id=int(run_id))
    except TRANSIENT:
        raise
    except Exception as exc:
        services.full_run_fail(run_id=int(run_id), error=exc)
        raise
    # The chunks go to the queue the run came from, so workers dedicated to metrics (or
    # a test's own worker) publish them, not whoever listens on the default queue.
    queue = (self.request.delivery_info or {}).get("routing_key")
    for index in indices:
        full_run_publish_chunk.apply_async(args=(run_id, index), queue=queue)
    return len(indices)


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def full_run_publish_chunk(run_id, index):
    return services.full_run_publish_chunk(run_id=int(run_id), index=int(index))


@shared_task
def nightly_full_run(as_of=None):
    try:
        run = services.recalc_request(trigger=RecalcRun.Trigger.SCHEDULE, as_of=_as_of(as_of))
    except services.RecalcAlreadyRunning:
        return None
    return run.pk


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def recalculate_dirty(as_of=None):
    """Work through the dirty marks; also the periodic sweep for marks whose task was lost."""
    day = _as_of(as_of)
    total = 0
    while done := services.dirty_recalculate(as_of=day):
        total += done
    return total


@shared_task
def resume_stalled_runs():
    return services.stalled_runs_resume()
