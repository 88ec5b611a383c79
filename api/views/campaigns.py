"""Campaigns and their spend entries. Everyone with a role reads them (company figures);
writing is for admins, which campaigns.services checks itself."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from campaigns import selectors, services
from campaigns.models import Campaign, SpendEntry

from .. import idempotency
from ..serializers.campaigns import CampaignSerializer, SpendEntrySerializer
from .base import ApiViewSet, checked_id


class CampaignQuery(serializers.Serializer):
    search = serializers.CharField(required=False, help_text="In the name.")
    channel = serializers.ChoiceField(choices=Campaign.Channel.choices, required=False)
    active_on = serializers.DateField(required=False, help_text="Running on this date.")


@extend_schema_view(
    list=extend_schema(summary="List campaigns"),
    retrieve=extend_schema(summary="Get a campaign"),
    create=extend_schema(summary="Create a campaign (admins)"),
    partial_update=extend_schema(summary="Change a campaign (admins)"),
    destroy=extend_schema(summary="Delete a campaign and its spend (admins)"),
)
@extend_schema(tags=["campaigns"])
class CampaignViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = CampaignSerializer
    permission_model = Campaign
    query_serializers = {"list": CampaignQuery}
    since_fields = {"created_since": "created_at"}

    def get_queryset(self):
        user = self.request.user
        if self.action == "list":
            return selectors.campaign_list(user=user, **self.query())
        return selectors.campaigns_visible_to(user)

    @idempotency.idempotent
    def create(self, request):
        campaign = services.campaign_create(user=request.user, **self.validated().validated_data)
        return self.respond(campaign, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        campaign = self.get_object()
        fields = self.validated(instance=campaign, partial=True).validated_data
        return self.respond(
            services.campaign_update(user=request.user, campaign=campaign, **fields)
        )

    def destroy(self, request, pk=None):
        services.campaign_delete(user=request.user, campaign=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


_CAMPAIGN_ID = OpenApiParameter("campaign_pk", int, OpenApiParameter.PATH)


@extend_schema_view(
    list=extend_schema(summary="List a campaign's spend"),
    retrieve=extend_schema(summary="Get a spend entry"),
    create=extend_schema(summary="Record spend (admins)"),
    destroy=extend_schema(summary="Delete a spend entry (admins)"),
)
@extend_schema(tags=["campaigns"], parameters=[_CAMPAIGN_ID])
class SpendEntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = SpendEntrySerializer
    permission_model = SpendEntry
    http_method_names = ["get", "post", "delete", "head"]

    def campaign(self):
        campaign_id = checked_id(self.kwargs["campaign_pk"])
        return selectors.campaign_get(user=self.request.user, campaign_id=campaign_id)

    def get_queryset(self):
        return selectors.spend_entries_of(self.campaign())

    @idempotency.idempotent
    def create(self, request, campaign_pk=None):
        fields = self.validated().validated_data
        entry = services.spend_entry_add(user=request.user, campaign=self.campaign(), **fields)
        return self.respond(entry, status_code=status.HTTP_201_CREATED)

    def destroy(self, request, campaign_pk=None, pk=None):
        services.spend_entry_delete(user=request.user, spend_entry=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
