"""The Customer Profile read model: everything the profile screen shows, in one SQL query.

`customer_profile_get(user=..., pk=...)` returns a `ProfileData`. The customer row comes with its store,
inactive reason, advisor, merge parent and "entered by" user joined, and with correlated subqueries for
the latest verification / inquiry / history entry, the bounce counts and consent of each email, and small
JSON arrays for the lists (contact methods, remove requests, associations in both directions, the merge
family, the vehicles and their VIN contact types). The number of queries is therefore the same for a
customer with one vehicle or fifty, one bounce or a thousand (tests/customers/test_profile.py): the page
has a budget of 10 including session, auth, the store switcher and the session save, and other panels
included in the page (e.g. the merge panel) share it.

Every rule the screen applies is a small pure function here (or in contacts.rules / customers.verification)
so it is unit-tested at its boundaries and shared with other screens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cached_property

from django.db.models import (
    Aggregate,
    Case,
    Count,
    F,
    JSONField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, JSONObject, Lower
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from contacts.models import ContactMethod, EmailBounce, EmailConsent
from contacts.rules import consent_is_expired, email_is_invalid, email_is_red
from dms_sync.models import RemoveRequest, RemoveStatus, SuppressedField

from ..models import (
    Association,
    ContactMethodKind,
    Customer,
    CustomerHistory,
    CustomerKind,
    CustomerStatus,
    Dealership,
    HistorySource,
    Inquiry,
    Language,
    Relationship,
    RepairOrder,
    Vehicle,
    VehicleContactType,
    VerificationStamp,
    VinContactType,
)
from ..phones import phone_display
from ..verification import verification_age_label
from .tenancy import customer_for_user_query, customer_get_compiled

# --------------------------------------------------------------------------------------------------------------
# Pure rules (no queries): unit-tested at their boundaries in tests/customers/test_profile_rules.py
# --------------------------------------------------------------------------------------------------------------

SALESPERSON_SOURCES = {
    "reassigned": "Reassigned",
    "sold": "Last sold deal",
    "activity": "Last sales activity",
}
# On equal dates the reassignment wins (a manager's explicit decision made about the deal), then the sold
# deal, then routine activity. Documented in README "Screens" and tested.
SALESPERSON_TIE_ORDER = ("reassigned", "sold", "activity")


@dataclass(frozen=True)
class Salesperson:
    name: str
    on: date | None
    source: str

    @property
    def source_label(self) -> str:
        return SALESPERSON_SOURCES[self.source]


def salesperson_pick(
    *,
    is_prospect: bool,
    sold: tuple[str, date | None] = ("", None),
    reassigned: tuple[str, date | None] = ("", None),
    activity: tuple[str, date | None] = ("", None),
) -> Salesperson | None:
    """The person tied to the most recent of the last sold deal, the reassignment and the last sales activity.

    - Prospects go by the last sales activity only.
    - A candidate without a name is ignored (a date alone identifies nobody).
    - A dated candidate beats an undated one; among undated ones the tie order decides, so a DMS row
      that lost its dates still shows someone rather than no one.
    - Equal dates: reassignment, then sold deal, then activity (SALESPERSON_TIE_ORDER).
    """
    candidates = (
        {"activity": activity} if is_prospect else {"sold": sold, "reassigned": reassigned, "activity": activity}
    )
    best = None
    best_key = None
    for source in SALESPERSON_TIE_ORDER:
        if source not in candidates:
            continue
        name, on = candidates[source]
        name = (name or "").strip()
        if not name:
            continue
        key = (on is not None, on or date.min)
        if best_key is None or key > best_key:  # strict: earlier sources in the tie order keep ties
            best, best_key = Salesperson(name=name, on=on, source=source), key
    return best


def salesperson_for(customer: Customer) -> Salesperson | None:
    return salesperson_pick(
        is_prospect=customer.is_prospect,
        sold=(customer.sold_salesperson, customer.last_sold_date),
        reassigned=(customer.reassigned_salesperson, customer.reassigned_date),
        activity=(customer.activity_salesperson, customer.last_activity_date),
    )


def has_purchase_history(customer: Customer) -> bool:
    """A sold customer (not a prospect, with a sold deal on file) shows salesperson and last contact date."""
    return not customer.is_prospect and (customer.last_sold_date is not None or bool(customer.sold_salesperson))


def sales_visible(dealership: Dealership) -> bool:
    """The Sales (labour) figure and its repair-order breakdown exist for Reynolds stores only."""
    return dealership.is_reynolds


def likely_to_buy_level(*, has_showroom_equity: bool, likely_to_buy: int | None) -> int | None:
    """The thermometer shows only for Showroom/Equity stores and only when a level (1-3) is known."""
    if not has_showroom_equity or likely_to_buy is None:
        return None
    return likely_to_buy if 1 <= likely_to_buy <= 3 else None


def casl_opted_out(*, is_canadian: bool, opted_out_at: datetime | None) -> bool:
    """The CASL opt-out icon is a Canadian-store marker."""
    return is_canadian and opted_out_at is not None


def age_in_years(*, born: date | None, today: date) -> int | None:
    if born is None or born > today:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@dataclass(frozen=True)
class EmailStatus:
    label: str
    address: str
    bounce_count: int
    bounce_limit: int
    last_bounced_at: datetime | None
    is_red: bool
    is_invalid: bool
    consent_basis: str = ""
    consent_expires_at: datetime | None = None
    consent_expired: bool = False
    opted_out_at: datetime | None = None
    casl_opted_out: bool = False

    @property
    def opted_out(self) -> bool:
        return self.opted_out_at is not None


def email_status_build(
    *,
    label: str,
    address: str,
    bounce_count: int,
    last_bounced_at: datetime | None,
    last_verified_at: datetime | None,
    bounce_limit: int,
    is_canadian: bool,
    now: datetime,
    consent_basis: str = "",
    consent_expires_at: datetime | None = None,
    opted_out_at: datetime | None = None,
) -> EmailStatus:
    """Apply the shared contact rules (contacts.rules) to one address."""
    return EmailStatus(
        label=label,
        address=address,
        bounce_count=bounce_count,
        bounce_limit=bounce_limit,
        last_bounced_at=last_bounced_at,
        is_red=email_is_red(last_bounced_at=last_bounced_at, last_verified_at=last_verified_at, now=now),
        is_invalid=email_is_invalid(bounce_count=bounce_count, bounce_limit=bounce_limit),
        consent_basis=consent_basis,
        consent_expires_at=consent_expires_at,
        consent_expired=consent_is_expired(expires_at=consent_expires_at, now=now),
        opted_out_at=opted_out_at,
        casl_opted_out=casl_opted_out(is_canadian=is_canadian, opted_out_at=opted_out_at),
    )


# --------------------------------------------------------------------------------------------------------------
# The read model
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stamp:
    """Who did something and when (last verification, last inquiry, last change)."""

    at: datetime
    by: str


@dataclass(frozen=True)
class ContactMethodState:
    kind: str
    label: str
    is_on: bool
    is_preferred: bool
    value: str
    reason: str = ""
    changed_at: datetime | None = None


@dataclass(frozen=True)
class PhoneRow:
    label: str
    number: str
    ext: str
    method: ContactMethodState


@dataclass(frozen=True)
class AssociationLink:
    customer_id: int
    name: str
    relationship: str
    note: str


@dataclass(frozen=True)
class FamilyMember:
    customer_id: int
    name: str
    dealermine_number: str
    dms_number: str
    relationship: str
    is_parent: bool
    is_current: bool
    is_active: bool


@dataclass(frozen=True)
class RemoveRequestState:
    field: str
    value: str
    status: str
    status_label: str
    requested_at: datetime | None
    attempts: int
    last_error: str

    @property
    def is_open(self) -> bool:
        return self.status in (RemoveStatus.PENDING, RemoveStatus.SENT)


@dataclass(frozen=True)
class VinContactTypeState:
    code: str
    label: str
    is_on: bool
    reason: str = ""
    comment: str = ""


@dataclass(frozen=True)
class VehicleState:
    vehicle: Vehicle
    contact_types: list[VinContactTypeState]

    @property
    def off_types(self) -> list[VinContactTypeState]:
        return [t for t in self.contact_types if not t.is_on]


@dataclass
class ProfileData:
    """The screen's read model. Derived lists are cached: the template reads several of them more than once."""

    customer: Customer
    dealership: Dealership
    now: datetime
    name_is_other_name: bool
    age: int | None
    language_label: str
    emails: list[EmailStatus]
    contact_methods: list[ContactMethodState]
    contact_methods_follow_parent: bool
    preferred_method: str
    salesperson: Salesperson | None
    shows_salesperson: bool
    has_purchase_history: bool
    entered_by: str
    last_verification: Stamp | None
    verification_label: str
    last_inquiry: Stamp | None
    last_change: Stamp | None
    associations: list[AssociationLink]
    family: list[FamilyMember]
    remove_requests: list[RemoveRequestState]
    vehicles: list[VehicleState]
    sales_visible: bool
    labour_sales_total: Decimal
    repair_order_count: int
    likely_to_buy_level: int | None
    inactive_since: datetime | None = None
    inactivated_by: str = ""

    @cached_property
    def contact_methods_off(self) -> list[ContactMethodState]:
        return [m for m in self.contact_methods if not m.is_on]

    @cached_property
    def methods_by_kind(self) -> dict[str, ContactMethodState]:
        return {m.kind: m for m in self.contact_methods}

    @cached_property
    def preferred_method_kind(self) -> str:
        return next((m.kind for m in self.contact_methods if m.is_preferred), "")

    @cached_property
    def phone_rows(self) -> list[PhoneRow]:
        c, methods = self.customer, self.methods_by_kind
        return [
            PhoneRow("Home", phone_display(c.home_phone), "", methods[ContactMethodKind.HOME_PHONE]),
            PhoneRow("Work", phone_display(c.work_phone), c.work_ext, methods[ContactMethodKind.WORK_PHONE]),
            PhoneRow("Cell", phone_display(c.cell_phone), "", methods[ContactMethodKind.CELL_PHONE]),
        ]

    @cached_property
    def primary_email(self) -> EmailStatus | None:
        return self.emails[0] if self.emails else None

    @cached_property
    def dealermine_numbers(self) -> list[str]:
        """This file's number first, then the other files of its merge family."""
        numbers = [self.customer.dealermine_number_display]
        numbers += [m.dealermine_number for m in self.family if not m.is_current]
        return list(dict.fromkeys(numbers))

    @cached_property
    def dms_numbers(self) -> list[str]:
        numbers = [self.customer.dms_number] + [m.dms_number for m in self.family if not m.is_current]
        return list(dict.fromkeys(n for n in numbers if n))

    @cached_property
    def open_remove_requests(self) -> list[RemoveRequestState]:
        return [r for r in self.remove_requests if r.status != RemoveStatus.ACKNOWLEDGED]

    @cached_property
    def dms_logo_label(self) -> str:
        return DMS_SHORT_NAMES.get(self.dealership.dms_vendor, "DMS")

    @cached_property
    def acknowledged_remove_requests(self) -> list[RemoveRequestState]:
        return [r for r in self.remove_requests if r.status == RemoveStatus.ACKNOWLEDGED]

    @cached_property
    def association_names(self) -> str:
        return ", ".join(f"{a.name} ({a.relationship})" for a in self.associations)


