"""Call Select: who a coordinator may contact today for one VIN contact type (DESIGN §5).

Contactable, exactly: the customer is active; not a duplicate child (merged into a parent as "duplicate"); has a
vehicle that is owned and whose contact type is not turned off (no VehicleContactType row = on); and has at least
one usable contact method - the method is not turned off (no ContactMethod row = on) and a value is present;
for a phone the number is also not on the store's do-not-call list; for email the address is also not invalid
(bounce count below the store's limit), not opted out and its consent has not expired.

Due today, on top of that (contacts.calling_rules): never contacted for the type, or the latest contact for it
(`LastContact`) is older than the store's recycle days for the type; or it asked for a call back on a date that
has come (store date), whatever the recycle days say - those come first, oldest call-back date first.

Everything is decided in one SQL query (EXISTS / NOT EXISTS subqueries and one join on the customer's latest
contact for the type, scoped to the user's stores inside the same query) so the list scales to a million
customers; the call backs due and the rest of the page come from it as ordered parts of one UNION ALL on
PostgreSQL, each walking an index (`_due_page`). The store and its calling rules come with the form's list of
the user's stores (`call_select_stores`; a query of its own, 404 when not one of them, when called without it)
and each row brings
its vehicle (on PostgreSQL a "SET LOCAL jit = off" precedes the list; see _without_jit). The rows (best phone, why
due, local time) are built from what the query returned (contacts.selectors.call_select_rows).

The contactable part is contacts.contactability's rule (`contactable_for_type`) stated in SQL; which field each
method reaches comes from the field registry (customers.fields). tests/contacts/test_contactability_agreement.py
generates varied customers and checks that this list and the function agree on every one.
"""

from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    JSONField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, JSONObject, Lower
from django.db.models.lookups import LessThan
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.fields import method_fields
from customers.models import (
    ContactMethodKind,
    Customer,
    CustomerStatus,
    Dealership,
    Relationship,
    Vehicle,
    VehicleContactType,
    VinContactType,
)
from customers.selectors import dealerships_for_user

from ..calling_rules import DEFAULT_RECYCLE_DAYS, customer_local_time, recycle_cutoff
from ..models import ContactMethod, ContactResult, EmailBounce, EmailConsent, RecycleDays
from .call_select_rows import PHONE_FIELDS, CallSelectRow, row_build, usable
from .contact_settings import calling_hours_for, store_settings_of
from .do_not_call import do_not_call_listed_exists

__all__ = ["MAX_LIMIT", "SORTS", "SORT_STAR_DESC", "CallSelectRow", "call_select_list", "call_select_stores"]

SORT_STAR_DESC = "star_desc"
SORT_STAR_ASC = "star_asc"
SORT_RO_DESC = "ro_desc"
SORT_RO_ASC = "ro_asc"
SORT_RECYCLE_ASC = "recycle_asc"
SORT_RECYCLE_DESC = "recycle_desc"
SORTS = {
    SORT_STAR_DESC: _("Star rating: high to low"),
    SORT_STAR_ASC: _("Star rating: low to high"),
    SORT_RO_DESC: _("Last RO date: newest first"),
    SORT_RO_ASC: _("Last RO date: oldest first"),
    SORT_RECYCLE_ASC: _("Recycle date: oldest first"),
    SORT_RECYCLE_DESC: _("Recycle date: newest first"),
}
#: Sort -> (the annotation or field sorted on, descending?). Customers without a value come last either way.
_SORT_KEYS = {
    SORT_STAR_DESC: ("star_rating", True),
    SORT_STAR_ASC: ("star_rating", False),
    SORT_RO_DESC: ("last_ro_date", True),
    SORT_RO_ASC: ("last_ro_date", False),
    # The recycle date is the last contact for the type + the store's days for it, the same days for the whole
    # list: ordering by the last contact orders by the recycle date.
    SORT_RECYCLE_ASC: ("cs_last_contact_at", False),
    SORT_RECYCLE_DESC: ("cs_last_contact_at", True),
}
MAX_LIMIT = 500
#: The results that keep a customer off the list until the recycle days have passed (all but a call back).
_RECYCLED_RESULTS = tuple(r for r in ContactResult.values if r != ContactResult.CALL_BACK)


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


#: The order the usable conditions are OR-ed in (WHERE) and annotated: the phones in BEST_PHONE_ORDER, then the
#: other plain-value methods (Mailing Address), Email last (its condition has the most subqueries).
USABLE_ORDER = (
    *PHONE_FIELDS,
    *(m for m in ContactMethodKind.values if m not in PHONE_FIELDS and m != ContactMethodKind.EMAIL),
    ContactMethodKind.EMAIL,
)


