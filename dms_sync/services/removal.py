"""The remove (X) beside a phone or email on Customer Information: clear the value for good.

It belongs to the DMS integration: besides clearing the field it adds a Suppression (the nightly pull never
brings the value back, in any field of its family, however formatted) and, for a customer with a DMS number,
queues a remove request in the outbox (delivered after commit, see dms_sync.outbox). All of it commits in one
transaction with the customer's history entry, or nothing does.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from customers.audit import Change, history_record
from customers.edits import STAMP_FIELDS, person_edits_stamp
from customers.fields import BY_KEY, REMOVABLE_FIELDS, ValueFamily, family_of, field_label
from customers.models import AuditAction, Customer
from customers.phones import phone_normalize
from customers.rules import preferred_method_without_value

from .. import outbox

#: Cleared together with the field removed (a work extension means nothing without the work number).
CLEARED_WITH = {"work_phone": ("work_ext",)}


@dataclass
class RemoveResult:
    customer: Customer
    field: str
    value: str  # the normalized value suppressed (E.164 phone, lower-case email)
    remove_request: object | None
    #: Every field emptied, the removed one first, then what went with it (work extension, preferred method).
    cleared: list[str] = dataclasses.field(default_factory=list)
    #: Checkboxes unticked with it (Default Email when Email 1 is removed: it requires an Email 1).
    unticked: list[str] = dataclasses.field(default_factory=list)


def removable_value_normalize(*, customer, field, value) -> str:
    """The normalized form a Suppression keys on: E.164 phone or lower-cased email."""
    if family_of(field) is ValueFamily.EMAIL:
        return (value or "").strip().lower()
    try:
        return phone_normalize(value, region=customer.dealership.country or "US") or value
    except ValidationError:
        return value


def _lock(customer) -> Customer:
    return (
        Customer.objects.select_for_update(of=("self",))
        .select_related("dealership", "inactive_reason", "preferred_advisor")
        .get(pk=customer.pk)
    )


@transaction.atomic
def customer_value_remove(*, customer, field, actor, expected_value=None) -> RemoveResult:
    """The X beside a phone or email: clear it permanently, suppress it and ask the DMS to remove it too.

    One transaction on a locked re-read of the customer: the cleared field (and what goes with it), the
    history entry, the Suppression and (with a DMS number) the RemoveRequest outbox row. `expected_value`
    (what the confirm step showed) guards against removing a number someone changed meanwhile. When the
    removed value was the only one of the preferred contact method, the preference is cleared in the same
    save (the star never sits on "no number on file"); removing Email 1 unticks Default Email (which requires
    an Email 1) in the same save and history entry. Each cleared field counts as a person's edit.
    The caller's `customer` is updated with what was saved.
    """
    if field not in REMOVABLE_FIELDS:
        raise ValidationError({"field": [gettext("%(field)s cannot be removed here.") % {"field": repr(field)}]})
    label = field_label(field)
    current = _lock(customer)
    value = getattr(current, field)
    if not value:
        raise ValidationError(
            {field: [gettext("%(label)s is already empty: there is nothing to remove.") % {"label": label}]}
        )
    normalized = removable_value_normalize(customer=current, field=field, value=value)
    if expected_value is not None:
        expected = removable_value_normalize(customer=current, field=field, value=expected_value)
        if expected != normalized:
            shown = BY_KEY[field].display(value)
            message = gettext("%(label)s changed to %(value)s meanwhile; nothing was removed.")
            raise ValidationError({field: [message % {"label": label, "value": shown}]})

    now = timezone.now()
    cleared = [field, *(name for name in CLEARED_WITH.get(field, ()) if getattr(current, name))]
    changes = [Change(name, getattr(current, name), "") for name in cleared]
    for name in cleared:
        setattr(current, name, "")
    update_fields = [*cleared]
    unticked = []
    if field == "email1" and current.default_email:
        # Default Email requires an Email 1: left checked, every later save of the screen would fail.
        changes.append(Change("default_email", True, False))
        current.default_email = False
        unticked.append("default_email")
        update_fields.append("default_email")
    person_edits_stamp(current, changes, now=now)
    update_fields += [*STAMP_FIELDS, "version", "updated_at"]
    if method := preferred_method_without_value(current):
        changes.append(Change("preferred_contact_method", method, ""))
        current.preferred_contact_method = ""
        cleared.append("preferred_contact_method")
        update_fields.append("preferred_contact_method")
    current.version += 1
    current.save(update_fields=update_fields)

    outbox.suppression_add(customer=current, field=field, value=normalized, actor=actor)
    request = outbox.remove_request_create(customer=current, field=field, value=normalized, actor=actor)
    # Stored in the history as written (English, like every history note): not translated.
    note = "Removed permanently; remove request queued for the DMS." if request else "Removed permanently."
    history_record(customer=current, actor=actor, action=AuditAction.REMOVE, changes=changes, note=note, now=now)
    for name in update_fields:
        setattr(customer, name, getattr(current, name))
    return RemoveResult(
        customer=current,
        field=field,
        value=normalized,
        remove_request=request,
        cleared=cleared,
        unticked=unticked,
    )
