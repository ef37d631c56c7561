"""How a customer may be contacted: contact methods, the Turn Off history, email consent and bounces."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext, ngettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from customers.models import ContactMethodKind, Customer, Dealership, TurnOffReason, VinContactType

#: The longest recycle a store may set for a contact type (days).
MAX_RECYCLE_DAYS = 366


class ContactMethod(models.Model):
    """On/off state of one contact method. No row means the method is on."""

    # Indexed by contact_method_unique, which leads with it.
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contact_methods", db_index=False)
    method = models.CharField(max_length=12, choices=ContactMethodKind.choices)
    is_on = models.BooleanField(default=True)
    reason = models.ForeignKey(
        TurnOffReason, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "method"], name="contact_method_unique"),
        ]
        # Optional references indexed only where set (see customers.models.Customer.Meta).
        indexes = [
            models.Index(fields=[name], condition=Q(**{f"{name}__isnull": False}), name=f"cmethod_{short}_set_idx")
            for name, short in (("reason", "reason"), ("changed_by", "changedby"))
        ]

    def __str__(self):
        state = pgettext("contact method state", "on") if self.is_on else pgettext("contact method state", "off")
        return f"{self.customer_id} {self.get_method_display()}: {state}"


class ConsentBasis(models.TextChoices):
    EXPRESS = "express", _("Express consent")
    IMPLIED_PURCHASE = "implied_purchase", _("Implied by purchase")
    IMPLIED_INQUIRY = "implied_inquiry", _("Implied by inquiry")


class EmailConsent(models.Model):
    """Consent ledger for one customer email (CASL rules apply to Canadian stores)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="email_consents")
    email = models.EmailField(max_length=254, help_text=_("Lower-cased address the consent covers."))
    basis = models.CharField(max_length=20, choices=ConsentBasis.choices)
    source = models.CharField(max_length=120, blank=True, help_text=_("Where consent was captured."))
    evidence = models.TextField(blank=True, help_text=_("What proves the consent."))
    obtained_at = models.DateTimeField()
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text=_("Implied: purchase + 2 years, inquiry + 6 months; express: never.")
    )
    expired_at = models.DateTimeField(null=True, blank=True, help_text=_("Set by the daily expiry task."))
    opted_out_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "email"], name="consent_unique_customer_email")]
        indexes = [models.Index(fields=["expires_at"], name="consent_expires_idx")]

    def __str__(self):
        return f"{self.email}: {self.get_basis_display()}"


class BounceSource(models.TextChoices):
    WEBHOOK = "webhook", _("Provider webhook")
    IMPORT = "import", _("Bounce report import")
    DEMO = "demo", _("Demo data")


class EmailBounce(models.Model):
    dealership = models.ForeignKey(Dealership, on_delete=models.CASCADE, related_name="email_bounces")
    email = models.EmailField(max_length=254, help_text=_("Lower-cased address."))
    bounced_at = models.DateTimeField()
    campaign = models.CharField(max_length=120, blank=True)
    kind = models.CharField(max_length=20, default="hard", help_text=_("hard, soft, complaint..."))
    reason = models.CharField(max_length=500, blank=True)
    provider_event_id = models.CharField(max_length=120, blank=True)
    source = models.CharField(max_length=10, choices=BounceSource.choices, default=BounceSource.WEBHOOK)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-bounced_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["dealership", "provider_event_id"],
                condition=~Q(provider_event_id=""),
                name="bounce_unique_provider_event",
            ),
        ]
        indexes = [
            models.Index(fields=["dealership", "email", "-bounced_at"], name="bounce_store_email_idx"),
            models.Index(fields=["dealership", "campaign", "bounced_at"], name="bounce_store_campaign_idx"),
        ]

    def __str__(self):
        return gettext("%(email)s bounced %(date)s") % {"email": self.email, "date": f"{self.bounced_at:%Y-%m-%d}"}


# --- Contact history, the store's do-not-call list and the store's calling rules (DESIGN §4, §5) ---------------


