"""Reads of the DMS integration."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.translation import gettext, pgettext

from customers.fields import BY_KEY, ValueFamily, family_of, field_label

from .models import RemoveRequest, RemoveStatus, Suppression, SyncRun, SyncStatus


def customer_suppressions(*, customer) -> QuerySet[Suppression]:
    """The customer's removed values (Suppression rows), newest first, with who removed them (one query).

    A customer on the DMS is matched by its DMS number, as the nightly pull matches it (so a row carried or
    written under the number counts whoever the row's customer is); rows written for this file while it had no
    DMS number yet are matched by the file itself. A local customer is matched by the file only: every local
    customer's rows share the blank DMS number.
    """
    match = Q(customer_id=customer.pk)
    if customer.dms_number:
        match |= Q(dms_number=customer.dms_number)
    return (
        Suppression.objects.filter(match, dealership_id=customer.dealership_id)
        .select_related("created_by")
        .order_by("-created_at", "-pk")
    )


@dataclass(frozen=True)
class RemovedValue:
    """A removed value as Customer Information lists it (and names it in the error of a re-entered value)."""

    id: int
    field: str  # where it was removed
    label: str
    family: ValueFamily | None
    value: str  # normalized, as suppressed
    display: str
    who: str
    removed_at: datetime


def removed_by(suppression: Suppression) -> str:
    """Who removed the value, as the screen names them."""
    user = suppression.created_by
    if user is None:
        return gettext("an unknown user")
    return user.get_full_name() or user.get_username()


def customer_removed_values(*, customer) -> list[RemovedValue]:
    """customer_suppressions as display rows, newest first (one query)."""
    return [
        RemovedValue(
            id=s.pk,
            field=s.field,
            label=field_label(s.field),
            family=family_of(s.field),
            value=s.value,
            display=BY_KEY[s.field].display(s.value) if s.field in BY_KEY else s.value,
            who=removed_by(s),
            removed_at=s.created_at,
        )
        for s in customer_suppressions(customer=customer)
    ]


def suppressed_values(*, customer) -> dict[ValueFamily, set[str]]:
    """The customer's removed values by family (normalized: E.164 phones, lower-cased emails), in one query.

    A value removed from one field is blocked in every field of its family (customers.fields.ValueFamily)."""
    values: dict[ValueFamily, set[str]] = {family: set() for family in ValueFamily}
    for field, value in customer_suppressions(customer=customer).values_list("field", "value"):
        family = family_of(field)
        if family is not None:
            values[family].add(value)
    return values


def remove_requests_for_customer(*, customer):
    """The customer's remove requests, newest first (the profile shows pending / acknowledged / dead)."""
    return RemoveRequest.objects.filter(customer=customer).order_by("-requested_at", "-pk")


def remove_request_state_label(request: RemoveRequest) -> str:
    return {
        RemoveStatus.PENDING: pgettext("remove request status", "Pending"),
        RemoveStatus.SENT: pgettext("remove request status", "Pending"),
        RemoveStatus.ACKNOWLEDGED: pgettext("remove request status", "Acknowledged"),
        RemoveStatus.DEAD: pgettext("remove request status", "Dead"),
    }[request.status]


def sync_run_last_succeeded(*, dealership) -> SyncRun | None:
    return SyncRun.objects.filter(dealership=dealership, status=SyncStatus.SUCCEEDED).order_by("-started_at").first()
