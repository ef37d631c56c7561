"""The email consent ledger (CASL for Canadian stores): record, opt out, and the daily expiry of implied consent."""

from django.db import transaction
from django.utils import timezone

from customers.audit import Change, audit_bulk_save, history_entry, history_record, raw_value
from customers.models import AuditAction, HistorySource

from ..audit_keys import LABELS, consent_key
from ..models import ConsentBasis, EmailConsent
from ..rules import consent_expiry, consent_is_expired

EXPIRE_BATCH = 500


def _snapshot(consent: EmailConsent | None) -> dict:
    """The consent's recorded fields as raw values (what the history compares and stores)."""
    if consent is None:
        return {}
    return {name: raw_value(getattr(consent, name)) for name in LABELS if name != "expired_at"}


@transaction.atomic
def email_consent_record(
    *,
    customer,
    email: str,
    basis: str,
    obtained_at,
    source: str = "",
    evidence: str = "",
    opted_out: bool | None = None,
    actor=None,
    actor_label: str = "",
    history_source: str = HistorySource.USER,
    now=None,
) -> EmailConsent:
    """Create or update the consent for one of the customer's addresses; the expiry is computed from the basis.

    `opted_out`: True records the opt-out (keeping the first opt-out time), False clears it (consent given
    again), None leaves it as it is. Writes one history entry listing what changed; none when nothing did.
    """
    if basis not in ConsentBasis.values:
        raise ValueError(f"{basis!r} is not a consent basis")
    now = now or timezone.now()
    email = email.strip().lower()
    consent = EmailConsent.objects.select_for_update().filter(customer=customer, email=email).first()
    before = _snapshot(consent)
    if consent is None:
        consent = EmailConsent(customer=customer, email=email, created_by=actor)
    consent.basis = basis
    consent.source = source[:120]
    consent.evidence = evidence
    consent.obtained_at = obtained_at
    consent.expires_at = consent_expiry(basis=basis, obtained_at=obtained_at)
    if consent_is_expired(expires_at=consent.expires_at, now=now):
        consent.expired_at = consent.expired_at or now
    else:
        consent.expired_at = None
    if opted_out is True:
        consent.opted_out_at = consent.opted_out_at or now
    elif opted_out is False:
        consent.opted_out_at = None
    after = _snapshot(consent)
    if before == after:
        return consent
    if consent.pk:
        consent.save(
            update_fields=[
                "basis",
                "source",
                "evidence",
                "obtained_at",
                "expires_at",
                "expired_at",
                "opted_out_at",
                "updated_at",
            ]
        )
    else:
        consent.save()
    changes = [
        Change(consent_key(email, name), before.get(name), after[name])
        for name in after
        if before.get(name) != after[name]
    ]
    history_record(
        customer=customer,
        actor=actor,
        source=history_source,
        actor_label=actor_label,
        action=AuditAction.EMAIL_CONSENT,
        changes=changes,
        now=now,
    )
    return consent


def email_consent_opt_out(*, customer, email: str, actor=None, actor_label="", history_source, now) -> int:
    """Record an opt-out on the customer's existing ledger rows for the address (in the caller's transaction).

    Returns how many rows changed; history is written by the caller together with the other changes.
    """
    return EmailConsent.objects.filter(customer=customer, email=email.strip().lower(), opted_out_at=None).update(
        opted_out_at=now, updated_at=now
    )


def consent_expire(*, now=None) -> int:
    """Mark implied consents whose term has ended (expired_at), with a history entry each. Idempotent: a consent
    already marked is never touched again. Runs in batches, each its own transaction, so it scales."""
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            batch = list(
                EmailConsent.objects.select_for_update(skip_locked=True)
                .filter(expired_at__isnull=True, expires_at__isnull=False, expires_at__lte=now)
                .order_by("pk")[:EXPIRE_BATCH]
            )
            if not batch:
                return total
            for consent in batch:
                consent.expired_at = now
            EmailConsent.objects.bulk_update(batch, ["expired_at"])
            audit_bulk_save(
                history=[
                    history_entry(
                        customer_id=c.customer_id,
                        now=now,
                        source=HistorySource.SYSTEM,
                        actor_label="Consent expiry",
                        action=AuditAction.EMAIL_CONSENT_EXPIRED,
                        changes=[Change(consent_key(c.email, "expired_at"), None, now)],
                    )
                    for c in batch
                ]
            )
            total += len(batch)
