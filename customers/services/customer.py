"""Customer Information writes: the edit-screen save and Verified Info.

Validation lives in customers.services.validation, field lists, labels and display in the field registry
(customers.fields), the history in customers.audit. The remove (X) of a phone or email is a DMS concern
(suppression and remove request): dms_sync.services.removal.
"""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from ..audit import Change, history_record, raw_value, turn_off_record
from ..edits import STAMP_FIELDS, person_edits_stamp
from ..fields import BY_KEY, EDIT_FIELDS, REFERENCE_FIELDS, field_label, value_display
from ..models import AuditAction, Customer, CustomerHistory, CustomerStatus, TurnOffTarget, VerificationStamp
from ..rules import preferred_method_without_value
from .validation import customer_clean_data

__all__ = ["CustomerConflict", "customer_clean_data", "customer_snapshot", "customer_update", "customer_verify"]


class CustomerConflict(Exception):
    """Someone saved the customer after the form was loaded; nothing was written.

    `changes` lists the fields that differ from what the form loaded: {field, label, new, value} where `new` is
    the display form and `value` the raw current value (for re-filling a form).
    """

    def __init__(self, *, changes, version, changed_by=""):
        self.changes = changes
        self.version = version
        self.changed_by = changed_by
        super().__init__(self.message)

    @property
    def message(self):
        """In the active language: read when it is shown (the exception is raised mid-request)."""
        params = {"who": self.changed_by}
        if self.changes:
            params["changes"] = "; ".join(
                gettext("%(label)s is now “%(value)s”") % {"label": c["label"], "value": c["new"] or gettext("(blank)")}
                for c in self.changes
            )
            if self.changed_by:
                text = gettext(
                    "This customer was changed by %(who)s after you opened it: %(changes)s. Nothing was saved; "
                    "review and Save again."
                )
            else:
                text = gettext(
                    "This customer was changed after you opened it: %(changes)s. Nothing was saved; review and Save "
                    "again."
                )
        elif self.changed_by:
            text = gettext(
                "This customer was changed by %(who)s after you opened it. Nothing was saved; review and Save again."
            )
        else:
            text = gettext("This customer was changed after you opened it. Nothing was saved; review and Save again.")
        return text % params


# --- value helpers -------------------------------------------------------------------------------------------


def field_raw(customer, name):
    """The comparable raw value of an edit field (references by id)."""
    return getattr(customer, BY_KEY[name].attname)


def serialize_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "pk"):
        return str(value.pk)
    return str(value)


def customer_snapshot(customer) -> dict[str, str]:
    """What the form was loaded with, serialized; compared with the database when versions differ."""
    return {name: serialize_value(field_raw(customer, name)) for name in EDIT_FIELDS}


def reference_labels(customer) -> dict:
    """{reference field: {id: label}} for the related rows `customer` has loaded, for `value_display`."""
    out = {}
    for key in REFERENCE_FIELDS:
        related = getattr(customer, key, None)
        if related is not None:
            out[key] = {related.pk: getattr(related, "label", None) or str(related)}
    return out


def field_display(customer, name) -> str:
    """How the current value of `name` on `customer` reads (conflict messages)."""
    return value_display(name, raw_value(field_raw(customer, name)), references=reference_labels(customer))


# --- writes --------------------------------------------------------------------------------------------------


def _lock(customer) -> Customer:
    return (
        Customer.objects.select_for_update(of=("self",))
        .select_related("dealership", "inactive_reason", "preferred_advisor")
        .get(pk=customer.pk)
    )


def _copy_back(target, source, names):
    for name in names:
        setattr(target, name, getattr(source, name))


def _last_changed_by(customer) -> str:
    entry = CustomerHistory.objects.filter(customer=customer).select_related("actor").first()
    return entry.who if entry else ""


def _conflict(customer, current, original) -> CustomerConflict:
    baseline = original if original is not None else customer_snapshot(customer)
    now_values = customer_snapshot(current)
    changes = [
        {
            "field": name,
            "label": field_label(name),
            "new": field_display(current, name),
            "value": now_values[name],
        }
        for name in EDIT_FIELDS
        if name in baseline and baseline[name] != now_values[name]
    ]
    return CustomerConflict(changes=changes, version=current.version, changed_by=_last_changed_by(current))


@transaction.atomic
def customer_update(*, customer, data, actor, expected_version, original=None) -> Customer:
    """Save the Customer Information screen.

    Refuses with CustomerConflict when the row's version is not the one the form loaded, naming the fields
    that changed meanwhile (compared with `original`, the snapshot the form carried, or else with the
    `customer` instance as the caller loaded it). Otherwise applies the changes, bumps the version, records
    `user_edited_at` per changed field and writes one history entry (none when nothing changed). A preferred
    method left with no value on file (its number blanked) stops being preferred in the same save.
    """
    current = _lock(customer)
    if current.version != expected_version:
        raise _conflict(customer, current, original)

    cleaned = customer_clean_data(customer=current, data=data)
    now = timezone.now()
    changes: list[Change] = []
    update_fields = set()
    for name in EDIT_FIELDS:
        if name not in cleaned:
            continue
        new = raw_value(cleaned[name])
        old = field_raw(current, name)
        if old == new:
            continue
        changes.append(Change(name, old, new))
        setattr(current, name, cleaned[name])
        update_fields.add(name)
    if not changes:
        return current

    changed = {c.key for c in changes}
    person_edits_stamp(current, changes, now=now)
    if "status" in changed or "inactive_reason" in changed:
        _status_changed(
            customer=current, actor=actor, now=now, update_fields=update_fields, status_changed="status" in changed
        )
    unusable = preferred_method_without_value(current)
    if unusable:
        changes.append(Change("preferred_contact_method", unusable, ""))
        current.preferred_contact_method = ""
        update_fields.add("preferred_contact_method")
    current.version += 1
    update_fields |= {*STAMP_FIELDS, "version", "updated_at"}
    current.save(update_fields=sorted(update_fields))
    history_record(customer=current, actor=actor, action=AuditAction.UPDATE, changes=changes, now=now)
    _copy_back(customer, current, sorted(update_fields))
    return current


def _status_changed(*, customer, actor, now, update_fields, status_changed):
    """Inactivation stamps when/who; a new reason for an already inactive customer keeps the original date.
    Either way the Turn Off history gets an event; reactivation clears the reason."""
    if customer.status == CustomerStatus.INACTIVE:
        if status_changed or customer.inactivated_at is None:
            customer.inactivated_at = now
            customer.inactivated_by = actor
        is_on, reason = False, customer.inactive_reason
    else:
        customer.inactive_reason = None
        customer.inactivated_at = None
        customer.inactivated_by = None
        is_on, reason = True, None
    update_fields |= {"inactive_reason", "inactivated_at", "inactivated_by"}
    turn_off_record(
        customer=customer,
        target=TurnOffTarget.STATUS,
        code="status",
        is_on=is_on,
        reason=reason,
        comment="Reactivated" if is_on else "",
        actor=actor,
        now=now,
    )


@transaction.atomic
def customer_verify(*, customer, actor) -> VerificationStamp:
    """Verified Info: stamp who and when. Clears the red email flag (a bounce older than the stamp)."""
    now = timezone.now()
    previous = VerificationStamp.objects.filter(customer=customer).first()
    stamp = VerificationStamp.objects.create(customer=customer, verified_by=actor, verified_at=now)
    history_record(
        customer=customer,
        actor=actor,
        action=AuditAction.VERIFY,
        changes=[Change("last_verification", previous.verified_at if previous else None, now)],
        now=now,
    )
    return stamp
