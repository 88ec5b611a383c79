"""Thin Celery tasks: ids in, idempotent (an event is dispatched, a delivery claimed, by a
conditional UPDATE before anything is sent). They run on the "webhooks" queue
(CELERY_TASK_ROUTES), so a slow receiver never holds up scoring."""

from celery import shared_task

from . import services


@shared_task(name="api.tasks.dispatch_events")
def dispatch_events(event_ids):
    """The fast path: the events a transaction recorded, sent on its commit."""
    return len(services.events_dispatch(event_ids=[int(pk) for pk in event_ids]))


@shared_task(name="api.tasks.deliver_webhook")
def deliver_webhook(delivery_id):
    delay = services.delivery_attempt(delivery_id=int(delivery_id))
    if delay is not None:
        deliver_webhook.apply_async((delivery_id,), countdown=delay.total_seconds())


@shared_task(name="api.tasks.webhooks_dispatch_due")
def webhooks_dispatch_due():
    """Safety net for events and deliveries whose task was lost (a web process that died
    after its commit, a broker flush, a dead worker)."""
    services.events_sweep()
    due = services.deliveries_due()
    for delivery_id in due:
        deliver_webhook.delay(delivery_id)
    return len(due)


@shared_task(name="api.tasks.events_purge")
def events_purge():
    return services.events_purge()
