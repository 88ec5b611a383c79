"""Thin Celery wrappers around metrics.services: ids and ISO dates in, idempotent."""

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from core.heartbeat import heartbeat
from core.queue import enqueue

from . import services
from .models import RecalcRun

TRANSIENT = (OperationalError, ConnectionError)


def _as_of(value):
    """The given ISO date, else the day the "score as of" setting says (today if live)."""
    if value is None:
        return services.scoring_as_of(today=timezone.localdate())
    return services.validate_as_of(value)


def _queue(task):
    """The queue ``task`` came from: the work it sends goes there too, so workers
    dedicated to metrics (or a test's own worker) do it, not whoever listens on the
    default queue."""
    return (task.request.delivery_info or {}).get("routing_key")


def _alive(run_id):
    """Renew the run's lease while this task works on it (core/heartbeat.py)."""
    return heartbeat(
        lambda: RecalcRun.objects.filter(pk=run_id).update(heartbeat_at=timezone.now())
    )


@shared_task(bind=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def full_run_prepare(self, run_id):
    try:
        with _alive(run_id):
            indices = services.full_run_prepare(run_id=int(run_id))
    except TRANSIENT:
        raise
    except Exception as exc:
        services.full_run_fail(run_id=int(run_id), error=exc)
        raise
    queue = _queue(self)
    for index in indices:
        # One lost here is sent again by the sweep once the run's lease runs out.
        enqueue(full_run_publish_chunk, run_id, index, queue=queue)
    return len(indices)


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def full_run_publish_chunk(run_id, index):
    with _alive(run_id):
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
    total = 0
    try:
        day = _as_of(as_of)
        while done := services.dirty_recalculate(as_of=day):
            total += done
    finally:
        services.dirty_task_done()
    return total


@shared_task(bind=True)
def resume_stalled_runs(self):
    """Periodic (celery beat, every RECOVERY_SWEEP_SECONDS) and when a worker starts."""
    return services.stalled_runs_resume(queue=_queue(self))
