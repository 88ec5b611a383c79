"""Admin for looking up and correcting orders data. Money is computed by orders.services,
so the admin shows order totals, lines and cost conversions read-only and creates neither
orders nor costs: those are entered on the CRM's own pages."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import CustomerCost, ExchangeRate, Order, OrderLine, Product
from .services import customer_owners_locked


@admin.register(Product)
class ProductAdmin(SimpleHistoryAdmin):
    list_display = ["name", "sku", "list_price", "unit_cost", "active"]
    list_filter = ["active"]
    search_fields = ["name", "sku"]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ["currency", "valid_on", "rate"]
    list_filter = ["currency"]
    search_fields = ["currency"]
    date_hierarchy = "valid_on"


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    fields = ["product", "quantity", "unit_price", "discount", "unit_cost"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(SimpleHistoryAdmin):
    list_display = ["number", "ordered_on", "customer", "status", "total", "currency", "total_base"]
    list_filter = ["status", "currency", "ordered_on"]
    search_fields = ["number", "customer__name", "customer__external_id"]
    raw_id_fields = ["customer", "created_by"]
    date_hierarchy = "ordered_on"
    list_select_related = ["customer"]
    show_full_result_count = False
    readonly_fields = [
        "status",
        "ordered_on",
        "currency",
        "exchange_rate",
        "subtotal",
        "discount_total",
        "total",
        "cost_total",
        "refunded_total",
        "total_base",
        "cost_base",
        "refunded_base",
        "created_at",
    ]
    inlines = [OrderLineInline]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        # The order may have moved to another customer: it takes that customer's owner copy.
        owners = customer_owners_locked(customer_ids=[obj.customer_id])
        obj.customer_owner_id = owners.get(obj.customer_id)
        super().save_model(request, obj, form, change)


@admin.register(CustomerCost)
class CustomerCostAdmin(admin.ModelAdmin):
    list_display = ["customer", "kind", "incurred_on", "amount", "currency", "amount_base"]
    list_filter = ["kind", "currency"]
    search_fields = ["customer__name", "note"]
    raw_id_fields = ["customer", "created_by"]
    readonly_fields = ["incurred_on", "amount", "currency", "amount_base"]
    date_hierarchy = "incurred_on"
    list_select_related = ["customer"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False
