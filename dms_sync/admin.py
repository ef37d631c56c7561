from django.contrib import admin, messages
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _

from .models import QuarantinedRow, RemoveRequest, RemoveStatus, Suppression, SyncRun
from .services.delivery import remove_request_retry


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
    show_change_link = True
    max_num = 0

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("source_file", "line_number")


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
        "duration_display",
    ]
    list_filter = ["status", "dealership", "adapter"]
    list_select_related = ["dealership"]
    date_hierarchy = "started_at"
    readonly_fields = [
        "dealership",
        "adapter",
        "source",
        "status",
        "started_at",
        "finished_at",
        "duration_display",
        "seen",
        "created",
        "updated",
        "unchanged",
        "quarantined",
        "cursor",
        "error",
        "warnings_display",
        "owner",
        "heartbeat_at",
    ]
    exclude = ["warnings"]
    inlines = [QuarantinedRowInline]

    @admin.display(description=_("duration"))
    def duration_display(self, obj):
        if obj.duration is None:
            return pgettext("sync run duration", "running") if obj.status == "running" else "-"
        return gettext("%(seconds)s s") % {"seconds": number_format(obj.duration.total_seconds(), 1)}

    @admin.display(description=_("warnings"))
    def warnings_display(self, obj):
        return "\n".join(obj.warnings or []) or "-"


@admin.register(QuarantinedRow)
class QuarantinedRowAdmin(ReadOnlyAdmin):
    list_display = ["run", "source_file", "line_number", "reason"]
    list_filter = ["run__dealership", "source_file"]
    list_select_related = ["run__dealership"]
    search_fields = ["reason", "raw"]
    readonly_fields = ["run", "source_file", "line_number", "reason", "raw"]


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
        "last_error_short",
    ]
    list_filter = ["status", "dealership", "field"]
    list_select_related = ["dealership"]
    search_fields = ["=uuid", "dms_number"]
    raw_id_fields = ["customer", "requested_by"]
    readonly_fields = [
        "uuid",
        "dealership",
        "customer",
        "dms_number",
        "field",
        "value",
        "requested_by",
        "requested_at",
        "status",
        "acknowledged_at",
        "last_attempt_at",
        "next_attempt_at",
        "attempts",
        "last_error",
        "outcome",
    ]
    actions = ["retry_delivery"]

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("last error"))
    def last_error_short(self, obj):
        return (obj.last_error[:80] + "...") if len(obj.last_error) > 80 else obj.last_error

    @admin.action(description=_("Retry delivery of the selected dead requests"))
    def retry_delivery(self, request, queryset):
        dead = list(queryset.filter(status=RemoveStatus.DEAD))
        for remove_request in dead:
            remove_request_retry(request=remove_request, actor=request.user)
        skipped = queryset.exclude(status=RemoveStatus.DEAD).count()
        if dead:
            message = ngettext(
                "%(count)d request(s) queued for delivery again.",
                "%(count)d request(s) queued for delivery again.",
                len(dead),
            )
            self.message_user(request, message % {"count": len(dead)}, messages.SUCCESS)
        if skipped:
            message = ngettext(
                "%(count)d request(s) were not dead and were left as they are.",
                "%(count)d request(s) were not dead and were left as they are.",
                skipped,
            )
            self.message_user(request, message % {"count": skipped}, messages.INFO)
