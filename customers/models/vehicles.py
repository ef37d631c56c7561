"""Vehicles, their VIN-specific contact types and repair orders."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from .customer import Customer
from .stores import Dealership, TurnOffReason


class Vehicle(models.Model):
    # Indexed by the (customer, vin) unique constraint, which leads with it.
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="vehicles", db_index=False)
    vin = models.CharField(_("VIN"), max_length=17)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    make = models.CharField(max_length=40, blank=True)
    model = models.CharField(max_length=60, blank=True)
    delivery_date = models.DateField(null=True, blank=True)
    owns = models.BooleanField(default=True, help_text=_("Off means the vehicle was sold or traded."))
    owns_reason = models.ForeignKey(
        TurnOffReason, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    vin_check_digit_ok = models.BooleanField(default=True, help_text=_("False: imported with a failing check digit."))
    dms_row_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year", "vin"]
        constraints = [models.UniqueConstraint(fields=["customer", "vin"], name="vehicle_unique_vin_per_customer")]
        indexes = [
            models.Index(fields=["vin"], name="vehicle_vin_idx"),
            models.Index(
                fields=["owns_reason"], condition=Q(owns_reason__isnull=False), name="vehicle_owns_reason_set_idx"
            ),
        ]

    def __str__(self):
        return " ".join(str(p) for p in (self.year, self.make, self.model, self.vin) if p)


class VinContactType(models.TextChoices):
    """VIN-specific contact types other than Owns (which is Vehicle.owns)."""

    MAINTENANCE = "maintenance", pgettext_lazy("VIN contact type", "Maintenance")
    CSI = "csi", pgettext_lazy("VIN contact type", "CSI")
    CONFIRM_APPT = "confirm_appt", pgettext_lazy("VIN contact type", "Confirm Appt")
    NO_SHOW = "no_show", pgettext_lazy("VIN contact type", "No Show")
    SPORD = "spord", pgettext_lazy("VIN contact type", "Spord")
    RECALLS = "recalls", pgettext_lazy("VIN contact type", "Recalls")
    MVI = "mvi", pgettext_lazy("VIN contact type", "MVI")
    MARKETING = "marketing", pgettext_lazy("VIN contact type", "Marketing")
    SALES = "sales", pgettext_lazy("VIN contact type", "Sales")


class VehicleContactType(models.Model):
    """State of one contact type for one VIN. No row means the type is on (the common case)."""

    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="contact_types")
    contact_type = models.CharField(max_length=20, choices=VinContactType.choices)
    is_on = models.BooleanField(default=True)
    reason = models.ForeignKey(TurnOffReason, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    comment = models.CharField(max_length=500, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["vehicle", "contact_type"], name="vehicle_contact_type_unique"),
            models.CheckConstraint(condition=Q(is_on=True) | Q(reason__isnull=False), name="vct_off_has_reason"),
        ]

    def __str__(self):
        state = pgettext("contact method state", "on") if self.is_on else pgettext("contact method state", "off")
        return f"{self.vehicle.vin} {self.get_contact_type_display()}: {state}"


class RepairOrder(models.Model):
    # Both indexed by the multi-column indexes in Meta that lead with them.
    dealership = models.ForeignKey(Dealership, on_delete=models.CASCADE, related_name="repair_orders", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="repair_orders", db_index=False)
    ro_number = models.CharField(_("RO number"), max_length=32)
    vin = models.CharField(_("VIN"), max_length=17, blank=True)
    closed_date = models.DateField(null=True, blank=True)
    labour_sale = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    parts_sale = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    dms_row_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-closed_date", "-ro_number"]
        constraints = [models.UniqueConstraint(fields=["dealership", "ro_number"], name="ro_unique_number_per_store")]
        indexes = [models.Index(fields=["customer", "-closed_date"], name="ro_customer_recent_idx")]

    def __str__(self):
        return gettext("RO %(number)s") % {"number": self.ro_number}
