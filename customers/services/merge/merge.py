"""Merging customers into a family under a parent (the write; checks in `validation`).

A value removed for good on a child (a dms_sync Suppression) is suppressed on the parent too, in the merge's
transaction: the parent's DMS row cannot bring back a number removed on the child, and nobody types it into the
parent. Values the parent holds are left alone (the merge screen decides fields). Unmerge keeps these
suppressions: a removed value stays removed until someone lifts the removal on Customer Information.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation

from contacts.models import ContactMethod
from contacts.services.methods import MethodSwitch, contact_methods_switch_bulk
from customers.audit import Change, history_record, raw_value
from customers.edits import STAMP_FIELDS, person_edits_stamp
from customers.fields import BY_KEY, field_label
from dms_sync.outbox import suppression_add
from dms_sync.selectors import customer_suppressions

from ...models import AuditAction, Customer, HistorySource, Relationship
from .snapshot import attname, field_value, merge_snapshot_build
from .validation import MergePlan, describe, merge_plan_validate

# Stored in the Turn Off history (TurnOffEvent.comment): English, never translated.
TURN_OFF_COMMENT = "Parent's turn-off applied on merge."


@dataclass
class MergeResult:
    parent: Customer
    children: list[Customer]
    filled: dict[str, int]


def _history(customer, *, actor, action, changes, note, now):
    """One history entry; `note` is stored, so it is built under `stored_text()` (English)."""
    return history_record(
        customer=customer, actor=actor, source=HistorySource.MERGE, action=action, changes=changes, note=note, now=now
    )


def stored_text():
    """The language of the texts a merge stores (history notes): English, whatever the person's language. Labels
    (relationships, fields) and `describe` are translatable texts; rendered inside this block they stay English."""
    return translation.override("en")


@transaction.atomic
def customer_merge(*, parent, children, relationships, fill_fields=None, apply_turn_offs=None, actor) -> MergeResult:
    """Merge `children` into `parent`.

    relationships: {child_id: Relationship}; fill_fields: {field name: child_id} for empty parent fields to fill
    from that child; apply_turn_offs: child ids (non-Duplicate) that take the parent's turned-off contact methods.
    Validates everything before writing; any failure rolls the whole merge back.

    A filled value counts as a person's edit of the parent's field (DESIGN §6): its `user_edited_at` is stamped
    with the merge time, so the nightly pull keeps it unless the DMS changes that field itself.
    """
    plan = merge_plan_validate(
        parent=parent,
        children=children,
        relationships=relationships,
        fill_fields=fill_fields,
        apply_turn_offs=apply_turn_offs,
        actor=actor,
    )
    now = timezone.now()
    snapshots = {kid.pk: merge_snapshot_build(kid) for kid in plan.children}
    carried = _suppressions_carry(plan, actor=actor)
    filled = _parent_fill(plan, snapshots, carried=carried, actor=actor, now=now)
    turn_off_changes = _turn_offs_apply(plan, actor=actor, now=now)
    for kid in plan.children:
        _child_attach(plan, kid, snapshots[kid.pk], turn_off_changes.get(kid.pk, []), actor=actor, now=now)
    return MergeResult(parent=plan.parent, children=plan.children, filled=filled)


def _suppressions_carry(plan: MergePlan, *, actor) -> list[str]:
    """Suppress on the parent every value removed on a child (same field and value); returns what was carried, as
    the parent's history note names it. The parent's own suppressions already there count as carried too."""
    carried: dict[tuple[str, str], str] = {}
    for kid in plan.children:
        for suppression in customer_suppressions(customer=kid):
            key = (suppression.field, suppression.value)
            if key in carried:
                continue
            suppression_add(customer=plan.parent, field=suppression.field, value=suppression.value, actor=actor)
            with stored_text():
                label = f"{field_label(suppression.field)} {BY_KEY[suppression.field].display(suppression.value)}"
            carried[key] = label
    return list(carried.values())


def _parent_fill(plan: MergePlan, snapshots: dict[int, dict], *, carried: list[str], actor, now) -> dict[str, int]:
    """Fill the parent's empty fields from the chosen children; one history entry listing the fills, the merged
    files (each by id: the history shows their names) and the removed values carried over."""
    parent = plan.parent
    changes = []
    filled: dict[str, int] = {}
    for name, source in plan.fills.items():
        value = field_value(source, name)
        changes.append(Change(name, field_value(parent, name), value))
        setattr(parent, attname(name), value)
        snapshots[source.pk]["copied_to_parent"][name] = raw_value(value)
        filled[name] = source.pk
    changes += [Change("merge_child", None, kid.pk) for kid in plan.children]
    if filled:
        person_edits_stamp(parent, [c for c in changes if c.key in filled], now=now)
        parent.version = F("version") + 1
        parent.save(update_fields=[attname(n) for n in filled] + [*STAMP_FIELDS, "version", "updated_at"])
        parent.refresh_from_db(fields=["version"])
    with stored_text():
        relationships = "; ".join(
            f"{describe(kid)} as {Relationship(plan.relationships[kid.pk]).label}" for kid in plan.children
        )
        note = f"Merged {len(plan.children)} file(s) into this customer: {relationships}." + (
            f" Removed values kept removed: {', '.join(carried)}." if carried else ""
        )
    _history(parent, actor=actor, action=AuditAction.MERGE, changes=changes, note=note, now=now)
    return filled


def _turn_offs_apply(plan: MergePlan, *, actor, now) -> dict[int, list[Change]]:
    """Turn the chosen children's methods off where the parent's are off (same reason), through the one
    contact-state writer; a method the child has off already keeps its own reason. Returns the history changes
    per child, for its merge entry."""
    if not plan.apply_turn_offs:
        return {}
    # An off row without a reason breaks the writer's invariant (legacy data): there is no reason to copy.
    parent_off = dict(
        ContactMethod.objects.filter(customer=plan.parent, is_on=False, reason__isnull=False)
        .order_by("method")
        .values_list("method", "reason_id")
    )
    already_off = set(
        ContactMethod.objects.select_for_update()
        .filter(customer_id__in=plan.apply_turn_offs, is_on=False)
        .values_list("customer_id", "method")
    )
    switches = [
        MethodSwitch(customer_id=kid.pk, method=method, is_on=False, reason_id=reason_id)
        for kid in plan.children
        if kid.pk in plan.apply_turn_offs
        for method, reason_id in parent_off.items()
        if (kid.pk, method) not in already_off
    ]
    changes: dict[int, list[Change]] = {}
    contact_methods_switch_bulk(
        switches, actor=actor, source=HistorySource.MERGE, comment=TURN_OFF_COMMENT, now=now, changes_into=changes
    )
    return changes


def _child_attach(plan: MergePlan, kid: Customer, snapshot: dict, turn_off_changes: list[Change], *, actor, now):
    """Link the child to the parent with its snapshot; one history entry on the child."""
    relationship = plan.relationships[kid.pk]
    changes = [
        Change("merge_parent", None, plan.parent.pk),
        Change("merge_relationship", "", relationship),
        *turn_off_changes,
    ]
    snapshot["turn_offs_applied"] = kid.pk in plan.apply_turn_offs
    kid.merge_parent = plan.parent
    kid.merge_relationship = relationship
    kid.merged_at = now
    kid.merge_snapshot = snapshot
    kid.version = F("version") + 1
    kid.save(
        update_fields=["merge_parent", "merge_relationship", "merged_at", "merge_snapshot", "version", "updated_at"]
    )
    # The writer may have cleared the preferred method of a method it turned off.
    kid.refresh_from_db(fields=["version", "preferred_contact_method"])
    with stored_text():
        note = f"Merged into {describe(plan.parent)} as {Relationship(relationship).label}."
    _history(kid, actor=actor, action=AuditAction.MERGE, changes=changes, note=note, now=now)
