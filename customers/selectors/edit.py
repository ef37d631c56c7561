"""Reads for the Customer Information screen.

`customer_edit_page_get` reads everything the page shows: the customer row with the page's lists as JSON
(customers.selectors.edit_query, one query), the store's reasons and advisors (one query), the page of history
entries (one query: the count came with the row), the merge panel's candidates (one query), built here into what
the template reads, through the builders the profile shares (contact-method states, emails, the VIN grid). The
other reads serve the screen's actions, on a customer already fetched through tenancy.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.core.paginator import Page
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from contacts.models import EmailConsent
from contacts.selectors.email import EmailStatus, email_status_build
from dms_sync.models import RemoveRequest

from ..fields import EMAIL_FIELDS, PHONE_METHOD_FIELDS
from ..models import Association, ContactMethodKind, Customer, VerificationStamp
from ..verification import verification_age_label
from .duplicates import merge_panel_get
from .edit_query import EDIT_PAGE_QUERY, customer_edit_queryset
from .history import HistoryReferences, customer_history_page
from .profile.assembly import json_datetime, json_list, reason_label, vehicle_states
from .profile.states import (
    VIN_TYPES,
    MethodRow,
    contact_facts_build,
    contact_method_states_build,
    methods_off_of,
    preferred_note,
)
from .profile.types import VehicleState
from .reasons import StoreChoices, store_choices_get
from .tenancy import customer_for_user_query, customer_get_compiled, customers_for_user

CANDIDATE_LIMIT = 20


# Every Customer Information view and action loads the customer this way: compiled once (dealermine.db).
EDIT_CUSTOMER_QUERY = customer_for_user_query(customer_edit_queryset)


def customer_edit_get(*, user, pk) -> Customer:
    """The customer of the user's stores with the screen's joins (404 otherwise)."""
    return customer_get_compiled(EDIT_CUSTOMER_QUERY, user=user, pk=pk)


def last_verification(*, customer):
    return VerificationStamp.objects.filter(customer=customer).select_related("verified_by").first()


def verification_info(*, customer, now=None) -> dict:
    return verification_info_of(last_verification(customer=customer), now=now)


def verification_info_of(stamp: VerificationStamp | None, *, now=None) -> dict:
    now = now or timezone.now()
    verified_at = stamp.verified_at if stamp else None
    return {
        "stamp": stamp,
        "verified_at": verified_at,
        "label": verification_age_label(verified_at=verified_at, now=now),
    }


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


# --- the page: everything Customer Information shows, read once per view --------------------------------------


@dataclass
class EditPage:
    customer: Customer
    verification: dict
    contact_methods: dict
    vin_grid: list[VehicleState]
    associations: list[dict]
    remove_requests: list[RemoveRequest]
    history_page: Page
    #: The store's reasons and advisors: the form's lists and the contact methods' reasons.
    choices: StoreChoices
    merge_panel: dict


def customer_edit_page_get(*, user, pk, history_page=None, now: datetime | None = None) -> EditPage:
    """Customer Information of one customer of the user's stores (404 otherwise), in a fixed number of queries
    whatever the customer has on file."""
    customer = customer_get_compiled(EDIT_PAGE_QUERY, user=user, pk=pk)
    now = now or timezone.now()
    choices = store_choices_get(dealership=customer.dealership)
    merged_files = _merged_files(customer)
    family = [customer, *merged_files]
    if customer.merge_parent_id is not None:
        family.append(customer.merge_parent)
    stamp = _verification_stamp(customer)
    return EditPage(
        customer=customer,
        verification=verification_info_of(stamp, now=now),
        contact_methods=_contact_methods(customer, last_verified_at=stamp.verified_at if stamp else None, now=now),
        vin_grid=vehicle_states(customer, json_list(customer.vehicle_rows), json_list(customer.vehicle_type_rows)),
        associations=_associations(customer),
        remove_requests=_remove_requests(customer),
        history_page=customer_history_page(
            customer=customer,
            page=history_page,
            count=customer.history_count,
            known=HistoryReferences(reasons=choices.reasons, advisors=choices.advisors, customers=family),
        ),
        choices=choices,
        merge_panel=merge_panel_get(user=user, customer=customer, children=merged_files),
    )


def _verification_stamp(customer) -> VerificationStamp | None:
    row = customer.last_verification
    if not row or not row.get("at"):
        return None
    by = get_user_model()(pk=row["user_id"], username=row["username"]) if row.get("user_id") else None
    return VerificationStamp(customer_id=customer.pk, verified_at=json_datetime(row["at"]), verified_by=by)


def _contact_methods(customer, *, last_verified_at, now) -> dict:
    """Each contact method's state and contactability answer, built as the profile builds them
    (customers.selectors.profile.states). Duplicate children show their parent's methods, read-only.

    Also carries the email statuses (`email_statuses`) and consent ledger entries (`email_consents`) of the
    customer's addresses, which the consent panel reuses (contacts.templatetags.contacts_tags)."""
    source = customer.merge_parent if customer.is_duplicate_child else customer
    rows = [
        MethodRow(
            method=r["method"],
            is_on=bool(r["is_on"]),
            reason=reason_label(r),
            changed_at=json_datetime(r.get("changed_at")),
            changed_by=r.get("changed_by") or "",
        )
        for r in json_list(customer.contact_method_rows)
    ]
    methods_off = methods_off_of(rows)
    emails = _email_statuses(customer, last_verified_at=last_verified_at, now=now, methods_off=methods_off)
    do_not_call = frozenset(
        getattr(customer, key)
        for key in PHONE_METHOD_FIELDS.values()
        if getattr(customer, key) and getattr(customer, f"{key}_do_not_call")
    )
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
        "email_consents": {s.address.lower(): s.consent for s in emails},
    }


