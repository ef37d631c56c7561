"""Call Select: who a coordinator may contact today for one VIN contact type (DESIGN §5).

Contactable, exactly: the customer is active; not a duplicate child (merged into a parent as "duplicate"); has a
vehicle that is owned and whose contact type is not turned off (no VehicleContactType row = on); and has at least
one usable contact method - the method is not turned off (no ContactMethod row = on) and a value is present;
for a phone the number is also not on the store's do-not-call list; for email the address is also not invalid
(bounce count below the store's limit), not opted out and its consent has not expired.

Due today, on top of that (contacts.calling_rules): never contacted for the type, or the latest contact for it
(`LastContact`) is older than the store's recycle days for the type; or it asked for a call back on a date that
has come (store date), whatever the recycle days say - those come first, oldest call-back date first.

Everything is decided in one SQL query (contacts.selectors.call_select_query: EXISTS / NOT EXISTS subqueries and
one join on the customer's latest contact for the type, scoped to the user's stores inside the same query) so the
list scales to a million customers; the call backs due and the rest of the page come from it as ordered parts of
one UNION ALL on PostgreSQL, each walking an index. The store and its calling rules come with the form's list of
the user's stores (`call_select_stores`; a query of its own, 404 when not one of them, when called without it)
and each row brings its vehicle (on PostgreSQL a "SET LOCAL jit = off" precedes the list; see _without_jit). The
rows (best phone, why due, local time) are built from what the query returned (contacts.selectors.call_select_rows).

The contactable part is contacts.contactability's rule (`contactable_for_type`) stated in SQL; which field each
method reaches comes from the field registry (customers.fields). tests/contacts/test_contactability_agreement.py
generates varied customers and checks that this list and the function agree on every one.
"""

from contextlib import contextmanager
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.shortcuts import get_object_or_404
from django.utils import timezone

from customers.models import Dealership, Vehicle, VinContactType
from customers.selectors import dealerships_for_user

from ..calling_rules import DEFAULT_RECYCLE_DAYS, customer_local_time, recycle_cutoff
from ..models import RecycleDays
from .call_select_query import SORT_STAR_DESC, SORTS, due_page_query
from .call_select_rows import CallSelectRow, row_build
from .contact_settings import calling_hours_for, store_settings_of

__all__ = ["MAX_LIMIT", "SORTS", "SORT_STAR_DESC", "CallSelectRow", "call_select_list", "call_select_stores"]

MAX_LIMIT = 500
FILTERS = frozenset({"language", "fleet", "day_night", "city"})


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


def _vehicle_of(data, customer) -> Vehicle | None:
    """The row's vehicle out of its JSON object (the list query selects it: no query of its own)."""
    if not isinstance(data, dict) or data.get("id") is None:
        return None
    return Vehicle(
        pk=data["id"], customer=customer, vin=data["vin"], year=data["year"], make=data["make"], model=data["model"]
    )


def _filters_set(filters: dict) -> dict:
    """The filters that narrow the list (an empty value does not), the city without surrounding spaces."""
    unknown = set(filters) - FILTERS
    if unknown:
        raise ValueError(f"{sorted(unknown)} are not Call Select filters")
    if isinstance(filters.get("city"), str):
        filters = {**filters, "city": filters["city"].strip()}
    return {name: value for name, value in filters.items() if value not in (None, "")}


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

    The eligibility query is one statement (contacts.selectors.call_select_query, compiled once per shape).
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
    filters = _filters_set(filters or {})
    query = due_page_query(
        sort=sort,
        limit=limit,
        fleet=filters.pop("fleet", None),
        filtered=frozenset(filters),
    )
    with _without_jit():
        customers = query.all(
            user_id=user.pk,
            dealership_id=dealership_id,
            contact_type=contact_type,
            now=now,
            today=now.astimezone(store_zone).date(),
            cutoff=recycle_cutoff(days=days, now=now),
            **filters,
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
