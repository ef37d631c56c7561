"""Merge customers into a family under a parent, and undo it.

A merge never moves or deletes rows: children keep their vehicles, associations, repair orders, bounces,
history and DMS numbers (the nightly sync keeps updating them by their own numbers). What a merge writes:
- on each child: merge_parent, merge_relationship, merged_at and merge_snapshot (the child's own field values
  and contact-method rows at merge time, plus which values were copied into the parent);
- on the parent: the empty fields the user chose to fill from a child;
- for non-Duplicate children whose parent's turn-offs the user chose to apply: their contact methods turned
  off like the parent's (with Turn Off history);
- one history entry (source "merge") on every file involved.
Duplicate children follow the parent's contact methods at read time (Call Select and search skip them).
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import capfirst

from contacts.models import ContactMethod, TurnOffEvent, TurnOffTarget

from ..models import (
    Customer,
    CustomerHistory,
    HistorySource,
    Relationship,
    TurnOffReason,
)
from ..phones import phone_display
from ..selectors import dealerships_for_user
from .history import history_record

# Relationships offered on the merge screen (Shared interest is an Influence Network link, not a merge).
MERGE_RELATIONSHIPS = [
    Relationship.DUPLICATE,
    Relationship.SPOUSE,
    Relationship.FAMILY,
    Relationship.BUSINESS,
    Relationship.FRIEND,
]

# Parent fields that may be filled from a child when the parent's value is empty (shown side by side).
FILLABLE_FIELDS = [
    "first_name",
    "middle_name",
    "last_name",
    "other_name",
    "contact_name",
    "address_to",
    "address1",
    "address2",
    "city",
    "state",
    "postal_code",
    "county",
    "country",
    "home_phone",
    "work_phone",
    "work_ext",
    "cell_phone",
    "fax",
    "email1",
    "email2",
    "birth_date",
    "language",
    "gender",
    "day_night",
    "twitter_handle",
    "preferred_advisor",
]

# The child's own values recorded at merge time and given back by unmerge.
SNAPSHOT_FIELDS = [
    *FILLABLE_FIELDS,
    "kind",
    "status",
    "inactive_reason",
    "inactivated_at",
    "inactivated_by",
    "is_fleet",
    "default_email",
    "preferred_contact_method",
    "eservice_registered",
    "star_rating",
    "likely_to_buy",
]

# Restored together or not at all (an inactive customer always has a reason).
STATUS_GROUP = {"status", "inactive_reason", "inactivated_at", "inactivated_by"}
PHONE_FIELDS = {"home_phone", "work_phone", "cell_phone", "fax"}
CONTACT_METHOD_FIELDS = ["method", "is_on", "reason_id", "changed_by_id", "changed_at"]
SNAPSHOT_VERSION = 1


class MergeError(ValidationError):
    """A merge or unmerge request that cannot be carried out; nothing was changed."""


_LABELS = {"address1": "Address line 1", "address2": "Address line 2", "twitter_handle": "Twitter"}


def field_label(name: str) -> str:
    return _LABELS.get(name) or capfirst(str(Customer._meta.get_field(name).verbose_name))


def _attname(name: str) -> str:
    return Customer._meta.get_field(name).attname


def field_value(customer: Customer, name: str):
    return getattr(customer, _attname(name))


def is_empty(value) -> bool:
    return value is None or value == ""


def display_value(customer: Customer, name: str) -> str:
    """The human form of a field value for the side-by-side table and history."""
    value = field_value(customer, name)
    if is_empty(value):
        return ""
    if name in PHONE_FIELDS:
        return phone_display(value)
    f = Customer._meta.get_field(name)
    if f.is_relation:
        related = getattr(customer, name)
        return str(related) if related else ""
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _to_json(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _from_json(name: str, value):
    if value is None:
        return None
    f = Customer._meta.get_field(name)
    if f.is_relation:
        return value
    if f.get_internal_type() == "DateTimeField":
        return datetime.fromisoformat(value)
    return f.to_python(value)


def _contact_method_rows(customer: Customer) -> list[dict]:
    rows = ContactMethod.objects.filter(customer=customer).order_by("method").values(*CONTACT_METHOD_FIELDS)
    return [{k: _to_json(v) for k, v in row.items()} for row in rows]


def merge_snapshot_build(child: Customer) -> dict:
    return {
        "version": SNAPSHOT_VERSION,
        "fields": {name: _to_json(field_value(child, name)) for name in SNAPSHOT_FIELDS},
        "contact_methods": _contact_method_rows(child),
        "copied_to_parent": {},
        "turn_offs_applied": False,
    }


def _history(customer, *, actor, action, changes, note, now):
    return history_record(
        customer=customer, actor=actor, source=HistorySource.MERGE, action=action, changes=changes, note=note, now=now
    )


def _describe(customer: Customer) -> str:
    return f"{customer.display_name or '(no name)'} (DealerMine # {customer.dealermine_number_display})"


def _check_actor(actor, dealership_id) -> None:
    if actor is None or not dealerships_for_user(user=actor).filter(pk=dealership_id).exists():
        raise MergeError("You do not work for this customer's store.", code="tenant")


def _lock_customers(ids) -> dict[int, Customer]:
    rows = (
        Customer.objects.select_for_update(of=("self",))
        .select_related("dealership", "preferred_advisor")
        .filter(pk__in=list(ids))
        .order_by("pk")
    )
    return {c.pk: c for c in rows}


@dataclass
class MergeResult:
    parent: Customer
    children: list[Customer]
    filled: dict[str, int]


@transaction.atomic
def customer_merge(*, parent, children, relationships, fill_fields=None, apply_turn_offs=None, actor) -> MergeResult:
    """Merge `children` into `parent`.

    relationships: {child_id: Relationship}; fill_fields: {field name: child_id} for empty parent fields to fill
    from that child; apply_turn_offs: child ids (non-Duplicate) that take the parent's turned-off contact methods.
    Validates everything before writing; any failure rolls the whole merge back.
    """
    fill_fields = dict(fill_fields or {})
    apply_turn_offs = {int(pk) for pk in (apply_turn_offs or [])}
    relationships = {int(k): v for k, v in (relationships or {}).items()}
    child_ids = [c.pk if isinstance(c, Customer) else int(c) for c in children]
    if not child_ids:
        raise MergeError("Pick at least one customer to merge.", code="no_children")
    if len(set(child_ids)) != len(child_ids):
        raise MergeError("A customer was picked twice.", code="repeat")
    parent_id = parent.pk if isinstance(parent, Customer) else int(parent)
    if parent_id in child_ids:
        raise MergeError("A customer cannot be merged into itself.", code="self")

    locked = _lock_customers([parent_id, *child_ids])
    if parent_id not in locked or any(pk not in locked for pk in child_ids):
        raise MergeError("A customer to merge no longer exists.", code="missing")
    parent = locked[parent_id]
    kids = [locked[pk] for pk in child_ids]
    _check_actor(actor, parent.dealership_id)

    if parent.merge_parent_id is not None:
        raise MergeError(
            f"{_describe(parent)} is itself merged into another file; merge into that parent instead.",
            code="parent_is_child",
        )
    parents_with_children = set(
        Customer.objects.filter(merge_parent_id__in=child_ids).values_list("merge_parent_id", flat=True)
    )
    for kid in kids:
        if kid.dealership_id != parent.dealership_id:
            raise MergeError(f"{_describe(kid)} belongs to another store.", code="other_store")
        if kid.merge_parent_id is not None:
            raise MergeError(f"{_describe(kid)} is already merged into another file.", code="already_child")
        if kid.pk in parents_with_children:
            raise MergeError(
                f"{_describe(kid)} has merged files of its own; unmerge them first.", code="child_is_parent"
            )
        if relationships.get(kid.pk) not in MERGE_RELATIONSHIPS:
            raise MergeError(f"Choose a relationship for {_describe(kid)}.", code="relationship")
    for pk in apply_turn_offs:
        if pk not in locked or pk == parent_id:
            raise MergeError("Turn-offs can only be applied to customers being merged.", code="turn_offs")
        if relationships[pk] == Relationship.DUPLICATE:
            raise MergeError("Duplicates follow the parent's contact methods already.", code="turn_offs")

    for name, source_id in fill_fields.items():
        if name not in FILLABLE_FIELDS:
            raise MergeError(f"{name} cannot be filled from a merged file.", code="fill_field")
        source_id = int(source_id)
        if source_id not in child_ids:
            raise MergeError(f"{field_label(name)} can only be filled from a customer being merged.", code="fill")
        if not is_empty(field_value(parent, name)):
            raise MergeError(f"The parent already has a {field_label(name)}.", code="fill_not_empty")
        if is_empty(field_value(locked[source_id], name)):
            raise MergeError(f"{_describe(locked[source_id])} has no {field_label(name)}.", code="fill_empty")

    now = timezone.now()
    snapshots = {kid.pk: merge_snapshot_build(kid) for kid in kids}

    # Parent: fill empty fields, one history entry listing the fills and the merged files.
    parent_changes = []
    filled: dict[str, int] = {}
    for name in FILLABLE_FIELDS:
        if name not in fill_fields:
            continue
        source = locked[int(fill_fields[name])]
        setattr(parent, _attname(name), field_value(source, name))
        parent_changes.append(
            {"field": name, "label": field_label(name), "old": "", "new": display_value(source, name)}
        )
        snapshots[source.pk]["copied_to_parent"][name] = _to_json(field_value(source, name))
        filled[name] = source.pk
    for kid in kids:
        parent_changes.append(
            {
                "field": "merge_child",
                "label": "Merged file",
                "old": "",
                "new": f"{_describe(kid)} as {Relationship(relationships[kid.pk]).label}",
            }
        )
    if filled:
        parent.version = F("version") + 1
        parent.save(update_fields=[_attname(n) for n in filled] + ["version", "updated_at"])
        parent.refresh_from_db(fields=["version"])
    _history(
        parent,
        actor=actor,
        action="merge",
        changes=parent_changes,
        note=f"Merged {len(kids)} file(s) into this customer.",
        now=now,
    )

    parent_off = list(ContactMethod.objects.filter(customer=parent, is_on=False).select_related("reason"))
    for kid in kids:
        relationship = relationships[kid.pk]
        changes = [
            {"field": "merge_parent", "label": "Merged into", "old": "", "new": _describe(parent)},
            {
                "field": "merge_relationship",
                "label": "Relationship",
                "old": "",
                "new": Relationship(relationship).label,
            },
        ]
        if kid.pk in apply_turn_offs:
            changes += _apply_turn_offs(kid, parent_off, actor=actor, now=now)
            snapshots[kid.pk]["turn_offs_applied"] = True
        kid.merge_parent = parent
        kid.merge_relationship = relationship
        kid.merged_at = now
        kid.merge_snapshot = snapshots[kid.pk]
        kid.version = F("version") + 1
        kid.save(
            update_fields=["merge_parent", "merge_relationship", "merged_at", "merge_snapshot", "version", "updated_at"]
        )
        kid.refresh_from_db(fields=["version"])
        _history(
            kid,
            actor=actor,
            action="merge",
            changes=changes,
            note=f"Merged into {_describe(parent)} as {Relationship(relationship).label}.",
            now=now,
        )
    return MergeResult(parent=parent, children=kids, filled=filled)


def _method_label(method: str) -> str:
    return str(dict(ContactMethod._meta.get_field("method").flatchoices).get(method, method))


def _state(is_on: bool, reason_label: str = "") -> str:
    return "On" if is_on else (f"Off ({reason_label})" if reason_label else "Off")


def _apply_turn_offs(kid: Customer, parent_off: list[ContactMethod], *, actor, now) -> list[dict]:
    """Turn the child's methods off where the parent's are off (same reason); returns history changes."""
    changes = []
    own = {row.method: row for row in ContactMethod.objects.select_for_update().filter(customer=kid)}
    for off in parent_off:
        row = own.get(off.method)
        if row is not None and not row.is_on:
            continue
        if row is None:
            row = ContactMethod(customer=kid, method=off.method)
        row.is_on = False
        row.reason = off.reason
        row.changed_by = actor
        row.changed_at = now
        row.save()
        TurnOffEvent.objects.create(
            customer=kid,
            target=TurnOffTarget.CONTACT_METHOD,
            code=off.method,
            is_on=False,
            reason=off.reason,
            comment="Parent's turn-off applied on merge.",
            actor=actor,
            created_at=now,
        )
        changes.append(
            {
                "field": f"contact_method:{off.method}",
                "label": _method_label(off.method),
                "old": "On",
                "new": _state(False, off.reason.label if off.reason else ""),
            }
        )
    return changes


def takeable_fields(child: Customer, parent: Customer) -> dict[str, str]:
    """Values copied from this child into the parent that the parent still holds unchanged: field -> display."""
    copied = (child.merge_snapshot or {}).get("copied_to_parent", {})
    out = {}
    for name, value in copied.items():
        if name in FILLABLE_FIELDS and _to_json(field_value(parent, name)) == value:
            out[name] = display_value(parent, name)
    return out


@transaction.atomic
def customer_unmerge(*, child, take_back_fields=(), actor) -> Customer:
    """Give the child back its own state and detach it from its parent.

    Restores the child's own field values and contact-method rows as they were at merge time, except fields
    changed on the child after the merge (by the DMS sync or a user), which keep their newer value.
    Values copied into the parent stay unless listed in `take_back_fields` (they are then cleared on the
    parent, provided the parent still holds the copied value).
    """
    child_id = child.pk if isinstance(child, Customer) else int(child)
    current = Customer.objects.filter(pk=child_id).values_list("merge_parent_id", flat=True).first()
    if current is None:
        raise MergeError("This customer is not merged into another file.", code="not_child")
    locked = _lock_customers([child_id, current])
    child = locked[child_id]
    parent = locked[current]
    _check_actor(actor, child.dealership_id)

    snapshot = child.merge_snapshot or {}
    take_back = list(dict.fromkeys(take_back_fields or ()))
    available = takeable_fields(child, parent)
    for name in take_back:
        if name not in available:
            raise MergeError(
                f"{field_label(name) if name in FILLABLE_FIELDS else name} was not copied from this customer "
                "or has changed on the parent since.",
                code="take_back",
            )

    now = timezone.now()
    relationship_label = Relationship(child.merge_relationship).label if child.merge_relationship else ""
    changed_since = _fields_changed_since(child, child.merged_at)
    if changed_since & STATUS_GROUP:
        changed_since |= STATUS_GROUP
    child_changes = [
        {"field": "merge_parent", "label": "Merged into", "old": _describe(parent), "new": ""},
        {"field": "merge_relationship", "label": "Relationship", "old": relationship_label, "new": ""},
    ]
    update_fields = ["merge_parent", "merge_relationship", "merged_at", "merge_snapshot", "version", "updated_at"]
    for name, value in (snapshot.get("fields") or {}).items():
        if name not in SNAPSHOT_FIELDS or name in changed_since:
            continue
        own = _from_json(name, value)
        if field_value(child, name) == own:
            continue
        old_display = display_value(child, name)
        setattr(child, _attname(name), own)
        child_changes.append(
            {"field": name, "label": field_label(name), "old": old_display, "new": display_value(child, name)}
        )
        update_fields.append(_attname(name))
    child_changes += _restore_contact_methods(child, snapshot.get("contact_methods") or [], actor=actor, now=now)

    child.merge_parent = None
    child.merge_relationship = ""
    child.merged_at = None
    child.merge_snapshot = {}
    child.version = F("version") + 1
    child.save(update_fields=update_fields)
    child.refresh_from_db(fields=["version"])
    _history(
        child,
        actor=actor,
        action="unmerge",
        changes=child_changes,
        note=f"Unmerged from {_describe(parent)}.",
        now=now,
    )

    parent_changes = [{"field": "merge_child", "label": "Merged file", "old": _describe(child), "new": ""}]
    if take_back:
        for name in take_back:
            parent_changes.append(
                {"field": name, "label": field_label(name), "old": display_value(parent, name), "new": ""}
            )
            f = Customer._meta.get_field(name)
            setattr(parent, f.attname, None if f.null else "")
        parent.version = F("version") + 1
        parent.save(update_fields=[_attname(n) for n in take_back] + ["version", "updated_at"])
        parent.refresh_from_db(fields=["version"])
    _history(
        parent,
        actor=actor,
        action="unmerge",
        changes=parent_changes,
        note=f"Unmerged {_describe(child)}"
        + (f"; took back {', '.join(field_label(n) for n in take_back)}." if take_back else "."),
        now=now,
    )
    return child


def _fields_changed_since(child: Customer, since) -> set[str]:
    """Fields a user or the DMS sync changed on the child after it was merged: their newer value stays."""
    if since is None:
        return set()
    names = set()
    entries = CustomerHistory.objects.filter(customer=child, created_at__gte=since).exclude(source=HistorySource.MERGE)
    for changes in entries.values_list("changes", flat=True):
        for change in changes or []:
            if isinstance(change, dict) and change.get("field"):
                names.add(change["field"])
    return names


def _restore_contact_methods(child: Customer, rows: list[dict], *, actor, now) -> list[dict]:
    """Put the child's contact-method rows back exactly as they were at merge time."""
    wanted = {row["method"]: row for row in rows}
    current = {row.method: row for row in ContactMethod.objects.select_for_update().filter(customer=child)}
    reason_ids = {row.get("reason_id") for row in rows if row.get("reason_id")}
    reasons = {r.pk: r for r in TurnOffReason.objects.filter(pk__in=reason_ids)}
    changes = []
    for method in sorted(set(wanted) | set(current)):
        want = wanted.get(method)
        have = current.get(method)
        want_on = want["is_on"] if want else True
        have_on = have.is_on if have else True
        if want is None:
            have.delete()
        else:
            row = have or ContactMethod(customer=child, method=method)
            row.is_on = want["is_on"]
            row.reason_id = want.get("reason_id")
            row.changed_by_id = want.get("changed_by_id")
            row.changed_at = datetime.fromisoformat(want["changed_at"]) if want.get("changed_at") else None
            row.save()
        if want_on != have_on:
            reason = reasons.get(want.get("reason_id")) if want else None
            TurnOffEvent.objects.create(
                customer=child,
                target=TurnOffTarget.CONTACT_METHOD,
                code=method,
                is_on=want_on,
                reason=reason,
                comment="Own setting restored on unmerge.",
                actor=actor,
                created_at=now,
            )
            changes.append(
                {
                    "field": f"contact_method:{method}",
                    "label": _method_label(method),
                    "old": _state(have_on, have.reason.label if have and have.reason_id else ""),
                    "new": _state(want_on, reason.label if reason else ""),
                }
            )
    return changes
