"""Reads for the Customer Information screen. Callers pass a customer already fetched through tenancy."""

from django.core.paginator import Paginator
from django.db.models import Q
from django.utils import timezone

from contacts.models import ContactMethod
from dealermine.db import CompiledQuery
from dms_sync.models import RemoveRequest, RemoveStatus

from ..models import (
    Association,
    ContactMethodKind,
    Customer,
    CustomerHistory,
    VerificationStamp,
    VinContactType,
)
from ..verification import verification_age_label
from .tenancy import customer_for_user_query, customer_get_compiled, customers_for_user

HISTORY_PAGE_SIZE = 50
CANDIDATE_LIMIT = 20
VIN_TYPES = [("owns", "Owns")] + list(VinContactType.choices)


def customer_edit_queryset():
    return Customer.objects.select_related(
        "dealership", "inactive_reason", "preferred_advisor", "merge_parent", "inactivated_by"
    )


# Every Customer Information view and action loads the customer this way: compiled once (dealermine.db).
EDIT_CUSTOMER_QUERY = customer_for_user_query(customer_edit_queryset)


def customer_edit_get(*, user, pk) -> Customer:
    """The customer of the user's stores with the screen's joins (404 otherwise)."""
    return customer_get_compiled(EDIT_CUSTOMER_QUERY, user=user, pk=pk)


def customer_history_page(*, customer, page=None):
    """The customer's history, newest first, 50 per page."""
    qs = CustomerHistory.objects.filter(customer=customer).select_related("actor").order_by("-created_at", "-id")
    return Paginator(qs, HISTORY_PAGE_SIZE).get_page(page)


def last_verification(*, customer):
    return VerificationStamp.objects.filter(customer=customer).select_related("verified_by").first()


def verification_info(*, customer, now=None) -> dict:
    stamp = last_verification(customer=customer)
    now = now or timezone.now()
    verified_at = stamp.verified_at if stamp else None
    return {
        "stamp": stamp,
        "verified_at": verified_at,
        "label": verification_age_label(verified_at=verified_at, now=now),
    }


def contact_method_states(*, customer) -> dict:
    """Each contact method's state. Duplicate children show their parent's methods, read-only."""
    source = customer.merge_parent if customer.is_duplicate_child else customer
    rows = {
        row.method: row for row in ContactMethod.objects.filter(customer=source).select_related("reason", "changed_by")
    }
    methods = []
    for value, label in ContactMethodKind.choices:
        row = rows.get(value)
        methods.append(
            {
                "method": value,
                "label": label,
                "is_on": row.is_on if row else True,
                "reason": row.reason if row and not row.is_on else None,
                "changed_by": row.changed_by if row else None,
                "changed_at": row.changed_at if row else None,
                "preferred": source.preferred_contact_method == value,
            }
        )
    return {"methods": methods, "read_only": customer.is_duplicate_child, "source": source}


def vin_contact_type_grid(*, customer) -> list[dict]:
    """Every vehicle x {Owns, the nine VIN contact types}: on/off with reason and comment."""
    vehicles = customer.vehicles.select_related("owns_reason").prefetch_related("contact_types__reason")
    grid = []
    for vehicle in vehicles.order_by("-year", "vin"):
        rows = {row.contact_type: row for row in vehicle.contact_types.all()}
        cells = [
            {
                "code": "owns",
                "label": "Owns",
                "is_on": vehicle.owns,
                "reason": vehicle.owns_reason if not vehicle.owns else None,
                "comment": "",
            }
        ]
        for value, label in VinContactType.choices:
            row = rows.get(value)
            cells.append(
                {
                    "code": value,
                    "label": label,
                    "is_on": row.is_on if row else True,
                    "reason": row.reason if row and not row.is_on else None,
                    "comment": row.comment if row and not row.is_on else "",
                }
            )
        grid.append({"vehicle": vehicle, "cells": cells})
    return grid


ASSOCIATIONS_QUERY = CompiledQuery(
    lambda *, customer_id: (
        Association.objects.filter(Q(from_customer_id=customer_id) | Q(to_customer_id=customer_id))
        .select_related("from_customer", "to_customer", "created_by")
        .order_by("-created_at", "-id")
    ),
    customer_id=int,
)


def customer_associations(*, customer) -> list[dict]:
    """Associations in both directions, each with the other customer (two customer rows joined per association:
    the query is compiled once)."""
    qs = ASSOCIATIONS_QUERY.all(customer_id=customer.pk)
    return [
        {
            "association": a,
            "other": a.to_customer if a.from_customer_id == customer.pk else a.from_customer,
            "relationship": a.get_relationship_display(),
            "note": a.note,
        }
        for a in qs
    ]


def association_candidates(*, user, customer, q=""):
    """Customers of the same store (and the user's stores) that could be associated, by name or number."""
    qs = customers_for_user(user=user, dealership_id=customer.dealership_id).exclude(pk=customer.pk)
    linked = Association.objects.filter(Q(from_customer=customer) | Q(to_customer=customer))
    qs = qs.exclude(pk__in=linked.values("to_customer")).exclude(pk__in=linked.values("from_customer"))
    q = (q or "").strip()
    if not q:
        return qs
    digits = q.removesuffix("-4")
    cond = Q(dms_number__iexact=q)
    if digits.isdigit() and len(digits) <= 18:
        cond |= Q(dealermine_number=int(digits))
    words = q.replace(",", " ").split()
    name = Q()
    for word in words[:4]:
        name &= Q(first_name__istartswith=word) | Q(last_name__istartswith=word) | Q(other_name__icontains=word)
    return qs.filter(cond | name).order_by("last_name", "first_name", "id")


def pending_remove_requests(*, customer):
    return RemoveRequest.objects.filter(customer=customer).exclude(status=RemoveStatus.ACKNOWLEDGED)
