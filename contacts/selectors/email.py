"""Email validity and consent state of a customer's addresses, for the profile and Customer Information.

The rules themselves are in contacts.rules; this module loads the facts they need in a fixed number of queries.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max
from django.utils import timezone

from customers.models import ContactMethodKind, VerificationStamp

from ..models import ContactMethod, EmailBounce, EmailConsent
from ..rules import consent_is_expired, email_is_invalid, email_is_red


def email_bounce_count(*, dealership_id: int, email: str) -> int:
    return EmailBounce.objects.filter(dealership_id=dealership_id, email=email.strip().lower()).count()


def email_is_invalid_for_store(*, dealership, email: str) -> bool:
    """Invalid once the address's bounce count at this store reaches the store's limit (1-9)."""
    count = email_bounce_count(dealership_id=dealership.pk, email=email)
    return email_is_invalid(bounce_count=count, bounce_limit=dealership.email_bounce_limit)


@dataclass(frozen=True)
class EmailStatus:
    field: str  # "email1" or "email2"
    label: str
    address: str
    bounce_count: int
    bounce_limit: int
    last_bounced_at: datetime | None
    is_invalid: bool
    is_red: bool
    method_on: bool
    consent: EmailConsent | None
    opted_out: bool
    consent_expired: bool

    @property
    def usable(self) -> bool:
        """May an email go to this address: method on, valid, not opted out, consent not expired."""
        return self.method_on and not self.is_invalid and not self.opted_out and not self.consent_expired


def customer_email_statuses(*, customer, now=None) -> list[EmailStatus]:
    """One EmailStatus per address on file (Email 1, Email 2), in at most four queries.

    `customer.dealership` should be loaded (select_related) by the caller; the bounce limit comes from it.
    """
    now = now or timezone.now()
    addresses = [
        (name, label, (getattr(customer, name) or "").strip())
        for name, label in (("email1", "Email 1"), ("email2", "Email 2"))
    ]
    addresses = [(n, lbl, a) for n, lbl, a in addresses if a]
    if not addresses:
        return []
    lowered = {a.lower() for _, _, a in addresses}
    bounces = {
        row["email"]: row
        for row in EmailBounce.objects.filter(dealership_id=customer.dealership_id, email__in=lowered)
        .values("email")
        .annotate(n=Count("id"), last=Max("bounced_at"))
        .order_by()
    }
    consents = {c.email: c for c in EmailConsent.objects.filter(customer=customer, email__in=lowered)}
    last_verified = (
        VerificationStamp.objects.filter(customer=customer)
        .order_by("-verified_at")
        .values_list("verified_at", flat=True)
    ).first()
    method_on = not ContactMethod.objects.filter(
        customer=customer, method=ContactMethodKind.EMAIL, is_on=False
    ).exists()
    limit = customer.dealership.email_bounce_limit
    statuses = []
    for name, label, address in addresses:
        key = address.lower()
        count = bounces.get(key, {}).get("n", 0)
        last = bounces.get(key, {}).get("last")
        consent = consents.get(key)
        statuses.append(
            EmailStatus(
                field=name,
                label=label,
                address=address,
                bounce_count=count,
                bounce_limit=limit,
                last_bounced_at=last,
                is_invalid=email_is_invalid(bounce_count=count, bounce_limit=limit),
                is_red=email_is_red(last_bounced_at=last, last_verified_at=last_verified, now=now),
                method_on=method_on,
                consent=consent,
                opted_out=bool(consent and consent.opted_out_at),
                consent_expired=bool(
                    consent and (consent.expired_at or consent_is_expired(expires_at=consent.expires_at, now=now))
                ),
            )
        )
    return statuses
