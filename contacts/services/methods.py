"""Turning a contact method on or off: the ContactMethod row, the Turn Off history and the customer history.

`contact_method_switch` is the one place this happens. The Customer Information screen calls it through
customers.services.contact_methods.contact_method_set (which adds the screen's checks: an active reason of
the store, no changes on duplicate children); imports and system jobs call it directly with a label as the
actor. The nightly DMS sync applies the same mapping in bulk (dms_sync.services.sync).
"""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from customers.models import ContactMethodKind, Customer, HistorySource
from customers.services.history import history_record

from ..models import ContactMethod, TurnOffEvent, TurnOffTarget


def contact_method_state_label(is_on: bool, reason=None) -> str:
    if is_on:
        return "On"
    return f"Off ({reason.label})" if reason else "Off"


@transaction.atomic
def contact_method_switch(
    *,
    customer,
    method: str,
    is_on: bool,
    reason=None,
    actor=None,
    actor_label: str = "",
    source: str = HistorySource.USER,
    comment: str = "",
    extra_changes: list[dict] | None = None,
    now=None,
) -> ContactMethod | None:
    """Switch one contact method; returns the row, or None (and writes nothing) when nothing changes.

    Turning off needs a reason that applies to contact methods. No ContactMethod row means "on", so turning a
    method back on keeps the row (is_on=True) to remember who did it and when. A method that is off cannot
    stay the preferred one (the yellow star would point at a red X), so the preference is cleared with it.
    `extra_changes` are related changes made in the same step (e.g. a consent opt-out) for the same entry.
    """
    if method not in ContactMethodKind.values:
        raise ValueError(f"{method!r} is not a contact method")
    if not is_on and (reason is None or not reason.applies_to_contact_method):
        raise ValueError("Turning a contact method off needs a reason that applies to contact methods.")
    reason = None if is_on else reason
    now = now or timezone.now()
    row = ContactMethod.objects.select_for_update().filter(customer=customer, method=method).first()
    was_on = row.is_on if row else True
    old_reason = row.reason if row else None
    if was_on == is_on and (is_on or old_reason == reason):
        return None
    if row is None:
        row = ContactMethod(customer=customer, method=method)
    row.is_on = is_on
    row.reason = reason
    row.changed_by = actor
    row.changed_at = now
    row.save()
    TurnOffEvent.objects.create(
        customer=customer,
        target=TurnOffTarget.CONTACT_METHOD,
        code=method,
        is_on=is_on,
        reason=reason,
        comment=comment[:500],
        actor=actor,
        actor_label=actor_label,
        created_at=now,
    )
    label = ContactMethodKind(method).label
    changes = [
        {
            "field": f"contact_method:{method}",
            "label": label,
            "old": contact_method_state_label(was_on, old_reason),
            "new": contact_method_state_label(is_on, reason),
        }
    ]
    if not is_on and customer.preferred_contact_method == method:
        Customer.objects.filter(pk=customer.pk).update(
            preferred_contact_method="", version=F("version") + 1, updated_at=now
        )
        customer.preferred_contact_method = ""
        customer.version += 1
        changes.append({"field": "preferred_contact_method", "label": "Preferred Method", "old": label, "new": ""})
    history_record(
        customer=customer,
        actor=actor,
        source=source,
        actor_label=actor_label,
        action="contact_method",
        changes=[*changes, *(extra_changes or [])],
        now=now,
    )
    return row
