from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .models import (
    Association,
    Customer,
    CustomerHistory,
    Dealership,
    Membership,
    RepairOrder,
    ServiceAdvisor,
    TurnOffEvent,
    TurnOffReason,
    Vehicle,
    VehicleContactType,
)
from .services.repair_orders import customer_last_ro_dates_refresh

admin.site.site_header = _("DealerMine administration")
admin.site.site_title = _("DealerMine admin")

User = get_user_model()


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["dealership"]


admin.site.unregister(User)


@admin.register(User)
class DealerMineUserAdmin(UserAdmin):
    inlines = [MembershipInline]


class ServiceAdvisorInline(admin.TabularInline):
    model = ServiceAdvisor
    extra = 0


@admin.register(Dealership)
class DealershipAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "country", "dms_vendor", "dms_adapter", "email_bounce_limit", "has_showroom_equity"]
    list_filter = ["country", "dms_vendor", "dms_adapter", "has_showroom_equity", "is_active"]
    search_fields = ["code", "name"]
    inlines = [ServiceAdvisorInline]
    fieldsets = [
        (None, {"fields": ["code", "name", "country", "time_zone", "is_active"]}),
        (_("Modules"), {"fields": ["has_showroom_equity", "email_bounce_limit", "bounce_webhook_secret"]}),
        (_("DMS connection"), {"fields": ["dms_vendor", "dms_adapter", "dms_settings", "nightly_pull_time"]}),
    ]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "dealership", "role", "created_at"]
    list_filter = ["dealership", "role"]
    search_fields = ["user__username", "user__email", "dealership__code", "dealership__name"]
    autocomplete_fields = ["user", "dealership"]


@admin.register(TurnOffReason)
class TurnOffReasonAdmin(admin.ModelAdmin):
    """Turn Off Management: the reason codes stores pick when they turn something off. The admin section's name
    is the model's verbose_name_plural (customers.models.stores)."""

    list_display = [
        "code",
        "label",
        "dealership",
        "applies_to_status",
        "applies_to_contact_method",
        "applies_to_vin_contact_type",
        "is_active",
    ]
    list_editable = ["is_active"]
    list_filter = ["is_active", "applies_to_status", "applies_to_contact_method", "applies_to_vin_contact_type"]
    search_fields = ["code", "label"]
    actions = ["activate", "deactivate"]

    @admin.action(description=_("Activate selected reason codes"))
    def activate(self, request, queryset):
        queryset.update(is_active=True)

    @admin.action(description=_("Deactivate selected reason codes"))
    def deactivate(self, request, queryset):
        queryset.update(is_active=False)


class VehicleInline(admin.TabularInline):
    model = Vehicle
    extra = 0
    fields = ["vin", "year", "make", "model", "delivery_date", "owns"]
    show_change_link = True


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = [
        "dealermine_number",
        "dms_number",
        "last_name",
        "first_name",
        "other_name",
        "dealership",
        "kind",
        "status",
        "city",
    ]
    list_filter = ["dealership", "kind", "status", "language", "day_night", "is_fleet", "eservice_registered"]
    search_fields = [
        "=dealermine_number",
        "=dms_number",
        "last_name",
        "first_name",
        "other_name",
        "email1",
        "postal_code",
    ]
    list_select_related = ["dealership"]
    raw_id_fields = ["merge_parent", "preferred_advisor", "entered_by", "inactivated_by"]
    readonly_fields = ["version", "created_at", "updated_at", "dms_row_hash", "dms_last_change_date", "last_ro_date"]
    inlines = [VehicleInline]
    show_full_result_count = False


class VehicleContactTypeInline(admin.TabularInline):
    model = VehicleContactType
    extra = 0
    raw_id_fields = ["changed_by"]


@admin.register(Vehicle)
class VehicleAdmin(admin.ModelAdmin):
    list_display = ["vin", "year", "make", "model", "customer", "owns", "delivery_date"]
    list_filter = ["owns", "make"]
    search_fields = ["vin", "customer__last_name", "=customer__dms_number"]
    raw_id_fields = ["customer"]
    list_select_related = ["customer"]
    inlines = [VehicleContactTypeInline]
    show_full_result_count = False


@admin.register(CustomerHistory)
class CustomerHistoryAdmin(admin.ModelAdmin):
    list_display = ["customer", "created_at", "source", "actor", "actor_label", "action"]
    list_filter = ["source", "action"]
    raw_id_fields = ["customer", "actor"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Association)
class AssociationAdmin(admin.ModelAdmin):
    list_display = ["from_customer", "to_customer", "relationship", "created_at"]
    raw_id_fields = ["from_customer", "to_customer", "created_by"]


@admin.register(RepairOrder)
class RepairOrderAdmin(admin.ModelAdmin):
    """Repair orders come from the DMS; an admin's correction here keeps the customers' last RO date (before and
    after a move to another customer) in step, as the nightly pull does."""

    list_display = ["ro_number", "customer", "vin", "closed_date", "labour_sale", "parts_sale"]
    search_fields = ["ro_number", "vin"]
    raw_id_fields = ["customer"]
    list_filter = ["dealership"]
    show_full_result_count = False

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        before = RepairOrder.objects.filter(pk=obj.pk).values_list("customer_id", flat=True).first() if change else None
        super().save_model(request, obj, form, change)
        customer_last_ro_dates_refresh(customer_ids=[before, obj.customer_id])

    @transaction.atomic
    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        customer_last_ro_dates_refresh(customer_ids=[obj.customer_id])

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        customer_ids = list(queryset.values_list("customer_id", flat=True))
        super().delete_queryset(request, queryset)
        customer_last_ro_dates_refresh(customer_ids=customer_ids)


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
