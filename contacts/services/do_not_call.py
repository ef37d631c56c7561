"""The store's internal do-not-call list: adding a number (a "do not call" contact result, or an admin) and
removing one (an admin).

A listed number is blocked for the whole store wherever it is on file: contactability reports it ("on the store's
do-not-call list"), Call Select never offers it for a call, and the New customer screen flags it on a new file.
Kept until an admin removes it (the Canadian rules want an internal request honoured within 14 days and kept; the
TCPA for 5 years). The contact result also turns off the customer's phone methods that carry the number, through
the one contact-state writer (contacts.services.contact_log); adding a number in admin changes no customer file.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from customers.models import TurnOffReason
from customers.phones import phone_normalize

from ..models import DoNotCallNumber, DoNotCallSource

#: The Turn Off reason a "do not call" result records on the phone methods it turns off: the store's own code
#: when it has one for contact methods, else the global one, created on first use. Its label is stored in English
#: (a TurnOffReason row an admin may rename) and shown in the reader's language (TurnOffReason.display_label).
DO_NOT_CALL_REASON_CODE = "DNC"
DO_NOT_CALL_REASON_LABEL = gettext_noop("Do not call (on the store's do-not-call list)")


def do_not_call_reason_get(*, dealership) -> TurnOffReason:
    reason = (
        TurnOffReason.objects.filter(
            Q(dealership=dealership) | Q(dealership__isnull=True),
            code=DO_NOT_CALL_REASON_CODE,
            is_active=True,
            applies_to_contact_method=True,
        )
        .order_by(F("dealership_id").asc(nulls_last=True))  # the store's own code wins over a global one
        .first()
    )
    if reason is not None:
        return reason
    reason, created = TurnOffReason.objects.get_or_create(
        dealership=None,
        code=DO_NOT_CALL_REASON_CODE,
        defaults={"label": DO_NOT_CALL_REASON_LABEL, "applies_to_contact_method": True},
    )
    if not created:  # a global DNC code an admin deactivated or narrowed: make it usable for this purpose again
        reason.is_active = True
        reason.applies_to_contact_method = True
        reason.save(update_fields=["is_active", "applies_to_contact_method"])
    return reason


def do_not_call_number_normalize(*, dealership, value: str) -> str:
    """E.164 of a number typed for the store (its country is the default region); ValidationError otherwise."""
    number = phone_normalize(value, region=dealership.country or "US")
    if not number:
        raise ValidationError(gettext("Enter the phone number."), code="required")
    return number


@transaction.atomic
def do_not_call_add(
    *,
    dealership,
    number: str,
    reason: str = "",
    source: str = DoNotCallSource.ADMIN,
    actor=None,
    customer=None,
    contact_log=None,
    now=None,
) -> tuple[DoNotCallNumber, bool]:
    """Put `number` (E.164) on the store's list; returns (entry, created). A number already listed keeps its
    first entry (who added it, when and why): the list records the request that put it there."""
    if not number or not number.startswith("+"):
        raise ValueError(f"{number!r} is not an E.164 number")
    if customer is not None and customer.dealership_id != dealership.pk:
        raise ValueError("The customer is not one of this store's")
    existing = DoNotCallNumber.objects.filter(dealership=dealership, number=number).first()
    if existing is not None:
        return existing, False
    entry = DoNotCallNumber(
        dealership=dealership,
        number=number,
        reason=(reason or "").strip()[:500],
        source=source,
        customer=customer,
        contact_log=contact_log,
        added_by=actor,
        added_at=now or timezone.now(),
    )
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:  # listed concurrently by someone else: theirs is the entry
        return DoNotCallNumber.objects.get(dealership=dealership, number=number), False
    return entry, True


@transaction.atomic
def do_not_call_remove(*, entry: DoNotCallNumber, actor) -> None:
    """Take a number off the store's list (admin; Django admin's log records who and when). The phone methods a
    "do not call" result turned off stay off: turning one back on is a person's decision on Customer
    Information, with its own reason and history."""
    DoNotCallNumber.objects.filter(pk=entry.pk).delete()
