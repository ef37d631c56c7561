"""The profile's one SQL query: the customer row with its store, inactive reason, advisor, merge parent and
"entered by" user joined, and correlated subqueries for the latest verification / inquiry / history entry, the
bounce counts and consent of each email, and small JSON arrays for the lists (contact methods, remove requests,
associations in both directions, the merge family, the vehicles and their VIN contact types, the newest contacts
of the contact history, the customer's numbers on the store's do-not-call list). The number of
queries is therefore the same for a customer with one vehicle or fifty, one bounce or a thousand
(tests/customers/test_profile.py). `assembly.profile_build` turns the row into the read model.
"""

from __future__ import annotations

from django.db.models import (
    Aggregate,
    Case,
    Count,
    F,
    JSONField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, JSONObject, Lower

from contacts.models import ContactLog, ContactMethod, DoNotCallNumber, EmailBounce, EmailConsent
from contacts.selectors.contact_history import CONTACT_ROW_FIELDS, recent_contact_logs
from dms_sync.models import RemoveRequest

from ...fields import EMAIL_FIELDS, PHONE_METHOD_FIELDS
from ...models import (
    Association,
    Customer,
    CustomerHistory,
    Inquiry,
    Relationship,
    RepairOrder,
    Vehicle,
    VehicleContactType,
    VerificationStamp,
)
from ..tenancy import customer_for_user_query


class JSONRows(Aggregate):
    """JSON array of the grouped rows: JSON_GROUP_ARRAY on SQLite, JSONB_AGG on PostgreSQL."""

    function = "JSON_GROUP_ARRAY"
    output_field = JSONField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="JSONB_AGG", **extra_context)


def json_rows(queryset: QuerySet, *, group_by: str, **fields) -> Subquery:
    """A correlated subquery returning the rows of `queryset` as one JSON array of objects (NULL for none)."""
    return Subquery(
        queryset.order_by().values(group_by).annotate(rows=JSONRows(JSONObject(**fields))).values("rows"),
        output_field=JSONField(),
    )


def json_latest(queryset: QuerySet, *, order_by: str, **fields) -> Subquery:
    """A correlated subquery returning the newest row of `queryset` as one JSON object (NULL for none)."""
    return Subquery(
        queryset.order_by(order_by, "-pk").annotate(obj=JSONObject(**fields)).values("obj")[:1],
        output_field=JSONField(),
    )


def contact_method_rows_json(**extra_fields) -> Subquery:
    """The contact-method rows of the customer whose methods apply (`contact_owner_id`: a duplicate child's are its
    parent's), as the profile and Customer Information read them; `extra_fields` adds columns."""
    return json_rows(
        ContactMethod.objects.filter(customer=OuterRef("contact_owner_id")),
        group_by="customer",
        method="method",
        is_on="is_on",
        reason=Coalesce("reason__label", Value("")),
        # The reason's store (NULL: one of the product's own codes, shown through the catalogue).
        reason_store="reason__dealership_id",
        changed_at="changed_at",
        **extra_fields,
    )


def vehicle_rows_json() -> Subquery:
    """The customer's vehicles as the profile and Customer Information read them."""
    return json_rows(
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
        owns_reason_store="owns_reason__dealership_id",
        check_digit_ok="vin_check_digit_ok",
    )


def vehicle_type_rows_json() -> Subquery:
    """The VIN contact types turned off or on of the customer's vehicles (no row: on)."""
    return json_rows(
        VehicleContactType.objects.filter(vehicle__customer=OuterRef("pk")),
        group_by="vehicle__customer",
        vehicle="vehicle_id",
        code="contact_type",
        is_on="is_on",
        reason=Coalesce("reason__label", Value("")),
        reason_store="reason__dealership_id",
        comment="comment",
    )


def count_of(queryset: QuerySet, *, group_by: str) -> Coalesce:
    return Coalesce(Subquery(queryset.order_by().values(group_by).annotate(n=Count("pk")).values("n")), Value(0))


USER_NAME_FIELDS = {"first": "{}__first_name", "last": "{}__last_name", "username": "{}__username"}


def _user_fields(path: str) -> dict:
    return {key: template.format(path) for key, template in USER_NAME_FIELDS.items()}


