"""Reads of the events (the outbox): the events API and the deletions feed; a webhook's
delivery log."""

from datetime import datetime

from django.db.models import QuerySet

from core.pagination import Keyset
from core.types import User
from customers.selectors import can_see_all_customers

from .models import DELETION_EVENTS, OutboxEvent, Webhook, WebhookDelivery

# A webhook's delivery log, newest first, paged by keyset along the index led by the
# webhook (delivery_webhook_created_id, api 0006).
DELIVERIES_ORDER = Keyset(name="webhook-deliveries", key="created_at", descending=True)


def webhook_deliveries(webhook: Webhook) -> QuerySet[WebhookDelivery]:
    """The deliveries to ``webhook``, newest first (``DELIVERIES_ORDER``)."""
    return WebhookDelivery.objects.filter(webhook=webhook).order_by(*DELIVERIES_ORDER.ordering())


def events_list(
    *, since: datetime | None = None, types: list[str] | None = None
) -> QuerySet[OutboxEvent]:
    """The events kept (30 days), for those who manage webhooks."""
    events = OutboxEvent.objects.all()
    if since is not None:
        events = events.filter(created_at__gte=since)
    if types:
        events = events.filter(type__in=types)
    return events


def deletions_visible_to(
    user: User, *, since: datetime | None = None, object_type: str | None = None
) -> QuerySet[OutboxEvent]:
    """The tombstones of deleted customers and orders (``*.deleted`` events) that ``user``
    could see before they were deleted: a rep's own customers' (the owner at deletion)."""
    kinds = [object_type] if object_type else list(DELETION_EVENTS)
    deletions = OutboxEvent.objects.filter(type__in=[DELETION_EVENTS[kind] for kind in kinds])
    if not can_see_all_customers(user):
        deletions = deletions.filter(data__owner=user.pk)
    if since is not None:
        deletions = deletions.filter(created_at__gte=since)
    return deletions