DMS_SHORT_NAMES = {"cdk": "CDK", "reynolds": "R&R", "dealertrack": "DT", "tekion": "TEK"}


class JSONRows(Aggregate):
    """JSON array of the grouped rows: JSON_GROUP_ARRAY on SQLite, JSONB_AGG on PostgreSQL."""

    function = "JSON_GROUP_ARRAY"
    output_field = JSONField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="JSONB_AGG", **extra_context)


def _json_rows(queryset: QuerySet, *, group_by: str, **fields) -> Subquery:
    """A correlated subquery returning the rows of `queryset` as one JSON array of objects (NULL for none)."""
    return Subquery(
        queryset.order_by().values(group_by).annotate(rows=JSONRows(JSONObject(**fields))).values("rows"),
        output_field=JSONField(),
    )


def _json_latest(queryset: QuerySet, *, order_by: str, **fields) -> Subquery:
    """A correlated subquery returning the newest row of `queryset` as one JSON object (NULL for none)."""
    return Subquery(
        queryset.order_by(order_by, "-pk").annotate(obj=JSONObject(**fields)).values("obj")[:1],
        output_field=JSONField(),
    )


def _count(queryset: QuerySet, *, group_by: str) -> Coalesce:
    return Coalesce(Subquery(queryset.order_by().values(group_by).annotate(n=Count("pk")).values("n")), Value(0))


