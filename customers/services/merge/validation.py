"""Checking a merge request before anything is written: tenancy, the family rules, relationships, fills.

`merge_plan_validate` locks every customer involved (in id order) and returns the checked plan; a request that
cannot be carried out raises MergeError and nothing was changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from customers.fields import field_label

from ...models import Customer, Relationship
from ...selectors import dealerships_for_user
from .snapshot import FILLABLE_FIELDS, field_value, is_empty

# Relationships offered on the merge screen (Shared interest is an Influence Network link, not a merge).
MERGE_RELATIONSHIPS = [
    Relationship.DUPLICATE,
    Relationship.SPOUSE,
    Relationship.FAMILY,
    Relationship.BUSINESS,
    Relationship.FRIEND,
]


class MergeError(ValidationError):
    """A merge or unmerge request that cannot be carried out; nothing was changed."""


def describe(customer: Customer) -> str:
    """A customer as messages and history notes name it, in the active language (the history notes are written
    under English: merge.stored_text)."""
    return gettext("%(name)s (DealerMine # %(number)s)") % {
        "name": customer.display_name or gettext("(no name)"),
        "number": customer.dealermine_number_display,
    }


def check_actor(actor, dealership_id) -> None:
    if actor is None or not dealerships_for_user(user=actor).filter(pk=dealership_id).exists():
        raise MergeError(gettext("You do not work for this customer's store."), code="tenant")


def lock_customers(ids) -> dict[int, Customer]:
    """The customers, locked for update in id order (two merges touching the same files cannot deadlock)."""
    rows = (
        Customer.objects.select_for_update(of=("self",))
        .select_related("dealership", "preferred_advisor")
        .filter(pk__in=list(ids))
        .order_by("pk")
    )
    return {c.pk: c for c in rows}


@dataclass
class MergePlan:
    """A checked merge request, with the locked customers."""

    parent: Customer
    children: list[Customer]
    relationships: dict[int, str]
    fills: dict[str, Customer] = field(default_factory=dict)  # field -> the child it is filled from
    apply_turn_offs: set[int] = field(default_factory=set)


def _pk(customer) -> int:
    return customer.pk if isinstance(customer, Customer) else int(customer)


def merge_plan_validate(*, parent, children, relationships, fill_fields, apply_turn_offs, actor) -> MergePlan:
    """Lock and check a merge request (see `customer_merge` for the arguments); raises MergeError."""
    fill_fields = dict(fill_fields or {})
    apply_turn_offs = {int(pk) for pk in (apply_turn_offs or [])}
    relationships = {int(k): v for k, v in (relationships or {}).items()}
    child_ids = [_pk(c) for c in children]
    if not child_ids:
        raise MergeError(gettext("Pick at least one customer to merge."), code="no_children")
    if len(set(child_ids)) != len(child_ids):
        raise MergeError(gettext("A customer was picked twice."), code="repeat")
    parent_id = _pk(parent)
    if parent_id in child_ids:
        raise MergeError(gettext("A customer cannot be merged into itself."), code="self")

    locked = lock_customers([parent_id, *child_ids])
    if parent_id not in locked or any(pk not in locked for pk in child_ids):
        raise MergeError(gettext("A customer to merge no longer exists."), code="missing")
    parent = locked[parent_id]
    kids = [locked[pk] for pk in child_ids]
    check_actor(actor, parent.dealership_id)
    _check_family(parent, kids, relationships)

    for pk in apply_turn_offs:
        if pk not in locked or pk == parent_id:
            raise MergeError(gettext("Turn-offs can only be applied to customers being merged."), code="turn_offs")
        if relationships[pk] == Relationship.DUPLICATE:
            raise MergeError(gettext("Duplicates follow the parent's contact methods already."), code="turn_offs")

    fills = {}
    for name, source_id in fill_fields.items():
        if name not in FILLABLE_FIELDS:
            raise MergeError(
                gettext("%(field)s cannot be filled from a merged file.") % {"field": name}, code="fill_field"
            )
        source_id = int(source_id)
        if source_id not in child_ids:
            raise MergeError(
                gettext("%(field)s can only be filled from a customer being merged.") % {"field": field_label(name)},
                code="fill",
            )
        if not is_empty(field_value(parent, name)):
            raise MergeError(
                gettext("The parent already has a %(field)s.") % {"field": field_label(name)}, code="fill_not_empty"
            )
        if is_empty(field_value(locked[source_id], name)):
            raise MergeError(
                gettext("%(customer)s has no %(field)s.")
                % {"customer": describe(locked[source_id]), "field": field_label(name)},
                code="fill_empty",
            )
        fills[name] = locked[source_id]
    return MergePlan(
        parent=parent,
        children=kids,
        relationships={kid.pk: relationships[kid.pk] for kid in kids},
        fills={name: fills[name] for name in FILLABLE_FIELDS if name in fills},
        apply_turn_offs=apply_turn_offs,
    )


def _check_family(parent: Customer, kids: list[Customer], relationships: dict[int, str]) -> None:
    """One level only: the parent is no child, a child is no parent and not merged elsewhere; one store."""
    if parent.merge_parent_id is not None:
        raise MergeError(
            gettext("%(customer)s is itself merged into another file; merge into that parent instead.")
            % {"customer": describe(parent)},
            code="parent_is_child",
        )
    parents_with_children = set(
        Customer.objects.filter(merge_parent_id__in=[kid.pk for kid in kids]).values_list("merge_parent_id", flat=True)
    )
    for kid in kids:
        if kid.dealership_id != parent.dealership_id:
            raise MergeError(
                gettext("%(customer)s belongs to another store.") % {"customer": describe(kid)}, code="other_store"
            )
        if kid.merge_parent_id is not None:
            raise MergeError(
                gettext("%(customer)s is already merged into another file.") % {"customer": describe(kid)},
                code="already_child",
            )
        if kid.pk in parents_with_children:
            raise MergeError(
                gettext("%(customer)s has merged files of its own; unmerge them first.") % {"customer": describe(kid)},
                code="child_is_parent",
            )
        if relationships.get(kid.pk) not in MERGE_RELATIONSHIPS:
            raise MergeError(
                gettext("Choose a relationship for %(customer)s.") % {"customer": describe(kid)}, code="relationship"
            )
