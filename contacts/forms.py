"""Forms of the contacts app. Store choices are always the user's own stores (a foreign id is a form error)."""

from collections.abc import Mapping
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from customers.models import DayNight, Language, VinContactType
from customers.selectors import dealerships_for_user

from .models import ConsentBasis, ContactChannel, ContactResult, EmailConsent
from .selectors.call_select import MAX_LIMIT, SORT_STAR_DESC, SORTS, call_select_stores
from .services.contact_log import MAX_NOTE, phone_choices

FLEET_CHOICES = [("", pgettext_lazy("fleet filter", "Any")), ("yes", _("Fleet only")), ("no", _("Exclude fleet"))]
MAX_REPORT_DAYS = 5 * 366


class StoreChoiceField(forms.TypedChoiceField):
    """One of the user's stores. The stores are loaded once (one query however often the field renders); a store
    that is not the user's is a plain "not one of the available choices" error."""

    def __init__(self, **kwargs):
        kwargs.setdefault("coerce", int)
        super().__init__(choices=[], **kwargs)
        self.stores = {}

    def set_stores(self, stores):
        self.stores = {store.pk: store for store in stores}
        self.choices = [(store.pk, store.name) for store in self.stores.values()]

    def clean(self, value):
        pk = super().clean(value)
        return self.stores[pk]


class CallSelectForm(forms.Form):
    dealership = StoreChoiceField(label=_("Store"))
    contact_type = forms.ChoiceField(choices=VinContactType.choices, label=_("Contact type"))
    limit = forms.IntegerField(label=_("How many"), min_value=1, max_value=MAX_LIMIT, initial=50)
    language = forms.ChoiceField(
        choices=[("", _("Any language")), *Language.choices], required=False, label=_("Language")
    )
    fleet = forms.ChoiceField(choices=FLEET_CHOICES, required=False, label=_("Fleet"))
    day_night = forms.ChoiceField(
        choices=[("", _("Day or night")), *DayNight.choices], required=False, label=_("Day/Night")
    )
    city = forms.CharField(max_length=80, required=False, label=_("City"))
    sort = forms.ChoiceField(choices=list(SORTS.items()), initial=SORT_STAR_DESC, label=_("Sort by"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # The stores with their calling rules: the list reuses them (contacts.selectors.call_select).
        self.fields["dealership"].set_stores(call_select_stores(user=user))

    def clean_fleet(self):
        return {"yes": True, "no": False}.get(self.cleaned_data.get("fleet"))

    def filters(self) -> dict:
        data = self.cleaned_data
        return {
            "language": data["language"],
            "fleet": data["fleet"],
            "day_night": data["day_night"],
            "city": data["city"].strip(),
        }


class BounceReportForm(forms.Form):
    dealership = StoreChoiceField(label=_("Store"))
    date_from = forms.DateField(
        label=pgettext_lazy("date range", "From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(label=pgettext_lazy("date range", "To"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dealership"].set_stores(dealerships_for_user(user=user))

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if start > end:
                self.add_error("date_to", gettext("The end date is before the start date."))
            elif (end - start).days > MAX_REPORT_DAYS:
                self.add_error("date_to", gettext("Choose a range of at most five years."))
        return data

    @staticmethod
    def default_range(today=None):
        today = today or timezone.localdate()
        return today - timedelta(days=30), today


class EmailConsentForm(forms.Form):
    """Record or change the consent of one of the customer's addresses (Customer Information screen)."""

    email = forms.ChoiceField(label=_("Address"))
    basis = forms.ChoiceField(choices=ConsentBasis.choices, label=_("Basis"))
    source = forms.CharField(
        max_length=120, required=False, label=_("Source"), help_text=_("Where consent was captured.")
    )
    evidence = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Evidence"),
        help_text=_("What proves it."),
    )
    obtained_on = forms.DateField(label=_("Obtained on"), widget=forms.DateInput(attrs={"type": "date"}))
    opted_out = forms.BooleanField(label=_("Opted out of email"), required=False)

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        addresses = [a for a in (customer.email1, customer.email2) if a]
        self.fields["email"].choices = [(a.lower(), a) for a in dict.fromkeys(addresses)]

    @staticmethod
    def initial_for(customer, email: str = "", *, consents: Mapping[str, EmailConsent | None] | None = None) -> dict:
        """Initial values: the ledger entry of `email` (default Email 1) when there is one. `consents`: the
        entries a screen already read, by lower-cased address (None for an address with none)."""
        email = (email or customer.email1 or customer.email2 or "").lower()
        if consents is not None and email in consents:
            consent = consents[email]
        else:
            consent = EmailConsent.objects.filter(customer=customer, email=email).first() if email else None
        if consent is None:
            return {"email": email}
        return {
            "email": email,
            "basis": consent.basis,
            "source": consent.source,
            "evidence": consent.evidence,
            "obtained_on": consent.obtained_at.astimezone(ZoneInfo(customer.dealership.time_zone)).date(),
            "opted_out": consent.opted_out_at is not None,
        }

    def clean_obtained_on(self):
        value = self.cleaned_data["obtained_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(gettext("Consent cannot be obtained in the future."))
        if value.year < 1990:
            raise forms.ValidationError(gettext("Enter a date after 1990."))
        return value

    def obtained_at(self, *, existing=None) -> datetime:
        """Start of the day in the store's time zone, so the CASL term runs from that calendar day; an existing
        consent obtained on the same day keeps its exact time (re-saving the form changes nothing)."""
        tz = ZoneInfo(self.customer.dealership.time_zone)
        day = self.cleaned_data["obtained_on"]
        if existing is not None and existing.obtained_at.astimezone(tz).date() == day:
            return existing.obtained_at
        return datetime.combine(day, time.min, tzinfo=tz)


class ContactLogForm(forms.Form):
    """Log a contact (the profile's Contact History panel, a Call Select row, the Contact History page).

    The number and vehicle choices are the customer's own, from what the screen already loaded (`vehicles`: the
    customer's Vehicle objects); contacts.services.contact_log checks them again in its transaction."""

    channel = forms.ChoiceField(
        choices=ContactChannel.choices, initial=ContactChannel.PHONE_OUT, label=pgettext_lazy("contact channel", "How")
    )
    contact_type = forms.ChoiceField(
        choices=[("", pgettext_lazy("contact type", "General")), *VinContactType.choices],
        required=False,
        label=_("Contact type"),
    )
    vehicle = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label=_("Vehicle"))
    phone = forms.ChoiceField(required=False, label=pgettext_lazy("phone number", "Number"))
    result = forms.ChoiceField(choices=[("", _("Choose the result")), *ContactResult.choices], label=_("Result"))
    call_back_on = forms.DateField(
        required=False, label=_("Call back on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        required=False, max_length=MAX_NOTE, widget=forms.Textarea(attrs={"rows": 2}), label=_("Note")
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, customer, vehicles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.vehicles = {v.pk: v for v in vehicles}
        self.fields["vehicle"].choices = [("", gettext("No vehicle"))] + [
            (v.pk, " ".join(str(p) for p in (v.year, v.make, v.model, v.vin) if p)) for v in self.vehicles.values()
        ]
        self.fields["phone"].choices = [("", gettext("No number"))] + phone_choices(customer)

    def clean_vehicle(self):
        pk = self.cleaned_data.get("vehicle")
        return self.vehicles.get(pk) if pk is not None else None

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            name: data[name]
            for name in ("channel", "contact_type", "vehicle", "phone", "result", "call_back_on", "note")
        }