USER_NAME_FIELDS = {"first": "{}__first_name", "last": "{}__last_name", "username": "{}__username"}


def _user_fields(path: str) -> dict:
    return {key: template.format(path) for key, template in USER_NAME_FIELDS.items()}


def _email_annotations(field_name: str) -> dict:
    address = Lower(OuterRef(field_name))
    bounces = EmailBounce.objects.filter(dealership=OuterRef("dealership"), email=address)
    consent = EmailConsent.objects.filter(customer=OuterRef("pk"), email=address)
    return {
        f"{field_name}_bounces": _count(bounces, group_by="dealership"),
        f"{field_name}_last_bounce": Subquery(bounces.order_by("-bounced_at").values("bounced_at")[:1]),
        f"{field_name}_consent": _json_latest(
            consent, order_by="-obtained_at", basis="basis", expires_at="expires_at", opted_out_at="opted_out_at"
        ),
    }


def profile_queryset() -> QuerySet[Customer]:
    """One row per customer with everything the profile needs, lists included (one SQL query)."""
    family_root = Coalesce(F("merge_parent_id"), F("pk"))
    # A "Duplicate" child follows its parent's contact methods (their own are disabled).
    contact_owner = Case(
        When(merge_relationship=Relationship.DUPLICATE, merge_parent__isnull=False, then=F("merge_parent_id")),
        default=F("pk"),
    )
    other = {
        "first": "first_name",
        "middle": "middle_name",
        "last": "last_name",
        "other": "other_name",
    }
    return (
        Customer.objects.select_related(
            "dealership", "inactive_reason", "inactivated_by", "preferred_advisor", "merge_parent", "entered_by"
        )
        .annotate(family_root_id=family_root, contact_owner_id=contact_owner)
        .annotate(
            **_email_annotations("email1"),
            **_email_annotations("email2"),
            last_verification=_json_latest(
                VerificationStamp.objects.filter(customer=OuterRef("pk")),
                order_by="-verified_at",
                at="verified_at",
                **_user_fields("verified_by"),
            ),
            last_inquiry=_json_latest(
                Inquiry.objects.filter(customer=OuterRef("pk")),
                order_by="-created_at",
                at="created_at",
                **_user_fields("user"),
            ),
            last_change=_json_latest(
                CustomerHistory.objects.filter(customer=OuterRef("pk")),
                order_by="-created_at",
                at="created_at",
                label="actor_label",
                source="source",
                **_user_fields("actor"),
            ),
            contact_method_rows=_json_rows(
                ContactMethod.objects.filter(customer=OuterRef("contact_owner_id")),
                group_by="customer",
                method="method",
                is_on="is_on",
                reason=Coalesce("reason__label", Value("")),
                changed_at="changed_at",
            ),
            remove_request_rows=_json_rows(
                RemoveRequest.objects.filter(customer=OuterRef("pk")),
                group_by="customer",
                field="field",
                value="value",
                status="status",
                requested_at="requested_at",
                attempts="attempts",
                last_error="last_error",
            ),
            associations_out=_json_rows(
                Association.objects.filter(
                    from_customer=OuterRef("pk"), to_customer__dealership=OuterRef("dealership")
                ),
                group_by="from_customer",
                id="to_customer_id",
                relationship="relationship",
                note="note",
                **{k: f"to_customer__{v}" for k, v in other.items()},
            ),
            associations_in=_json_rows(
                Association.objects.filter(
                    to_customer=OuterRef("pk"), from_customer__dealership=OuterRef("dealership")
                ),
                group_by="to_customer",
                id="from_customer_id",
                relationship="relationship",
                note="note",
                **{k: f"from_customer__{v}" for k, v in other.items()},
            ),
            family_rows=_json_rows(
                Customer.objects.filter(merge_parent=OuterRef("family_root_id"), dealership=OuterRef("dealership")),
                group_by="merge_parent",
                id="id",
                number="dealermine_number",
                dms="dms_number",
                kind="kind",
                relationship="merge_relationship",
                status="status",
                **other,
            ),
            vehicle_rows=_json_rows(
                Vehicle.objects.filter(customer=OuterRef("pk")),
                group_by="customer",
                id="id",
                vin="vin",
                year="year",
                make="make",
                model="model",
                delivery_date="delivery_date",
                owns="owns",
                owns_reason=Coalesce("owns_reason__label", Value("")),
                check_digit_ok="vin_check_digit_ok",
            ),
            vehicle_type_rows=_json_rows(
                VehicleContactType.objects.filter(vehicle__customer=OuterRef("pk")),
                group_by="vehicle__customer",
                vehicle="vehicle_id",
                code="contact_type",
                is_on="is_on",
                reason=Coalesce("reason__label", Value("")),
                comment="comment",
            ),
            repair_order_count=_count(
                RepairOrder.objects.filter(customer=OuterRef("pk"), dealership=OuterRef("dealership")),
                group_by="customer",
            ),
        )
    )


