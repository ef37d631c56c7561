"""The DMS's allow_mail / allow_phone / allow_email flags, as contact-method switches.

The pull decides which switches to make; the one writer of contact-method state
(contacts.services.methods.contact_methods_switch_bulk) makes them, with the Turn Off history and the
preferred method cleared when its method goes off, exactly as when a coordinator switches a method. The rule:
N turns the flag's methods off with the DMS reason; Y turns back on only what the DMS itself turned off (a
method turned off in DealerMine, by a person or an import, stays off).
"""

from __future__ import annotations

from collections.abc import Iterator

from contacts.models import ContactMethod
from contacts.services.methods import MethodSwitch, contact_methods_switch_bulk
from customers.audit import Change
from customers.models import HistorySource, TurnOffReason

from ...rows import FLAG_METHODS
from .counts import RunContext

DMS_LABEL = HistorySource.DMS_SYNC.label
DMS_REASON_CODE = "DMS"


def dms_turn_off_reason() -> TurnOffReason:
    """The global reason of every turn-off the DMS makes (created on first use)."""
    reason, _ = TurnOffReason.objects.get_or_create(
        dealership=None,
        code=DMS_REASON_CODE,
        defaults={"label": "Turned off in the DMS", "applies_to_contact_method": True},
    )
    return reason


def allow_flags_apply(
    ctx: RunContext, flagged: list[tuple[int, dict[str, bool]]], *, changes_into: dict[int, list[Change]], now
) -> None:
    """Switch the methods the flags call for, for [(customer id, {allow_* column: allowed})]. Each customer's
    history changes are added to its list in `changes_into` (the pull writes one entry per customer and row).

    Two queries to read the state, whatever the page's size: here to decide, in the writer under its locks. The
    customers are locked by the pull already (or are new, invisible to anyone else), so the state cannot change
    between the two."""
    if not flagged:
        return
    current = {
        (m.customer_id, m.method): m
        for m in ContactMethod.objects.filter(customer_id__any_of=[pk for pk, _flags in flagged]).only(
            "customer_id", "method", "is_on", "reason_id", "changed_by_id"
        )
    }
    switches = [s for pk, flags in flagged for s in _switches(pk, flags, current, ctx.dms_reason_id)]
    contact_methods_switch_bulk(
        switches, actor_label=DMS_LABEL, source=HistorySource.DMS_SYNC, now=now, changes_into=changes_into
    )


def _switches(customer_id: int, flags: dict[str, bool], current: dict, dms_reason_id: int) -> Iterator[MethodSwitch]:
    for column, allowed in flags.items():
        for method in FLAG_METHODS[column]:
            state = current.get((customer_id, method))
            is_on = state.is_on if state else True  # no row: on
            if allowed == is_on:
                continue  # already as the DMS says; an off method keeps whoever's reason it has
            if allowed and (state.changed_by_id is not None or state.reason_id != dms_reason_id):
                continue  # turned off in DealerMine: not the DMS's to turn back on
            yield MethodSwitch(customer_id, method, allowed, None if allowed else dms_reason_id)
