"""Duplicate candidates: "Customers available to be merged" into a customer.

A candidate is in the same store and shares a normalized phone (any of home/work/cell/fax against any of
the customer's), an email (either, case-insensitive), or the same last name + first initial + postal code: the
identity matching of customers.selectors.identity, which the New customer screen's identity check uses too.
Already-merged files (children of this or another parent) and the customer itself are never candidates;
a candidate that has merged files of its own is listed but cannot be merged until those are unmerged.
One query.
"""

from dealermine.db import CompiledQuery

from ..models import Customer
from .identity import MATCH_LIMIT, IdentityMatch, identity_keys, identity_matches

CANDIDATE_LIMIT = MATCH_LIMIT
#: A candidate is an identity match (customer, reasons, has_children, can_merge).
DuplicateCandidate = IdentityMatch


def duplicate_candidates(*, user, customer) -> list[DuplicateCandidate]:
    """Candidates for merging into `customer` (at most CANDIDATE_LIMIT), each with why it matched. Empty for a
    merged child."""
    if customer.merge_parent_id is not None or not user.is_authenticated:
        return []
    return identity_matches(
        user_id=user.pk, dealership_id=customer.dealership_id, keys=identity_keys(customer), exclude_pk=customer.pk
    )


# The panel is on every view of the profile and Customer Information pages: compiled once, prepared on PostgreSQL.
MERGE_CHILDREN_QUERY = CompiledQuery(
    lambda *, parent_id: (
        Customer.objects.filter(merge_parent_id=parent_id)
        .order_by("merged_at", "id")
        .only(
            "id",
            "first_name",
            "middle_name",
            "last_name",
            "other_name",
            "kind",
            "dealermine_number",
            "dms_number",
            "merge_parent",
            "merge_relationship",
            "merged_at",
        )
    ),
    parent_id=int,
)
MERGE_PARENT_QUERY = CompiledQuery(
    lambda *, pk, dealership_id: Customer.objects.filter(pk=pk, dealership_id=dealership_id), pk=int, dealership_id=int
)


def _merge_parent(customer) -> Customer | None:
    """The merge parent in the customer's own store; the profile and edit querysets have already joined it."""
    if Customer.merge_parent.is_cached(customer):
        parent = customer.merge_parent
        return parent if parent is not None and parent.dealership_id == customer.dealership_id else None
    return MERGE_PARENT_QUERY.first(pk=customer.merge_parent_id, dealership_id=customer.dealership_id)


def merge_panel_get(*, user, customer, children: list[Customer] | None = None) -> dict:
    """The merge panel of a customer page: the parent of a merged file, else its merged files and candidates.
    A page that read the merged files in its own query passes them as `children` (ordered as
    MERGE_CHILDREN_QUERY orders them)."""
    if customer.merge_parent_id is not None:
        return {"customer": customer, "parent": _merge_parent(customer), "children": [], "candidates": []}
    return {
        "customer": customer,
        "parent": None,
        "children": MERGE_CHILDREN_QUERY.all(parent_id=customer.pk) if children is None else children,
        "candidates": duplicate_candidates(user=user, customer=customer),
    }
