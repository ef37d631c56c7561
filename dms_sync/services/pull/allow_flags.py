"""The DMS's allow_mail / allow_phone / allow_email flags, as contact-method switches.

The pull decides which switches to make; the one writer of contact-method state
(contacts.services.methods.contact_methods_switch_bulk) makes them, with the Turn Off history and the
preferred method cleared when its method goes off, exactly as when a coordinator switches a method. The rule is
the three-way merge of every field (dms_sync.precedence): only a flag the DMS changed since it last sent it does
anything (a method a coordinator turned back on stays on while the DMS keeps sending N); then N turns the flag's
methods off with the DMS reason and Y turns them on, except a method whose state a person or an import set on or
after the row's last_change_date - that one stays as it is, and the history says the conflict was resolved.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext_noop

from contacts.models import ContactMethod
from contacts.services.methods import MethodSwitch, contact_methods_switch_bulk
from customers.audit import Change, Conflict
from customers.fields import CONTACT_METHOD_PREFIX, method_state_raw
from customers.models import HistorySource, TurnOffReason

from ...precedence import dms_is_later
from ...rows import FLAG_METHODS
from .counts import RunContext

DMS_LABEL = HistorySource.DMS_SYNC.label
DMS_REASON_CODE = "DMS"


def dms_turn_off_reason() -> TurnOffReason:
    """The global reason of every turn-off the DMS makes (created on first use)."""
    reason, _ = TurnOffReason.objects.get_or_create(
        dealership=None,
        code=DMS_REASON_CODE,
        # Stored in English, shown in the reader's language (TurnOffReason.display_label).
        defaults={"label": gettext_noop("Turned off in the DMS"), "applies_to_contact_method": True},
    )
    return reason


def allow_flags_apply(ctx: RunContext, flagged: list[FlagRow], *, changes_into: dict[int, list[Change]], now) -> None:
    """Switch the methods the flags call for. Each customer's history changes are added to its list in
    `changes_into` (the pull writes one entry per customer and row).

    Two queries to read the state, whatever the page's size: here to decide, in the writer under its locks. The
    customers are locked by the pull already (or are new, invisible to anyone else), so the state cannot change
    between the two."""
    if not flagged:
        return
    current = {
        (m.customer_id, m.method): m
        for m in ContactMethod.objects.filter(customer_id__any_of=[f.customer_id for f in flagged]).only(
            "customer_id", "method", "is_on", "reason_id", "changed_by_id", "changed_at"
        )
    }
    switches = []
    for row in flagged:
        for switch in _switches(ctx, row, current):
            if switch.conflict == Conflict.PERSON:  # kept: recorded, not written
                ctx.user_edits_kept += 1
                state = current[(row.customer_id, switch.method)]
                raw = method_state_raw(is_on=state.is_on, reason_id=state.reason_id)
                sent = method_state_raw(is_on=switch.is_on, reason_id=switch.reason_id)
                changes_into.setdefault(row.customer_id, []).append(
                    Change(f"{CONTACT_METHOD_PREFIX}{switch.method}", raw, raw, conflict=Conflict.PERSON, other=sent)
                )
            else:
                switches.append(switch)
    contact_methods_switch_bulk(
        switches, actor_label=DMS_LABEL, source=HistorySource.DMS_SYNC, now=now, changes_into=changes_into
    )


@dataclass(frozen=True)
class FlagRow:
    """A row's allow_* flags that changed since the DMS last sent them (dms_sync.precedence.flag_changed)."""

    customer_id: int
    flags: dict[str, bool]
    row_date: date | None


def _switches(ctx: RunContext, row: FlagRow, current: dict) -> Iterator[MethodSwitch]:
    """The DMS changed these flags: each method not already as the flag says follows it, unless a person (or an
    import) set its state later than the DMS's change - then theirs is kept (a switch marked Conflict.PERSON)."""
    for column, allowed in row.flags.items():
        reason_id = None if allowed else ctx.dms_reason_id
        for method in FLAG_METHODS[column]:
            state = current.get((row.customer_id, method))
            is_on = state.is_on if state else True  # no row: on
            if allowed == is_on:
                continue  # already as the DMS says; an off method keeps whoever's reason it has
            conflict = ""
            if state is not None and _set_in_dealermine(state, ctx.dms_reason_id):
                later = dms_is_later(row.row_date, state.changed_at, ctx.tz)
                conflict = Conflict.DMS if later else Conflict.PERSON
            yield MethodSwitch(row.customer_id, method, allowed, reason_id, conflict=conflict)


def _set_in_dealermine(state: ContactMethod, dms_reason_id: int) -> bool:
    """Whether a person or an import, not the DMS, set this state."""
    return state.changed_by_id is not None or (not state.is_on and state.reason_id != dms_reason_id)
