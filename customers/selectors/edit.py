"""Reads for the Customer Information screen. Callers pass a customer already fetched through tenancy."""

from django.core.paginator import Paginator
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from contacts.models import ContactMethod
from contacts.selectors.do_not_call import do_not_call_listed
from contacts.selectors.email import customer_email_statuses
from dealermine.db import CompiledQuery
from dms_sync.models import RemoveRequest, RemoveStatus

from ..fields import PHONE_METHOD_FIELDS
from ..models import (
    Association,
    Customer,
    CustomerHistory,
    TurnOffReason,
    Vehicle,
    VehicleContactType,
    VerificationStamp,
)
from ..verification import verification_age_label
from .profile.states import (
    VIN_TYPES,
    MethodRow,
    contact_facts_build,
    contact_method_states_build,
    methods_off_of,
    preferred_note,
    vehicle_states_build,
)
from .profile.types import VehicleState
from .tenancy import customer_for_user_query, customer_get_compiled, customers_for_user

HISTORY_PAGE_SIZE = 50
CANDIDATE_LIMIT = 20


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


def contact_method_states(*, customer, now=None) -> dict:
    """Each contact method's state and contactability answer, built as the profile builds them
    (customers.selectors.profile.states). Duplicate children show their parent's methods, read-only.

    Also returns the email statuses it loaded (`email_statuses`), which the consent panel reuses."""
    source = customer.merge_parent if customer.is_duplicate_child else customer
    rows = [
        MethodRow(
            method=method,
            is_on=is_on,
            reason=TurnOffReason.label_for_display(reason or "", dealership_id=reason_store),
            changed_at=changed_at,
            changed_by=by or "",
        )
        for method, is_on, reason, reason_store, changed_at, by in ContactMethod.objects.filter(
            customer=source
        ).values_list("method", "is_on", "reason__label", "reason__dealership_id", "changed_at", "changed_by__username")
    ]
    methods_off = methods_off_of(rows)
    emails = customer_email_statuses(customer=customer, now=now, methods_off=methods_off)
    phones = [getattr(customer, key) for key in PHONE_METHOD_FIELDS.values()]
    do_not_call = frozenset(do_not_call_listed(customer.dealership_id, phones))
    facts = contact_facts_build(customer=customer, methods_off=methods_off, emails=emails, do_not_call=do_not_call)
    methods = contact_method_states_build(
        customer=customer, rows=rows, preferred=source.preferred_contact_method, facts=facts
    )
    return {
        "methods": methods,
        "preferred_note": preferred_note(methods),
        "read_only": customer.is_duplicate_child,
        "source": source,
        "customer_id": customer.pk,
        "email_statuses": emails,
    }


def vin_contact_type_grid(*, customer) -> list[VehicleState]:
    """Every vehicle x {Owns, the nine VIN contact types}: on/off with reason and comment (two queries), built
    as the profile builds its vehicle panel."""
    vehicles = list(
        Vehicle.objects.filter(customer=customer).annotate(
            owns_reason_label=Coalesce("owns_reason__label", Value("")),
            owns_reason_store=F("owns_reason__dealership_id"),
        )
    )
    type_rows = [
        {
            "vehicle": vehicle_id,
            "code": code,
            "is_on": is_on,
            "reason": TurnOffReason.label_for_display(reason or "", dealership_id=reason_store),
            "comment": comment or "",
        }
        for vehicle_id, code, is_on, reason, reason_store, comment in VehicleContactType.objects.filter(
            vehicle__customer=customer
        ).values_list("vehicle_id", "contact_type", "is_on", "reason__label", "reason__dealership_id", "comment")
    ]
    owns_reasons = {
        v.pk: TurnOffReason.label_for_display(v.owns_reason_label, dealership_id=v.owns_reason_store) for v in vehicles
    }
    return vehicle_states_build(
        vehicles=vehicles, owns_reasons=owns_reasons, type_rows=type_rows
    )


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


__all__ = [
    "CANDIDATE_LIMIT",
    "HISTORY_PAGE_SIZE",
    "VIN_TYPES",  # the VIN grid's columns (customers.selectors.profile.states)
    "association_candidates",
    "contact_method_states",
    "customer_associations",
    "customer_edit_get",
    "customer_history_page",
    "last_verification",
    "pending_remove_requests",
    "verification_info",
    "vin_contact_type_grid",
]
