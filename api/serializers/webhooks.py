from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..webhooks.models import Event, Webhook, WebhookDelivery
from .rows import RowListSerializer


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
        list_serializer_class = RowListSerializer
        fields = ["id", "url", "events", "secret", "active", "description", "created_at"]
        read_only_fields = ["created_at"]


class WebhookCreatedSerializer(WebhookSerializer):
    """The answer to a creation: the only time the secret is shown."""

    secret = serializers.CharField(read_only=True)


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        list_serializer_class = RowListSerializer
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


# --- What a delivery carries: the OpenAPI 3.1 ``webhooks`` of the schema (api.schema) --------


class EventEnvelopeSerializer(serializers.Serializer):
    """The body of every delivery; ``data`` depends on the event."""

    id = serializers.IntegerField(
        help_text="The delivery's id, also sent as X-CRM-Delivery. A retry keeps it: ignore "
        "an id you have already processed."
    )
    event = serializers.CharField(help_text="The event type, also sent as X-CRM-Event.")
    occurred_at = serializers.DateTimeField(help_text="When the change was committed.")


class TierChangeSerializer(serializers.Serializer):
    customer = serializers.IntegerField(help_text="The customer's id.")
    tier = serializers.ChoiceField(
        choices=["A", "B", "C"], help_text="The tier after the recalculation."
    )
    previous_tier = serializers.ChoiceField(
        choices=["A", "B", "C"], help_text="The tier before the recalculation."
    )
    value_score = serializers.FloatField(
        allow_null=True, help_text="The value score (0 to 100) that placed it in the tier."
    )
    as_of = serializers.DateField(help_text="The day the recalculation scored as of.")
    run = serializers.IntegerField(
        allow_null=True,
        help_text="The full recalculation run's id; null for an incremental recalculation.",
    )


class TombstoneSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The deleted object's id.")
    external_id = serializers.CharField(
        allow_null=True, required=False, help_text="Its external id, if it had one."
    )
