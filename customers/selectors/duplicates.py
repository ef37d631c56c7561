"""Duplicate candidates: "Customers available to be merged" into a customer.

A candidate is in the same store and shares a normalized phone (any of home/work/cell/fax against any of
the customer's), an email (either, case-insensitive), or the same last name + first initial + postal code.
Already-merged files (children of this or another parent) and the customer itself are never candidates;
a candidate that has merged files of its own is listed but cannot be merged until those are unmerged.
One query.
"""

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower

from dealermine.db import CompiledQuery, Prefix

from ..fields import EMAIL_FIELDS, PHONE_FIELDS, field_label
from ..models import Customer, has_value
from ..phones import phone_display
from .tenancy import dealerships_for_user_id

CANDIDATE_LIMIT = 50
# Fixed slots for the customer's distinct phones and emails (NULL when it has fewer).
PHONE_SLOTS = [f"phone{i}" for i in range(len(PHONE_FIELDS))]
EMAIL_SLOTS = [f"email{i}" for i in range(len(EMAIL_FIELDS))]


@dataclass
class DuplicateCandidate:
    customer: Customer
    reasons: list[str] = field(default_factory=list)
    has_children: bool = False

    @property
    def can_merge(self) -> bool:
        return not self.has_children


def _phones(customer) -> dict[str, str]:
    return {getattr(customer, f): field_label(f) for f in PHONE_FIELDS if getattr(customer, f)}


def _emails(customer) -> set[str]:
    return {getattr(customer, f).strip().lower() for f in EMAIL_FIELDS if getattr(customer, f)}


def _fill(names: list[str], values) -> dict:
    """Each value in its slot, None in the slots left over."""
    values = list(values)
    return {name: values[i] if i < len(values) else None for i, name in enumerate(names)}


def _candidates_query(*, user_id, dealership_id, exclude_pk, last, first_initial, postal, **slots):
    phones = [slots[name] for name in PHONE_SLOTS]
    emails = [slots[name] for name in EMAIL_SLOTS]
    cond = Q()
    # Each branch repeats the partial index's condition (`<> ''`) so PostgreSQL can use it (models.Customer).
    for f in PHONE_FIELDS:
        cond |= Q(**{f"{f}__in": phones}) & has_value(f)
    for f in EMAIL_FIELDS:
        cond |= Q(**{f"lower_{f}__in": emails}) & has_value(f)
    cond |= Q(ln=last, fn__startswith=first_initial, postal_code=postal)
    return (
        Customer.objects.filter(dealership__in=dealerships_for_user_id(user_id=user_id), dealership_id=dealership_id)
        .annotate(**{f"lower_{f}": Lower(f) for f in EMAIL_FIELDS}, ln=Lower("last_name"), fn=Lower("first_name"))
        .filter(cond)
        .filter(merge_parent__isnull=True)
        .exclude(pk=exclude_pk)
        .annotate(has_children=Exists(Customer.objects.filter(merge_parent=OuterRef("pk"))))
        .order_by("last_name", "first_name", "id")[:CANDIDATE_LIMIT]
    )


# One SQL text for every customer (a value it lacks is NULL, which matches nothing), compiled once: the profile
# and Customer Information pages both show the panel on every view. PostgreSQL still plans each run for its
# values (~1 ms), rightly: a generic plan cannot tell which of the OR's indexes are selective and scans the store.
CANDIDATES_QUERY = CompiledQuery(
    _candidates_query,
    user_id=int,
    dealership_id=int,
    exclude_pk=int,
    **dict.fromkeys([*PHONE_SLOTS, *EMAIL_SLOTS, "last", "postal"], str),
    first_initial=Prefix,
)


def duplicate_candidates(*, user, customer) -> list[DuplicateCandidate]:
    """Candidates for merging into `customer` (at most CANDIDATE_LIMIT), each with why it matched. Empty for a
    merged child."""
    if customer.merge_parent_id is not None or not user.is_authenticated:
        return []
    phones = _phones(customer)
    emails = _emails(customer)
    last = (customer.last_name or "").strip().lower()
    first_initial = (customer.first_name or "").strip()[:1].lower()
    postal = (customer.postal_code or "").strip().upper()
    by_name = bool(last and first_initial and postal)
    if not (phones or emails or by_name):
        return []
    found = CANDIDATES_QUERY.all(
        user_id=user.pk,
        dealership_id=customer.dealership_id,
        exclude_pk=customer.pk,
        **_fill(PHONE_SLOTS, phones),
        **_fill(EMAIL_SLOTS, sorted(emails)),
        last=last if by_name else None,
        first_initial=first_initial if by_name else None,
        postal=postal if by_name else None,
    )
    out = []
    for other in found:
        reasons = []
        for f in PHONE_FIELDS:
            value = getattr(other, f)
            if value and value in phones:
                reasons.append(f"Same phone {phone_display(value)} ({field_label(f).lower()})")
        shared = sorted(_emails(other) & emails)
        reasons += [f"Same email ({e})" for e in shared]
        if (
            last
            and first_initial
            and postal
            and (other.last_name or "").strip().lower() == last
            and (other.first_name or "").strip()[:1].lower() == first_initial
            and (other.postal_code or "").strip().upper() == postal
        ):
            reasons.append("Same last name, first initial and postal code")
        if reasons:
            out.append(DuplicateCandidate(customer=other, reasons=reasons, has_children=other.has_children))
    return out


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


def merge_panel_get(*, user, customer) -> dict:
    """The merge panel of a customer page: the parent of a merged file, else its merged files and candidates."""
    if customer.merge_parent_id is not None:
        return {"customer": customer, "parent": _merge_parent(customer), "children": [], "candidates": []}
    return {
        "customer": customer,
        "parent": None,
        "children": MERGE_CHILDREN_QUERY.all(parent_id=customer.pk),
        "candidates": duplicate_candidates(user=user, customer=customer),
    }