def _email_statuses(customer, *, last_verified_at, now, methods_off: dict[str, str]) -> list[EmailStatus]:
    """One EmailStatus per address on file (Email 1, Email 2), with its consent ledger entry, as
    contacts.selectors.email.customer_email_statuses builds them."""
    store = customer.dealership
    email_off = methods_off.get(ContactMethodKind.EMAIL)  # None while Email is on
    statuses = []
    for name in EMAIL_FIELDS:
        address = (getattr(customer, name) or "").strip()
        if not address:
            continue
        consent = _consent(customer, getattr(customer, f"{name}_consent"))
        statuses.append(
            email_status_build(
                field=name,
                address=address,
                bounce_count=getattr(customer, f"{name}_bounces") or 0,
                last_bounced_at=getattr(customer, f"{name}_last_bounce"),
                last_verified_at=last_verified_at,
                bounce_limit=store.email_bounce_limit,
                is_canadian=store.is_canadian,
                now=now,
                consent_basis=consent.basis if consent else "",
                consent_expires_at=consent.expires_at if consent else None,
                consent_expired_at=consent.expired_at if consent else None,
                opted_out_at=consent.opted_out_at if consent else None,
                method_off_reason=email_off,
                consent=consent,
            )
        )
    return statuses


def _consent(customer, row: dict | None) -> EmailConsent | None:
    if not row:
        return None
    return EmailConsent(
        pk=row["id"],
        customer_id=customer.pk,
        email=row["email"],
        basis=row["basis"],
        source=row["source"] or "",
        evidence=row["evidence"] or "",
        obtained_at=json_datetime(row["obtained_at"]),
        expires_at=json_datetime(row["expires_at"]),
        expired_at=json_datetime(row["expired_at"]),
        opted_out_at=json_datetime(row["opted_out_at"]),
    )


def _named(row: dict, **fields) -> Customer:
    """Another customer as the page names it (display name, DealerMine number)."""
    return Customer(
        first_name=row["first"] or "",
        middle_name=row["middle"] or "",
        last_name=row["last"] or "",
        other_name=row["other_name"] or "",
        kind=row["kind"],
        dealermine_number=row["number"],
        **fields,
    )


def _associations(customer) -> list[dict]:
    """Associations in both directions, newest first, each with the other customer."""
    rows = {r["id"]: r for r in json_list(customer.associations_out) + json_list(customer.associations_in)}
    rows = sorted(rows.values(), key=lambda r: (json_datetime(r["created_at"]), r["id"]), reverse=True)
    associations = []
    for r in rows:
        association = Association(pk=r["id"], relationship=r["relationship"], note=r["note"] or "")
        associations.append(
            {
                "association": association,
                "other": _named(r, pk=r["other_id"]),
                "relationship": association.get_relationship_display(),
                "note": association.note,
            }
        )
    return associations


def _remove_requests(customer) -> list[RemoveRequest]:
    """The remove requests not yet acknowledged by the DMS, newest first."""
    requests = [
        RemoveRequest(
            pk=r["id"],
            field=r["field"],
            value=r["value"],
            status=r["status"],
            requested_at=json_datetime(r["requested_at"]),
        )
        for r in json_list(customer.remove_request_rows)
    ]
    return sorted(requests, key=lambda rr: (rr.requested_at, rr.pk), reverse=True)


def _merged_files(customer) -> list[Customer]:
    """The files merged into this one, as MERGE_CHILDREN_QUERY orders them (merged_at, id)."""
    children = [
        _named(
            r,
            pk=r["id"],
            dms_number=r["dms"] or "",
            merge_parent_id=customer.pk,
            merge_relationship=r["relationship"] or "",
            merged_at=json_datetime(r["merged_at"]),
        )
        for r in json_list(customer.merged_file_rows)
    ]
    # A file with no merge date where the database puts NULL in an ascending order.
    nulls_last = connection.features.nulls_order_largest
    return sorted(children, key=lambda c: ((c.merged_at is None) == nulls_last, c.merged_at or _EPOCH, c.pk))


_EPOCH = datetime.min.replace(tzinfo=UTC)


__all__ = [
    "CANDIDATE_LIMIT",
    "VIN_TYPES",  # the VIN grid's columns (customers.selectors.profile.states)
    "EditPage",
    "association_candidates",
    "customer_edit_get",
    "customer_edit_page_get",
    "last_verification",
    "verification_info",
    "verification_info_of",
]
