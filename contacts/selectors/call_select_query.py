"""Call Select's list as one SQL statement, compiled once per shape (contacts.selectors.call_select states the rule).

The contactable part is contacts.contactability's rule (`contactable_for_type`) in SQL: EXISTS / NOT EXISTS
subqueries and one join on the customer's latest contact for the type, scoped to the user's stores inside the same
statement; which field each method reaches comes from the field registry (customers.fields). The page is a UNION
ALL of ordered, limited parts, each walking an index (`_due_page`).

Why compiled: building and compiling this queryset (a dozen correlated subqueries, the UNION's parts) cost more
Python time than PostgreSQL spent running it, and PostgreSQL spent ~8 ms planning each run (100,000 customers, 50
rows: call_select_list 45-55 ms of which ~25 ms building and compiling). `due_page_query` builds it once per shape
- the sort, the limit, which filters are set and whether to fleet - with the user, store, type, clock and filter
values as slots (dealermine.db.CompiledQuery: the SQL kept per connection, a prepared statement on PostgreSQL);
each call only sends the values.
"""

from datetime import date, datetime
from functools import lru_cache

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, JSONObject, Lower, Upper
from django.db.models.lookups import LessThan
from django.utils.translation import gettext_lazy as _

from customers.fields import method_fields
from customers.models import (
    ContactMethodKind,
    Customer,
    CustomerStatus,
    Relationship,
    Vehicle,
    VehicleContactType,
)
from customers.selectors.tenancy import dealerships_for_user_id
from dealermine.db import CompiledQuery

from ..models import ContactMethod, ContactResult, EmailBounce, EmailConsent
from .call_select_rows import PHONE_FIELDS, usable
from .do_not_call import do_not_call_listed_exists

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
#: The results that keep a customer off the list until the recycle days have passed (all but a call back).
_RECYCLED_RESULTS = tuple(r for r in ContactResult.values if r != ContactResult.CALL_BACK)


class ProbedExists(Exists):
    """EXISTS that PostgreSQL answers row by row through the subquery's index.

    An EXISTS inside the usable-method OR tree cannot become a join, and when the planner expects many outer rows
    it turns it into a hashed subplan: it reads every row of the subquery's table that matches the constant part
    (every turned-off method of that kind in the database) to build a hash table, once per statement. The page's
    walk stops after `limit` customers, so that is wasted: at 1,000,000 customers six such hash tables of 40,000-
    80,000 rows (13-15 ms each) were 110 of the list query's 160 ms, growing with the store. PostgreSQL does not
    simplify an EXISTS subquery that has an OFFSET, which keeps it a per-row probe (an index lookup each);
    OFFSET 0 changes nothing else."""

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = self.as_sql(compiler, connection, **extra_context)
        # "EXISTS(SELECT ... LIMIT 1)": the OFFSET goes right after Exists' own LIMIT, inside the parenthesis.
        return (sql[:-1] + " OFFSET 0)" if sql.endswith(")") else sql), params


def _probed(exists: Exists) -> ProbedExists:
    return ProbedExists(exists.query)


def _method_off(method: str) -> Exists:
    return ProbedExists(ContactMethod.objects.filter(customer=OuterRef("pk"), method=method, is_on=False))


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
    consent_blocked = ProbedExists(
        EmailConsent.objects.filter(customer=OuterRef("pk"), email=address).filter(
            Q(opted_out_at__isnull=False) | Q(expired_at__isnull=False) | Q(expires_at__lte=now)
        )
    )
    return ~Q(**{field: ""}) & Q(below_limit) & ~Q(consent_blocked)


def eligible_vehicles(contact_type: str):
    """Vehicles (of OuterRef customer) that are owned and whose contact type is on."""
    type_off = VehicleContactType.objects.filter(vehicle=OuterRef("pk"), contact_type=contact_type, is_on=False)
    return Vehicle.objects.filter(customer=OuterRef("pk"), owns=True).filter(~Exists(type_off))


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
                listed = _probed(do_not_call_listed_exists(field))
                conditions[usable(field)] = ~Q(**{field: ""}) & method_on & ~Q(listed)
            else:
                conditions[usable(field)] = ~Q(**{field: ""}) & method_on
    return conditions


