"""The audit log: the customer history and the Turn Off history.

Both are written only through `customers.audit` (one writer, single and bulk). A history entry stores each
change as {field: key, old: raw, new: raw}: raw values (E.164 phones, choice codes, ids, ISO dates, a contact
method's {on, reason}); labels and formatting come from the field registry (customers.fields) when shown.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .customer import Customer
from .stores import TurnOffReason


class HistorySource(models.TextChoices):
    USER = "user", "User"
    DMS_SYNC = "dms_sync", "DMS sync"
    MERGE = "merge", "Merge"
    IMPORT = "import", "Import"
    SYSTEM = "system", "System"


class AuditAction(models.TextChoices):
    """What a history entry records; declared here so no writer invents its own wording."""

    CREATE = "create", "Created"
    UPDATE = "update", "Updated"
    REMOVE = "remove", "Removed permanently"
    VERIFY = "verify", "Verified Info"
    STATUS = "status", "Status"
    CONTACT_METHOD = "contact_method", "Contact method"
    PREFERRED_METHOD = "preferred_method", "Preferred method"
    VIN_CONTACT_TYPE = "vin_contact_type", "VIN contact type"
    ASSOCIATION_ADD = "association_add", "Association added"
    ASSOCIATION_REMOVE = "association_remove", "Association removed"
    MERGE = "merge", "Merge"
    UNMERGE = "unmerge", "Unmerge"
    EMAIL_CONSENT = "email_consent", "Email consent"
    EMAIL_CONSENT_EXPIRED = "email_consent_expired", "Email consent expired"
    DMS_UPDATE = "dms_update", "DMS update"
    DMS_VEHICLES = "dms_vehicles", "DMS vehicles"
    SUPPRESSION_LIFT = "suppression_lift", "Removal lifted"


class CustomerHistory(models.Model):
    """One entry per save: who or what changed the file, and each field's old -> new value."""

    # Indexed by history_customer_recent_idx, which leads with it.
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="history", db_index=False)
    created_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=10, choices=HistorySource.choices, default=HistorySource.USER)
    actor_label = models.CharField(max_length=120, blank=True, help_text="e.g. 'DMS sync', 'import: optouts.csv'.")
    action = models.CharField(max_length=30, choices=AuditAction.choices, default=AuditAction.UPDATE)
    changes = models.JSONField(default=list, help_text="[{field, old, new}, ...] with raw values (customers.audit).")
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "customer history"
        indexes = [models.Index(fields=["customer", "-created_at", "-id"], name="history_customer_recent_idx")]

    def __str__(self):
        return f"{self.customer_id} {self.action} at {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def who(self):
        if self.actor_label:
            return self.actor_label
        if self.actor_id:
            return self.actor.get_full_name() or self.actor.get_username()
        return self.get_source_display()


class TurnOffTarget(models.TextChoices):
    STATUS = "status", "Customer status"
    CONTACT_METHOD = "contact_method", "Contact method"
    VIN_CONTACT_TYPE = "vin_contact_type", "VIN contact type"


class TurnOffEvent(models.Model):
    """Turn Off history: every change of a contact method, VIN contact type or customer status.

    Moved here from the contacts app (migration customers 0008 / contacts 0003, state only): the Turn Off history
    covers customer status and VIN contact types too, and the audit writer that records it sits below every app.
    The table keeps its name.
    """

    # Indexed by turnoff_customer_recent_idx, which leads with it.
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="turn_off_events", db_index=False)
    vehicle = models.ForeignKey(
        "customers.Vehicle",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="turn_off_events",
        db_index=False,
    )
    target = models.CharField(max_length=20, choices=TurnOffTarget.choices)
    code = models.CharField(max_length=20, help_text="Which method or contact type, e.g. 'email', 'csi', 'owns'.")
    is_on = models.BooleanField()
    reason = models.ForeignKey(
        TurnOffReason, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    comment = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    actor_label = models.CharField(max_length=120, blank=True, help_text="e.g. 'import: optouts.csv', 'DMS sync'.")
    created_at = models.DateTimeField()

    class Meta:
        db_table = "contacts_turnoffevent"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="turnoff_customer_recent_idx"),
            # Optional references indexed only where set (see customers.models.Customer.Meta).
            *(
                models.Index(fields=[name], condition=Q(**{f"{name}__isnull": False}), name=f"turnoff_{name}_set_idx")
                for name in ("vehicle", "reason", "actor")
            ),
        ]

    def __str__(self):
        return f"{self.customer_id} {self.code} {'on' if self.is_on else 'off'}"
