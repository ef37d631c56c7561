"""Contact methods on the Customer Information screen: on/off with a reason, and the preferred method."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from contacts.models import ContactMethod
from contacts.services.methods import contact_method_switch

from ..models import ContactMethodKind, HistorySource, TurnOffReason
from .customer import _Change, _history, _lock

METHOD_LABELS = dict(ContactMethodKind.choices)


def contact_method_reasons(*, dealership):
    """Active reason codes that apply to contact methods: the store's own and the global ones."""
    return TurnOffReason.objects.filter(
        Q(dealership=dealership) | Q(dealership__isnull=True), applies_to_contact_method=True, is_active=True
    )


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

    changed = contact_method_switch(
        customer=current, method=method, is_on=is_on, reason=reason, actor=actor, source=HistorySource.USER
    )
    customer.preferred_contact_method = current.preferred_contact_method
    customer.version = current.version
    return changed or ContactMethod.objects.filter(customer=current, method=method).first()


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
