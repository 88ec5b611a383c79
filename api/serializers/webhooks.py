from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..webhooks.models import Event, Webhook, WebhookDelivery


class WebhookSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=Event.choices), min_length=1
    )
    secret = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=200,
        help_text=_(
            "Signs each delivery. Leave out for a random one (returned once, on creation)."
        ),
    )

    class Meta:
        model = Webhook
        fields = ["id", "url", "events", "secret", "active", "description", "created_at"]
        read_only_fields = ["created_at"]


class WebhookCreatedSerializer(WebhookSerializer):
    """The answer to a creation: the only time the secret is shown."""

    secret = serializers.CharField(read_only=True)


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "webhook",
            "event",
            "payload",
            "status",
            "attempts",
            "last_error",
            "last_status_code",
            "next_attempt_at",
            "delivered_at",
            "created_at",
        ]
        read_only_fields = fields
