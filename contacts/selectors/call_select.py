"""Call Select: who a coordinator may contact today for one VIN contact type (DESIGN §5).

Eligible, exactly: the customer is active; not a duplicate child (merged into a parent as "duplicate"); has a
vehicle that is owned and whose contact type is not turned off (no VehicleContactType row = on); and has at least
one usable contact method - the method is not turned off (no ContactMethod row = on) and a value is present;
for email the address is also not invalid (bounce count below the store's limit), not opted out and its consent
has not expired. Everything is decided in one SQL query with EXISTS / NOT EXISTS subqueries (scoped to the user's
stores inside the same query) so the list scales to a million customers; the page's vehicles are a second query
(on PostgreSQL a "SET LOCAL jit = off" precedes the list; see _without_jit).

This is contacts.contactability's rule (`contactable_for_type`) stated in SQL; which field each method reaches
comes from the field registry (customers.fields). tests/contacts/test_contactability_agreement.py generates
varied customers and checks that this list and the function agree on every one.
"""

from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Lower
from django.db.models.lookups import LessThan
from django.shortcuts import get_object_or_404
from django.utils import timezone

from customers.fields import PHONE_METHOD_FIELDS, method_fields
from customers.models import (
    ContactMethodKind,
    Customer,
    CustomerStatus,
    Relationship,
    Vehicle,
    VehicleContactType,
    VinContactType,
)
from customers.selectors import dealerships_for_user

from ..models import ContactMethod, EmailBounce, EmailConsent

SORT_STAR_DESC = "star_desc"
SORT_STAR_ASC = "star_asc"
SORTS = {SORT_STAR_DESC: "Star rating: high to low", SORT_STAR_ASC: "Star rating: low to high"}
MAX_LIMIT = 500

#: The order the best phone is picked in after the preferred method (a cell reaches the person).
BEST_PHONE_ORDER = (ContactMethodKind.CELL_PHONE, ContactMethodKind.HOME_PHONE, ContactMethodKind.WORK_PHONE)
#: Phone method -> the customer field it dials, from the registry, in BEST_PHONE_ORDER.
PHONE_FIELDS = dict(sorted(PHONE_METHOD_FIELDS.items(), key=lambda item: BEST_PHONE_ORDER.index(item[0])))


def _method_off(method: str) -> Exists:
    return Exists(ContactMethod.objects.filter(customer=OuterRef("pk"), method=method, is_on=False))


