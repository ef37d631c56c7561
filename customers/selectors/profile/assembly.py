"""Build the profile's read model from the row of its one query (pure: no queries), and fetch it.

The JSON arrays of the row are parsed here; contact methods, emails and the VIN grid go through the builders
shared with Customer Information (`states`, contacts.selectors.email), and the contactability answer of each
method comes from contacts.contactability applied to facts built from this same row.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext, pgettext

from contacts.selectors.contact_history import contact_history_rows_of, last_contact_pick
from contacts.selectors.email import EmailStatus, email_status_build
from dms_sync.models import RemoveStatus

from ...fields import BY_KEY, EMAIL_FIELDS, PHONE_METHOD_FIELDS, field_label, value_display
from ...models import (
    ContactMethodKind,
    Customer,
    CustomerKind,
    CustomerStatus,
    HistorySource,
    Language,
    Relationship,
    TurnOffReason,
    Vehicle,
)
from ...models.audit import actor_label_display
from ...verification import verification_age_label
from ..tenancy import customer_get_compiled
from .query import PROFILE_QUERY
from .rules import age_in_years, has_purchase_history, likely_to_buy_level, sales_visible, salesperson_for
from .states import (
    MethodRow,
    contact_facts_build,
    contact_method_states_build,
    methods_off_of,
    preferred_note,
    vehicle_states_build,
)
from .types import (
    AssociationLink,
    ContactMethodState,
    FamilyMember,
    PhoneRow,
    ProfileData,
    RemoveRequestState,
    Stamp,
    VehicleState,
)

# --- JSON values of the row ------------------------------------------------------------------------------------


def json_datetime(value) -> datetime | None:
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


def json_list(value) -> list[dict]:
    return value if isinstance(value, list) else []


def _person(first="", middle="", last="", other="", **_) -> str:
    return " ".join(p for p in (first, middle, last) if p) or other or gettext("(no name)")


def _user_label(obj: dict | None) -> str:
    if not obj:
        return ""
    full = " ".join(p for p in (obj.get("first"), obj.get("last")) if p)
    return full or obj.get("username") or ""


def reason_label(row: dict, key: str = "reason") -> str:
    """A turn-off reason's label as the reader reads it (the product's own codes are stored in English)."""
    return TurnOffReason.label_for_display(row.get(key) or "", dealership_id=row.get(f"{key}_store"))


def _stamp(obj: dict | None, *, fallback: str = "") -> Stamp | None:
    if not obj or not obj.get("at"):
        return None
    return Stamp(at=json_datetime(obj["at"]), by=_user_label(obj) or fallback)


def _user_display(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _family(customer: Customer, rows: list[dict]) -> list[FamilyMember]:
    if customer.merge_parent_id is None and not rows:
        return []
    root = customer.merge_parent if customer.merge_parent_id else customer
    members = [
        FamilyMember(
            customer_id=root.pk,
            name=root.display_name or gettext("(no name)"),
            dealermine_number=root.dealermine_number_display,
            dms_number=root.dms_number,
            relationship=pgettext("merge family", "Parent"),
            is_parent=True,
            is_current=root.pk == customer.pk,
            is_active=root.is_active,
        )
    ]
    children = sorted(rows, key=lambda r: r["id"])
    for r in children:
        number = f"{r['number']}-4" if r["kind"] == CustomerKind.PROSPECT else str(r["number"])
        merged = pgettext("merge family", "Merged")
        relationship = str(Relationship(r["relationship"]).label) if r["relationship"] else merged
        members.append(
            FamilyMember(
                customer_id=r["id"],
                name=_person(**r),
                dealermine_number=number,
                dms_number=r["dms"] or "",
                relationship=relationship,
                is_parent=False,
                is_current=r["id"] == customer.pk,
                is_active=r["status"] == CustomerStatus.ACTIVE,
            )
        )
    return members


def _associations(customer: Customer) -> list[AssociationLink]:
    links = {}
    for r in json_list(customer.associations_out) + json_list(customer.associations_in):
        if r["id"] in links:  # linked both ways: show once
            continue
        links[r["id"]] = AssociationLink(
            customer_id=r["id"],
            name=_person(**r),
            relationship=str(Relationship(r["relationship"]).label) if r["relationship"] else "",
            note=r.get("note") or "",
        )
    return sorted(links.values(), key=lambda a: (a.name.lower(), a.customer_id))


def _remove_requests(rows: list[dict]) -> list[RemoveRequestState]:
    states = []
    for r in rows:
        field_name = r["field"]
        states.append(
            RemoveRequestState(
                field=field_label(field_name),
                value=value_display(field_name, r["value"] or ""),
                status=r["status"],
                status_label=RemoveStatus(r["status"]).label if r["status"] in RemoveStatus.values else r["status"],
                requested_at=json_datetime(r.get("requested_at")),
                attempts=int(r.get("attempts") or 0),
                last_error=r.get("last_error") or "",
            )
        )
    order = {RemoveStatus.DEAD: 0, RemoveStatus.PENDING: 1, RemoveStatus.SENT: 2, RemoveStatus.ACKNOWLEDGED: 3}
    epoch = datetime.min.replace(tzinfo=UTC)
    states.sort(key=lambda s: (order.get(s.status, 9), -(s.requested_at or epoch).timestamp()))
    return states


# --- contact methods, emails, vehicles (through the builders shared with Customer Information) -----------------


def _method_rows(rows: list[dict]) -> list[MethodRow]:
    return [
        MethodRow(
            method=r["method"],
            is_on=bool(r["is_on"]),
            reason=reason_label(r),
            changed_at=json_datetime(r.get("changed_at")),
        )
        for r in rows
    ]


def _emails(customer: Customer, *, last_verified_at, now, methods_off: dict[str, str]) -> list[EmailStatus]:
    store = customer.dealership
    email_off = methods_off.get(ContactMethodKind.EMAIL)  # None while Email is on
    emails = []
    for field_name in EMAIL_FIELDS:
        address = getattr(customer, field_name)
        if not address:
            continue
        consent = getattr(customer, f"{field_name}_consent", None) or {}
        emails.append(
            email_status_build(
                field=field_name,
                address=address,
                bounce_count=getattr(customer, f"{field_name}_bounces", 0) or 0,
                last_bounced_at=json_datetime(getattr(customer, f"{field_name}_last_bounce", None)),
                last_verified_at=last_verified_at,
                bounce_limit=store.email_bounce_limit,
                is_canadian=store.is_canadian,
                now=now,
                consent_basis=consent.get("basis") or "",
                consent_expires_at=json_datetime(consent.get("expires_at")),
                consent_expired_at=json_datetime(consent.get("expired_at")),
                opted_out_at=json_datetime(consent.get("opted_out_at")),
                method_off_reason=email_off,
            )
        )
    return emails


def vehicle_states(customer: Customer, vehicle_rows: list[dict], type_rows: list[dict]) -> list[VehicleState]:
    # A JSON aggregate has no order of its own (PostgreSQL's JSONB_AGG follows the plan): newest first, by VIN,
    # as the Vehicle model orders them.
    vehicle_rows = sorted(vehicle_rows, key=lambda r: (-(r["year"] or 0), r["vin"], r["id"]))
    vehicles = [
        Vehicle(
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
        for r in vehicle_rows
    ]
    return vehicle_states_build(
        vehicles=vehicles,
        owns_reasons={r["id"]: reason_label(r, "owns_reason") for r in vehicle_rows},
        type_rows=[{**r, "reason": reason_label(r)} for r in type_rows],
    )


def phone_rows(customer: Customer, methods: dict[str, ContactMethodState]) -> list[PhoneRow]:
    """Home, Work (with its extension), Cell: the phone fields that are contact methods, in the registry's order."""
    rows = []
    for method, key in PHONE_METHOD_FIELDS.items():
        ext_key = f"{key.removesuffix('_phone')}_ext"  # the extension the registry declares beside a phone (Work)
        ext = getattr(customer, ext_key, "") if ext_key in BY_KEY else ""
        rows.append(PhoneRow(field_label(key), value_display(key, getattr(customer, key)), ext or "", methods[method]))
    return rows


