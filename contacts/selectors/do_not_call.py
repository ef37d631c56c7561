"""Reads of the store's do-not-call list (contacts.models.DoNotCallNumber). Always scoped to one store: a number
on another store's list never blocks, flags or shows here."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Exists, OuterRef

from ..models import DoNotCallNumber


def do_not_call_listed(dealership_id: int, numbers: Iterable[str]) -> set[str]:
    """The numbers among `numbers` (E.164) on store `dealership_id`'s do-not-call list, in one query (none for
    no numbers). The lookup the New customer screen's hook calls (customers.selectors.identity), registered in
    ContactsConfig.ready(); contactability's facts and Customer Information read it too."""
    wanted = {n for n in numbers if n}
    if not wanted:
        return set()
    return set(
        DoNotCallNumber.objects.filter(dealership_id=dealership_id, number__in=wanted).values_list("number", flat=True)
    )


def do_not_call_listed_exists(number_ref: str | OuterRef, *, dealership_ref="dealership_id") -> Exists:
    """EXISTS: the number in `number_ref` (an outer column) is on the outer row's store's list (Call Select's SQL,
    the profile's query)."""
    number = OuterRef(number_ref) if isinstance(number_ref, str) else number_ref
    return Exists(DoNotCallNumber.objects.filter(dealership_id=OuterRef(dealership_ref), number=number))
