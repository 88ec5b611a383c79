"""Outgoing webhooks, for admins (api.*_webhook permissions): register, change, delete,
and read each webhook's delivery log."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from .. import idempotency
from ..pagination import KeysetPagination, newest_first
from ..serializers.events import EventSerializer
from ..serializers.webhooks import (
    WebhookCreatedSerializer,
    WebhookDeliverySerializer,
    WebhookSerializer,
)
from ..webhooks import services
from ..webhooks.models import Webhook, WebhookDelivery
from .base import ApiViewSet


class DeliveryQuery(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=WebhookDelivery.Status.choices,
        required=False,
        help_text="Only deliveries in this state (`failed`: given up after every attempt).",
    )


@extend_schema_view(
    list=extend_schema(summary="List webhooks (admins)"),
    retrieve=extend_schema(summary="Get a webhook (admins)"),
    partial_update=extend_schema(summary="Change a webhook (admins)"),
    destroy=extend_schema(summary="Delete a webhook and its log (admins)"),
)
@extend_schema(tags=["webhooks"])
class WebhookViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = WebhookSerializer
    permission_model = Webhook
    action_permissions = {"deliveries": ("api.view_webhook",), "ping": ("api.change_webhook",)}
    paged_actions = ("list", "deliveries")
    query_serializers = {"deliveries": DeliveryQuery}
    since_fields = {"created_since": "created_at"}
    # A webhook's log keeps every delivery (the events go after 30 days, their deliveries
    # stay), so it is paged by keyset along delivery_webhook_created_id; the webhooks
    # themselves, a handful, by number.
    keyset_orderings = newest_first("created_at")
    keyset_default = "-created_at"

    @property
    def pagination_class(self):
        if self.action == "deliveries":
            return KeysetPagination
        return ApiViewSet.pagination_class

    def get_queryset(self):
        return Webhook.objects.order_by("-created_at", "-id")

    @extend_schema(
        summary="Register a webhook (admins)",
        description="Deliveries are POSTed as JSON, signed: see docs/api.md.",
        responses={201: WebhookCreatedSerializer},
    )
    @idempotency.idempotent
    def create(self, request):
        webhook = services.webhook_create(user=request.user, **self.validated().validated_data)
        return self.respond(
            webhook, status_code=status.HTTP_201_CREATED, serializer_class=WebhookCreatedSerializer
        )

    def partial_update(self, request, pk=None):
        webhook = self.get_object()
        fields = dict(self.validated(instance=webhook, partial=True).validated_data)
        if not fields.get("secret", True):
            fields.pop("secret")  # blank: keep the current secret
        return self.respond(services.webhook_update(user=request.user, webhook=webhook, **fields))

    def destroy(self, request, pk=None):
        services.webhook_delete(user=request.user, webhook=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="A webhook's delivery log, newest first",
        responses=WebhookDeliverySerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        deliveries = self.get_object().deliveries.all()
        if wanted := self.query().get("status"):
            deliveries = deliveries.filter(status=wanted)
        page = self.paginate_queryset(deliveries)
        data = WebhookDeliverySerializer(page, many=True).data
        return self.get_paginated_response(data)

    @extend_schema(
        summary="Send a test ping (admins)",
        description="A `webhook.ping` event, signed and delivered like any other, to this "
        "webhook only; its delivery shows in the log. 400 for a paused webhook.",
        request=None,
        responses={202: EventSerializer},
    )
    @action(detail=True, methods=["post"])
    @idempotency.idempotent
    def ping(self, request, pk=None):
        event = services.webhook_ping(user=request.user, webhook=self.get_object())
        return self.respond(
            event, status_code=status.HTTP_202_ACCEPTED, serializer_class=EventSerializer
        )