class ContactChannel(models.TextChoices):
    PHONE_OUT = "phone_out", _("Phone out")
    PHONE_IN = "phone_in", _("Phone in")
    EMAIL = "email", _("Email")
    LETTER = "letter", _("Letter")
    TEXT = "text", pgettext_lazy("contact channel", "Text")
    WALK_IN = "walk_in", _("Walk-in")


#: The channels where the customer came to the store (the "in/out" column of the contact history).
INBOUND_CHANNELS = frozenset({ContactChannel.PHONE_IN, ContactChannel.WALK_IN})
#: The channels that dial or text a number: a "wrong number" or "do not call" result names the number.
PHONE_CHANNELS = frozenset({ContactChannel.PHONE_OUT, ContactChannel.PHONE_IN, ContactChannel.TEXT})


class ContactResult(models.TextChoices):
    BOOKED = "booked", _("Appointment booked")
    LEFT_MESSAGE = "left_message", _("Left message")
    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    DO_NOT_CALL = "do_not_call", _("Do not call")
    CALL_BACK = "call_back", _("Call back")
    OTHER = "other", pgettext_lazy("contact result", "Other")


class ContactLog(models.Model):
    """One contact with a customer: who, when, how, for which contact type and vehicle, and what came of it.

    Written only by contacts.services.contact_log (which also applies the result's consequences). The profile's
    Contact History lists these rows; Call Select reads the latest one per contact type (`LastContact`)."""

    # Both indexed by the multi-column indexes in Meta that lead with them.
    dealership = models.ForeignKey(Dealership, on_delete=models.CASCADE, related_name="+", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contact_logs", db_index=False)
    vehicle = models.ForeignKey(
        "customers.Vehicle", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    vin = models.CharField(_("VIN"), max_length=17, blank=True, help_text=_("The vehicle's VIN when logged (kept)."))
    contact_type = models.CharField(
        max_length=20, choices=VinContactType.choices, blank=True, help_text=_("Blank: a general contact.")
    )
    channel = models.CharField(max_length=12, choices=ContactChannel.choices)
    result = models.CharField(max_length=15, choices=ContactResult.choices)
    phone = models.CharField(max_length=20, blank=True, help_text=_("The number called or that called (E.164)."))
    call_back_on = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=1000, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    user_label = models.CharField(max_length=120, blank=True, help_text=_("Who logged it when not a user."))
    contacted_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-contacted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(result="call_back", call_back_on__isnull=False)
                | (~Q(result="call_back") & Q(call_back_on__isnull=True)),
                name="contactlog_call_back_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-contacted_at", "-id"], name="contactlog_customer_recent_idx"),
            models.Index(fields=["dealership", "-contacted_at"], name="contactlog_store_recent_idx"),
            *(
                models.Index(
                    fields=[name], condition=Q(**{f"{name}__isnull": False}), name=f"contactlog_{name}_set_idx"
                )
                for name in ("vehicle", "user")
            ),
        ]

    def __str__(self):
        return (
            f"{self.customer_id} {self.get_channel_display()} {self.get_result_display()} {self.contacted_at:%Y-%m-%d}"
        )

    @property
    def is_inbound(self) -> bool:
        return self.channel in INBOUND_CHANNELS

    @property
    def who(self) -> str:
        if self.user_id:
            return self.user.get_full_name() or self.user.get_username()
        return self.user_label


