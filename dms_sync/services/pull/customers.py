"""The customer rows of a page: new customers inserted, changed ones updated, each applied change recorded.

For each customer the pull's last row counts (an earlier row, in this page or another, is superseded), and only
when it differs from what is stored (dms_sync.unchanged). Then, field by field, the three-way merge decides who
wins between a person and the DMS (dms_sync.precedence): a field the DMS did not change keeps a person's value;
one both changed goes to the later change, and the history says so. A value a coordinator removed
(Suppression) is never re-added to any field of its family (phones, emails). A preferred method left with
nothing on file, or turned off by the allow_* flags (allow_flags), stops being preferred, as when a coordinator
does it. Every applied change to a customer already on file goes into one history entry for that customer and
row, with raw values (customers.audit).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from customers.audit import Change, Conflict, audit_bulk_save, history_entry, raw_value
from customers.edits import same_raw
from customers.fields import REMOVABLE_FIELDS, family_of
from customers.models import AuditAction, Customer, CustomerKind, Dealership, HistorySource
from customers.rules import preferred_method_without_value
from dealermine.bulk import bulk_insert, bulk_update

from ...adapters import SourceRow
from ...models import Suppression
from ...precedence import NO_ENTRY, Decision, field_decide, flag_base_entry, flag_changed
from ...rows import BOOKKEEPING_FIELDS, RowError, customer_number_check, customer_values, row_hash
from ...unchanged import customer_rows_to_apply
from .allow_flags import DMS_LABEL, FlagRow, allow_flags_apply
from .counts import RunContext
from .db_tuning import customers_by_number


@dataclass
class CustomerUpdate:
    """A changed row applied to a customer on file: its history changes so far and the flags it changed."""

    customer_id: int
    file: str
    flags: dict[str, bool]
    row_date: date | None
    changes: list[Change]


class Suppressed:
    """The page's removed values, by customer number and value family: a value removed from one field is
    blocked from every field of its family, however the DMS formats it (both sides normalized)."""

    def __init__(self, rows: Iterable[tuple[str, str, str]]):
        self._keys = {(number, family_of(field), value) for number, field, value in rows}

    def __contains__(self, key: tuple[str, str, object]) -> bool:
        number, field, value = key
        family = FAMILIES.get(field)
        return family is not None and bool(value) and (number, family, value) in self._keys


#: Removable field -> its value family (customers.fields).
FAMILIES = {key: family_of(key) for key in REMOVABLE_FIELDS}


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
        numbered,
        is_stored=lambda number, digest: number in found and found[number][1] == digest,
        last_lines=ctx.last_lines,
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

    suppressed = Suppressed(
        Suppression.objects.filter(
            dealership=store, dms_number__any_of=[t[1] for t in changed] + [t[1] for t in fresh]
        ).values_list("dms_number", "field", "value")
    )
    now = timezone.now()
    updates = _update_existing(ctx, changed, [found[t[1]][0] for t in changed], fresh, suppressed, now=now)
    flagged_new = _insert_new_customers(ctx, fresh, suppressed)

    # The writer adds each customer's contact-method changes to its list, so one entry records the whole row.
    changes = {u.customer_id: u.changes for u in updates}
    flagged = [FlagRow(u.customer_id, u.flags, u.row_date) for u in updates if u.flags] + flagged_new
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
    ctx: RunContext, changed: list, ids: list[int], fresh: list, suppressed: Suppressed, *, now
) -> list[CustomerUpdate]:
    """Apply the changed rows to their customers (`ids`, locked for the page) and save them; a customer deleted
    since the lookup goes to `fresh`, to be written as a new one."""
    if not changed:
        return []
    existing = {c.dms_number: c for c in Customer.objects.select_for_update().filter(pk__any_of=ids).order_by("pk")}
    updates: list[CustomerUpdate] = []
    with_changes: list[Customer] = []
    bookkeeping: list[Customer] = []
    changed_fields: set[str] = set()
    bases_changed = False
    for row, number, digest, values, flags in changed:
        customer = existing.get(number)
        if customer is None:
            fresh.append((row, number, digest))
            continue
        row_date = values.get("dms_last_change_date", customer.dms_last_change_date)
        base = dict(customer.dms_base or {})
        changes = _merge_row(ctx, customer, number, values, base, row_date, suppressed)
        changed_fields.update(c.key for c in changes if c.conflict != Conflict.PERSON)
        if method := preferred_method_without_value(customer):  # its number or address was just blanked
            customer.preferred_contact_method = ""
            changed_fields.add("preferred_contact_method")
            changes.append(Change("preferred_contact_method", method, ""))
        flags_changed = {}
        for column, sent in flags.items():
            if flag_changed(sent=sent, base_entry=base.get(column)):
                flags_changed[column] = sent
            _base_set(base, column, flag_base_entry(sent))
        if base != (customer.dms_base or {}):
            customer.dms_base = base
            bases_changed = True
        customer.dms_row_hash = digest
        customer.dms_last_change_date = row_date
        if any(c.conflict != Conflict.PERSON for c in changes):
            customer.version += 1
            customer.updated_at = now
            with_changes.append(customer)
        else:
            bookkeeping.append(customer)
        updates.append(CustomerUpdate(customer.pk, row.file, flags_changed, row_date, changes))
    # The DMS's base is written only when a row of the page moved one: most nights none does.
    kept = [*BOOKKEEPING, "dms_base"] if bases_changed else BOOKKEEPING
    if with_changes:
        fields = sorted(changed_fields | {*kept, "version", "updated_at"})
        bulk_update(Customer, with_changes, fields)
    if bookkeeping:
        bulk_update(Customer, bookkeeping, kept)
    return updates


#: What the pull keeps on every customer whose row it read: the row's hash and date.
BOOKKEEPING = ["dms_row_hash", "dms_last_change_date"]


def _merge_row(ctx, customer, number, values, base, row_date, suppressed) -> list[Change]:
    """The three-way merge of one row's values into `customer` and its `base` entries (both updated in
    place); the history changes, conflicts included."""
    changes = []
    edited = customer.user_edited_at or {}
    for name, new in values.items():
        if name in BOOKKEEPING_FIELDS:
            continue
        old = getattr(customer, name)
        if name in base:
            decision = field_decide(
                new=raw_value(new),
                current=raw_value(old),
                has_base=True,
                base=base[name],
                edited_at=edited.get(name),
                row_date=row_date,
                tz=ctx.tz,
            )
        elif old == new:
            continue
        else:
            decision = APPLY  # the DMS changed it and no person did
        if decision.apply and (number, name, new) in suppressed:
            ctx.suppressed_skips += 1  # removed for good: the DMS's value becomes the base, left out
            decision = Decision(False, "", raw_value(new))
        _base_set(base, name, decision.base)
        if decision.apply:
            setattr(customer, name, new)
            changes.append(Change(name, old, new, conflict=decision.conflict))
        elif decision.conflict == Conflict.PERSON:
            ctx.user_edits_kept += 1
            changes.append(Change(name, old, old, conflict=Conflict.PERSON, other=new))
        elif name in base and not same_raw(raw_value(new), raw_value(old)):
            ctx.user_edits_kept += 1  # the DMS did not change it: the person's value stays
    return changes


APPLY = Decision(True, "", NO_ENTRY)


def _base_set(base: dict, name: str, entry) -> None:
    if entry is NO_ENTRY:
        base.pop(name, None)
    else:
        base[name] = entry


def _insert_new_customers(ctx: RunContext, fresh: list, suppressed: Suppressed) -> list[FlagRow]:
    """Validate the new customers' rows while COPY writes them, and return the flags of those whose flags
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
    turning_off: list[tuple[str, dict[str, bool], date | None]] = []

    def values_in_order():
        nonlocal created
        for row, number, digest in fresh:
            parsed = ctx.parsed(row, customer_values, store_country=store.country)
            if parsed is None:
                continue
            values, flags = parsed
            for name in REMOVABLE_FIELDS:
                if (number, name, values.get(name)) in suppressed:
                    ctx.suppressed_skips += 1
                    values.pop(name)
            if not all(flags.values()):  # the DMS's N flags are the new file's base
                values["dms_base"] = {column: False for column, sent in flags.items() if not sent}
            if values.get("kind") == CustomerKind.PROSPECT and values.get("activity_salesperson"):
                values["entered_by_name"] = values["activity_salesperson"]  # a prospect's DMS record says who
            values.update(
                dealership_id=store.pk, dms_number=number, dms_row_hash=digest, dealermine_number=first + created
            )
            created += 1
            if not all(flags.values()):
                off = {column: sent for column, sent in flags.items() if not sent}
                turning_off.append((number, off, values.get("dms_last_change_date")))
            ctx.file(row.file).created += 1
            yield values

    bulk_insert(Customer, values_in_order())
    if not created:
        return []
    Dealership.objects.filter(pk=store.pk).update(next_dealermine_number=first + created)
    if not turning_off:
        return []
    ids = dict(customers_by_number(store.pk, [number for number, _flags, _date in turning_off], ["id"]))
    return [FlagRow(ids[number], flags, row_date) for number, flags, row_date in turning_off]
