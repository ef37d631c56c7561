from django.contrib import admin

from .models import ContactMethod, EmailBounce, EmailConsent, TurnOffEvent


@admin.register(ContactMethod)
class ContactMethodAdmin(admin.ModelAdmin):
    list_display = ["customer", "method", "is_on", "reason", "changed_by", "changed_at"]
    list_filter = ["method", "is_on"]
    raw_id_fields = ["customer", "changed_by"]


@admin.register(TurnOffEvent)
class TurnOffEventAdmin(admin.ModelAdmin):
    """Turn Off history, read-only: it is written by the services."""

    list_display = ["customer", "target", "code", "is_on", "reason", "actor", "actor_label", "created_at"]
    list_filter = ["target", "is_on"]
    raw_id_fields = ["customer", "vehicle", "actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(EmailConsent)
class EmailConsentAdmin(admin.ModelAdmin):
    list_display = ["email", "customer", "basis", "obtained_at", "expires_at", "opted_out_at"]
    list_filter = ["basis"]
    search_fields = ["email"]
    raw_id_fields = ["customer", "created_by"]


@admin.register(EmailBounce)
class EmailBounceAdmin(admin.ModelAdmin):
    list_display = ["email", "dealership", "bounced_at", "campaign", "kind", "source"]
    list_filter = ["dealership", "kind", "source"]
    search_fields = ["email", "campaign", "provider_event_id"]
