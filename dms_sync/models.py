"""Nightly DMS pull bookkeeping, suppressions and the remove-request outbox."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.fields import REMOVABLE_FIELDS, field_label_lazy
from customers.models import Customer, Dealership


class SyncStatus(models.TextChoices):
    RUNNING = "running", pgettext_lazy("sync run status", "Running")
    SUCCEEDED = "succeeded", pgettext_lazy("sync run status", "Succeeded")
    FAILED = "failed", pgettext_lazy("sync run status", "Failed")


class SyncRun(models.Model):
    dealership = models.ForeignKey(Dealership, on_delete=models.CASCADE, related_name="sync_runs")
    adapter = models.CharField(max_length=20)
    source = models.CharField(max_length=500, blank=True, help_text=_("Extract folder or API base URL."))
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=SyncStatus.choices, default=SyncStatus.RUNNING)
    seen = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    quarantined = models.PositiveIntegerField(default=0)
    cursor = models.CharField(max_length=200, blank=True, help_text=_("changedSince / extract date reached."))
    error = models.TextField(blank=True)
    warnings = models.JSONField(default=list, blank=True)
    # Liveness of a running pull: a run whose owner died (kill -9, lost machine) is recognised as abandoned.
    owner = models.CharField(max_length=120, blank=True, help_text=_("host:pid of the process running the pull."))
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            # The database itself guarantees one running pull per store.
            models.UniqueConstraint(
                fields=["dealership"], condition=Q(status="running"), name="syncrun_one_running_per_store"
            ),
        ]

    def __str__(self):
        return f"{self.dealership.code} {self.started_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def duration(self):
        if self.finished_at:
            return self.finished_at - self.started_at
        return None


class QuarantinedRow(models.Model):
    run = models.ForeignKey(SyncRun, on_delete=models.CASCADE, related_name="quarantined_rows")
    source_file = models.CharField(max_length=120)
    line_number = models.PositiveIntegerField()
    raw = models.TextField()
    reason = models.CharField(max_length=500)

    class Meta:
        ordering = ["run", "source_file", "line_number"]

    def __str__(self):
        return f"{self.source_file}:{self.line_number} {self.reason}"


#: The fields whose X removes a value for good (customers.fields.REMOVABLE_FIELDS), with their one label; a
#: removable field added to the registry becomes a choice here (and a migration of these choices).
SuppressedField = models.TextChoices(
    "SuppressedField", [(key.upper(), (key, field_label_lazy(key))) for key in REMOVABLE_FIELDS]
)


class Suppression(models.Model):
    """A value a user removed: the nightly pull never brings it back while this row exists."""

    dealership = models.ForeignKey(Dealership, on_delete=models.CASCADE, related_name="suppressions")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    dms_number = models.CharField(max_length=32, blank=True)
    field = models.CharField(max_length=12, choices=SuppressedField.choices)
    value = models.CharField(max_length=254, help_text=_("Normalized: E.164 phone or lower-cased email."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # A DMS customer's removals follow its DMS number (the pull matches rows by it); a file without one
            # (entered in DealerMine) keeps its own.
            models.UniqueConstraint(
                fields=["dealership", "dms_number", "field", "value"],
                condition=~Q(dms_number=""),
                name="suppression_unique",
            ),
            models.UniqueConstraint(
                fields=["customer", "field", "value"], condition=Q(dms_number=""), name="suppression_local_unique"
            ),
        ]
        indexes = [models.Index(fields=["dealership", "dms_number"], name="suppression_store_dms_idx")]

    def __str__(self):
        return f"{self.dealership.code}/{self.dms_number or '-'} {self.field}={self.value}"


class RemoveStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("remove request status", "Pending")
    SENT = "sent", pgettext_lazy("remove request status", "Sent")
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("remove request status", "Acknowledged")
    DEAD = "dead", pgettext_lazy("remove request status", "Dead")


class RemoveRequest(models.Model):
    """Outbox row: written in the same transaction as the removal, delivered to the DMS after commit."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dealership = models.ForeignKey(Dealership, on_delete=models.CASCADE, related_name="remove_requests")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="remove_requests")
    dms_number = models.CharField(max_length=32)
    field = models.CharField(max_length=12, choices=SuppressedField.choices)
    value = models.CharField(max_length=254)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=RemoveStatus.choices, default=RemoveStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    outcome = models.CharField(max_length=20, blank=True, help_text=_("applied / already_absent / permanent ..."))

    class Meta:
        ordering = ["-requested_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="remove_due_idx"),
            models.Index(fields=["customer", "status"], name="remove_customer_idx"),
        ]

    def __str__(self):
        return f"{self.uuid} {self.field} {self.status}"
