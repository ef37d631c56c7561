"""What people do with a customer file: Verified Info stamps, Influence Network associations, inquiries."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .customer import Customer, Relationship


class VerificationStamp(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="verifications")
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField()

    class Meta:
        ordering = ["-verified_at"]
        indexes = [models.Index(fields=["customer", "-verified_at"], name="verification_recent_idx")]

    def __str__(self):
        return gettext("%(customer)s verified %(date)s") % {
            "customer": self.customer_id,
            "date": f"{self.verified_at:%Y-%m-%d}",
        }


class Association(models.Model):
    """Influence Network link between two customers of the same store; shown from both sides."""

    from_customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="associations_from")
    to_customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="associations_to")
    relationship = models.CharField(max_length=20, choices=Relationship.choices)
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["from_customer", "to_customer"], name="association_unique_pair"),
            models.CheckConstraint(condition=~Q(from_customer=models.F("to_customer")), name="association_not_self"),
        ]

    def __str__(self):
        return f"{self.from_customer_id} -{self.relationship}- {self.to_customer_id}"


class Inquiry(models.Model):
    """INQ: the customer was looked up (opened from a search) by a user."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="inquiries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = _("inquiries")
        indexes = [models.Index(fields=["customer", "-created_at"], name="inquiry_recent_idx")]

    def __str__(self):
        return gettext("INQ %(customer)s %(date)s") % {
            "customer": self.customer_id,
            "date": f"{self.created_at:%Y-%m-%d}",
        }
