"""The one writer of contact-method state: on/off with a reason, and the preferred method (yellow star).

Every change goes through here: one customer at a time (`contact_method_switch`: the Customer Information
screen through contacts.services.method_screen, opt-out imports), many at once (`contact_methods_switch_bulk`:
the nightly DMS pull, merge applying a parent's turn-offs), or rows put back exactly as recorded
(`contact_methods_restore`: unmerge). The preferred method is set by contacts.services.method_screen. All keep
the same invariants:
- an off method, or one with no value on file, is never the preferred one (the star would sit on a red X or on
  "no number on file"): turning the preferred method off clears the preference in the same step;
- no state change without its history: a Turn Off history row and a customer history change
  (`contact_method:<method>` with raw {on, reason}), written through the audit writer (customers.audit).
Whether a change should happen at all (who wins between a coordinator and the DMS, which reasons a store
offers) is decided by the callers; this module only writes it, the same way every time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from customers.audit import (
    Change,
    audit_bulk_save,
    history_entry,
    history_record,
    stored_text,
    turn_off_record,
    turn_off_values,
)
from customers.fields import CONTACT_METHOD_PREFIX, method_state_raw
from customers.models import AuditAction, ContactMethodKind, Customer, HistorySource, TurnOffTarget
from dealermine.bulk import bulk_insert, bulk_update

from ..models import ContactMethod

#: The declared methods, as a set: `ContactMethodKind.values` builds a new list on every read, and a first import
#: checks every switch of a million customers against it.
METHODS = frozenset(ContactMethodKind.values)


def method_change(
    method: str, *, was_on: bool, old_reason_id, is_on: bool, reason_id, conflict: str = "", other=None
) -> Change:
    return Change(
        f"{CONTACT_METHOD_PREFIX}{method}",
        method_state_raw(is_on=was_on, reason_id=old_reason_id),
        method_state_raw(is_on=is_on, reason_id=reason_id),
        conflict=conflict,
        other=other,
    )


def _check(method: str, is_on: bool, reason) -> None:
    if method not in METHODS:
        raise ValueError(f"{method!r} is not a contact method")
    if not is_on and (reason is None or not reason.applies_to_contact_method):
        raise ValueError(gettext("Turning a contact method off needs a reason that applies to contact methods."))


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
    extra_changes: Iterable[Change] = (),
    now=None,
) -> ContactMethod | None:
    """Switch one contact method; returns the row, or None (and writes nothing) when nothing changes.

    Turning off needs a reason that applies to contact methods. No ContactMethod row means "on", so turning a
    method back on keeps the row (is_on=True) to remember who did it and when. `extra_changes` are related
    changes made in the same step (e.g. a consent opt-out) for the same history entry.
    """
    _check(method, is_on, reason)
    reason = None if is_on else reason
    now = now or timezone.now()
    row = ContactMethod.objects.select_for_update().filter(customer=customer, method=method).first()
    was_on = row.is_on if row else True
    old_reason_id = row.reason_id if row else None
    if was_on == is_on and (is_on or old_reason_id == reason.pk):
        return None
    if row is None:
        row = ContactMethod(customer=customer, method=method)
    row.is_on = is_on
    row.reason = reason
    row.changed_by = actor
    row.changed_at = now
    row.save()
    turn_off_record(
        customer=customer,
        target=TurnOffTarget.CONTACT_METHOD,
        code=method,
        is_on=is_on,
        reason=reason,
        comment=comment,
        actor=actor,
        actor_label=actor_label,
        now=now,
    )
    changes = [method_change(method, was_on=was_on, old_reason_id=old_reason_id, is_on=is_on, reason_id=row.reason_id)]
    if not is_on and customer.preferred_contact_method == method:
        changes.append(_preference_clear(customer, now=now))
    history_record(
        customer=customer,
        actor=actor,
        source=source,
        actor_label=actor_label,
        action=AuditAction.CONTACT_METHOD,
        changes=[*changes, *extra_changes],
        now=now,
    )
    return row


@dataclass(frozen=True)
class MethodSwitch:
    """One decided change for the bulk writer: turn `method` of `customer_id` on, or off with `reason_id`."""

    customer_id: int
    method: str
    is_on: bool
    reason_id: int | None = None
    #: Set when the switch resolved a conflict between a person and the DMS (customers.audit.Conflict).
    conflict: str = ""


def contact_methods_switch_bulk(
    switches: Iterable[MethodSwitch],
    *,
    actor=None,
    actor_label: str = "",
    source: str = HistorySource.SYSTEM,
    comment: str = "",
    now=None,
    changes_into: dict[int, list] | None = None,
) -> dict[int, list[Change]]:
    """Write many contact-method switches with a constant number of queries; same invariants and history as
    `contact_method_switch`. Call it inside the caller's transaction, after the caller's own customer writes.

    Switches that change nothing are skipped. Returns the history changes per customer id; with `changes_into`
    the caller puts them into its own entry for that customer (the DMS pull writes one entry per customer per
    row), otherwise one `contact_method` entry per customer is written here.
    """
    switches = [s for s in switches if s.method in METHODS]
    if not switches:
        return {}
    now = now or timezone.now()
    # Lazy texts (the DMS's comment) resolved once for all the Turn Off rows, not once per row.
    comment, actor_label = stored_text(comment), stored_text(actor_label)
    customer_ids = sorted({s.customer_id for s in switches})
    current = {
        (m.customer_id, m.method): m
        for m in ContactMethod.objects.select_for_update().filter(customer_id__in=customer_ids).order_by("pk")
    }
    # New rows as plain values and the Turn Off rows likewise: a first import turns thousands of methods off,
    # and a model instance cost more to build than its row costs to COPY (dealermine.bulk).
    creates: dict[tuple[int, str], dict] = {}
    updates: dict[tuple[int, str], ContactMethod] = {}
    events: list[dict] = []
    changes: dict[int, list[Change]] = {}
    turned_off: dict[int, set[str]] = {}
    actor_id = actor.pk if actor is not None else None
    for s in switches:
        key = (s.customer_id, s.method)
        reason_id = None if s.is_on else s.reason_id
        if not s.is_on and reason_id is None:
            raise ValueError("Turning a contact method off needs a reason.")
        row = current.get(key)
        if key in creates:
            was_on, old_reason_id = creates[key]["is_on"], creates[key]["reason_id"]
        else:
            was_on, old_reason_id = (row.is_on, row.reason_id) if row else (True, None)
        if was_on == s.is_on and (s.is_on or old_reason_id == reason_id):
            continue
        state = {"is_on": s.is_on, "reason_id": reason_id, "changed_by_id": actor_id, "changed_at": now}
        if row is None:
            creates[key] = {"customer_id": s.customer_id, "method": s.method, **state}
        else:
            row.is_on, row.reason_id, row.changed_by_id, row.changed_at = s.is_on, reason_id, actor_id, now
            updates[key] = row
        events.append(
            turn_off_values(
                customer_id=s.customer_id,
                target=TurnOffTarget.CONTACT_METHOD,
                code=s.method,
                is_on=s.is_on,
                reason_id=reason_id,
                comment=comment,
                actor=actor,
                actor_label=actor_label,
                now=now,
            )
        )
        changes.setdefault(s.customer_id, []).append(
            method_change(
                s.method,
                was_on=was_on,
                old_reason_id=old_reason_id,
                is_on=s.is_on,
                reason_id=reason_id,
                conflict=s.conflict,
            )
        )
        if not s.is_on:
            turned_off.setdefault(s.customer_id, set()).add(s.method)
    if creates:
        bulk_insert(ContactMethod, iter(creates.values()))
    if updates:
        fields = ["is_on", "reason", "changed_by", "changed_at"]
        bulk_update(ContactMethod, list(updates.values()), fields)
    _clear_preferences(turned_off, changes, now=now)
    history = []
    for customer_id, own in changes.items():
        if changes_into is not None:
            changes_into.setdefault(customer_id, []).extend(own)
        else:
            history.append(
                history_entry(
                    customer_id=customer_id,
                    actor=actor,
                    source=source,
                    actor_label=actor_label,
                    action=AuditAction.CONTACT_METHOD,
                    changes=own,
                    now=now,
                )
            )
    audit_bulk_save(history=history, turn_offs=events)
    return changes


def _preference_clear(customer, *, now) -> Change:
    """Stop preferring the customer's preferred method (just turned off): the row, the caller's instance, and
    the history change recording it. The bulk form is `_clear_preferences`."""
    method = customer.preferred_contact_method
    Customer.objects.filter(pk=customer.pk).update(
        preferred_contact_method="", version=F("version") + 1, updated_at=now
    )
    customer.preferred_contact_method = ""
    customer.version += 1
    return Change("preferred_contact_method", method, "")


def _clear_preferences(turned_off: dict[int, set[str]], changes: dict[int, list[Change]], *, now) -> None:
    """The preferred method cannot stay on a method that was just turned off (one query per method)."""
    by_method: dict[str, list[int]] = {}
    for customer_id, methods in turned_off.items():
        for method in methods:
            by_method.setdefault(method, []).append(customer_id)
    for method, ids in by_method.items():
        hit = list(Customer.objects.filter(pk__in=ids, preferred_contact_method=method).values_list("pk", flat=True))
        if not hit:
            continue
        Customer.objects.filter(pk__in=hit).update(
            preferred_contact_method="", version=F("version") + 1, updated_at=now
        )
        for customer_id in hit:
            changes[customer_id].append(Change("preferred_contact_method", method, ""))


# --- recorded rows put back (unmerge) ---------------------------------------------------------------------------

#: What `contact_method_rows` records of a row and `contact_methods_restore` puts back.
RECORDED_ROW_FIELDS = ("method", "is_on", "reason_id", "changed_by_id", "changed_at")


def contact_method_rows(customer) -> list[dict]:
    """A customer's contact-method rows as JSON-ready dicts (`RECORDED_ROW_FIELDS`, `changed_at` in ISO form),
    for a record that `contact_methods_restore` can put back later (the merge snapshot)."""
    rows = ContactMethod.objects.filter(customer=customer).order_by("method").values(*RECORDED_ROW_FIELDS)
    return [{**row, "changed_at": row["changed_at"].isoformat() if row["changed_at"] else None} for row in rows]


def contact_methods_restore(
    *,
    customer,
    rows: Iterable[dict],
    methods: Iterable[str] | None = None,
    actor=None,
    actor_label: str = "",
    comment: str = "",
    now=None,
) -> list[Change]:
    """Put back contact-method rows recorded by `contact_method_rows`, exactly: state, reason, who and when, and
    no row where there was none (unmerge gives a child back its own settings as they were at merge time).

    Why not `contact_method_switch`: that stamps the caller as the one who changed the method now, and cannot
    go back to "no row". `methods` limits the restore (default: every method; one without a recorded row goes
    back to no row, i.e. on). Same invariants and audit as the switch: each method whose state ({on, reason})
    changes gets a Turn Off history row (`actor`, `comment`, `now`), and a preferred method that ends up off is
    cleared. Returns the customer history changes for the caller's own entry (nothing is written to the customer
    history here). Call it inside the caller's transaction with the customer row locked.
    """
    now = now or timezone.now()
    wanted = {row["method"]: row for row in rows}
    methods = set(METHODS if methods is None else methods) & METHODS
    current = {
        row.method: row
        for row in ContactMethod.objects.select_for_update().filter(customer=customer, method__in=methods)
    }
    user_ids = {row.get("changed_by_id") for row in wanted.values()} - {None}
    users = set(get_user_model().objects.filter(pk__in=user_ids).values_list("pk", flat=True)) if user_ids else set()
    changes: list[Change] = []
    ended_off: set[str] = set()
    for method in sorted(methods):
        want, have = wanted.get(method), current.get(method)
        if want is None and have is None:
            continue
        was_on, old_reason_id = (have.is_on, have.reason_id) if have else (True, None)
        is_on = bool(want["is_on"]) if want else True
        reason_id = None if is_on else want.get("reason_id")
        if want is None:
            have.delete()
        else:
            changed_by_id = want.get("changed_by_id") if want.get("changed_by_id") in users else None
            changed_at = want.get("changed_at")
            changed_at = datetime.fromisoformat(changed_at) if isinstance(changed_at, str) else changed_at
            state = (is_on, reason_id, changed_by_id, changed_at)
            if have is None or (have.is_on, have.reason_id, have.changed_by_id, have.changed_at) != state:
                row = have or ContactMethod(customer=customer, method=method)
                row.is_on, row.reason_id, row.changed_by_id, row.changed_at = state
                row.save()
        if not is_on:
            ended_off.add(method)
        if (was_on, old_reason_id) == (is_on, reason_id):
            continue
        turn_off_record(
            customer=customer,
            target=TurnOffTarget.CONTACT_METHOD,
            code=method,
            is_on=is_on,
            reason_id=reason_id,
            comment=comment,
            actor=actor,
            actor_label=actor_label,
            now=now,
        )
        changes.append(
            method_change(method, was_on=was_on, old_reason_id=old_reason_id, is_on=is_on, reason_id=reason_id)
        )
    if customer.preferred_contact_method in ended_off:
        changes.append(_preference_clear(customer, now=now))
    return changes
