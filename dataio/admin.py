from django.contrib import admin

from .models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = [
        "original_name",
        "kind",
        "user",
        "status",
        "rows_processed",
        "error_count",
        "created_at",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["original_name", "user__username"]
    raw_id_fields = ["user"]
    list_select_related = ["user"]
    readonly_fields = [f.name for f in ImportJob._meta.fields]

    def has_add_permission(self, request):
        # Imports start from the upload page, which checks the file and the mapping.
        return False
