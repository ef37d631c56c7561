"""Email validity and consent state of a customer's addresses: the one `EmailStatus`, for the profile, Customer
Information and the consent screen.

The rules are in contacts.rules (red, invalid, consent expiry) and contacts.contactability (whether an email may
go to the address, and if not why): `email_status_build` applies them to facts a screen already loaded (the
profile reads them from its one query); `customer_email_statuses` loads them for one customer in a fixed number
of queries.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max
from django.utils import timezone

from customers.fields import EMAIL_FIELDS, field_label
from customers.models import ContactMethodKind, TurnOffReason, VerificationStamp

from ..contactability import Answer, CustomerFacts, EmailFacts, method_reasons
from ..models import ContactMethod, EmailBounce, EmailConsent
from ..rules import consent_is_expired, email_is_invalid, email_is_red


def email_bounce_count(*, dealership_id: int, email: str) -> int:
    return EmailBounce.objects.filter(dealership_id=dealership_id, email=email.strip().lower()).count()


def email_is_invalid_for_store(*, dealership, email: str) -> bool:
    """Invalid once the address's bounce count at this store reaches the store's limit (1-9)."""
    count = email_bounce_count(dealership_id=dealership.pk, email=email)
    return email_is_invalid(bounce_count=count, bounce_limit=dealership.email_bounce_limit)


def casl_opted_out(*, is_canadian: bool, opted_out_at: datetime | None) -> bool:
    """The CASL opt-out icon is a Canadian-store marker."""
    return is_canadian and opted_out_at is not None


@dataclass(frozen=True)
class EmailStatus:
    field: str  # a key of customers.fields.EMAIL_FIELDS
    label: str
    address: str
    bounce_count: int
    bounce_limit: int
    last_bounced_at: datetime | None
    is_invalid: bool
    is_red: bool
    #: May an email go to this address (contacts.contactability for this address alone): method on, valid, not
    #: opted out, consent not expired. `answer.reasons` say why not.
    answer: Answer
    facts: EmailFacts
    method_on: bool = True
    consent_basis: str = ""
    consent_expires_at: datetime | None = None
    consent_expired: bool = False
    opted_out_at: datetime | None = None
    casl_opted_out: bool = False
    #: The consent ledger row when the caller loaded it (Customer Information's consent panel shows its details).
    consent: EmailConsent | None = None

    @property
    def opted_out(self) -> bool:
        return self.opted_out_at is not None

    @property
    def usable(self) -> bool:
        return self.answer.ok

    @property
    def why(self) -> str:
        return self.answer.why


def email_status_build(
    *,
    field: str,
    address: str,
    bounce_count: int,
    last_bounced_at: datetime | None,
    last_verified_at: datetime | None,
    bounce_limit: int,
    is_canadian: bool,
    now: datetime,
    consent_basis: str = "",
    consent_expires_at: datetime | None = None,
    consent_expired_at: datetime | None = None,
    opted_out_at: datetime | None = None,
    method_off_reason: str | None = None,
    consent: EmailConsent | None = None,
) -> EmailStatus:
    """Apply the shared contact rules to one address (pure). `method_off_reason` is None while Email is on."""
    facts = EmailFacts(
        bounce_count=bounce_count,
        opted_out=opted_out_at is not None,
        consent_expired=consent_expired_at is not None or consent_is_expired(expires_at=consent_expires_at, now=now),
    )
    # The address alone, under its own field (so the reasons carry its label).
    alone = CustomerFacts(
        values={field: address},
        methods_off={} if method_off_reason is None else {ContactMethodKind.EMAIL: method_off_reason},
        emails={address.lower(): facts},
        bounce_limit=bounce_limit,
    )
    return EmailStatus(
        field=field,
        label=field_label(field),
        address=address,
        bounce_count=bounce_count,
        bounce_limit=bounce_limit,
        last_bounced_at=last_bounced_at,
        is_invalid=email_is_invalid(bounce_count=bounce_count, bounce_limit=bounce_limit),
        is_red=email_is_red(last_bounced_at=last_bounced_at, last_verified_at=last_verified_at, now=now),
        answer=method_reasons(alone, ContactMethodKind.EMAIL),
        facts=facts,
        method_on=method_off_reason is None,
        consent_basis=consent_basis,
        consent_expires_at=consent_expires_at,
        consent_expired=facts.consent_expired,
        opted_out_at=opted_out_at,
        casl_opted_out=casl_opted_out(is_canadian=is_canadian, opted_out_at=opted_out_at),
        consent=consent,
    )


def email_facts_of(statuses: list[EmailStatus]) -> dict[str, EmailFacts]:
    """`CustomerFacts.emails` out of the statuses of a customer's addresses."""
    return {s.address.lower(): s.facts for s in statuses}


def customer_email_statuses(*, customer, now=None, methods_off: Mapping[str, str] | None = None) -> list[EmailStatus]:
    """One EmailStatus per address on file (Email 1, Email 2), in at most four queries (three when the caller
    passes `methods_off`, the contact methods it already loaded: method -> reason label of those turned off).

    `customer.dealership` should be loaded (select_related) by the caller; the bounce limit comes from it.
    """
    now = now or timezone.now()
    addresses = [(name, (getattr(customer, name) or "").strip()) for name in EMAIL_FIELDS]
    addresses = [(name, address) for name, address in addresses if address]
    if not addresses:
        return []
    lowered = {address.lower() for _, address in addresses}
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
    if methods_off is None:
        # A duplicate child follows its parent's contact methods.
        owner_id = customer.merge_parent_id if customer.is_duplicate_child else customer.pk
        methods_off = {
            method: TurnOffReason.label_for_display(label or "", dealership_id=store)
            for method, label, store in ContactMethod.objects.filter(
                customer_id=owner_id, method=ContactMethodKind.EMAIL, is_on=False
            ).values_list("method", "reason__label", "reason__dealership_id")
        }
    email_off = (methods_off[ContactMethodKind.EMAIL] or "") if ContactMethodKind.EMAIL in methods_off else None
    store = customer.dealership
    statuses = []
    for name, address in addresses:
        key = address.lower()
        consent = consents.get(key)
        statuses.append(
            email_status_build(
                field=name,
                address=address,
                bounce_count=bounces.get(key, {}).get("n", 0),
                last_bounced_at=bounces.get(key, {}).get("last"),
                last_verified_at=last_verified,
                bounce_limit=store.email_bounce_limit,
                is_canadian=store.is_canadian,
                now=now,
                consent_basis=consent.basis if consent else "",
                consent_expires_at=consent.expires_at if consent else None,
                consent_expired_at=consent.expired_at if consent else None,
                opted_out_at=consent.opted_out_at if consent else None,
                method_off_reason=email_off,
                consent=consent,
            )
        )
    return statuses
