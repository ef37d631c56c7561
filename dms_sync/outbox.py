"""Entry point for everything that removes a value a DMS might send again.

Called inside the caller's transaction (the Customer Information remove service): the Suppression and the
RemoveRequest outbox row commit together with the cleared field, or not at all. Delivery to the DMS happens
after commit (see dms_sync.tasks); nothing here talks to the network.
"""

from django.db import transaction
from django.utils import timezone

from .models import RemoveRequest, SuppressedField, Suppression


def suppression_add(*, customer, field: str, value: str, actor) -> Suppression:
    """Remember a removed value so the nightly pull never re-adds it. `value` is already normalized."""
    if field not in SuppressedField.values:
        raise ValueError(f"{field!r} is not a removable field")
    # A customer without a DMS number has its own removals (suppression_local_unique).
    key = {"dms_number": customer.dms_number} if customer.dms_number else {"dms_number": "", "customer": customer}
    suppression, _ = Suppression.objects.get_or_create(
        dealership_id=customer.dealership_id,
        field=field,
        value=value,
        **key,
        defaults={"customer": customer, "created_by": actor},
    )
    return suppression


def remove_request_create(*, customer, field: str, value: str, actor) -> RemoveRequest | None:
    """Queue a DMS remove request when the customer has a DMS record; locally created customers need none."""
    if not customer.dms_number:
        return None
    now = timezone.now()
    request = RemoveRequest.objects.create(
        dealership_id=customer.dealership_id,
        customer=customer,
        dms_number=customer.dms_number,
        field=field,
        value=value,
        requested_by=actor,
        requested_at=now,
        next_attempt_at=now,
    )
    transaction.on_commit(lambda: _enqueue_delivery(request.pk))
    return request


def _enqueue_delivery(request_id: int) -> None:
    """After commit: ask a worker to deliver now. The row is already committed and due, so when the broker is
    down this only logs: the periodic sweeper delivers it later, and the user's removal never fails for it."""
    # Imported late: tasks import adapters, which this write path must not depend on at import time.
    from .services.delivery import enqueue_delivery

    enqueue_delivery(request_id)
