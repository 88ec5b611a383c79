from decimal import Decimal

from django.contrib import admin
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import Campaign, SpendEntry


class SpendEntryInline(admin.TabularInline):
    model = SpendEntry
    extra = 0
    fields = ["spent_on", "amount", "note"]


@admin.register(Campaign)
class CampaignAdmin(SimpleHistoryAdmin):
    list_display = ["name", "channel", "starts_on", "ends_on", "budget", "total_spend"]
    list_filter = ["channel"]
    search_fields = ["name"]
    date_hierarchy = "starts_on"
    readonly_fields = ["created_at"]
    inlines = [SpendEntryInline]

    def get_queryset(self, request):
        # One aggregate in the list query instead of a sum per row.
        return super().get_queryset(request).annotate(_total_spend=Sum("spend_entries__amount"))

    @admin.display(description=_("total spend"), ordering="_total_spend")
    def total_spend(self, campaign):
        return campaign._total_spend or Decimal("0.00")


@admin.register(SpendEntry)
class SpendEntryAdmin(admin.ModelAdmin):
    list_display = ["campaign", "spent_on", "amount", "note"]
    list_filter = ["campaign__channel"]
    list_select_related = ["campaign"]
    search_fields = ["campaign__name", "note"]
    date_hierarchy = "spent_on"
    autocomplete_fields = ["campaign"]