# Built and compiled once per connection, then a prepared statement on PostgreSQL: compiling this query cost more
# CPU than the rest of the page, and planning it more than running it (dealermine.db).
PROFILE_QUERY = customer_for_user_query(profile_queryset)


def customer_profile_get(*, user, pk, now: datetime | None = None) -> ProfileData:
    """The profile of one customer of the user's stores (404 otherwise), in one query."""
    customer = customer_get_compiled(PROFILE_QUERY, user=user, pk=pk)
    return profile_build(customer=customer, now=now or timezone.now())


# --------------------------------------------------------------------------------------------------------------
# Assembly from the loaded row (no queries)
# --------------------------------------------------------------------------------------------------------------


def _dt(value) -> datetime | None:
    """A datetime out of a JSON value: PostgreSQL gives ISO with offset, SQLite a naive UTC string."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        parsed = parse_datetime(str(value))
        if parsed is None:
            return None
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)


def _d(value) -> date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, date) else parse_date(str(value)[:10])


def _rows(value) -> list[dict]:
    return value if isinstance(value, list) else []


def _person(first="", middle="", last="", other="", **_) -> str:
    return " ".join(p for p in (first, middle, last) if p) or other or "(no name)"


def _user_label(obj: dict | None) -> str:
    if not obj:
        return ""
    full = " ".join(p for p in (obj.get("first"), obj.get("last")) if p)
    return full or obj.get("username") or ""


def _stamp(obj: dict | None, *, fallback: str = "") -> Stamp | None:
    if not obj or not obj.get("at"):
        return None
    return Stamp(at=_dt(obj["at"]), by=_user_label(obj) or fallback)


def _user_display(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _method_value(customer: Customer, kind: str) -> str:
    if kind == ContactMethodKind.MAIL:
        return ", ".join(p for p in (customer.address1, customer.city, customer.state) if p)
    if kind == ContactMethodKind.HOME_PHONE:
        return phone_display(customer.home_phone)
    if kind == ContactMethodKind.WORK_PHONE:
        return phone_display(customer.work_phone)
    if kind == ContactMethodKind.CELL_PHONE:
        return phone_display(customer.cell_phone)
    return customer.email1


def _contact_methods(customer: Customer, rows: list[dict], preferred: str) -> list[ContactMethodState]:
    by_kind = {r["method"]: r for r in rows}
    states = []
    for kind, label in ContactMethodKind.choices:
        row = by_kind.get(kind)  # no row = on
        states.append(
            ContactMethodState(
                kind=kind,
                label=label,
                is_on=True if row is None else bool(row["is_on"]),
                is_preferred=kind == preferred,
                value=_method_value(customer, kind),
                reason="" if row is None or row["is_on"] else row.get("reason") or "",
                changed_at=None if row is None else _dt(row.get("changed_at")),
            )
        )
    return states


def _vehicle_states(customer: Customer, vehicle_rows: list[dict], type_rows: list[dict]) -> list[VehicleState]:
    types_by_vehicle: dict[int, dict[str, dict]] = {}
    for r in type_rows:
        types_by_vehicle.setdefault(r["vehicle"], {})[r["code"]] = r
    states = []
    for r in vehicle_rows:
        vehicle = Vehicle(
            pk=r["id"],
            customer=customer,
            vin=r["vin"],
            year=r["year"],
            make=r["make"] or "",
            model=r["model"] or "",
            delivery_date=_d(r["delivery_date"]),
            owns=bool(r["owns"]),
            vin_check_digit_ok=bool(r["check_digit_ok"]),
        )
        rows = types_by_vehicle.get(vehicle.pk, {})
        types = [
            VinContactTypeState(
                code="owns", label="Owns", is_on=vehicle.owns, reason="" if vehicle.owns else r["owns_reason"] or ""
            )
        ]
        for code, label in VinContactType.choices:
            row = rows.get(code)  # no row = on
            on = True if row is None else bool(row["is_on"])
            types.append(
                VinContactTypeState(
                    code=code,
                    label=label,
                    is_on=on,
                    reason="" if on else row.get("reason") or "",
                    comment="" if on else row.get("comment") or "",
                )
            )
        states.append(VehicleState(vehicle=vehicle, contact_types=types))
    # Owned vehicles first, newest model year first; sold/traded ones last.
    states.sort(key=lambda s: (not s.vehicle.owns, -(s.vehicle.year or 0), s.vehicle.vin))
    return states


def _family(customer: Customer, rows: list[dict]) -> list[FamilyMember]:
    if customer.merge_parent_id is None and not rows:
        return []
    root = customer.merge_parent if customer.merge_parent_id else customer
    members = [
        FamilyMember(
            customer_id=root.pk,
            name=root.display_name or "(no name)",
            dealermine_number=root.dealermine_number_display,
            dms_number=root.dms_number,
            relationship="Parent",
            is_parent=True,
            is_current=root.pk == customer.pk,
            is_active=root.is_active,
        )
    ]
    children = sorted(rows, key=lambda r: r["id"])
    for r in children:
        number = f"{r['number']}-4" if r["kind"] == CustomerKind.PROSPECT else str(r["number"])
        members.append(
            FamilyMember(
                customer_id=r["id"],
                name=_person(**r),
                dealermine_number=number,
                dms_number=r["dms"] or "",
                relationship=Relationship(r["relationship"]).label if r["relationship"] else "Merged",
                is_parent=False,
                is_current=r["id"] == customer.pk,
                is_active=r["status"] == CustomerStatus.ACTIVE,
            )
        )
    return members


def _associations(customer: Customer) -> list[AssociationLink]:
    links = {}
    for r in _rows(customer.associations_out) + _rows(customer.associations_in):
        if r["id"] in links:  # linked both ways: show once
            continue
        links[r["id"]] = AssociationLink(
            customer_id=r["id"],
            name=_person(**r),
            relationship=Relationship(r["relationship"]).label if r["relationship"] else "",
            note=r.get("note") or "",
        )
    return sorted(links.values(), key=lambda a: (a.name.lower(), a.customer_id))


def _remove_requests(rows: list[dict]) -> list[RemoveRequestState]:
    states = []
    for r in rows:
        field_name = r["field"]
        value = r["value"] or ""
        if field_name in (
            SuppressedField.HOME_PHONE,
            SuppressedField.WORK_PHONE,
            SuppressedField.CELL_PHONE,
            SuppressedField.FAX,
        ):
            value = phone_display(value)
        states.append(
            RemoveRequestState(
                field=SuppressedField(field_name).label if field_name in SuppressedField.values else field_name,
                value=value,
                status=r["status"],
                status_label=RemoveStatus(r["status"]).label if r["status"] in RemoveStatus.values else r["status"],
                requested_at=_dt(r.get("requested_at")),
                attempts=int(r.get("attempts") or 0),
                last_error=r.get("last_error") or "",
            )
        )
    order = {RemoveStatus.DEAD: 0, RemoveStatus.PENDING: 1, RemoveStatus.SENT: 2, RemoveStatus.ACKNOWLEDGED: 3}
    epoch = datetime.min.replace(tzinfo=UTC)
    states.sort(key=lambda s: (order.get(s.status, 9), -(s.requested_at or epoch).timestamp()))
    return states


def _emails(customer: Customer, *, last_verified_at, now) -> list[EmailStatus]:
    store = customer.dealership
    emails = []
    for field_name, label in (("email1", "Email 1"), ("email2", "Email 2")):
        address = getattr(customer, field_name)
        if not address:
            continue
        consent = getattr(customer, f"{field_name}_consent", None) or {}
        emails.append(
            email_status_build(
                label=label,
                address=address,
                bounce_count=getattr(customer, f"{field_name}_bounces", 0) or 0,
                last_bounced_at=_dt(getattr(customer, f"{field_name}_last_bounce", None)),
                last_verified_at=last_verified_at,
                bounce_limit=store.email_bounce_limit,
                is_canadian=store.is_canadian,
                now=now,
                consent_basis=consent.get("basis") or "",
                consent_expires_at=_dt(consent.get("expires_at")),
                opted_out_at=_dt(consent.get("opted_out_at")),
            )
        )
    return emails


def profile_build(*, customer: Customer, now: datetime) -> ProfileData:
    """Turn the annotated customer row into the screen's read model (pure; no queries)."""
    store = customer.dealership
    follows_parent = customer.is_duplicate_child
    method_owner = customer.merge_parent if follows_parent else customer
    preferred = method_owner.preferred_contact_method
    verification = _stamp(customer.last_verification)
    history = customer.last_change or {}
    source = history.get("source")
    last_change = _stamp(history, fallback=HistorySource(source).label if source in HistorySource.values else "")
    if last_change and history.get("label"):
        last_change = Stamp(at=last_change.at, by=history["label"])
    entered_by = (customer.entered_by_name or _user_display(customer.entered_by)) if customer.is_prospect else ""
    language = Language(customer.language).label if customer.language in Language.values else customer.language
    return ProfileData(
        customer=customer,
        dealership=store,
        now=now,
        name_is_other_name=not customer.full_name and bool(customer.other_name),
        age=age_in_years(born=customer.birth_date, today=timezone.localdate(now)),
        language_label=language,
        emails=_emails(customer, last_verified_at=verification.at if verification else None, now=now),
        contact_methods=_contact_methods(customer, _rows(customer.contact_method_rows), preferred),
        contact_methods_follow_parent=follows_parent,
        preferred_method=ContactMethodKind(preferred).label if preferred in ContactMethodKind.values else "",
        salesperson=salesperson_for(customer),
        shows_salesperson=customer.is_prospect or has_purchase_history(customer),
        has_purchase_history=has_purchase_history(customer),
        entered_by=entered_by,
        last_verification=verification,
        verification_label=verification_age_label(verified_at=verification.at if verification else None, now=now),
        last_inquiry=_stamp(customer.last_inquiry),
        last_change=last_change,
        associations=_associations(customer),
        family=_family(customer, _rows(customer.family_rows)),
        remove_requests=_remove_requests(_rows(customer.remove_request_rows)),
        vehicles=_vehicle_states(customer, _rows(customer.vehicle_rows), _rows(customer.vehicle_type_rows)),
        sales_visible=sales_visible(store),
        labour_sales_total=customer.labour_sales_total,
        repair_order_count=customer.repair_order_count or 0,
        likely_to_buy_level=likely_to_buy_level(
            has_showroom_equity=store.has_showroom_equity, likely_to_buy=customer.likely_to_buy
        ),
        inactive_since=customer.inactivated_at,
        inactivated_by=_user_display(customer.inactivated_by),
    )


# --------------------------------------------------------------------------------------------------------------
# Sales breakdown (Reynolds stores): the customer's repair orders
# --------------------------------------------------------------------------------------------------------------


def customer_repair_orders(*, customer: Customer) -> QuerySet[RepairOrder]:
    """The customer's repair orders in their own store, newest first (the tenant check is the customer fetch)."""
    return (
        RepairOrder.objects.filter(customer=customer, dealership_id=customer.dealership_id)
        .annotate(total_sale=F("labour_sale") + F("parts_sale"))
        .order_by(F("closed_date").desc(nulls_last=True), "-ro_number", "-pk")
    )


def repair_order_totals(*, customer: Customer) -> dict:
    totals = customer_repair_orders(customer=customer).aggregate(
        count=Count("pk"), labour=Sum("labour_sale"), parts=Sum("parts_sale")
    )
    labour = totals["labour"] or Decimal("0")
    parts = totals["parts"] or Decimal("0")
    return {"count": totals["count"], "labour": labour, "parts": parts, "total": labour + parts}


__all__ = [
    "ProfileData",
    "customer_profile_get",
    "customer_repair_orders",
    "profile_build",
    "profile_queryset",
    "repair_order_totals",
    "salesperson_pick",
]
