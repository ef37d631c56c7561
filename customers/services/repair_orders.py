"""The customer's last RO date: the newest closed date of its repair orders, stored on the customer.

Call Select sorts by it both ways (contacts.selectors.call_select). Computed per customer in the list's query,
it was a correlated subquery that PostgreSQL had to run for every eligible customer of the store before it could
sort (100,000 customers: 2.0-2.6 s for 50 rows, against 0.1-0.2 s for the orders that walk an index); stored, it
is walked in order by the indexes of customers 0014.

This module is the column's only writer. Whoever writes repair orders calls `customer_last_ro_dates_refresh`
with the customers whose repair orders it inserted, changed, moved or deleted, after the write and in the same
transaction: the nightly pull (dms_sync.services.pull.repair_orders) and Django admin (customers.admin). The
value is recomputed from the repair orders on file, never carried from the caller, so it cannot drift from them
whatever the order of the writes; a customer whose value is already right is not rewritten (a re-run of an
unchanged night writes nothing).
"""

from collections.abc import Iterable
from datetime import date

from django.db.models import F, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from ..models import Customer, RepairOrder

__all__ = ["customer_last_ro_dates_refresh"]

#: Rows per UPDATE: one array parameter on PostgreSQL, an IN list within SQLite's parameter limit.
CHUNK = 900
#: Stands for "no date" in the comparison, so a NULL on either side counts as a difference.
_NO_DATE = date(1, 1, 1)


def customer_last_ro_dates_refresh(*, customer_ids: Iterable[int]) -> int:
    """Set each given customer's last RO date from its repair orders (None when none has a closed date); return
    how many customers changed."""
    ids = sorted({pk for pk in customer_ids if pk is not None})
    newest = Subquery(
        RepairOrder.objects.filter(customer=OuterRef("pk"), closed_date__isnull=False)
        .order_by("-closed_date")
        .values("closed_date")[:1]
    )
    changed = 0
    for start in range(0, len(ids), CHUNK):
        stale = (
            Customer.objects.filter(pk__any_of=ids[start : start + CHUNK])
            .alias(stored=Coalesce("last_ro_date", Value(_NO_DATE)), fresh=Coalesce(newest, Value(_NO_DATE)))
            .exclude(stored=F("fresh"))
        )
        changed += stale.update(last_ro_date=newest)
    return changed
