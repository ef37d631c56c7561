from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from customers.models import VinContactType
from customers.phones import phone_display

from .admin_uploads import CsvUploadAdminMixin
from .calling_rules import DEFAULT_RECYCLE_DAYS, default_calling_hours
from .models import (
    ContactLog,
    ContactMethod,
    ContactSettings,
    DoNotCallNumber,
    DoNotCallSource,
    EmailBounce,
    EmailConsent,
    RecycleDays,
)
from .selectors.contact_settings import calling_hours_for
from .services import consent_expire, do_not_call_add, do_not_call_remove
from .services.do_not_call import do_not_call_number_normalize


@admin.register(ContactMethod)
class ContactMethodAdmin(CsvUploadAdminMixin, admin.ModelAdmin):
    list_display = ["customer", "method", "is_on", "reason", "changed_by", "changed_at"]
    list_filter = ["method", "is_on"]
    raw_id_fields = ["customer", "changed_by"]
    change_list_template = "admin/contacts/contactmethod/change_list.html"
    upload_kind = "opt_outs"
    upload_permission = "contacts.change_contactmethod"


class ConsentStateFilter(admin.SimpleListFilter):
    title = pgettext_lazy("email consent", "state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("opted_out", pgettext("email consent state", "Opted out")),
            ("expired", pgettext("email consent state", "Expired")),
            ("current", pgettext("email consent state", "Current")),
        ]

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

    @admin.action(description=_("Expire lapsed implied consents now (what the daily task does)"))
    def expire_lapsed(self, request, queryset):
        count = consent_expire()
        # The English keeps its "(s)" (one wording for both); French gets its real plural.
        message = ngettext("%(count)s consent(s) marked expired.", "%(count)s consent(s) marked expired.", count)
        self.message_user(request, message % {"count": count}, messages.SUCCESS)


@admin.register(EmailBounce)
class EmailBounceAdmin(CsvUploadAdminMixin, admin.ModelAdmin):
    change_list_template = "admin/contacts/emailbounce/change_list.html"
    upload_kind = "bounces"
    upload_permission = "contacts.add_emailbounce"
    list_display = ["email", "dealership", "bounced_at", "campaign", "kind", "source", "provider_event_id"]
    list_filter = ["dealership", "kind", "source"]
    search_fields = ["email", "campaign", "provider_event_id"]
    date_hierarchy = "bounced_at"
    readonly_fields = ["created_at"]
    list_select_related = ["dealership"]


# --- the store's calling rules -------------------------------------------------------------------------------


def _span(start, end) -> str:
    return f"{start:%H:%M}-{end:%H:%M}"


def _defaults_text() -> str:
    labels = dict(VinContactType.choices)
    days = ", ".join(f"{str(labels.get(t, t)).lower()} {d}" for t, d in DEFAULT_RECYCLE_DAYS.items())
    ca, us = default_calling_hours("CA"), default_calling_hours("US")
    return gettext(
        "Defaults where a store sets nothing: recycle days %(days)s. Calling hours, in the called person's local "
        "time: Canada %(ca_weekdays)s weekdays and %(ca_weekends)s weekends; US %(us_every_day)s every day."
    ) % {
        "days": days,
        "ca_weekdays": _span(ca.weekday_start, ca.weekday_end),
        "ca_weekends": _span(ca.weekend_start, ca.weekend_end),
        "us_every_day": _span(us.weekday_start, us.weekday_end),
    }


class RecycleDaysInline(admin.TabularInline):
    model = RecycleDays
    extra = 0
    fields = ["contact_type", "days"]
    verbose_name = _("recycle days for a contact type")
    verbose_name_plural = _("Recycle days per contact type (no row: the default)")


class ContactSettingsForm(forms.ModelForm):
    class Meta:
        model = ContactSettings
        fields = ["dealership", "weekday_start", "weekday_end", "weekend_start", "weekend_end"]

    def clean(self):
        data = super().clean()
        for part in ("weekday", "weekend"):
            start, end = data.get(f"{part}_start"), data.get(f"{part}_end")
            if start and end and start >= end:
                self.add_error(f"{part}_end", gettext("The end comes after the start."))
        return data


