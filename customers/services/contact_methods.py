"""Contact methods on the Customer Information screen: on/off with a reason, and the preferred method."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from contacts.models import ContactMethod, TurnOffEvent, TurnOffTarget

from ..models import ContactMethodKind, TurnOffReason
from .customer import _Change, _history, _lock

METHOD_LABELS = dict(ContactMethodKind.choices)


def contact_method_reasons(*, dealership):
    """Active reason codes that apply to contact methods: the store's own and the global ones."""
    return TurnOffReason.objects.filter(
        Q(dealership=dealership) | Q(dealership__isnull=True), applies_to_contact_method=True, is_active=True
    )


def _state_label(is_on, reason):
    if is_on:
        return "On"
    return f"Off ({reason.label})" if reason else "Off"


@transaction.atomic
def contact_method_set(*, customer, method, is_on, reason=None, actor) -> ContactMethod | None:
    """Turn one contact method on or off. Off needs an active contact-method reason.

    Duplicate children follow their parent's methods, so theirs cannot be changed. Turning off the preferred
    method also clears the preference. Writes a TurnOffEvent and one history entry; no-op when nothing changes.
    """
    if method not in METHOD_LABELS:
        raise ValidationError({"method": ["Choose a contact method."]})
    current = _lock(customer)
    if current.is_duplicate_child:
        raise ValidationError(
            {"method": ["This customer is a duplicate: contact methods follow the parent file. Change them there."]}
        )
    if is_on:
        reason = None
    else:
        if reason is None:
            raise ValidationError({"reason": ["Choose the reason for turning this contact method off."]})
        reason_id = reason.pk if hasattr(reason, "pk") else reason
        reason = contact_method_reasons(dealership=current.dealership).filter(pk=reason_id).first()
        if reason is None:
            raise ValidationError({"reason": ["Choose an active reason code for contact methods."]})

    row = ContactMethod.objects.select_for_update().filter(customer=current, method=method).first()
    was_on = row.is_on if row else True
    old_reason = row.reason if row else None
    if was_on == is_on and (is_on or old_reason == reason):
        return row

    now = timezone.now()
    if row is None:
        row = ContactMethod(customer=current, method=method)
    row.is_on = is_on
    row.reason = reason
    row.changed_by = actor
    row.changed_at = now
    row.save()
    TurnOffEvent.objects.create(
        customer=current,
        target=TurnOffTarget.CONTACT_METHOD,
        code=method,
        is_on=is_on,
        reason=reason,
        actor=actor,
        created_at=now,
    )
    label = METHOD_LABELS[method]
    old_state, new_state = _state_label(was_on, old_reason), _state_label(is_on, reason)
    changes = [_Change(f"contact_method:{method}", label, old_state, new_state)]
    if not is_on and current.preferred_contact_method == method:
        changes.append(_Change("preferred_contact_method", "Preferred Method", label, ""))
        current.preferred_contact_method = ""
        current.user_edited_at = {**(current.user_edited_at or {}), "preferred_contact_method": now.isoformat()}
        current.version += 1
        current.save(update_fields=["preferred_contact_method", "user_edited_at", "version", "updated_at"])
        customer.preferred_contact_method = ""
        customer.version = current.version
    _history(customer=current, actor=actor, action="contact_method", changes=changes, now=now)
    return row


@transaction.atomic
def customer_preferred_method_set(*, customer, method, actor):
    """The preferred method of contact (yellow star); "" clears it. It must be a method that is on."""
    if method and method not in METHOD_LABELS:
        raise ValidationError({"preferred_contact_method": ["Choose a contact method."]})
    current = _lock(customer)
    if current.is_duplicate_child:
        raise ValidationError(
            {"preferred_contact_method": ["This customer is a duplicate: contact methods follow the parent file."]}
        )
    if current.preferred_contact_method == method:
        return current
    if method and ContactMethod.objects.filter(customer=current, method=method, is_on=False).exists():
        raise ValidationError(
            {"preferred_contact_method": [f"{METHOD_LABELS[method]} is turned off; turn it on first."]}
        )
    now = timezone.now()
    old = METHOD_LABELS.get(current.preferred_contact_method, "")
    current.preferred_contact_method = method
    current.user_edited_at = {**(current.user_edited_at or {}), "preferred_contact_method": now.isoformat()}
    current.version += 1
    current.save(update_fields=["preferred_contact_method", "user_edited_at", "version", "updated_at"])
    _history(
        customer=current,
        actor=actor,
        action="preferred_method",
        changes=[_Change("preferred_contact_method", "Preferred Method", old, METHOD_LABELS.get(method, ""))],
        now=now,
    )
    customer.preferred_contact_method = method
    customer.version = current.version
    return current
