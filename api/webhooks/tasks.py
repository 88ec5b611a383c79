"""Thin Celery tasks: ids in, idempotent (a delivery is claimed before it is sent)."""

from celery import shared_task

from . import services


@shared_task(name="api.tasks.deliver_webhook")
def deliver_webhook(delivery_id):
    delay = services.delivery_attempt(delivery_id=int(delivery_id))
    if delay is not None:
        deliver_webhook.apply_async((delivery_id,), countdown=delay.total_seconds())


@shared_task(name="api.tasks.webhooks_dispatch_due")
def webhooks_dispatch_due():
    """Safety net for deliveries whose task was lost (a broker flush, a dead worker)."""
    due = services.deliveries_due()
    for delivery_id in due:
        deliver_webhook.delay(delivery_id)
    return len(due)
