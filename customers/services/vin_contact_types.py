"""Contact Types (VIN specific): Owns and the nine other types per vehicle, on/off with a reason."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from contacts.models import TurnOffEvent, TurnOffTarget

from ..models import TurnOffReason, Vehicle, VehicleContactType, VinContactType
from .customer import _Change, _history

OWNS = "owns"
VIN_TYPE_LABELS = {OWNS: "Owns", **dict(VinContactType.choices)}
MAX_COMMENT = 500


def vin_contact_type_reasons(*, dealership):
    """Active reason codes that apply to VIN contact types: the store's own and the global ones."""
    return TurnOffReason.objects.filter(
        Q(dealership=dealership) | Q(dealership__isnull=True), applies_to_vin_contact_type=True, is_active=True
    )


def _state(is_on, reason, *, owns=False):
    if is_on:
        return "On"
    word = "Sold/traded" if owns else "Off"
    return f"{word} ({reason.label})" if reason else word


@transaction.atomic
def vin_contact_type_set(*, vehicle, contact_type, is_on, reason=None, comment="", actor):
    """Turn one contact type of one VIN on or off. Off needs an active reason; the comment is optional.

    "Owns" lives on the vehicle itself: off means the customer sold or traded it. Writes a TurnOffEvent and a
    history entry on the customer; no-op when the state does not change.
    """
    if contact_type not in VIN_TYPE_LABELS:
        raise ValidationError({"contact_type": ["Choose a contact type."]})
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationError({"comment": [f"Use at most {MAX_COMMENT} characters."]})
    vehicle = Vehicle.objects.select_for_update(of=("self",)).select_related("customer__dealership").get(pk=vehicle.pk)
    customer = vehicle.customer
    if is_on:
        reason = None
    else:
        if reason is None:
            raise ValidationError({"reason": ["Choose the reason for turning this contact type off."]})
        reason_id = reason.pk if hasattr(reason, "pk") else reason
        reason = vin_contact_type_reasons(dealership=customer.dealership).filter(pk=reason_id).first()
        if reason is None:
            raise ValidationError({"reason": ["Choose an active reason code for VIN contact types."]})

    now = timezone.now()
    owns = contact_type == OWNS
    if owns:
        was_on, old_reason = vehicle.owns, vehicle.owns_reason
        if was_on == is_on and (is_on or old_reason == reason):
            return vehicle
        vehicle.owns = is_on
        vehicle.owns_reason = reason
        vehicle.save(update_fields=["owns", "owns_reason", "updated_at"])
    else:
        row = VehicleContactType.objects.select_for_update().filter(vehicle=vehicle, contact_type=contact_type).first()
        was_on, old_reason = (row.is_on, row.reason) if row else (True, None)
        if was_on == is_on and (is_on or old_reason == reason):
            return row
        if row is None:
            row = VehicleContactType(vehicle=vehicle, contact_type=contact_type)
        row.is_on = is_on
        row.reason = reason
        row.comment = comment
        row.changed_by = actor
        row.changed_at = now
        row.save()

    TurnOffEvent.objects.create(
        customer=customer,
        vehicle=vehicle,
        target=TurnOffTarget.VIN_CONTACT_TYPE,
        code=contact_type,
        is_on=is_on,
        reason=reason,
        comment=comment,
        actor=actor,
        created_at=now,
    )
    label = f"{vehicle.vin} {VIN_TYPE_LABELS[contact_type]}"
    _history(
        customer=customer,
        actor=actor,
        action="vin_contact_type",
        changes=[
            _Change(
                f"vin:{vehicle.vin}:{contact_type}",
                label,
                _state(was_on, old_reason, owns=owns),
                _state(is_on, reason, owns=owns),
            )
        ],
        note=comment,
        now=now,
    )
    return vehicle if owns else row
