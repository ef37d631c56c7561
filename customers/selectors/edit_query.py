"""Customer Information's one customer query: the customer row with the joins every action of the screen loads
(`customer_edit_queryset`), and what the page shows beside the form as correlated subqueries, the way the profile's
query reads them (customers.selectors.profile.query): the contact methods (a duplicate child's are its parent's),
the bounces and consent of each email, the latest verification, whether each phone is on the store's do-not-call
list, the vehicles and their VIN contact types, the associations in both directions, the remove requests still
open, the merged files and how many history entries there are. customers.selectors.edit builds the page from it.

The number of queries of the page is therefore the same for a customer with one vehicle or fifty. Read apart: the
page of history entries, the removed values (dms_sync's rule), the duplicate candidates (identity matching) and the
store's reasons and advisors (one query, listed in the database's order of their labels). Built and compiled once
per connection (dealermine.db): only the SQL is kept, every view reads the rows afresh.
"""

from django.db.models import Case, F, OuterRef, When

from contacts.selectors.do_not_call import do_not_call_listed_exists
from dms_sync.models import RemoveRequest, RemoveStatus

from ..fields import EMAIL_FIELDS, PHONE_METHOD_FIELDS
from ..models import (
    Association,
    Customer,
    CustomerHistory,
    Relationship,
    VerificationStamp,
)
from .profile.query import (
    contact_method_rows_json,
    count_of,
    email_annotations,
    json_latest,
    json_rows,
    vehicle_rows_json,
    vehicle_type_rows_json,
)
from .tenancy import customer_for_user_query

#: The other customer of an association, as the page names it (display name, DealerMine number).
_OTHER_FIELDS = {
    "first": "first_name",
    "middle": "middle_name",
    "last": "last_name",
    "other_name": "other_name",
    "kind": "kind",
    "number": "dealermine_number",
}


def customer_edit_queryset():
    """The customer with the joins every view and action of the screen reads."""
    return Customer.objects.select_related(
        "dealership", "inactive_reason", "preferred_advisor", "merge_parent", "inactivated_by"
    )


def _association_rows(*, this: str, other: str):
    """The associations where the customer is `this` side, each with the customer on the `other` side."""
    return json_rows(
        Association.objects.filter(**{this: OuterRef("pk")}),
        group_by=this,
        id="id",
        relationship="relationship",
        note="note",
        created_at="created_at",
        other_id=f"{other}_id",
        **{key: f"{other}__{name}" for key, name in _OTHER_FIELDS.items()},
    )


def edit_page_queryset():
    """One row per customer with everything Customer Information shows beside its form (one SQL query)."""
    # A "Duplicate" child shows its parent's contact methods, read-only.
    contact_owner = Case(
        When(merge_relationship=Relationship.DUPLICATE, merge_parent__isnull=False, then=F("merge_parent_id")),
        default=F("pk"),
    )
    return (
        customer_edit_queryset()
        .annotate(contact_owner_id=contact_owner)
        .annotate(
            **{
                name: value
                for field in EMAIL_FIELDS
                for name, value in email_annotations(
                    field, id="id", email="email", source="source", evidence="evidence", obtained_at="obtained_at"
                ).items()
            },
            **{f"{key}_do_not_call": do_not_call_listed_exists(key) for key in PHONE_METHOD_FIELDS.values()},
            history_count=count_of(CustomerHistory.objects.filter(customer=OuterRef("pk")), group_by="customer"),
            last_verification=json_latest(
                VerificationStamp.objects.filter(customer=OuterRef("pk")),
                order_by="-verified_at",
                at="verified_at",
                user_id="verified_by_id",
                username="verified_by__username",
            ),
            contact_method_rows=contact_method_rows_json(changed_by="changed_by__username"),
            vehicle_rows=vehicle_rows_json(),
            vehicle_type_rows=vehicle_type_rows_json(),
            associations_out=_association_rows(this="from_customer", other="to_customer"),
            associations_in=_association_rows(this="to_customer", other="from_customer"),
            remove_request_rows=json_rows(
                RemoveRequest.objects.filter(customer=OuterRef("pk")).exclude(status=RemoveStatus.ACKNOWLEDGED),
                group_by="customer",
                id="id",
                field="field",
                value="value",
                status="status",
                requested_at="requested_at",
            ),
            merged_file_rows=json_rows(
                Customer.objects.filter(merge_parent=OuterRef("pk")),
                group_by="merge_parent",
                id="id",
                number="dealermine_number",
                dms="dms_number",
                kind="kind",
                relationship="merge_relationship",
                merged_at="merged_at",
                first="first_name",
                middle="middle_name",
                last="last_name",
                other_name="other_name",
            ),
        )
    )


EDIT_PAGE_QUERY = customer_for_user_query(edit_page_queryset)
