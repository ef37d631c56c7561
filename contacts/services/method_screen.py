"""The Customer Information screen's contact-method actions: turn a method on or off with one of the store's
reasons, and choose the preferred method. They check what the screen may do (a duplicate child follows its
parent; a reason must be the store's and active; the preferred method must be on and have a value on file) and
write through the one contact-state writer (contacts.services.methods) and the audit writer.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from customers.audit import Change, history_record
from customers.edits import STAMP_FIELDS, person_edits_stamp
from customers.fields import CONTACT_METHOD_PREFIX, field_label
from customers.models import AuditAction, ContactMethodKind, Customer, HistorySource
from customers.rules import method_has_value
from customers.selectors.reasons import contact_method_reasons

from ..models import ContactMethod
from .methods import contact_method_switch


def _lock(customer) -> Customer:
    return Customer.objects.select_for_update(of=("self",)).select_related("dealership").get(pk=customer.pk)


@transaction.atomic
def contact_method_set(*, customer, method, is_on, reason=None, actor) -> ContactMethod | None:
    """Turn one contact method on or off from the screen. Off needs an active contact-method reason of the store.

    Duplicate children follow their parent's methods, so theirs cannot be changed here. No-op when nothing
    changes.
    """
    if method not in ContactMethodKind.values:
        raise ValidationError({"method": [gettext("Choose a contact method.")]})
    current = _lock(customer)
    if current.is_duplicate_child:
        raise ValidationError(
            {
                "method": [
                    gettext("This customer is a duplicate: contact methods follow the parent file. Change them there.")
                ]
            }
        )
    if is_on:
        reason = None
    else:
        if reason is None:
            raise ValidationError({"reason": [gettext("Choose the reason for turning this contact method off.")]})
        reason_id = reason.pk if hasattr(reason, "pk") else reason
        reason = contact_method_reasons(dealership=current.dealership).filter(pk=reason_id).first()
        if reason is None:
            raise ValidationError({"reason": [gettext("Choose an active reason code for contact methods.")]})

    changed = contact_method_switch(
        customer=current, method=method, is_on=is_on, reason=reason, actor=actor, source=HistorySource.USER
    )
    customer.preferred_contact_method = current.preferred_contact_method
    customer.version = current.version
    return changed or ContactMethod.objects.filter(customer=current, method=method).first()


@transaction.atomic
def customer_preferred_method_set(*, customer, method, actor):
    """The preferred method of contact (yellow star); "" clears it. It must be on and have a value on file."""
    if method and method not in ContactMethodKind.values:
        raise ValidationError({"preferred_contact_method": [gettext("Choose a contact method.")]})
    current = _lock(customer)
    if current.is_duplicate_child:
        raise ValidationError(
            {
                "preferred_contact_method": [
                    gettext("This customer is a duplicate: contact methods follow the parent file.")
                ]
            }
        )
    if current.preferred_contact_method == method:
        return current
    label = field_label(f"{CONTACT_METHOD_PREFIX}{method}") if method else ""
    if method and ContactMethod.objects.filter(customer=current, method=method, is_on=False).exists():
        message = gettext("%(method)s is turned off; turn it on first.") % {"method": label}
        raise ValidationError({"preferred_contact_method": [message]})
    if method and not method_has_value(current, method):
        message = gettext("%(method)s has nothing on file; enter it and Save first.") % {"method": label}
        raise ValidationError({"preferred_contact_method": [message]})
    now = timezone.now()
    old = current.preferred_contact_method
    current.preferred_contact_method = method
    person_edits_stamp(current, [Change("preferred_contact_method", old, method)], now=now)
    current.version += 1
    current.save(update_fields=["preferred_contact_method", *STAMP_FIELDS, "version", "updated_at"])
    history_record(
        customer=current,
        actor=actor,
        action=AuditAction.PREFERRED_METHOD,
        changes=[Change("preferred_contact_method", old, method)],
        now=now,
    )
    customer.preferred_contact_method = method
    customer.version = current.version
    return current
