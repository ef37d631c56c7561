"""How a customer may be contacted: contact methods, the Turn Off history, email consent and bounces."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from customers.models import ContactMethodKind, Customer, Dealership, TurnOffReason


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
        return f"{self.customer_id} {self.get_method_display()}: {'on' if self.is_on else 'off'}"


class ConsentBasis(models.TextChoices):
    EXPRESS = "express", "Express consent"
    IMPLIED_PURCHASE = "implied_purchase", "Implied by purchase"
    IMPLIED_INQUIRY = "implied_inquiry", "Implied by inquiry"


class EmailConsent(models.Model):
    """Consent ledger for one customer email (CASL rules apply to Canadian stores)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="email_consents")
    email = models.EmailField(max_length=254, help_text="Lower-cased address the consent covers.")
    basis = models.CharField(max_length=20, choices=ConsentBasis.choices)
    source = models.CharField(max_length=120, blank=True, help_text="Where consent was captured.")
    evidence = models.TextField(blank=True, help_text="What proves the consent.")
    obtained_at = models.DateTimeField()
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Implied: purchase + 2 years, inquiry + 6 months; express: never."
    )
    expired_at = models.DateTimeField(null=True, blank=True, help_text="Set by the daily expiry task.")
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
    WEBHOOK = "webhook", "Provider webhook"
    IMPORT = "import", "Bounce report import"
    DEMO = "demo", "Demo data"


class EmailBounce(models.Model):
    dealership = models.ForeignKey(Dealership, on_delete=models.CASCADE, related_name="email_bounces")
    email = models.EmailField(max_length=254, help_text="Lower-cased address.")
    bounced_at = models.DateTimeField()
    campaign = models.CharField(max_length=120, blank=True)
    kind = models.CharField(max_length=20, default="hard", help_text="hard, soft, complaint...")
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
        return f"{self.email} bounced {self.bounced_at:%Y-%m-%d}"
