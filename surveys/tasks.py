"""Thin tasks around the survey services. They take ids, and running one twice is harmless:
the services claim surveys and invitations with conditional UPDATEs."""

from celery import shared_task
from django.db import OperationalError
from django.utils import timezone

from . import selectors, services

RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


def _then(current, task, *args):
    """Queue ``task`` on the queue ``current`` came from, so a deployment that routes
    surveys to their own workers keeps them there."""
    queue = (current.request.delivery_info or {}).get("routing_key")
    task.apply_async(args=args, queue=queue)


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
def sweep(self):
    """Periodic (celery beat): start scheduled surveys, invite customers after paid
    orders, remind, close surveys past their date, resume stalled sends."""
    now = timezone.now()
    for survey_id in selectors.surveys_due_to_start(now=now):
        _then(self, start_survey, survey_id)
    services.triggered_invitations_create(now=now)
    services.stale_claims_interrupt(now=now)
    # Also picks up the triggered surveys' new invitations.
    for survey_id in selectors.surveys_with_pending_invitations():
        _then(self, send_invitations, survey_id)
    reminded = services.reminders_send(now=now)
    closed = services.surveys_close_due(now=now)
    return {"reminded": reminded, "closed": closed}