# --- the read model --------------------------------------------------------------------------------------------


def profile_build(*, customer: Customer, now: datetime) -> ProfileData:
    """Turn the annotated customer row into the screen's read model (pure; no queries)."""
    store = customer.dealership
    follows_parent = customer.is_duplicate_child
    method_owner = customer.merge_parent if follows_parent else customer
    preferred = method_owner.preferred_contact_method
    verification = _stamp(customer.last_verification)
    history = customer.last_change or {}
    source = history.get("source")
    last_change = _stamp(history, fallback=str(HistorySource(source).label) if source in HistorySource.values else "")
    if last_change and history.get("label"):
        last_change = Stamp(at=last_change.at, by=actor_label_display(history["label"]))
    if last_change:
        last_change = Stamp(at=last_change.at, by=last_change.by, action=history.get("action") or "")
    entered_by = (customer.entered_by_name or _user_display(customer.entered_by)) if customer.is_prospect else ""
    language = Language(customer.language).label if customer.language in Language.values else customer.language

    method_rows = _method_rows(json_list(customer.contact_method_rows))
    methods_off = methods_off_of(method_rows)
    emails = _emails(
        customer, last_verified_at=verification.at if verification else None, now=now, methods_off=methods_off
    )
    vehicles = vehicle_states(customer, json_list(customer.vehicle_rows), json_list(customer.vehicle_type_rows))
    do_not_call = frozenset(r["number"] for r in json_list(customer.do_not_call_rows))
    facts = contact_facts_build(
        customer=customer, methods_off=methods_off, emails=emails, vehicles=vehicles, do_not_call=do_not_call
    )
    contact_history = contact_history_rows_of(json_list(customer.contact_rows))
    methods = contact_method_states_build(customer=customer, rows=method_rows, preferred=preferred, facts=facts)
    return ProfileData(
        customer=customer,
        dealership=store,
        now=now,
        name_is_other_name=not customer.full_name and bool(customer.other_name),
        age=age_in_years(born=customer.birth_date, today=timezone.localdate(now)),
        language_label=language,
        emails=emails,
        contact_methods=methods,
        phone_rows=phone_rows(customer, {m.kind: m for m in methods}),
        contact_methods_follow_parent=follows_parent,
        preferred_method=ContactMethodKind(preferred).label if preferred in ContactMethodKind.values else "",
        preferred_note=preferred_note(methods),
        salesperson=salesperson_for(customer),
        shows_salesperson=customer.is_prospect or has_purchase_history(customer),
        has_purchase_history=has_purchase_history(customer),
        entered_by=entered_by,
        last_verification=verification,
        verification_label=verification_age_label(verified_at=verification.at if verification else None, now=now),
        last_inquiry=_stamp(customer.last_inquiry),
        last_change=last_change,
        associations=_associations(customer),
        family=_family(customer, json_list(customer.family_rows)),
        remove_requests=_remove_requests(json_list(customer.remove_request_rows)),
        vehicles=vehicles,
        sales_visible=sales_visible(store),
        labour_sales_total=customer.labour_sales_total,
        repair_order_count=customer.repair_order_count or 0,
        likely_to_buy_level=likely_to_buy_level(
            has_showroom_equity=store.has_showroom_equity, likely_to_buy=customer.likely_to_buy
        ),
        inactive_since=customer.inactivated_at,
        inactivated_by=_user_display(customer.inactivated_by),
        contact_history=contact_history,
        contact_count=customer.contact_count or 0,
        last_contact=last_contact_pick(
            latest=contact_history[0] if contact_history else None,
            dms_date=customer.last_contact_date,
            time_zone=store.time_zone,
        ),
        last_inquiry_user_id=(customer.last_inquiry or {}).get("user_id"),
    )


def customer_profile_get(*, user, pk, now: datetime | None = None) -> ProfileData:
    """The profile of one customer of the user's stores (404 otherwise), in one query."""
    customer = customer_get_compiled(PROFILE_QUERY, user=user, pk=pk)
    return profile_build(customer=customer, now=now or timezone.now())
