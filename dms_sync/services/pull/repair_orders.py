"""The repair-order rows of a page, keyed by the store's RO number. Repair orders are the DMS's record alone (no
one edits them in DealerMine), so a changed row simply replaces the stored one and writes no history. The
customers whose repair orders were written (a moved one: both) get their last RO date refreshed after the write
(customers.services.repair_orders, its one writer).

Unchanged rows are recognised first, by RO number and row hash; only the rows left need their customer's id
(see vehicles).
"""

from __future__ import annotations

from customers.models import RepairOrder
from customers.services.repair_orders import customer_last_ro_dates_refresh
from dealermine.bulk import bulk_insert, bulk_update

from ...adapters import SourceRow
from ...rows import repair_order_values, row_hash
from .counts import RunContext
from .owners import owner_or_quarantine, owners_by_number

RO_FIELDS = ["customer_id", "vin", "closed_date", "labour_sale", "parts_sale"]


def repair_orders_apply(ctx: RunContext, rows: list[SourceRow]) -> None:
    pending: dict[str, tuple[SourceRow, str]] = {}
    for row in rows:
        if not ctx.readable(row):
            continue
        ro_number = row.value("ro_number")
        if ro_number in pending:
            ctx.file(row.file).unchanged += 1  # superseded by this later row: counted once, applied once
        pending[ro_number] = (row, row.digest or row_hash(row.data))
    if not pending:
        return
    stored = dict(
        RepairOrder.objects.filter(dealership=ctx.store, ro_number__any_of=list(pending)).values_list(
            "ro_number", "dms_row_hash"
        )
    )
    todo = []
    for ro_number, (row, digest) in pending.items():
        if stored.get(ro_number) == digest:
            ctx.file(row.file).unchanged += 1
        else:
            todo.append((ro_number, row, digest))
    if not todo:
        return
    owners = owners_by_number(ctx, [row for _ro_number, row, _digest in todo])
    latest: dict[str, tuple[SourceRow, str, dict, int]] = {}  # changed repair orders on file
    fresh: list[tuple[str, SourceRow, str, int]] = []  # new ones: validated as they are written
    for ro_number, row, digest in todo:
        owner = owner_or_quarantine(ctx, owners, row)
        if owner is None:
            continue
        customer_id = owner[0]
        if ro_number not in stored:
            fresh.append((ro_number, row, digest, customer_id))
            continue
        values = ctx.parsed(row, repair_order_values)
        if values is not None:
            latest[ro_number] = (row, digest, values, customer_id)
    if not latest and not fresh:
        return
    touched: set[int] = set()
    updates = _update_existing(ctx, latest, fresh, touched)

    def new_repair_orders():
        # Validated as COPY writes them (see customers._insert_new_customers).
        for _ro_number, row, digest, customer_id in fresh:
            values = ctx.parsed(row, repair_order_values)
            if values is None:
                continue
            ctx.file(row.file).created += 1
            values.update(dealership_id=ctx.store.pk, customer_id=customer_id, dms_row_hash=digest)
            touched.add(customer_id)
            yield values

    bulk_insert(RepairOrder, new_repair_orders())
    bulk_update(RepairOrder, updates, [*RO_FIELDS, "dms_row_hash"])
    customer_last_ro_dates_refresh(customer_ids=touched)


def _update_existing(ctx: RunContext, latest: dict, fresh: list, touched: set[int]) -> list[RepairOrder]:
    """The stored repair orders with the changed rows' values, to save; one deleted since the lookup goes to
    `fresh`, to be written as a new one. Their customers, before and after, are added to `touched`."""
    if not latest:
        return []
    current = {
        ro.ro_number: ro for ro in RepairOrder.objects.filter(dealership=ctx.store, ro_number__any_of=list(latest))
    }
    updates = []
    for ro_number, (row, digest, values, customer_id) in latest.items():
        ro = current.get(ro_number)
        if ro is None:
            fresh.append((ro_number, row, digest, customer_id))
            continue
        touched.update((ro.customer_id, customer_id))
        ro.customer_id = customer_id
        for name, new in values.items():
            setattr(ro, name, new)
        ro.dms_row_hash = digest
        updates.append(ro)
        ctx.file(row.file).updated += 1
    return updates
