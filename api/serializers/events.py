"""Events (the outbox, kept 30 days), the deletions feed made of them, and the answers of
resend and ping."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..webhooks.models import EVENT_TYPES, OutboxEvent, Webhook
from .common import IdRelatedField, choice_list_query_field
from .rows import RowListSerializer


class EventSerializer(serializers.ModelSerializer):
    data = serializers.SerializerMethodField(
        help_text="What the webhook deliveries carry as `data`: the object as the API shows "
        "it (read when the event is dispatched, within seconds; until then its `id`), the "
        "tombstone of a deletion, or a tier change."
    )

    class Meta:
        model = OutboxEvent
        list_serializer_class = RowListSerializer
        fields = [
            "id",
            "type",
            "object_type",
            "object_id",
            "external_id",
            "data",
            "created_at",
            "dispatched_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "type": {"help_text": "The event, as in a webhook's `events`."},
            "object_type": {"help_text": "`customer`, `order`, `response` or `webhook`."},
            "object_id": {"help_text": "The id of the object the event is about."},
            "external_id": {"help_text": "The object's external id, if it has one."},
            "created_at": {"help_text": "When the change was saved."},
            "dispatched_at": {
                "help_text": "When deliveries to the subscribed webhooks were made; null "
                "until then."
            },
        }

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_data(self, event):
        return event.data


class EventQuery(serializers.Serializer):
    since = serializers.DateTimeField(
        required=False,
        help_text="Only events at or after this moment (ISO 8601 date-time). Events are kept "
        "30 days.",
    )
    type = choice_list_query_field(
        EVENT_TYPES, help_text="Only these events, separated by commas (`order.created,…`)."
    )


class DeletionSerializer(serializers.ModelSerializer):
    type = serializers.CharField(
        source="object_type", help_text="What was deleted: `customer` or `order`."
    )
    external_id = serializers.SerializerMethodField(
        help_text="The deleted object's external id; null if it had none."
    )
    deleted_at = serializers.DateTimeField(source="created_at", help_text="When it was deleted.")

    class Meta:
        model = OutboxEvent
        list_serializer_class = RowListSerializer
        fields = ["id", "type", "object_id", "external_id", "deleted_at"]
        read_only_fields = fields
        extra_kwargs = {
            "id": {"help_text": "The id of the `*.deleted` event (see `events/`)."},
            "object_id": {"help_text": "The id the deleted object had."},
        }

    @extend_schema_field(OpenApiTypes.STR)
    def get_external_id(self, event):
        return event.external_id or None


class DeletionQuery(serializers.Serializer):
    since = serializers.DateTimeField(
        required=False,
        help_text="Only deletions at or after this moment (ISO 8601 date-time). They are "
        "kept 30 days.",
    )
    type = serializers.ChoiceField(
        choices=["customer", "order"],
        required=False,
        help_text="Only deleted customers, or orders.",
    )


class ResendSerializer(serializers.Serializer):
    webhook = IdRelatedField(
        queryset=Webhook.objects.all(),
        required=False,
        help_text="Send to this webhook only; by default to every active webhook subscribed "
        "to the event.",
    )


class ResendResultSerializer(serializers.Serializer):
    deliveries = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="The deliveries sent again (their ids, as in `webhooks/{id}/deliveries/`).",
    )
