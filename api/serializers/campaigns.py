from rest_framework import serializers

from campaigns.models import Campaign, SpendEntry

from .rows import RowListSerializer


class CampaignSerializer(serializers.ModelSerializer):
    class Meta:
        model = Campaign
        list_serializer_class = RowListSerializer
        fields = ["id", "name", "channel", "starts_on", "ends_on", "budget", "created_at"]
        read_only_fields = ["created_at"]
        extra_kwargs = {"budget": {"min_value": 0}}


class SpendEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = SpendEntry
        list_serializer_class = RowListSerializer
        fields = ["id", "campaign", "spent_on", "amount", "note"]
        read_only_fields = ["campaign"]
        extra_kwargs = {"amount": {"min_value": 0}}