def email_annotations(field_name: str, **extra_consent_fields) -> dict:
    """Bounces of the address in `field_name` at the store (count, latest) and the customer's consent ledger row
    for it (one per customer and address), as the profile and Customer Information read them; the consent row
    carries basis and dates, and `extra_consent_fields` as well."""
    address = Lower(OuterRef(field_name))
    bounces = EmailBounce.objects.filter(dealership=OuterRef("dealership"), email=address)
    consent = EmailConsent.objects.filter(customer=OuterRef("pk"), email=address)
    return {
        f"{field_name}_bounces": count_of(bounces, group_by="dealership"),
        f"{field_name}_last_bounce": Subquery(bounces.order_by("-bounced_at").values("bounced_at")[:1]),
        f"{field_name}_consent": json_latest(
            consent,
            order_by="-obtained_at",
            basis="basis",
            expires_at="expires_at",
            expired_at="expired_at",
            opted_out_at="opted_out_at",
            **extra_consent_fields,
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
            **{name: value for field in EMAIL_FIELDS for name, value in email_annotations(field).items()},
            last_verification=json_latest(
                VerificationStamp.objects.filter(customer=OuterRef("pk")),
                order_by="-verified_at",
                at="verified_at",
                **_user_fields("verified_by"),
            ),
            last_inquiry=json_latest(
                Inquiry.objects.filter(customer=OuterRef("pk")),
                order_by="-created_at",
                at="created_at",
                user_id="user_id",
                **_user_fields("user"),
            ),
            last_change=json_latest(
                CustomerHistory.objects.filter(customer=OuterRef("pk")),
                order_by="-created_at",
                at="created_at",
                label="actor_label",
                source="source",
                action="action",
                **_user_fields("actor"),
            ),
            contact_method_rows=contact_method_rows_json(),
            remove_request_rows=json_rows(
                RemoveRequest.objects.filter(customer=OuterRef("pk")),
                group_by="customer",
                field="field",
                value="value",
                status="status",
                requested_at="requested_at",
                attempts="attempts",
                last_error="last_error",
            ),
            associations_out=json_rows(
                Association.objects.filter(
                    from_customer=OuterRef("pk"), to_customer__dealership=OuterRef("dealership")
                ),
                group_by="from_customer",
                id="to_customer_id",
                relationship="relationship",
                note="note",
                **{k: f"to_customer__{v}" for k, v in other.items()},
            ),
            associations_in=json_rows(
                Association.objects.filter(
                    to_customer=OuterRef("pk"), from_customer__dealership=OuterRef("dealership")
                ),
                group_by="to_customer",
                id="from_customer_id",
                relationship="relationship",
                note="note",
                **{k: f"from_customer__{v}" for k, v in other.items()},
            ),
            family_rows=json_rows(
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
            vehicle_rows=vehicle_rows_json(),
            vehicle_type_rows=vehicle_type_rows_json(),
            repair_order_count=count_of(
                RepairOrder.objects.filter(customer=OuterRef("pk"), dealership=OuterRef("dealership")),
                group_by="customer",
            ),
            # The newest contacts (the Contact History panel and "Last contact") and how many there are.
            contact_rows=json_rows(recent_contact_logs(), group_by="customer", **CONTACT_ROW_FIELDS),
            contact_count=count_of(ContactLog.objects.filter(customer=OuterRef("pk")), group_by="customer"),
            # The customer's numbers on the store's do-not-call list (contactability).
            do_not_call_rows=json_rows(
                DoNotCallNumber.objects.filter(dealership=OuterRef("dealership")).filter(_any_number_is_outer_phone()),
                group_by="dealership",
                number="number",
            ),
        )
    )


def _any_number_is_outer_phone() -> Q:
    condition = Q()
    for field in PHONE_METHOD_FIELDS.values():
        condition |= Q(number=OuterRef(field))
    return condition


# Built and compiled once per connection, then a prepared statement on PostgreSQL: compiling this query cost more
# CPU than the rest of the page, and planning it more than running it (dealermine.db).
PROFILE_QUERY = customer_for_user_query(profile_queryset)
