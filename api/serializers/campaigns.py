from rest_framework import serializers

from campaigns.models import Campaign, SpendEntry


class CampaignSerializer(serializers.ModelSerializer):
    class Meta:
        model = Campaign
        fields = ["id", "name", "channel", "starts_on", "ends_on", "budget", "created_at"]
        read_only_fields = ["created_at"]
        extra_kwargs = {"budget": {"min_value": 0}}


class SpendEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = SpendEntry
        fields = ["id", "campaign", "spent_on", "amount", "note"]
        read_only_fields = ["campaign"]
        extra_kwargs = {"amount": {"min_value": 0}}