def _call_back_due(*, today) -> Q:
    """The latest contact for the type asked for a call back on a date that has come (store date)."""
    return Q(cs_last__result=ContactResult.CALL_BACK, cs_last__call_back_on__lte=today)


def _contacted_recycled(*, cutoff) -> Q:
    """The latest contact for the type (not a call back) is older than the recycle days (the never contacted for
    the type are due too: `_due_page` adds them)."""
    return Q(cs_last__result__in=_RECYCLED_RESULTS, cs_last__contacted_at__lt=cutoff)


def _eligible(*, user_id, dealership_id, contact_type, now, language, fleet, day_night, city):
    """The contactable customers of the store for the type, with what a row shows annotated (the rule in
    contacts.selectors.call_select), narrowed by the filters given (None: not filtered)."""
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
            dealership__in=dealerships_for_user_id(user_id=user_id),
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
    # Each filter has an index on PostgreSQL (customers 0016): a value few customers have is found at once
    # instead of by walking the whole store in the page's order.
    if language is not None:
        qs = qs.filter(language=language)
    if fleet is not None:
        qs = qs.filter(is_fleet=fleet)
    if day_night is not None:
        qs = qs.filter(day_night=day_night)
    if city is not None:
        # UPPER on both sides (the index's expression), the value as a plain parameter on every database.
        qs = qs.alias(cs_city=Upper("city")).filter(cs_city=Upper(Value(city, output_field=CharField())))
    return qs


def _due_page(eligible, *, call_back_due: Q, contacted_recycled: Q, sort: str, limit: int) -> QuerySet:
    """The page of due customers in one query: the call backs due first (oldest date first), then the rest in the
    chosen order (customers without its value last), then by name.

    On PostgreSQL it is a UNION ALL of parts, each ordered and limited on its own so it walks an index and stops
    after `limit` rows: the call backs (lastcontact_call_back_idx), then the rest by star rating (customers 0003
    and 0013), by the stored last RO date (customers 0014), or - for the recycle date - the customers contacted
    for the type by their last contact, then the never contacted by name (customers 0013). One ORDER BY over the
    whole store made PostgreSQL check and sort every customer instead (100,000-200,000 customers: 1.5-2.2 s
    against 0.1-0.15 s). SQLite cannot order or limit the parts of a compound query; the embedded database gets
    the one ORDER BY (its stores are small).
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
        return page[:limit]
    part = Case(When(call_back_due, then=Value(0)), default=Value(1))
    page = eligible.filter(call_back_due | contacted_recycled | never_contacted).annotate(cs_part=part)
    return page.order_by("cs_part", "cs_call_back_on", key, *by_name)[:limit]


#: The values each call sends; the filters' slots are added when they are set.
_SLOTS = {"user_id": int, "dealership_id": int, "contact_type": str, "now": datetime, "today": date, "cutoff": datetime}
_FILTER_SLOTS = {"language": str, "day_night": str, "city": str}


@lru_cache(maxsize=256)
def due_page_query(*, sort: str, limit: int, fleet: bool | None, filtered: frozenset[str]) -> CompiledQuery:
    """The compiled page query for one shape: `filtered` names the filters set among language, day_night and city
    (their values are slots); fleet is part of the shape (True, False or None). Bounded: 6 sorts x the limits
    asked for x 24 filter shapes, least recently used first out."""

    def build(*, user_id, dealership_id, contact_type, now, today, cutoff, **values):
        eligible = _eligible(
            user_id=user_id,
            dealership_id=dealership_id,
            contact_type=contact_type,
            now=now,
            fleet=fleet,
            **{name: values.get(name) for name in _FILTER_SLOTS},
        )
        return _due_page(
            eligible,
            call_back_due=_call_back_due(today=today),
            contacted_recycled=_contacted_recycled(cutoff=cutoff),
            sort=sort,
            limit=limit,
        )

    return CompiledQuery(build, **_SLOTS, **{name: _FILTER_SLOTS[name] for name in sorted(filtered)})
