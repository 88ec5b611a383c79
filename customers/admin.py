from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Activity, Contact, Customer, Tag


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


@admin.register(Customer)
class CustomerAdmin(SimpleHistoryAdmin):
    list_display = [
        "name",
        "kind",
        "status",
        "owner",
        "region",
        "email",
        "external_id",
        "created_at",
    ]
    list_filter = ["status", "kind", "region", "marketing_opt_out", "tags"]
    search_fields = ["name", "email", "phone", "external_id"]
    raw_id_fields = ["owner", "referred_by", "acquired_by_campaign"]
    filter_horizontal = ["tags"]
    date_hierarchy = "created_at"
    inlines = [ContactInline]
    list_select_related = ["owner"]
    show_full_result_count = False


@admin.register(Contact)
class ContactAdmin(SimpleHistoryAdmin):
    list_display = ["name", "customer", "role", "email", "phone", "is_primary"]
    search_fields = ["name", "email", "customer__name"]
    raw_id_fields = ["customer"]
    list_select_related = ["customer"]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = [
        "subject",
        "kind",
        "customer",
        "author",
        "occurred_at",
        "due_on",
        "assignee",
        "done",
    ]
    list_filter = ["kind", "done"]
    search_fields = ["subject", "body", "customer__name"]
    raw_id_fields = ["customer", "author", "assignee"]
    list_select_related = ["customer", "author", "assignee"]
    show_full_result_count = False


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]
