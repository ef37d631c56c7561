"""Contact Types (VIN specific): Owns and the nine other types per vehicle, on/off with a reason."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from ..audit import Change, history_record, turn_off_record
from ..fields import VIN_TYPE_LABELS, VIN_TYPE_PREFIX, method_state_raw
from ..models import AuditAction, TurnOffTarget, Vehicle, VehicleContactType
from ..selectors.reasons import vin_contact_type_reasons
from .validation import max_length_message

OWNS = "owns"
MAX_COMMENT = 500

__all__ = ["MAX_COMMENT", "OWNS", "VIN_TYPE_LABELS", "vin_contact_type_set"]


@transaction.atomic
def vin_contact_type_set(*, vehicle, contact_type, is_on, reason=None, comment="", actor):
    """Turn one contact type of one VIN on or off. Off needs an active reason; the comment is optional.

    "Owns" lives on the vehicle itself: off means the customer sold or traded it. Writes a TurnOffEvent and a
    history entry on the customer; no-op when the state does not change.
    """
    if contact_type not in VIN_TYPE_LABELS:
        raise ValidationError({"contact_type": [gettext("Choose a contact type.")]})
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationError({"comment": [max_length_message(MAX_COMMENT)]})
    vehicle = Vehicle.objects.select_for_update(of=("self",)).select_related("customer__dealership").get(pk=vehicle.pk)
    customer = vehicle.customer
    if is_on:
        reason = None
    else:
        if reason is None:
            raise ValidationError({"reason": [gettext("Choose the reason for turning this contact type off.")]})
        reason_id = reason.pk if hasattr(reason, "pk") else reason
        reason = vin_contact_type_reasons(dealership=customer.dealership).filter(pk=reason_id).first()
        if reason is None:
            raise ValidationError({"reason": [gettext("Choose an active reason code for VIN contact types.")]})

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

    turn_off_record(
        customer=customer,
        vehicle=vehicle,
        target=TurnOffTarget.VIN_CONTACT_TYPE,
        code=contact_type,
        is_on=is_on,
        reason=reason,
        comment=comment,
        actor=actor,
        now=now,
    )
    history_record(
        customer=customer,
        actor=actor,
        action=AuditAction.VIN_CONTACT_TYPE,
        changes=[
            Change(
                f"{VIN_TYPE_PREFIX}{vehicle.vin}:{contact_type}",
                method_state_raw(is_on=was_on, reason_id=old_reason.pk if old_reason else None),
                method_state_raw(is_on=is_on, reason_id=reason.pk if reason else None),
            )
        ],
        note=comment,
        now=now,
    )
    return vehicle if owns else row