def _usable_conditions(*, now) -> dict[str, Q]:
    """Per field a contact method reaches (registry: phones, address line 1, both emails): the method is on and
    the value is present (for a phone, not on the store's do-not-call list; for an email, valid, not opted out,
    consent not expired).

    Written cheapest first: PostgreSQL evaluates these AND / OR trees left to right and stops at the first answer,
    so an empty phone or address never runs its method's EXISTS, and a customer with a usable cell never runs the
    other methods' subqueries (USABLE_ORDER)."""
    conditions = {}
    for method in USABLE_ORDER:
        method_on = ~Q(_method_off(method))
        for field in method_fields(method):
            if method == ContactMethodKind.EMAIL:
                conditions[usable(field)] = method_on & _email_usable(field, now=now)
            elif method in PHONE_FIELDS:
                conditions[usable(field)] = ~Q(**{field: ""}) & method_on & ~Q(do_not_call_listed_exists(field))
            else:
                conditions[usable(field)] = ~Q(**{field: ""}) & method_on
    return conditions


def _recycle_attr(contact_type: str) -> str:
    return f"cs_recycle_{contact_type}"


def call_select_stores(*, user):
    """The user's stores with what Call Select needs of each, in one query: the contact settings joined and the
    recycle days the store set per contact type annotated (Call Select's form lists its stores with it, so the
    list needs no query of its own for them)."""
    return (
        dealerships_for_user(user=user)
        .select_related("contact_settings")
        .annotate(
            **{
                _recycle_attr(contact_type): Subquery(
                    RecycleDays.objects.filter(
                        store_settings__dealership=OuterRef("pk"), contact_type=contact_type
                    ).values("days")[:1]
                )
                for contact_type in VinContactType.values
            }
        )
    )


def store_recycle_days(store: Dealership, contact_type: str) -> int:
    """The store's recycle days for the type (a store from `call_select_stores`), or the default."""
    days = getattr(store, _recycle_attr(contact_type), None)
    return DEFAULT_RECYCLE_DAYS[contact_type] if days is None else days


def _call_back_due(*, today) -> Q:
    """The latest contact for the type asked for a call back on a date that has come (store date)."""
    return Q(cs_last__result=ContactResult.CALL_BACK, cs_last__call_back_on__lte=today)


def _contacted_recycled(*, cutoff) -> Q:
    """The latest contact for the type (not a call back) is older than the recycle days (the never contacted for
    the type are due too: `_due_page` adds them)."""
    return Q(cs_last__result__in=_RECYCLED_RESULTS, cs_last__contacted_at__lt=cutoff)


def _vehicle_of(data, customer) -> Vehicle | None:
    """The row's vehicle out of its JSON object (the list query selects it: no query of its own)."""
    if not isinstance(data, dict) or data.get("id") is None:
        return None
    return Vehicle(
        pk=data["id"], customer=customer, vin=data["vin"], year=data["year"], make=data["make"], model=data["model"]
    )


