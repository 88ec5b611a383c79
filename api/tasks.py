"""The API's periodic and background tasks (webhook deliveries live in api.webhooks.tasks;
imported here so Celery's autodiscovery finds them)."""

from celery import shared_task

from . import bulk, idempotency
from .webhooks.tasks import deliver_webhook, dispatch_events, events_purge, webhooks_dispatch_due

__all__ = [
    "bulk_job_run",
    "deliver_webhook",
    "dispatch_events",
    "events_purge",
    "idempotency_keys_purge",
    "webhooks_dispatch_due",
]


@shared_task(name="api.tasks.idempotency_keys_purge")
def idempotency_keys_purge():
    return idempotency.idempotency_keys_purge()


@shared_task(name="api.tasks.bulk_job_run", acks_late=True)
def bulk_job_run(job_id):
    """A bulk request's job (api.bulk); idempotent: a second delivery finds it claimed or done."""
    return bulk.job_run(job_id=int(job_id))
