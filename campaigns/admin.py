from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Campaign, SpendEntry


class SpendEntryInline(admin.TabularInline):
    model = SpendEntry
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(SimpleHistoryAdmin):
    list_display = ["name", "channel", "starts_on", "ends_on", "budget"]
    list_filter = ["channel"]
    search_fields = ["name"]
    inlines = [SpendEntryInline]