@admin.register(ContactSettings)
class ContactSettingsAdmin(admin.ModelAdmin):
    """Per store: calling hours (blank = the country's default) and recycle days per contact type."""

    form = ContactSettingsForm
    inlines = [RecycleDaysInline]
    list_display = ["dealership", "hours", "recycle"]
    list_select_related = ["dealership"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.base_fields["dealership"].help_text = _defaults_text()
        return form

    @admin.display(description=_("Calling hours"))
    def hours(self, obj):
        hours = calling_hours_for(obj.dealership, obj)
        return gettext("weekdays %(weekdays)s, weekends %(weekends)s") % {
            "weekdays": _span(hours.weekday_start, hours.weekday_end),
            "weekends": _span(hours.weekend_start, hours.weekend_end),
        }

    @admin.display(description=_("Recycle days set"))
    def recycle(self, obj):
        return ", ".join(str(r) for r in obj.recycle_days.all()) or gettext("defaults")


# --- the do-not-call list ------------------------------------------------------------------------------------


class DoNotCallNumberForm(forms.ModelForm):
    class Meta:
        model = DoNotCallNumber
        fields = ["dealership", "number", "reason"]

    def clean(self):
        data = super().clean()
        store, number = data.get("dealership"), data.get("number")
        if store and number and not self.instance.pk:
            try:
                data["number"] = do_not_call_number_normalize(dealership=store, value=number)
            except ValidationError as exc:
                self.add_error("number", exc)
                return data
            if DoNotCallNumber.objects.filter(dealership=store, number=data["number"]).exists():
                self.add_error("number", gettext("This number is already on the store's do-not-call list."))
        return data


@admin.register(DoNotCallNumber)
class DoNotCallNumberAdmin(admin.ModelAdmin):
    """The stores' internal do-not-call lists: who put each number there, when and why. Removing a number lets
    Call Select offer it again; phone methods a "do not call" result turned off stay off."""

    form = DoNotCallNumberForm
    list_display = ["shown_number", "dealership", "reason", "source", "added_by", "added_at", "customer"]
    list_filter = ["dealership", "source"]
    search_fields = ["number", "reason"]
    date_hierarchy = "added_at"
    list_select_related = ["dealership", "added_by", "customer"]
    raw_id_fields = ["customer"]

    @admin.display(description=pgettext_lazy("phone", "Number"), ordering="number")
    def shown_number(self, obj):
        return phone_display(obj.number)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["dealership", "number", "source", "customer", "contact_log", "added_by", "added_at"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["dealership", "number", "reason"]
        return ["dealership", "number", "reason", "source", "customer", "contact_log", "added_by", "added_at"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["reason"])
            return
        entry, _ = do_not_call_add(
            dealership=obj.dealership,
            number=obj.number,
            reason=obj.reason,
            source=DoNotCallSource.ADMIN,
            actor=request.user,
        )
        obj.pk, obj.added_by, obj.added_at = entry.pk, entry.added_by, entry.added_at

    def delete_model(self, request, obj):
        do_not_call_remove(entry=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for entry in queryset:
            do_not_call_remove(entry=entry, actor=request.user)


# --- the contact history (read-only: contacts are logged on the coordinator screens) --------------------------


@admin.register(ContactLog)
class ContactLogAdmin(admin.ModelAdmin):
    list_display = ["contacted_at", "customer", "dealership", "user", "contact_type", "channel", "result", "vin"]
    list_filter = ["dealership", "contact_type", "channel", "result"]
    search_fields = ["vin", "phone", "note", "customer__last_name"]
    date_hierarchy = "contacted_at"
    list_select_related = ["customer", "dealership", "user"]
    raw_id_fields = ["customer", "vehicle", "user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
