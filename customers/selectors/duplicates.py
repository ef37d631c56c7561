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

from ..models import Customer
from ..phones import phone_display
from .tenancy import customers_for_user

PHONE_FIELDS = (("home_phone", "Home"), ("work_phone", "Work"), ("cell_phone", "Cell"), ("fax", "Fax"))
EMAIL_FIELDS = ("email1", "email2")
CANDIDATE_LIMIT = 50


@dataclass
class DuplicateCandidate:
    customer: Customer
    reasons: list[str] = field(default_factory=list)
    has_children: bool = False

    @property
    def can_merge(self) -> bool:
        return not self.has_children


def _phones(customer) -> dict[str, str]:
    return {getattr(customer, f): label for f, label in PHONE_FIELDS if getattr(customer, f)}


def _emails(customer) -> set[str]:
    return {getattr(customer, f).strip().lower() for f in EMAIL_FIELDS if getattr(customer, f)}


def duplicate_candidates(*, user, customer, limit: int = CANDIDATE_LIMIT) -> list[DuplicateCandidate]:
    """Candidates for merging into `customer`, each with why it matched. Empty for a merged child."""
    if customer.merge_parent_id is not None:
        return []
    phones = _phones(customer)
    emails = _emails(customer)
    last = (customer.last_name or "").strip().lower()
    first_initial = (customer.first_name or "").strip()[:1].lower()
    postal = (customer.postal_code or "").strip().upper()

    cond = Q()
    if phones:
        for f, _ in PHONE_FIELDS:
            cond |= Q(**{f"{f}__in": list(phones)})
    if emails:
        cond |= Q(e1__in=emails) | Q(e2__in=emails)
    if last and first_initial and postal:
        cond |= Q(ln=last, fn__startswith=first_initial, postal_code=postal)
    if not cond:
        return []

    qs = (
        customers_for_user(user=user, dealership_id=customer.dealership_id)
        .annotate(e1=Lower("email1"), e2=Lower("email2"), ln=Lower("last_name"), fn=Lower("first_name"))
        .filter(cond)
        .filter(merge_parent__isnull=True)
        .exclude(pk=customer.pk)
        .annotate(has_children=Exists(Customer.objects.filter(merge_parent=OuterRef("pk"))))
        .order_by("last_name", "first_name", "id")[:limit]
    )
    found = list(qs)
    out = []
    for other in found:
        reasons = []
        for f, label in PHONE_FIELDS:
            value = getattr(other, f)
            if value and value in phones:
                reasons.append(f"Same phone {phone_display(value)} ({label.lower()})")
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
