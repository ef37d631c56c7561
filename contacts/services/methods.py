"""Turning a contact method on or off: the ContactMethod row, the Turn Off history and the customer history."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from customers.models import ContactMethodKind, Customer, CustomerHistory, HistorySource

from ..models import ContactMethod, TurnOffEvent, TurnOffTarget


@transaction.atomic
def contact_method_set_by_import(
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
) -> bool:
    """Switch one contact method for an import or a system job (the actor is a label, e.g. "import: optouts.csv");
    returns False (and writes nothing) when it is already in that state. User edits on the Customer Information
    screen go through customers.services.contact_methods.contact_method_set, which applies the same rules.

    Turning off needs a reason that applies to contact methods. No ContactMethod row means "on", so turning a
    method back on keeps the row (with is_on=True) to remember who did it and when. `extra_changes` are
    related changes made in the same step (e.g. the consent opt-out) that belong in the same history entry.
    """
    if method not in ContactMethodKind.values:
        raise ValueError(f"{method!r} is not a contact method")
    if not is_on and (reason is None or not reason.applies_to_contact_method):
        raise ValueError("Turning a contact method off needs a reason that applies to contact methods.")
    now = now or timezone.now()
    row = ContactMethod.objects.select_for_update().filter(customer=customer, method=method).first()
    currently_on = row.is_on if row else True
    if currently_on == is_on:
        return False
    if row is None:
        row = ContactMethod(customer=customer, method=method)
    row.is_on = is_on
    row.reason = None if is_on else reason
    row.changed_by = actor
    row.changed_at = now
    if row.pk:
        row.save(update_fields=["is_on", "reason", "changed_by", "changed_at"])
    else:
        row.save()
    TurnOffEvent.objects.create(
        customer=customer,
        target=TurnOffTarget.CONTACT_METHOD,
        code=method,
        is_on=is_on,
        reason=None if is_on else reason,
        comment=comment[:500],
        actor=actor,
        actor_label=actor_label,
        created_at=now,
    )
    label = ContactMethodKind(method).label
    extra = list(extra_changes or [])
    if not is_on and customer.preferred_contact_method == method:
        # A method that is off cannot stay the preferred one (the yellow star would point at a red X).
        Customer.objects.filter(pk=customer.pk).update(
            preferred_contact_method="", version=F("version") + 1, updated_at=now
        )
        customer.preferred_contact_method = ""
        extra.insert(0, {"field": "preferred_contact_method", "label": "Preferred Method", "old": label, "new": ""})
    CustomerHistory.objects.create(
        customer=customer,
        created_at=now,
        actor=actor,
        source=source,
        actor_label=actor_label,
        action="contact_method",
        changes=[
            {
                "field": f"contact_method:{method}",
                "label": f"Contact method: {label}",
                "old": "On" if currently_on else "Off",
                "new": "On" if is_on else f"Off ({reason.label})",
            },
            *extra,
        ],
    )
    return True
