"""Thin tasks around the survey services. They take ids, and running one twice is harmless:
the services claim surveys and invitations with conditional UPDATEs."""

from datetime import timedelta

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from core.heartbeat import lease_seconds
from core.queue import enqueue

from . import selectors, services

RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


def _then(current, task, *args):
    """Queue ``task`` on the queue ``current`` came from, so a deployment that routes
    surveys to their own workers keeps them there. If the broker is down, the recovery
    sweep sends it once the survey's lease runs out."""
    queue = (current.request.delivery_info or {}).get("routing_key")
    enqueue(task, *args, queue=queue)


def _stalled_sends(now):
    return selectors.surveys_with_stalled_sends(since=now - timedelta(seconds=lease_seconds()))


@shared_task(bind=True, **RETRY)
def start_survey(self, survey_id):
    """Create the invitations of a scheduled survey whose time has come, then send."""
    if services.survey_start(survey_id=survey_id, now=timezone.now()):
        _then(self, send_invitations, survey_id)


@shared_task(bind=True, **RETRY)
def send_invitations(self, survey_id):
    """Send one batch, then queue the next: short tasks that a dead worker's redelivery
    resumes where it stopped."""
    if services.invitations_send_batch(survey_id=survey_id, now=timezone.now()):
        _then(self, self, survey_id)


@shared_task(bind=True, **RETRY)
def resume_sends(self):
    """Periodic (celery beat, every RECOVERY_SWEEP_SECONDS) and when a worker starts:
    start the surveys whose time has come, and resume the sending of surveys whose sender
    died or froze, or whose message was lost. Invitations a dead sender had claimed stay
    "sending" (their email may have left) until the 15-minute sweep marks them interrupted."""
    now = timezone.now()
    for survey_id in selectors.surveys_due_to_start(now=now):
        _then(self, start_survey, survey_id)
    for survey_id in _stalled_sends(now):
        _then(self, send_invitations, survey_id)


@shared_task(bind=True, **RETRY)
def sweep(self):
    """Periodic (celery beat): start scheduled surveys, invite customers after paid
    orders, remind, close surveys past their date, resume stalled sends."""
    now = timezone.now()
    for survey_id in selectors.surveys_due_to_start(now=now):
        _then(self, start_survey, survey_id)
    touched = services.triggered_invitations_create(now=now)
    services.stale_claims_interrupt(now=now)
    for survey_id in sorted({*touched, *_stalled_sends(now)}):
        _then(self, send_invitations, survey_id)
    reminded = services.reminders_send(now=now)
    closed = services.surveys_close_due(now=now)
    return {"reminded": reminded, "closed": closed}
