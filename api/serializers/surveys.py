from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from surveys.models import Invitation, Response, Survey

from .rows import RowListSerializer


class SurveySerializer(serializers.ModelSerializer):
    class Meta:
        model = Survey
        list_serializer_class = RowListSerializer
        fields = [
            "id",
            "name",
            "kind",
            "question",
            "follow_up_question",
            "email_subject",
            "email_intro",
            "status",
            "closes_on",
            "send_reminder",
            "trigger_days_after_paid",
            "audience",
            "scheduled_for",
            "started_at",
            "closed_at",
            "created_at",
        ]
        # The audience and sending are managed on the survey's pages.
        read_only_fields = [
            "status",
            "audience",
            "scheduled_for",
            "started_at",
            "closed_at",
            "created_at",
        ]
        extra_kwargs = {
            "question": {"required": False, "help_text": _("Empty: the kind's standard question.")},
            "email_subject": {"required": False, "help_text": _("Empty: a standard subject.")},
            "trigger_days_after_paid": {"max_value": 32767},
        }


class InvitationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Invitation
        list_serializer_class = RowListSerializer
        fields = [
            "id",
            "survey",
            "customer",
            "order",
            "email",
            "state",
            "sent_at",
            "reminder_state",
            "reminded_at",
            "created_at",
        ]
        read_only_fields = fields


class ResponseSerializer(serializers.ModelSerializer):
    survey = serializers.IntegerField(source="invitation.survey_id", read_only=True)
    customer = serializers.IntegerField(source="invitation.customer_id", read_only=True)
    band = serializers.ChoiceField(
        choices=["good", "neutral", "bad"],
        read_only=True,
        help_text=_("NPS: promoter / passive / detractor; CSAT: satisfied / neutral / not."),
    )

    class Meta:
        model = Response
        list_serializer_class = RowListSerializer
        fields = [
            "id",
            "invitation",
            "survey",
            "customer",
            "score",
            "band",
            "comment",
            "responded_at",
            "updated_at",
            "edit_count",
            "follow_up_task",
        ]
        read_only_fields = fields
