"""A file created on the New customer screen, by the form that created it (double-submit safety)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .customer import Customer


class CustomerCreation(models.Model):
    """The New customer form's one-time token and the file it created.

    The form carries a random token from the moment it is opened; the create service takes the store's row lock,
    then looks the token up before it creates anything. A second POST of the same form (a double click, a resent
    request, the browser's back button) finds the file the first one made instead of making another; the unique
    token is the database's guard behind that check.
    """

    token = models.UUIDField(unique=True)
    # One row per customer at most; the unique constraint's index serves the customer lookups.
    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="creation")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("customer created on screen")
        verbose_name_plural = _("customers created on screen")
        # Optional references are indexed only where set (see customers.models.Customer.Meta).
        indexes = [
            models.Index(
                fields=["created_by"], condition=Q(created_by__isnull=False), name="creation_createdby_set_idx"
            )
        ]

    def __str__(self):
        return gettext("%(customer)s created %(when)s") % {
            "customer": self.customer_id,
            "when": f"{self.created_at:%Y-%m-%d %H:%M}",
        }
