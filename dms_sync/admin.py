from django.contrib import admin

from .models import QuarantinedRow, RemoveRequest, Suppression, SyncRun


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class QuarantinedRowInline(admin.TabularInline):
    model = QuarantinedRow
    extra = 0
    can_delete = False
    fields = ["source_file", "line_number", "reason", "raw"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = [
        "dealership",
        "adapter",
        "started_at",
        "status",
        "seen",
        "created",
        "updated",
        "unchanged",
        "quarantined",
        "duration",
    ]
    list_filter = ["status", "dealership", "adapter"]
    inlines = [QuarantinedRowInline]


@admin.register(QuarantinedRow)
class QuarantinedRowAdmin(ReadOnlyAdmin):
    list_display = ["run", "source_file", "line_number", "reason"]
    list_filter = ["run__dealership", "source_file"]
    search_fields = ["reason", "raw"]


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ["dealership", "dms_number", "field", "value", "created_by", "created_at"]
    list_filter = ["dealership", "field"]
    search_fields = ["dms_number", "value"]
    raw_id_fields = ["customer", "created_by"]


@admin.register(RemoveRequest)
class RemoveRequestAdmin(admin.ModelAdmin):
    list_display = [
        "uuid",
        "dealership",
        "dms_number",
        "field",
        "status",
        "attempts",
        "next_attempt_at",
        "requested_at",
    ]
    list_filter = ["status", "dealership", "field"]
    search_fields = ["=uuid", "dms_number"]
    raw_id_fields = ["customer", "requested_by"]
    readonly_fields = [
        "uuid",
        "requested_at",
        "acknowledged_at",
        "last_attempt_at",
        "attempts",
        "last_error",
        "outcome",
    ]
