from django.contrib import admin

from .models import Invitation, Response, Survey


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "status", "closes_on", "created_at"]
    list_filter = ["kind", "status"]
    search_fields = ["name"]
    readonly_fields = ["started_at", "closed_at", "created_by", "sent_by", "created_at"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["survey", "customer", "email", "state", "sent_at", "reminder_state"]
    list_filter = ["state", "reminder_state", "survey"]
    search_fields = ["email", "customer__name"]
    raw_id_fields = ["customer", "order"]
    # The token is the key to someone's answer page: never shown.
    exclude = ["token"]
    readonly_fields = ["claimed_at", "sent_at", "reminder_claimed_at", "reminded_at", "error"]

    def get_readonly_fields(self, request, obj=None):
        # An invitation's survey is for good: its answer keeps a copy (Response.survey).
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "survey"] if obj is not None else fields


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ["invitation", "score", "responded_at", "updated_at", "edit_count"]
    list_filter = ["invitation__survey"]
    search_fields = ["comment", "invitation__customer__name"]
    raw_id_fields = ["invitation", "follow_up_task"]
