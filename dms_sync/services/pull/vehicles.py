"""The vehicle rows of a page: new vehicles inserted, changed ones updated, the changes recorded in the owning
customer's history (customers that existed before this run; a new customer's vehicles are part of its creation).

A vehicle is keyed by its customer's DMS number and VIN. Unchanged rows are recognised by joining those to the
stored vehicles' row hashes in one query; only the rows left need their customer's id (a second lookup), so a
re-run of an unchanged extract skips it.
"""

from __future__ import annotations

from django.utils import timezone

from customers.audit import Change, audit_bulk_save, history_entry
from customers.fields import VEHICLE_PREFIX
from customers.models import AuditAction, HistorySource, Vehicle
from dealermine.bulk import bulk_insert, bulk_update

from ...adapters import SourceRow
from ...rows import row_hash, vehicle_values
from .allow_flags import DMS_LABEL
from .counts import RunContext
from .db_tuning import vehicle_hashes_by_number
from .owners import owner_or_quarantine, owners_by_number

#: The fields the DMS maintains (each has its label in customers.fields.VEHICLE_LABELS).
VEHICLE_FIELDS = ["year", "make", "model", "delivery_date", "owns", "vin_check_digit_ok"]
#: The history key of a vehicle added to a customer (customers.fields.OTHER_LABELS); its new value is the VIN.
VEHICLE_ADDED = "vehicle"


def vehicles_apply(ctx: RunContext, rows: list[SourceRow]) -> None:
    pending: dict[tuple[str, str], tuple[SourceRow, str]] = {}
    for row in rows:
        if not ctx.readable(row):
            continue
        key = (row.value("customer_number"), row.value("vin").replace(" ", "").upper())
        if key in pending:
            ctx.file(row.file).unchanged += 1  # superseded by this later row: counted once, applied once
        pending[key] = (row, row.digest or row_hash(row.data))
    if not pending:
        return
    stored = {
        (number, vin): digest
        for number, vin, digest in vehicle_hashes_by_number(ctx.store.pk, {k[0] for k in pending} - {""})
    }
    todo = []
    for key, (row, digest) in pending.items():
        if stored.get(key) == digest:
            ctx.file(row.file).unchanged += 1  # the cheap path: same row as last time, not even parsed
        else:
            todo.append((key, row, digest))
    if not todo:
        return
    owners = owners_by_number(ctx, [row for _key, row, _digest in todo])
    latest: dict[tuple[int, str], tuple[SourceRow, str, dict, bool]] = {}  # changed vehicles on file
    fresh: list[tuple[tuple[int, str], SourceRow, str, bool]] = []  # new ones: validated as they are written
    for (number, vin), row, digest in todo:
        owner = owner_or_quarantine(ctx, owners, row)
        if owner is None:
            continue
        customer_id, existed = owner
        key = (customer_id, vin)
        if (number, vin) not in stored:
            fresh.append((key, row, digest, existed))
            continue
        values = _vehicle_values(ctx, row)
        if values is not None:
            latest[key] = (row, digest, values, existed)
    if not latest and not fresh:
        return
    now = timezone.now()
    changes_by_customer: dict[int, list[Change]] = {}
    updates = _update_existing(ctx, latest, fresh, changes_by_customer, now=now)

    def new_vehicles():
        # Validated as COPY writes them (see customers._insert_new_customers).
        for (customer_id, vin), row, digest, existed in fresh:
            values = _vehicle_values(ctx, row)
            if values is None:
                continue
            ctx.file(row.file).created += 1
            if existed:
                changes_by_customer.setdefault(customer_id, []).append(Change(VEHICLE_ADDED, None, vin))
            values.update(customer_id=customer_id, dms_row_hash=digest)
            yield values

    bulk_insert(Vehicle, new_vehicles())
    bulk_update(Vehicle, updates, [*VEHICLE_FIELDS, "dms_row_hash", "updated_at"])
    audit_bulk_save(
        history=[
            history_entry(
                customer_id=customer_id,
                action=AuditAction.DMS_VEHICLES,
                changes=changes,
                source=HistorySource.DMS_SYNC,
                actor_label=DMS_LABEL,
                now=now,
            )
            for customer_id, changes in changes_by_customer.items()
        ]
    )


def _update_existing(ctx: RunContext, latest: dict, fresh: list, changes_by_customer: dict, *, now) -> list[Vehicle]:
    """Apply the changed rows to their stored vehicles; returns the vehicles to save. A vehicle deleted since the
    lookup goes to `fresh`, to be written as a new one."""
    if not latest:
        return []
    current = {
        (v.customer_id, v.vin): v
        for v in Vehicle.objects.filter(customer_id__any_of={k[0] for k in latest}).only(
            "id", "customer_id", "vin", "dms_row_hash", "owns_reason_id", *VEHICLE_FIELDS
        )
        if (v.customer_id, v.vin) in latest
    }
    updates = []
    for (customer_id, vin), (row, digest, values, existed) in latest.items():
        counts = ctx.file(row.file)
        vehicle = current.get((customer_id, vin))
        if vehicle is None:
            fresh.append(((customer_id, vin), row, digest, existed))
            continue
        if vehicle.dms_row_hash == digest:
            counts.unchanged += 1
            continue
        changes = []
        for name, new in values.items():
            old = getattr(vehicle, name)
            if name == "vin" or old == new:
                continue
            if name == "owns" and new and vehicle.owns_reason_id is not None:
                continue  # turned off with a reason in DealerMine: the DMS does not turn it back on
            setattr(vehicle, name, new)
            changes.append(Change(f"{VEHICLE_PREFIX}{vin}:{name}", old, new))
        vehicle.dms_row_hash = digest
        vehicle.updated_at = now
        updates.append(vehicle)
        if changes:
            counts.updated += 1
            if existed:
                changes_by_customer.setdefault(customer_id, []).extend(changes)
        else:
            counts.unchanged += 1
    return updates


def _vehicle_values(ctx: RunContext, row: SourceRow) -> dict | None:
    """The row's vehicle values, or None (quarantined); a VIN failing its check digit is loaded and counted."""
    values = ctx.parsed(row, vehicle_values)
    if values is not None and not values["vin_check_digit_ok"]:
        ctx.vin_warnings += 1
    return values