def _email_usable(field: str, *, now) -> Q:
    """The address in `field` is present, its bounce count at the store is below the store's limit, it is not opted
    out and its consent has not expired. The limit comes from the joined store row (one query for the list)."""
    address = Lower(OuterRef(field))
    bounce_count = Subquery(
        EmailBounce.objects.filter(dealership_id=OuterRef("dealership_id"), email=address)
        .order_by()
        .values("dealership_id")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    below_limit = LessThan(Coalesce(bounce_count, 0), F("dealership__email_bounce_limit"))
    consent_blocked = Exists(
        EmailConsent.objects.filter(customer=OuterRef("pk"), email=address).filter(
            Q(opted_out_at__isnull=False) | Q(expired_at__isnull=False) | Q(expires_at__lte=now)
        )
    )
    return ~Q(**{field: ""}) & Q(below_limit) & ~Q(consent_blocked)


def eligible_vehicles(contact_type: str):
    """Vehicles (of OuterRef customer) that are owned and whose contact type is on."""
    type_off = VehicleContactType.objects.filter(vehicle=OuterRef("pk"), contact_type=contact_type, is_on=False)
    return Vehicle.objects.filter(customer=OuterRef("pk"), owns=True).filter(~Exists(type_off))


@contextmanager
def _without_jit():
    """PostgreSQL's cost estimate for correlated subqueries is huge, which triggers JIT compilation that costs
    seconds on a query that runs in well under one. Switch JIT off for this transaction only (SET LOCAL)."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
        yield


@dataclass(frozen=True)
class CallSelectRow:
    customer: Customer
    vehicle: Vehicle | None
    phone_method: str  # ContactMethodKind value of the best phone, "" when no phone is usable
    phone: str  # E.164
    phone_ext: str
    email: str  # a usable address when no phone is
    is_preferred: bool  # the best phone is the preferred method of contact

    @property
    def phone_label(self) -> str:
        return ContactMethodKind(self.phone_method).label if self.phone_method else ""


def _best_phone(customer) -> tuple[str, str]:
    """Preferred method first (when it is a usable phone), then cell, home, work."""
    order = list(PHONE_FIELDS)
    preferred = customer.preferred_contact_method
    if preferred in PHONE_FIELDS:
        order.remove(preferred)
        order.insert(0, preferred)
    for method in order:
        field = PHONE_FIELDS[method]
        if getattr(customer, _usable(field)):
            return method, getattr(customer, field)
    return "", ""


def _usable(field: str) -> str:
    """The name of the annotation saying whether the method reaching `field` is usable."""
    return f"{field}_usable"


#: The order the usable conditions are OR-ed in (WHERE) and annotated: the phones in BEST_PHONE_ORDER, then the
#: other plain-value methods (Mailing Address), Email last (its condition has the most subqueries).
USABLE_ORDER = (
    *PHONE_FIELDS,
    *(m for m in ContactMethodKind.values if m not in PHONE_FIELDS and m != ContactMethodKind.EMAIL),
    ContactMethodKind.EMAIL,
)


def _usable_conditions(*, now) -> dict[str, Q]:
    """Per field a contact method reaches (registry: phones, address line 1, both emails): the method is on and
    the value is present (and, for an email, valid, not opted out, consent not expired).

    Written cheapest first: PostgreSQL evaluates these AND / OR trees left to right and stops at the first answer,
    so an empty phone or address never runs its method's EXISTS, and a customer with a usable cell never runs the
    other methods' subqueries (USABLE_ORDER)."""
    usable = {}
    for method in USABLE_ORDER:
        method_on = ~Q(_method_off(method))
        for field in method_fields(method):
            if method == ContactMethodKind.EMAIL:
                usable[_usable(field)] = method_on & _email_usable(field, now=now)
            else:
                usable[_usable(field)] = ~Q(**{field: ""}) & method_on
    return usable


def call_select_list(
    *,
    user,
    dealership_id: int,
    contact_type: str,
    limit: int,
    filters: dict | None = None,
    sort=SORT_STAR_DESC,
    now=None,
) -> list[CallSelectRow]:
    """Up to `limit` eligible customers of one of the user's stores (404 otherwise) for `contact_type`.

    filters: language (code), fleet (True/False), day_night ("day"/"night"), city (case-insensitive, exact).
    """
    if contact_type not in VinContactType.values:
        raise ValueError(f"{contact_type!r} is not a VIN contact type")
    if sort not in SORTS:
        raise ValueError(f"{sort!r} is not a Call Select sort")
    limit = max(1, min(int(limit), MAX_LIMIT))
    filters = filters or {}
    now = now or timezone.now()

    usable = _usable_conditions(now=now)
    any_usable = Q()
    for condition in usable.values():
        any_usable |= condition

    # WHERE decides eligibility (EXISTS lets PostgreSQL use semi/anti joins); the annotations below are only
    # evaluated for the rows of the page: which vehicle, and which methods are usable for the "best phone".
    qs = (
        Customer.objects.filter(
            dealership_id=dealership_id,
            dealership__in=dealerships_for_user(user=user),
            status=CustomerStatus.ACTIVE,
        )
        .select_related("dealership")
        .exclude(merge_parent__isnull=False, merge_relationship=Relationship.DUPLICATE)
        .filter(Exists(eligible_vehicles(contact_type)))
        .filter(any_usable)
        .annotate(
            call_vehicle_id=Subquery(
                eligible_vehicles(contact_type)
                .order_by(F("year").desc(nulls_last=True), F("delivery_date").desc(nulls_last=True), "-pk")
                .values("pk")[:1]
            ),
            **{name: ExpressionWrapper(condition, output_field=BooleanField()) for name, condition in usable.items()},
        )
    )
    if filters.get("language"):
        qs = qs.filter(language=filters["language"])
    if filters.get("fleet") is not None:
        qs = qs.filter(is_fleet=filters["fleet"])
    if filters.get("day_night"):
        qs = qs.filter(day_night=filters["day_night"])
    if filters.get("city"):
        qs = qs.filter(city__iexact=filters["city"].strip())
    star = F("star_rating").desc(nulls_last=True) if sort == SORT_STAR_DESC else F("star_rating").asc(nulls_last=True)
    with _without_jit():
        customers = list(qs.order_by(star, "last_name", "first_name", "pk")[:limit])

    if not customers:
        # Nothing listed: tell "none qualifies" from "not your store" (404), costing a query only in this case.
        get_object_or_404(dealerships_for_user(user=user), pk=dealership_id)
    vehicles = Vehicle.objects.in_bulk([c.call_vehicle_id for c in customers])
    rows = []
    for customer in customers:
        method, phone = _best_phone(customer)
        email = ""
        if not method:
            email = next(
                (getattr(customer, f) for f in method_fields(ContactMethodKind.EMAIL) if getattr(customer, _usable(f))),
                "",
            )
        rows.append(
            CallSelectRow(
                customer=customer,
                vehicle=vehicles.get(customer.call_vehicle_id),
                phone_method=method,
                phone=phone,
                phone_ext=customer.work_ext if method == ContactMethodKind.WORK_PHONE else "",
                email=email,
                is_preferred=bool(method) and method == customer.preferred_contact_method,
            )
        )
    return rows
