from django.contrib import admin

from . import services
from .forms import MetricSettingsForm
from .models import (
    CustomerScore,
    DirtyCustomer,
    MetricSettings,
    ModelFit,
    PopulationStats,
    RecalcChunk,
    RecalcRun,
    ScoreSnapshot,
)


@admin.register(MetricSettings)
class MetricSettingsAdmin(admin.ModelAdmin):
    form = MetricSettingsForm
    readonly_fields = ["updated_at", "updated_by"]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not MetricSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Through the service, so a change here also queues the full run it requires.
        services.metric_settings_update(user=request.user, **form.cleaned_data)


class ComputedAdmin(admin.ModelAdmin):
    """Rows the value engine writes: visible, never edited by hand (the next run would
    overwrite an edit, and a half-edited run could not be resumed)."""

    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CustomerScore)
class CustomerScoreAdmin(ComputedAdmin):
    list_display = ["customer", "value_score", "tier", "segment", "clv_method", "as_of"]
    list_filter = ["tier", "segment", "clv_method"]
    list_select_related = ["customer"]
    search_fields = ["customer__name"]


@admin.register(ScoreSnapshot)
class ScoreSnapshotAdmin(ComputedAdmin):
    list_display = ["customer", "as_of", "value_score", "tier", "churn_risk"]
    list_select_related = ["customer"]
    search_fields = ["customer__name"]


@admin.register(PopulationStats)
class PopulationStatsAdmin(ComputedAdmin):
    list_display = ["as_of", "run", "created_at"]


@admin.register(ModelFit)
class ModelFitAdmin(ComputedAdmin):
    list_display = ["kind", "as_of", "converged", "customers", "log_likelihood", "created_at"]
    list_filter = ["kind", "converged"]


@admin.register(RecalcRun)
class RecalcRunAdmin(ComputedAdmin):
    list_display = ["pk", "status", "trigger", "started_by", "as_of", "processed", "total"]
    list_filter = ["status", "trigger"]


@admin.register(RecalcChunk)
class RecalcChunkAdmin(ComputedAdmin):
    list_display = ["run", "index", "first_id", "last_id", "size", "done"]


@admin.register(DirtyCustomer)
class DirtyCustomerAdmin(ComputedAdmin):
    list_display = ["customer_id", "version", "marked_at"]
