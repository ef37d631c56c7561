"""DealerMine customer numbers: each store hands out its own, in order, never twice.

The store's counter (`Dealership.next_dealermine_number`) is read and moved under the store row's lock, held until
the caller's transaction ends. The nightly pull numbers its new customers under the same lock
(dms_sync.services.pull.customers), so a file created on the New customer screen during a pull waits for the
pull's page to commit and then takes the next number; two coordinators creating at once take one each. A number
already on file in the store (loaded by other means) is never handed out again: the counter moves past the
store's highest number, read through the unique (store, number) index.
"""

from django.db import connection
from django.db.models import Max

from .models import Customer, Dealership


def dealership_lock(*, dealership_id: int) -> int:
    """Lock the store's row until the transaction ends; return its counter. Call inside `transaction.atomic`."""
    if not connection.in_atomic_block:
        raise RuntimeError("The store row is locked for the caller's transaction: call inside transaction.atomic.")
    return Dealership.objects.select_for_update().values_list("next_dealermine_number", flat=True).get(pk=dealership_id)


def dealermine_number_take(*, dealership_id: int, counter: int | None = None) -> int:
    """The store's next DealerMine number, taken for good (the counter moves past it) in the caller's
    transaction, under the store row's lock. A rolled-back transaction gives it back. `counter`: what
    `dealership_lock` returned, when the caller holds the lock already."""
    if counter is None:
        counter = dealership_lock(dealership_id=dealership_id)
    highest = Customer.objects.filter(dealership_id=dealership_id).aggregate(n=Max("dealermine_number"))["n"]
    number = max(counter, (highest or 0) + 1)
    Dealership.objects.filter(pk=dealership_id).update(next_dealermine_number=number + 1)
    return number