def _eligible(*, user, dealership_id: int, contact_type: str, filters: dict, now):
    """The contactable customers of the store for the type, with what a row shows annotated (the rule above)."""
    conditions = _usable_conditions(now=now)
    any_usable = Q()
    for condition in conditions.values():
        any_usable |= condition
    newest_vehicle = eligible_vehicles(contact_type).order_by(
        F("year").desc(nulls_last=True), F("delivery_date").desc(nulls_last=True), "-pk"
    )
    # WHERE decides eligibility (EXISTS lets PostgreSQL use semi/anti joins); the annotations below are only
    # evaluated for the rows of the page: which vehicle, and which methods are usable for the "best phone".
    qs = (
        Customer.objects.annotate(
            cs_last=FilteredRelation("last_contacts", condition=Q(last_contacts__contact_type=contact_type))
        )
        .filter(
            dealership_id=dealership_id,
            dealership__in=dealerships_for_user(user=user),
            status=CustomerStatus.ACTIVE,
        )
        .select_related("dealership")
        .exclude(merge_parent__isnull=False, merge_relationship=Relationship.DUPLICATE)
        .filter(Exists(eligible_vehicles(contact_type)))
        .filter(any_usable)
        .annotate(
            cs_vehicle=Subquery(
                newest_vehicle.annotate(
                    obj=JSONObject(id="pk", vin="vin", year="year", make="make", model="model")
                ).values("obj")[:1],
                output_field=JSONField(),
            ),
            cs_last_contact_at=F("cs_last__contacted_at"),
            cs_last_result=F("cs_last__result"),
            cs_call_back_on=F("cs_last__call_back_on"),
            **{
                name: ExpressionWrapper(condition, output_field=BooleanField())
                for name, condition in conditions.items()
            },
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
    return qs


def _due_page(eligible, *, call_back_due: Q, contacted_recycled: Q, sort: str, limit: int) -> list[Customer]:
    """The page of due customers in one query: the call backs due first (oldest date first), then the rest in the
    chosen order (customers without its value last), then by name.

    On PostgreSQL it is a UNION ALL of parts, each ordered and limited on its own so it walks an index and stops
    after `limit` rows: the call backs (lastcontact_call_back_idx), then the rest by star rating (customers 0003
    and 0013), by the stored last RO date (customers 0014), or - for the recycle date - the customers contacted
    for the type by their last contact, then the never contacted by name (customers 0013). One ORDER BY over the
    whole store made PostgreSQL check and sort every customer instead (100,000-200,000 customers: 1.5-2.2 s
    against 0.1-0.15 s). SQLite cannot order or limit the parts of a
    compound query; the embedded database gets the one ORDER BY (its stores are small).
    """
    field, descending = _SORT_KEYS[sort]
    key = F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
    by_name = ("last_name", "first_name", "pk")
    never_contacted = Q(cs_last__isnull=True)
    if connection.features.supports_slicing_ordering_in_compound:
        call_backs = eligible.filter(call_back_due).annotate(cs_part=Value(0))
        parts = [call_backs.order_by("cs_call_back_on", key, *by_name)]
        if field == "cs_last_contact_at":
            parts.append(eligible.filter(contacted_recycled).annotate(cs_part=Value(1)).order_by(key, *by_name))
            parts.append(eligible.filter(never_contacted).annotate(cs_part=Value(2)).order_by(*by_name))
        else:
            rest = eligible.filter(contacted_recycled | never_contacted).annotate(cs_part=Value(1))
            parts.append(rest.order_by(key, *by_name))
        first, *others = [part[:limit] for part in parts]
        page = first.union(*others, all=True).order_by("cs_part", "cs_call_back_on", key, *by_name)
        return list(page[:limit])
    part = Case(When(call_back_due, then=Value(0)), default=Value(1))
    page = eligible.filter(call_back_due | contacted_recycled | never_contacted).annotate(cs_part=part)
    return list(page.order_by("cs_part", "cs_call_back_on", key, *by_name)[:limit])


def call_select_list(
    *,
    user,
    dealership_id: int,
    contact_type: str,
    limit: int,
    filters: dict | None = None,
    sort=SORT_STAR_DESC,
    now=None,
    store: Dealership | None = None,
) -> list[CallSelectRow]:
    """Up to `limit` customers of one of the user's stores (404 otherwise) contactable and due for `contact_type`.

    filters: language (code), fleet (True/False), day_night ("day"/"night"), city (case-insensitive, exact).
    Order: call backs due (oldest date first), then `sort` (customers without its value last), then by name.
    `store`: the store as `call_select_stores(user=...)` loaded it (the form did), saving a query; the list is
    still scoped to the user's stores in its own SQL.

    The eligibility query is one statement (`_due_page`).
    """
    if contact_type not in VinContactType.values:
        raise ValueError(f"{contact_type!r} is not a VIN contact type")
    if sort not in SORTS:
        raise ValueError(f"{sort!r} is not a Call Select sort")
    limit = max(1, min(int(limit), MAX_LIMIT))
    now = now or timezone.now()

    if store is None or store.pk != dealership_id:
        store = get_object_or_404(call_select_stores(user=user), pk=dealership_id)
    days = store_recycle_days(store, contact_type)
    store_zone = ZoneInfo(store.time_zone)
    hours = calling_hours_for(store, store_settings_of(store))
    eligible = _eligible(
        user=user, dealership_id=dealership_id, contact_type=contact_type, filters=filters or {}, now=now
    )
    with _without_jit():
        customers = _due_page(
            eligible,
            call_back_due=_call_back_due(today=now.astimezone(store_zone).date()),
            contacted_recycled=_contacted_recycled(cutoff=recycle_cutoff(days=days, now=now)),
            sort=sort,
            limit=limit,
        )
    return [
        row_build(
            customer,
            vehicle=_vehicle_of(customer.cs_vehicle, customer),
            contact_type=contact_type,
            recycle_days=days,
            store_zone=store_zone,
            local_time=customer_local_time(state=customer.state, store_zone=store.time_zone, hours=hours, now=now),
        )
        for customer in customers
    ]
