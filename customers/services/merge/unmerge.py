"""Undoing a merge: the child gets its own state back and leaves the family; copied values may go back with it.

What "changed on the child since the merge" means is decided from raw data only: the keys of the history
entries written on the child after the merge by anyone but the merge itself (the user screens, the DMS sync,
imports), and the child's `user_edited_at` stamps. Such fields and contact methods keep their newer value.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from contacts.services.methods import contact_methods_restore
from customers.audit import Change, raw_value
from customers.edits import STAMP_FIELDS, person_edits_stamp
from customers.fields import BY_KEY, CONTACT_METHOD_PREFIX, field_label
from customers.rules import preferred_method_without_value

from ...models import AuditAction, ContactMethodKind, Customer, CustomerHistory, HistorySource
from .merge import _history, stored_text
from .snapshot import (
    FILLABLE_FIELDS,
    SNAPSHOT_FIELDS,
    STATUS_GROUP,
    attname,
    display_value,
    empty_value,
    field_value,
    value_from_raw,
)
from .validation import MergeError, check_actor, describe, lock_customers

# Stored in the Turn Off history (TurnOffEvent.comment): English, never translated.
RESTORE_COMMENT = "Own setting restored on unmerge."


def takeable_fields(child: Customer, parent: Customer) -> dict[str, str]:
    """Values copied from this child into the parent that the parent still holds unchanged: field -> display."""
    copied = (child.merge_snapshot or {}).get("copied_to_parent", {})
    return {
        name: display_value(parent, name)
        for name, value in copied.items()
        if name in FILLABLE_FIELDS and raw_value(field_value(parent, name)) == value
    }


def changed_since_merge(child: Customer) -> set[str]:
    """The history keys (field names, `contact_method:<method>`) changed on the child after it was merged by
    anyone but the merge: their newer value stays. From the raw history keys and the `user_edited_at` stamps."""
    since = child.merged_at
    if since is None:
        return set()
    keys = set()
    entries = CustomerHistory.objects.filter(customer=child, created_at__gte=since).exclude(source=HistorySource.MERGE)
    for changes in entries.values_list("changes", flat=True):
        for change in changes or []:
            if isinstance(change, dict) and change.get("field"):
                keys.add(change["field"])
    for name, stamp in (child.user_edited_at or {}).items():
        try:
            if datetime.fromisoformat(stamp) >= since:
                keys.add(name)
        except (TypeError, ValueError):  # not a stamp, or one without a time zone: no evidence either way
            continue
    if keys & STATUS_GROUP:
        keys |= STATUS_GROUP
    return keys


@transaction.atomic
def customer_unmerge(*, child, take_back_fields=(), actor) -> Customer:
    """Give the child back its own state and detach it from its parent.

    Restores the child's own field values and contact-method rows as they were at merge time, except those
    changed on the child after the merge (by the DMS sync or a user), which keep their newer value.
    Values copied into the parent stay unless listed in `take_back_fields` (they are then cleared on the
    parent, provided the parent still holds the copied value; clearing counts as a person's edit there).
    """
    child_id = child.pk if isinstance(child, Customer) else int(child)
    current = Customer.objects.filter(pk=child_id).values_list("merge_parent_id", flat=True).first()
    if current is None:
        raise MergeError(gettext("This customer is not merged into another file."), code="not_child")
    locked = lock_customers([child_id, current])
    if child_id not in locked or locked[child_id].merge_parent_id != current:
        raise MergeError(
            gettext("This customer was unmerged or changed meanwhile; nothing was changed."), code="not_child"
        )
    child = locked[child_id]
    parent = locked[current]
    check_actor(actor, child.dealership_id)

    take_back = list(dict.fromkeys(take_back_fields or ()))
    available = takeable_fields(child, parent)
    for name in take_back:
        if name not in available:
            raise MergeError(
                gettext("%(field)s was not copied from this customer or has changed on the parent since.")
                % {"field": field_label(name) if name in FILLABLE_FIELDS else name},
                code="take_back",
            )

    now = timezone.now()
    _child_restore(child, parent, actor=actor, now=now)
    _parent_take_back(parent, child, take_back, actor=actor, now=now)
    return child


def _child_restore(child: Customer, parent: Customer, *, actor, now) -> None:
    snapshot = child.merge_snapshot or {}
    changed = changed_since_merge(child)
    changes = [
        Change("merge_parent", parent.pk, None),
        Change("merge_relationship", child.merge_relationship, ""),
    ]
    restored: dict[str, tuple] = {}  # field -> (old, new)
    for name, value in (snapshot.get("fields") or {}).items():
        if name not in SNAPSHOT_FIELDS or name in changed:
            continue
        own = value_from_raw(name, value)
        old = field_value(child, name)
        if old != own:
            setattr(child, attname(name), own)
            restored[name] = (old, own)
    if method := preferred_method_without_value(child):
        # The star never sits on "no number on file" (a value removed on the child since the merge stays removed).
        child.preferred_contact_method = ""
        restored["preferred_contact_method"] = (restored.get("preferred_contact_method", (method,))[0], "")
    # The status stamps (inactivated_at/by) are restored with the status but, as on every screen, not listed.
    changes += [Change(name, old, new) for name, (old, new) in restored.items() if old != new and name in BY_KEY]
    update_fields = ["merge_parent", "merge_relationship", "merged_at", "merge_snapshot", "version", "updated_at"]
    update_fields += [attname(name) for name in restored]

    child.merge_parent = None
    child.merge_relationship = ""
    child.merged_at = None
    child.merge_snapshot = {}
    child.version = F("version") + 1
    child.save(update_fields=update_fields)
    child.refresh_from_db(fields=["version"])
    # Contact methods go back through the one contact-state writer (which also clears a preferred method that
    # ends up off); those changed on the child since the merge keep their state.
    changes += contact_methods_restore(
        customer=child,
        rows=snapshot.get("contact_methods") or [],
        methods=[m for m in ContactMethodKind.values if f"{CONTACT_METHOD_PREFIX}{m}" not in changed],
        actor=actor,
        comment=RESTORE_COMMENT,
        now=now,
    )
    with stored_text():
        note = f"Unmerged from {describe(parent)}."
    _history(child, actor=actor, action=AuditAction.UNMERGE, changes=changes, note=note, now=now)


def _parent_take_back(parent: Customer, child: Customer, take_back: list[str], *, actor, now) -> None:
    changes = [Change("merge_child", child.pk, None)]
    if take_back:
        for name in take_back:
            empty = empty_value(name)
            changes.append(Change(name, field_value(parent, name), empty))
            setattr(parent, attname(name), empty)
        person_edits_stamp(parent, [c for c in changes if c.key in take_back], now=now)
        parent.version = F("version") + 1
        parent.save(update_fields=[attname(n) for n in take_back] + [*STAMP_FIELDS, "version", "updated_at"])
        parent.refresh_from_db(fields=["version"])
    with stored_text():
        took = f"; took back {', '.join(str(field_label(n)) for n in take_back)}." if take_back else "."
        note = f"Unmerged {describe(child)}{took}"
    _history(parent, actor=actor, action=AuditAction.UNMERGE, changes=changes, note=note, now=now)
