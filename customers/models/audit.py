"""The audit log: the customer history and the Turn Off history.

Both are written only through `customers.audit` (one writer, single and bulk). A history entry stores each
change as {field: key, old: raw, new: raw}: raw values (E.164 phones, choice codes, ids, ISO dates, a contact
method's {on, reason}); labels and formatting come from the field registry (customers.fields) when shown, in the
reader's language. The product's own texts that are stored (actor labels, notes, Turn Off comments) are stored in
English and translated when shown.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from .customer import Customer
from .stores import TurnOffReason


class HistorySource(models.TextChoices):
    USER = "user", pgettext_lazy("history source", "User")
    DMS_SYNC = "dms_sync", _("DMS sync")
    MERGE = "merge", pgettext_lazy("history source", "Merge")
    IMPORT = "import", pgettext_lazy("history source", "Import")
    SYSTEM = "system", pgettext_lazy("history source", "System")


#: The actor labels the product itself writes (CustomerHistory / TurnOffEvent.actor_label). They are stored as
#: written, in English, and shown in the reader's language by `actor_label_display`.
STORED_ACTOR_LABELS = {
    "DMS sync": HistorySource.DMS_SYNC.label,
    "Consent expiry": _("Consent expiry"),
}
IMPORT_ACTOR_PREFIX = "import: "  # "import: <file name>", an opt-out import


def actor_label_display(label: str) -> str:
    """A stored actor label as the reader reads it; a label the product did not write is shown as stored."""
    if label in STORED_ACTOR_LABELS:
        return str(STORED_ACTOR_LABELS[label])
    if label.startswith(IMPORT_ACTOR_PREFIX):
        return gettext("import: %(file)s") % {"file": label[len(IMPORT_ACTOR_PREFIX) :]}
    return label


class AuditAction(models.TextChoices):
    """What a history entry records; declared here so no writer invents its own wording."""

    CREATE = "create", pgettext_lazy("history action", "Created")
    UPDATE = "update", pgettext_lazy("history action", "Updated")
    REMOVE = "remove", pgettext_lazy("history action", "Removed permanently")
    VERIFY = "verify", pgettext_lazy("history action", "Verified Info")
    STATUS = "status", pgettext_lazy("history action", "Status")
    CONTACT_METHOD = "contact_method", pgettext_lazy("history action", "Contact method")
    PREFERRED_METHOD = "preferred_method", pgettext_lazy("history action", "Preferred method")
    VIN_CONTACT_TYPE = "vin_contact_type", pgettext_lazy("history action", "VIN contact type")
    ASSOCIATION_ADD = "association_add", pgettext_lazy("history action", "Association added")
    ASSOCIATION_REMOVE = "association_remove", pgettext_lazy("history action", "Association removed")
    MERGE = "merge", pgettext_lazy("history action", "Merge")
    UNMERGE = "unmerge", pgettext_lazy("history action", "Unmerge")
    EMAIL_CONSENT = "email_consent", pgettext_lazy("history action", "Email consent")
    EMAIL_CONSENT_EXPIRED = "email_consent_expired", pgettext_lazy("history action", "Email consent expired")
    DMS_UPDATE = "dms_update", pgettext_lazy("history action", "DMS update")
    DMS_VEHICLES = "dms_vehicles", pgettext_lazy("history action", "DMS vehicles")
    SUPPRESSION_LIFT = "suppression_lift", pgettext_lazy("history action", "Removal lifted")


class CustomerHistory(models.Model):
    """One entry per save: who or what changed the file, and each field's old -> new value."""

    # Indexed by history_customer_recent_idx, which leads with it.
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="history", db_index=False)
    created_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=10, choices=HistorySource.choices, default=HistorySource.USER)
    actor_label = models.CharField(max_length=120, blank=True, help_text=_("e.g. 'DMS sync', 'import: optouts.csv'."))
    action = models.CharField(max_length=30, choices=AuditAction.choices, default=AuditAction.UPDATE)
    changes = models.JSONField(default=list, help_text=_("[{field, old, new}, ...] with raw values (customers.audit)."))
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = _("customer history")
        indexes = [models.Index(fields=["customer", "-created_at", "-id"], name="history_customer_recent_idx")]

    def __str__(self):
        return gettext("%(customer)s %(action)s at %(when)s") % {
            "customer": self.customer_id,
            "action": self.action,
            "when": f"{self.created_at:%Y-%m-%d %H:%M}",
        }

    @property
    def who(self):
        """Who made the change, as the reader reads it (the product's own actor labels in their language)."""
        if self.actor_label:
            return actor_label_display(self.actor_label)
        if self.actor_id:
            return self.actor.get_full_name() or self.actor.get_username()
        return str(self.get_source_display())


class TurnOffTarget(models.TextChoices):
    STATUS = "status", _("Customer status")
    CONTACT_METHOD = "contact_method", _("Contact method")
    VIN_CONTACT_TYPE = "vin_contact_type", _("VIN contact type")


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
    code = models.CharField(max_length=20, help_text=_("Which method or contact type, e.g. 'email', 'csi', 'owns'."))
    is_on = models.BooleanField()
    reason = models.ForeignKey(
        TurnOffReason, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    comment = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    actor_label = models.CharField(max_length=120, blank=True, help_text=_("e.g. 'import: optouts.csv', 'DMS sync'."))
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
        state = pgettext("contact method state", "on") if self.is_on else pgettext("contact method state", "off")
        return f"{self.customer_id} {self.code} {state}"
