"""The events of the last 30 days (what the webhooks were sent), with resend, for those
who manage webhooks; and the deletions feed a sync pages through, for those who read
customers and orders."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from .. import idempotency
from ..pagination import KeysetPagination
from ..serializers.events import (
    DeletionQuery,
    DeletionSerializer,
    EventQuery,
    EventSerializer,
    ResendResultSerializer,
    ResendSerializer,
)
from ..webhooks import selectors, services
from ..webhooks.models import OutboxEvent, Webhook
from .base import ApiViewSet

# Oldest first, so that a sync follows `next` to the end and keeps the last time it saw.
_ORDERINGS = {"created_at": ("created_at", "id"), "-created_at": ("-created_at", "-id")}


@extend_schema_view(
    list=extend_schema(
        summary="List events (webhook managers)",
        description="Every event of the last 30 days, sent to webhooks or not, oldest "
        "first: `since` and `type` narrow it.",
    ),
    retrieve=extend_schema(summary="Get an event (webhook managers)"),
)
@extend_schema(tags=["webhooks"])
class EventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = EventSerializer
    # Who may manage webhooks may read and resend their events.
    permission_model = Webhook
    action_permissions = {
        "list": ("api.view_webhook",),
        "retrieve": ("api.view_webhook",),
        "resend": ("api.change_webhook",),
    }
    query_serializers = {"list": EventQuery}
    pagination_class = KeysetPagination
    keyset_orderings = _ORDERINGS
    keyset_default = "created_at"

    def get_queryset(self):
        if self.action != "list":
            return OutboxEvent.objects.all()
        query = self.query()
        return selectors.events_list(since=query.get("since"), types=query.get("type"))

    @extend_schema(
        summary="Send an event again (webhook managers)",
        description="To every active webhook subscribed to the event, or to `webhook` only, "
        "each from a fresh set of attempts. A webhook's delivery of an event keeps its id "
        "(a receiver that processed it sees a repeat).",
        request=ResendSerializer,
        responses={202: ResendResultSerializer},
    )
    @action(detail=True, methods=["post"])
    @idempotency.idempotent
    def resend(self, request, pk=None):
        event = self.get_object()
        webhook = self.validated(ResendSerializer).validated_data.get("webhook")
        ids = services.event_resend(user=request.user, event=event, webhook=webhook)
        return Response({"deliveries": ids}, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    list=extend_schema(
        summary="List deleted customers and orders",
        description="The tombstones of the last 30 days, oldest first, for a sync to "
        "delete its copies: `since` the time of the last sync, `type` `customer` or "
        "`order`. A rep sees those of their own customers.",
    ),
)
@extend_schema(tags=["customers"])
class DeletionViewSet(mixins.ListModelMixin, ApiViewSet):
    serializer_class = DeletionSerializer
    query_serializers = {"list": DeletionQuery}
    pagination_class = KeysetPagination
    keyset_orderings = _ORDERINGS
    keyset_default = "created_at"

    @property
    def action_permissions(self):
        kind = self.request.query_params.get("type") if self.request else None
        if kind == "customer":
            return {"list": ("customers.view_customer",)}
        if kind == "order":
            return {"list": ("orders.view_order",)}
        return {"list": ("customers.view_customer", "orders.view_order")}

    def get_queryset(self):
        query = self.query()
        return selectors.deletions_visible_to(
            self.request.user, since=query.get("since"), object_type=query.get("type")
        )
