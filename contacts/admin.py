from django.contrib import admin, messages
from django.db.models import Q
from django.utils import timezone

from .models import ContactMethod, EmailBounce, EmailConsent
from .services import consent_expire


@admin.register(ContactMethod)
class ContactMethodAdmin(admin.ModelAdmin):
    list_display = ["customer", "method", "is_on", "reason", "changed_by", "changed_at"]
    list_filter = ["method", "is_on"]
    raw_id_fields = ["customer", "changed_by"]


class ConsentStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("opted_out", "Opted out"), ("expired", "Expired"), ("current", "Current")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "opted_out":
            return queryset.filter(opted_out_at__isnull=False)
        if self.value() == "expired":
            return queryset.filter(opted_out_at__isnull=True).filter(
                Q(expires_at__lte=now) | Q(expired_at__isnull=False)
            )
        if self.value() == "current":
            return queryset.filter(opted_out_at__isnull=True, expired_at__isnull=True).exclude(expires_at__lte=now)
        return queryset


@admin.register(EmailConsent)
class EmailConsentAdmin(admin.ModelAdmin):
    """The consent ledger, read-only: it is proof of consent, changed only through the Customer Information screen
    (or the opt-out import), which computes the expiry and writes the customer's history."""

    list_display = ["email", "customer", "basis", "source", "obtained_at", "expires_at", "expired_at", "opted_out_at"]
    list_filter = ["basis", ConsentStateFilter, "customer__dealership"]
    search_fields = ["email"]
    raw_id_fields = ["customer", "created_by"]
    date_hierarchy = "obtained_at"
    list_select_related = ["customer"]
    actions = ["expire_lapsed"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Expire lapsed implied consents now (what the daily task does)")
    def expire_lapsed(self, request, queryset):
        count = consent_expire()
        self.message_user(request, f"{count} consent(s) marked expired.", messages.SUCCESS)


@admin.register(EmailBounce)
class EmailBounceAdmin(admin.ModelAdmin):
    list_display = ["email", "dealership", "bounced_at", "campaign", "kind", "source", "provider_event_id"]
    list_filter = ["dealership", "kind", "source"]
    search_fields = ["email", "campaign", "provider_event_id"]
    date_hierarchy = "bounced_at"
    readonly_fields = ["created_at"]
    list_select_related = ["dealership"]
