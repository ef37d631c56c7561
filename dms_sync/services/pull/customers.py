"""The customer rows of a page: new customers inserted, changed ones updated, each applied change recorded.

For each customer the page's last row counts, and only when it differs from what is stored
(dms_sync.unchanged). Then, field by field: a value a coordinator removed (Suppression) is never re-added; a
value a user edited on or after the row's last_change_date keeps the user's edit; the rest is the DMS's. A
preferred method left with nothing on file, or turned off by the allow_* flags (allow_flags), stops being
preferred, as when a coordinator does it. Every applied change to a customer already on file goes into one
history entry for that customer and row, with raw values (customers.audit).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

from customers.audit import Change, audit_bulk_save, history_entry
from customers.fields import REMOVABLE_FIELDS
from customers.models import AuditAction, Customer, CustomerKind, Dealership, HistorySource
from customers.rules import preferred_method_without_value
from dealermine.bulk import bulk_insert

from ...adapters import SourceRow
from ...models import Suppression
from ...rows import BOOKKEEPING_FIELDS, RowError, customer_number_check, customer_values, row_hash
from ...unchanged import customer_rows_to_apply
from .allow_flags import DMS_LABEL, allow_flags_apply
from .counts import RunContext
from .db_tuning import customers_by_number

#: The fields a removal can block from coming back (customers.fields: the X removes them for good).
SUPPRESSIBLE = frozenset(REMOVABLE_FIELDS)


@dataclass
class CustomerUpdate:
    """A changed row applied to a customer on file: its history changes so far and its allow_* flags."""

    customer_id: int
    file: str
    flags: dict[str, bool]
    changes: list[Change]


def customers_apply(ctx: RunContext, rows: list[SourceRow]) -> None:
    store = ctx.store
    numbered: list[tuple[str, SourceRow, str]] = []
    for row in rows:
        if not ctx.readable(row):
            continue
        try:
            number = customer_number_check(row.value("customer_number"))
        except RowError as exc:
            ctx.quarantine(row, str(exc))
            continue
        ctx.seen_before(row.file, number, row.line)
        numbered.append((number, row, row.digest or row_hash(row.data)))
    if not numbered:
        return
    found = {
        number: (pk, digest)
        for number, pk, digest in customers_by_number(store.pk, {n for n, _r, _d in numbered}, ["id", "dms_row_hash"])
    }
    to_apply, skipped = customer_rows_to_apply(
        numbered, is_stored=lambda number, digest: number in found and found[number][1] == digest
    )
    for _number, row, _digest in skipped:
        ctx.file(row.file).unchanged += 1
    changed: list[tuple[SourceRow, str, str, dict, dict]] = []  # rows of customers on file
    fresh: list[tuple[SourceRow, str, str]] = []  # new customers: validated as they are written
    for number, (row, digest) in to_apply.items():
        if number not in found:
            fresh.append((row, number, digest))
            continue
        parsed = ctx.parsed(row, customer_values, store_country=store.country)
        if parsed is not None:
            changed.append((row, number, digest, *parsed))
    if not changed and not fresh:
        return

    suppressed = set(
        Suppression.objects.filter(
            dealership=store, dms_number__any_of=[t[1] for t in changed] + [t[1] for t in fresh]
        ).values_list("dms_number", "field", "value")
    )
    now = timezone.now()
    updates = _update_existing(ctx, changed, [found[t[1]][0] for t in changed], fresh, suppressed, now=now)
    flagged_new = _insert_new_customers(ctx, fresh, suppressed)

    # The writer adds each customer's contact-method changes to its list, so one entry records the whole row.
    changes = {u.customer_id: u.changes for u in updates}
    flagged = [(u.customer_id, u.flags) for u in updates if u.flags] + flagged_new
    allow_flags_apply(ctx, flagged, changes_into=changes, now=now)

    history = []
    for u in updates:
        if u.changes:
            ctx.file(u.file).updated += 1
            history.append(
                history_entry(
                    customer_id=u.customer_id,
                    action=AuditAction.DMS_UPDATE,
                    changes=u.changes,
                    source=HistorySource.DMS_SYNC,
                    actor_label=DMS_LABEL,
                    now=now,
                )
            )
        else:
            ctx.file(u.file).unchanged += 1  # a new row hash, nothing a user would see
    audit_bulk_save(history=history)


def _update_existing(
    ctx: RunContext, changed: list, ids: list[int], fresh: list, suppressed: set, *, now
) -> list[CustomerUpdate]:
    """Apply the changed rows to their customers (`ids`, locked for the page) and save them; a customer deleted
    since the lookup goes to `fresh`, to be written as a new one."""
    if not changed:
        return []
    existing = {c.dms_number: c for c in Customer.objects.select_for_update().filter(pk__any_of=ids).order_by("pk")}
    updates: list[CustomerUpdate] = []
    with_changes: list[Customer] = []
    hash_only: list[Customer] = []
    changed_fields: set[str] = set()
    for row, number, digest, values, flags in changed:
        customer = existing.get(number)
        if customer is None:
            fresh.append((row, number, digest))
            continue
        _drop_suppressed(ctx, number, values, suppressed)
        changes = []
        last_change = values.get("dms_last_change_date", customer.dms_last_change_date)
        for name, new in values.items():
            old = getattr(customer, name)
            if old == new:
                continue
            if name not in BOOKKEEPING_FIELDS and _user_edit_wins(customer, name, last_change, ctx.tz):
                ctx.user_edits_kept += 1
                continue
            setattr(customer, name, new)
            changed_fields.add(name)
            if name not in BOOKKEEPING_FIELDS:
                changes.append(Change(name, old, new))
        if method := preferred_method_without_value(customer):  # its number or address was just blanked
            customer.preferred_contact_method = ""
            changed_fields.add("preferred_contact_method")
            changes.append(Change("preferred_contact_method", method, ""))
        customer.dms_row_hash = digest
        if changes:
            customer.version += 1
            customer.updated_at = now
            with_changes.append(customer)
        else:
            hash_only.append(customer)
        updates.append(CustomerUpdate(customer.pk, row.file, flags, changes))
    if with_changes:
        fields = sorted(changed_fields | {"dms_row_hash", "version", "updated_at"})
        Customer.objects.bulk_update(with_changes, fields, batch_size=500)
    if hash_only:
        Customer.objects.bulk_update(hash_only, ["dms_row_hash", "dms_last_change_date"], batch_size=500)
    return updates


def _user_edit_wins(customer: Customer, field_name: str, last_change: date | None, tz: ZoneInfo) -> bool:
    """A user's edit of this field on or after the DMS row's last change (in the store's time zone) stays."""
    edited = (customer.user_edited_at or {}).get(field_name)
    if not edited:
        return False
    try:
        when = datetime.fromisoformat(edited)
    except (TypeError, ValueError):
        return False
    if last_change is None:
        return True
    if timezone.is_naive(when):
        when = timezone.make_aware(when, tz)
    return when.astimezone(tz).date() >= last_change


def _drop_suppressed(ctx: RunContext, number: str, values: dict, suppressed: set) -> None:
    """A value a coordinator removed (Suppression) is never re-added by the DMS."""
    for name in SUPPRESSIBLE:
        if values.get(name) and (number, name, values[name]) in suppressed:
            ctx.suppressed_skips += 1
            values.pop(name)


def _insert_new_customers(ctx: RunContext, fresh: list, suppressed: set) -> list[tuple[int, dict[str, bool]]]:
    """Validate the new customers' rows while COPY writes them, and return [(id, flags)] of those whose flags
    turn a contact method off. A new customer's methods are on without a row, so the others have nothing more
    to write and their ids are not read back.

    Validation feeds the COPY row by row, so PostgreSQL indexes the rows already sent while Python validates
    the next ones instead of waiting for the whole page. DealerMine numbers are handed out in order under the
    store row lock, and the store's counter moves past the last one used (quarantined rows take none).
    """
    if not fresh:
        return []
    store = ctx.store
    first = Dealership.objects.select_for_update().values_list("next_dealermine_number", flat=True).get(pk=store.pk)
    created = 0
    turning_off: list[tuple[str, dict[str, bool]]] = []

    def values_in_order():
        nonlocal created
        for row, number, digest in fresh:
            parsed = ctx.parsed(row, customer_values, store_country=store.country)
            if parsed is None:
                continue
            values, flags = parsed
            _drop_suppressed(ctx, number, values, suppressed)
            if values.get("kind") == CustomerKind.PROSPECT and values.get("activity_salesperson"):
                values["entered_by_name"] = values["activity_salesperson"]  # a prospect's DMS record says who
            values.update(
                dealership_id=store.pk, dms_number=number, dms_row_hash=digest, dealermine_number=first + created
            )
            created += 1
            if not all(flags.values()):
                turning_off.append((number, flags))
            ctx.file(row.file).created += 1
            yield values

    bulk_insert(Customer, values_in_order())
    if not created:
        return []
    Dealership.objects.filter(pk=store.pk).update(next_dealermine_number=first + created)
    if not turning_off:
        return []
    ids = dict(customers_by_number(store.pk, [number for number, _flags in turning_off], ["id"]))
    return [(ids[number], flags) for number, flags in turning_off]
