"""Lifting a removal: a coordinator takes back a "remove permanently" (the X) on Customer Information.

The Suppression goes (the value may be entered again in any field of its family, and a DMS row may bring it back
on the next pull); the DMS remove request already sent is not recalled. One customer history entry records who
lifted which value and why, in the same transaction.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import translation
from django.utils.translation import gettext

from customers.audit import history_record
from customers.fields import BY_KEY, field_label
from customers.models import AuditAction, Customer
from customers.services.validation import max_length_message

from ..models import Suppression
from ..selectors import customer_suppressions

#: How long a reason may be; the history note holds it with the value (notes are cut at 500 characters).
MAX_REASON = 300


def suppression_lift_note(suppression: Suppression, reason: str) -> str:
    """The history note of a lift: which value, removed from which field, and why it was lifted. Stored in English
    whoever lifts (the field label and the value as English shows them), like every note of the product: the history
    panel reads it back into the reader's language (customers.selectors.history.note_display)."""
    with translation.override(None):
        display = BY_KEY[suppression.field].display(suppression.value)
        return f"Removal of {field_label(suppression.field)} {display} lifted: {reason}"


@transaction.atomic
def suppression_lift(*, customer, suppression_id, reason, actor) -> Suppression:
    """Delete one of the customer's Suppressions and record it; returns the deleted row (for its value).

    `customer` must come through tenancy (customers.selectors.tenancy); a suppression that is not this
    customer's (customer_suppressions) is a 404, as is one lifted meanwhile. The customer is locked first, so a
    lift and a remove (X) of the same file do not interleave.
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": [gettext("Say why the removal is lifted.")]})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": [max_length_message(MAX_REASON)]})
    current = Customer.objects.select_for_update(of=("self",)).select_related("dealership").get(pk=customer.pk)
    suppression = get_object_or_404(customer_suppressions(customer=current), pk=suppression_id)
    note = suppression_lift_note(suppression, reason)
    suppression.delete()
    history_record(customer=current, actor=actor, action=AuditAction.SUPPRESSION_LIFT, changes=[], note=note)
    return suppression
