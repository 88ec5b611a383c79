"""The API app's models live beside the code that uses them; imported here for Django."""

from .idempotency import IdempotencyKey
from .jobs import BulkJob
from .keys import ApiKey
from .webhooks.models import OutboxEvent, Webhook, WebhookDelivery

__all__ = ["ApiKey", "BulkJob", "IdempotencyKey", "OutboxEvent", "Webhook", "WebhookDelivery"]
