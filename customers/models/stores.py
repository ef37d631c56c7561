"""Stores, the people who work for them, their advisors and Turn Off reason codes."""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def validate_time_zone(value):
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            gettext("%(value)s is not a known time zone."), code="invalid", params={"value": repr(value)}
        )


class Country(models.TextChoices):
    US = "US", _("United States")
    CA = "CA", _("Canada")


class DmsVendor(models.TextChoices):
    CDK = "cdk", "CDK"
    REYNOLDS = "reynolds", "Reynolds & Reynolds"
    DEALERTRACK = "dealertrack", "Dealertrack"
    TEKION = "tekion", "Tekion"
    OTHER = "other", _("Other")


class DmsAdapter(models.TextChoices):
    NONE = "none", _("No DMS connection")
    FILE_DROP = "file_drop", _("File drop (nightly extract)")
    HTTP_API = "http_api", _("HTTP API")


class Dealership(models.Model):
    code = models.SlugField(max_length=32, unique=True, help_text=_("Short store code used in DMS paths and commands."))
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2, choices=Country.choices, default=Country.US)
    time_zone = models.CharField(max_length=64, default="America/Toronto", validators=[validate_time_zone])
    dms_vendor = models.CharField(max_length=20, choices=DmsVendor.choices, default=DmsVendor.OTHER)
    dms_adapter = models.CharField(max_length=20, choices=DmsAdapter.choices, default=DmsAdapter.NONE)
    dms_settings = models.JSONField(
        default=dict,
        blank=True,
        help_text=_(
            "Adapter settings, e.g. file drop: drop_dir, outbox_dir; HTTP API: base_url, token_url, "
            "client_id, client_secret, timeout."
        ),
    )
    nightly_pull_time = models.TimeField(default="02:00", help_text=_("Local time (store time zone) of the DMS pull."))
    email_bounce_limit = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(9)],
        help_text=_("An address that bounced this many times is invalid (1-9)."),
    )
    has_showroom_equity = models.BooleanField(_("Showroom/Equity module"), default=False)
    bounce_webhook_secret = models.CharField(
        max_length=128, blank=True, help_text=_("Shared secret the email provider signs bounce webhooks with.")
    )
    next_dealermine_number = models.PositiveBigIntegerField(
        default=100001, editable=False, help_text=_("Next DealerMine customer number to hand out.")
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(email_bounce_limit__gte=1) & Q(email_bounce_limit__lte=9),
                name="dealership_bounce_limit_1_9",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def is_canadian(self):
        return self.country == Country.CA

    @property
    def is_reynolds(self):
        return self.dms_vendor == DmsVendor.REYNOLDS


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("Appointment coordinator")
    MANAGER = "manager", _("Manager")


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    dealership = models.ForeignKey(Dealership, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.COORDINATOR)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "dealership"], name="membership_unique_user_store")]

    def __str__(self):
        return f"{self.user} @ {self.dealership.code} ({self.get_role_display()})"


class ServiceAdvisor(models.Model):
    """A store's service advisor, the choices for a customer's preferred advisor."""

    dealership = models.ForeignKey(Dealership, on_delete=models.CASCADE, related_name="advisors")
    name = models.CharField(max_length=120)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["dealership", "name"], name="advisor_unique_name_per_store")]

    def __str__(self):
        return self.name


class TurnOffReason(models.Model):
    """A "Turn Off Management" reason code. A code with no dealership is offered to every store."""

    dealership = models.ForeignKey(
        Dealership,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="turn_off_reasons",
        help_text=_("Leave blank to offer this code to every store."),
    )
    code = models.CharField(max_length=20)
    label = models.CharField(
        max_length=120,
        help_text=_(
            "A code offered to every store is shown in the reader's language when its label is one of "
            "DealerMine's own; any other label is shown as typed."
        ),
    )
    applies_to_status = models.BooleanField(_("Customer inactivation"), default=False)
    applies_to_contact_method = models.BooleanField(_("Contact methods"), default=False)
    applies_to_vin_contact_type = models.BooleanField(_("VIN contact types"), default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["label"]
        verbose_name = _("turn off reason")
        # The admin section bears the product's name for the reason codes.
        verbose_name_plural = _("Turn Off Management")
        constraints = [
            models.UniqueConstraint(fields=["dealership", "code"], name="turnoff_unique_code_per_store"),
            models.UniqueConstraint(
                fields=["code"], condition=Q(dealership__isnull=True), name="turnoff_unique_global_code"
            ),
        ]

    def __str__(self):
        return f"{self.code} - {self.display_label()}"

    def display_label(self) -> str:
        """The label as a person reads it: see label_for_display."""
        return self.label_for_display(self.label, dealership_id=self.dealership_id)

    @staticmethod
    def label_for_display(label: str, *, dealership_id: int | None) -> str:
        """A reason's label as shown, for reads that have only its label and dealership id (values() queries).

        The product's own codes (no dealership: the demo's, the DMS's, do-not-call, opt-out) store their label
        in English and are shown through the catalogue, in the reader's language (their labels are declared
        with gettext_noop where they are created); a label the catalogue does not hold is shown as stored. A
        store's own codes are shown as the store typed them."""
        if dealership_id is None and label:
            return gettext(label)
        return label

