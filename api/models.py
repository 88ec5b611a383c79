"""The API app's models live beside the code that uses them; imported here for Django."""

from .idempotency import IdempotencyKey
from .keys import ApiKey
from .webhooks.models import Webhook, WebhookDelivery

__all__ = ["ApiKey", "IdempotencyKey", "Webhook", "WebhookDelivery"]
