"""The API's periodic and background tasks (webhook deliveries live in api.webhooks.tasks;
imported here so Celery's autodiscovery finds them)."""

from celery import shared_task

from . import idempotency
from .webhooks.tasks import deliver_webhook, webhooks_dispatch_due

__all__ = [
    "deliver_webhook",
    "idempotency_keys_purge",
    "webhooks_dispatch_due",
]


@shared_task(name="api.tasks.idempotency_keys_purge")
def idempotency_keys_purge():
    return idempotency.idempotency_keys_purge()
