"""Associations Summary (Influence Network): link two customers of the same store, or unlink them."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext

from ..audit import Change, history_record
from ..fields import customer_link_raw
from ..models import Association, AuditAction, Relationship
from .validation import max_length_message

ASSOCIATION_RELATIONSHIPS = [(v, label) for v, label in Relationship.choices if v != Relationship.DUPLICATE]
MAX_NOTE = 500


def _describe(customer):
    return f"{customer.display_name or gettext('(no name)')} (#{customer.dealermine_number_display})"


def _already_associated(other) -> str:
    return gettext("%(customer)s is already associated with this customer.") % {"customer": _describe(other)}


@transaction.atomic
def association_add(*, customer, other, relationship, note="", actor) -> Association:
    """Associate two customers of the same store; recorded in both files' history."""
    if relationship not in dict(ASSOCIATION_RELATIONSHIPS):
        raise ValidationError({"relationship": [gettext("Choose a relationship.")]})
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationError({"note": [max_length_message(MAX_NOTE)]})
    if other.pk == customer.pk:
        raise ValidationError({"other": [gettext("A customer cannot be associated with itself.")]})
    if other.dealership_id != customer.dealership_id:
        raise ValidationError({"other": [gettext("Only customers of the same store can be associated.")]})
    pair = Q(from_customer=customer, to_customer=other) | Q(from_customer=other, to_customer=customer)
    if Association.objects.filter(pair).exists():
        raise ValidationError({"other": [_already_associated(other)]})
    try:
        with transaction.atomic():
            association = Association.objects.create(
                from_customer=customer, to_customer=other, relationship=relationship, note=note, created_by=actor
            )
    except IntegrityError:
        raise ValidationError({"other": [_already_associated(other)]}) from None
    history_record(
        customer=customer,
        actor=actor,
        action=AuditAction.ASSOCIATION_ADD,
        changes=[Change("association", None, customer_link_raw(other, relationship=relationship))],
        note=note,
    )
    history_record(
        customer=other,
        actor=actor,
        action=AuditAction.ASSOCIATION_ADD,
        changes=[Change("association", None, customer_link_raw(customer, relationship=relationship))],
        note=note,
    )
    return association


@transaction.atomic
def association_remove(*, association, actor) -> None:
    """Remove an association; recorded in both files' history."""
    a, b = association.from_customer, association.to_customer
    relationship = association.relationship
    association.delete()
    history_record(
        customer=a,
        actor=actor,
        action=AuditAction.ASSOCIATION_REMOVE,
        changes=[Change("association", customer_link_raw(b, relationship=relationship), None)],
    )
    history_record(
        customer=b,
        actor=actor,
        action=AuditAction.ASSOCIATION_REMOVE,
        changes=[Change("association", customer_link_raw(a, relationship=relationship), None)],
    )