class LastContact(models.Model):
    """The latest logged contact of a customer for one contact type (one row per customer x type).

    What Call Select's recycle and call-back rules read, in one join: a customer is not offered for a type until
    the store's recycle days have passed since this contact, and one asked to be called back comes back on that
    date. Kept by contacts.services.contact_log in the same transaction as the log row."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="last_contacts", db_index=False)
    contact_type = models.CharField(max_length=20, choices=VinContactType.choices)
    contact_log = models.ForeignKey(ContactLog, on_delete=models.CASCADE, related_name="+")
    contacted_at = models.DateTimeField()
    result = models.CharField(max_length=15, choices=ContactResult.choices)
    call_back_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "contact_type"], name="lastcontact_unique_customer_type"),
        ]
        # Call Select's call backs due: few rows, found without walking the customers.
        indexes = [
            models.Index(
                fields=["contact_type", "call_back_on"],
                condition=Q(result="call_back"),
                name="lastcontact_call_back_idx",
            ),
        ]

    def __str__(self):
        return f"{self.customer_id} {self.contact_type}: {self.result} {self.contacted_at:%Y-%m-%d}"


class DoNotCallSource(models.TextChoices):
    CONTACT_LOG = "contact_log", _("Contact log")
    ADMIN = "admin", pgettext_lazy("do-not-call source", "Admin")
    DEMO = "demo", _("Demo data")


class DoNotCallNumber(models.Model):
    """A number on the store's internal do-not-call list: never offered for a call by Call Select, shown as not
    contactable ("on the store's do-not-call list") wherever it is on file in the store."""

    dealership = models.ForeignKey(Dealership, on_delete=models.CASCADE, related_name="do_not_call_numbers")
    number = models.CharField(max_length=20, help_text=_("E.164, e.g. +14165550123."))
    reason = models.CharField(pgettext_lazy("do-not-call number", "Why"), max_length=500, blank=True)
    source = models.CharField(max_length=12, choices=DoNotCallSource.choices, default=DoNotCallSource.ADMIN)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    contact_log = models.ForeignKey(
        ContactLog, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    added_at = models.DateTimeField()

    class Meta:
        ordering = ["-added_at", "-id"]
        verbose_name = _("do-not-call number")
        constraints = [models.UniqueConstraint(fields=["dealership", "number"], name="dnc_unique_number_per_store")]
        indexes = [
            models.Index(fields=[name], condition=Q(**{f"{name}__isnull": False}), name=f"dnc_{short}_set_idx")
            for name, short in (("customer", "customer"), ("contact_log", "log"), ("added_by", "addedby"))
        ]

    def __str__(self):
        return self.number


class ContactSettings(models.Model):
    """A store's calling rules: calling hours in the called person's local time (blank = the country's default,
    contacts.calling_hours) and recycle days per contact type (`RecycleDays`; no row = the default)."""

    dealership = models.OneToOneField(Dealership, on_delete=models.CASCADE, related_name="contact_settings")
    weekday_start = models.TimeField(null=True, blank=True, help_text=_("Blank: Canada 9:00, US 8:00."))
    weekday_end = models.TimeField(null=True, blank=True, help_text=_("Blank: 21:00."))
    weekend_start = models.TimeField(null=True, blank=True, help_text=_("Blank: Canada 10:00, US 8:00."))
    weekend_end = models.TimeField(null=True, blank=True, help_text=_("Blank: Canada 18:00, US 21:00."))

    class Meta:
        verbose_name = _("store contact settings")
        verbose_name_plural = _("store contact settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(weekday_start__isnull=True)
                | Q(weekday_end__isnull=True)
                | Q(weekday_start__lt=F("weekday_end")),
                name="contactsettings_weekday_order",
            ),
            models.CheckConstraint(
                condition=Q(weekend_start__isnull=True)
                | Q(weekend_end__isnull=True)
                | Q(weekend_start__lt=F("weekend_end")),
                name="contactsettings_weekend_order",
            ),
        ]

    def __str__(self):
        return gettext("Contact settings of %(store)s") % {"store": self.dealership}


class RecycleDays(models.Model):
    """How many days a customer contacted for a contact type stays off Call Select for it (per store)."""

    store_settings = models.ForeignKey(ContactSettings, on_delete=models.CASCADE, related_name="recycle_days")
    contact_type = models.CharField(max_length=20, choices=VinContactType.choices)
    days = models.PositiveSmallIntegerField(validators=[MaxValueValidator(MAX_RECYCLE_DAYS)])

    class Meta:
        verbose_name = _("recycle days")
        verbose_name_plural = _("recycle days")
        constraints = [
            models.UniqueConstraint(fields=["store_settings", "contact_type"], name="recycle_unique_type_per_store"),
            models.CheckConstraint(condition=Q(days__lte=MAX_RECYCLE_DAYS), name="recycle_days_at_most_a_year"),
        ]

    def __str__(self):
        return ngettext("%(type)s: %(days)s day", "%(type)s: %(days)s days", self.days) % {
            "type": self.get_contact_type_display(),
            "days": self.days,
        }
