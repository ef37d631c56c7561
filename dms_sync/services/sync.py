"""The nightly pull: adapter pages -> idempotent upserts of customers, vehicles and repair orders.

A run:
1. takes the store's run lock (the Dealership row under select_for_update while the SyncRun row is created;
   the partial unique constraint on status=running is the database's guarantee). A second run is refused
   with a clear message; a run whose process died (no heartbeat, or its pid is gone) is marked abandoned.
2. validates the whole extract (manifest, checksums, row counts, headers) before touching anything;
3. streams the rows page by page, each page in its own transaction (memory stays bounded, a killed run
   keeps the pages it finished and a re-run converges): unchanged rows are skipped by their row hash;
   bad rows are quarantined with file, line and reason while good rows load; suppressed values are never
   re-added; a user's edit made on or after the row's last_change_date is kept; allow_* flags become
   contact-method turn-offs; every applied change to an existing customer writes one history entry. The next
   pages are read by a thread while the current one is written, or for a big file drop by a second process
   that also leaves the unchanged customer rows out (dms_sync.readahead, dms_sync.unchanged).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.db.models.functions import Collate
from django.utils import timezone

from contacts.models import ContactMethod, TurnOffEvent, TurnOffTarget
from customers.models import Customer, CustomerHistory, Dealership, HistorySource, RepairOrder, TurnOffReason, Vehicle
from customers.services.history import history_entry

from ..adapters import AdapterError, DmsAdapter, Page, SourceRow, adapter_for
from ..models import QuarantinedRow, SuppressedField, Suppression, SyncRun, SyncStatus
from ..rows import (
    BOOKKEEPING_FIELDS,
    FLAG_METHODS,
    RowError,
    customer_number_check,
    customer_values,
    repair_order_values,
    row_hash,
    vehicle_values,
)
from .bulk import bulk_insert

logger = logging.getLogger(__name__)

DMS_LABEL = "DMS sync"
DMS_REASON_CODE = "DMS"
DEFAULT_BATCH_SIZE = 2000
MAX_WARNINGS = 200
SUPPRESSIBLE = set(SuppressedField.values)
CUSTOMER_LABELS = {
    f.name: str(f.verbose_name)[:1].upper() + str(f.verbose_name)[1:] for f in Customer._meta.get_fields() if f.concrete
}
VEHICLE_FIELDS = ["year", "make", "model", "delivery_date", "owns", "vin_check_digit_ok"]
RO_FIELDS = ["customer_id", "vin", "closed_date", "labour_sale", "parts_sale"]
#: Columns the pull looks rows up by (see _refresh_statistics).
ANALYZE_COLUMNS = [
    (Customer, ["dealership_id", "dms_number", "dealermine_number"]),
    (Vehicle, ["customer_id", "vin"]),
    (RepairOrder, ["dealership_id", "ro_number"]),
]


class SyncAlreadyRunning(Exception):
    pass


class NewCustomer:
    """A customer row about to be inserted: its field values (attname -> value), then its id once written.
    Not a Customer instance: a first import creates hundreds of thousands, and the instance cost more to
    build than its row costs to write (dms_sync.services.bulk)."""

    __slots__ = ("pk", "values")

    def __init__(self, values: dict):
        self.values = values
        self.pk: int | None = None


@dataclass
class FileCounts:
    seen: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0


@dataclass
class RunContext:
    run: SyncRun
    store: Dealership
    tz: ZoneInfo
    dms_reason: TurnOffReason
    #: Customers with a higher id were created by this run (ids only grow).
    max_id_before: int = 0
    analyzed_at_created: int = 0
    counts: dict[str, FileCounts] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seen_customers: set[int] = field(default_factory=set)
    _by_source: dict[str, FileCounts] = field(default_factory=dict)
    duplicates: int = 0
    vin_warnings: int = 0
    suppressed_skips: int = 0
    user_edits_kept: int = 0

    def file(self, name: str) -> FileCounts:
        counts = self._by_source.get(name)
        if counts is None:
            key = name.split("#", 1)[-1] if "#" in name else name
            key = {
                "vehicles": "vehicles.csv",
                "repair_orders": "repair_orders.csv",
                "api:/customers": "customers.csv",
            }.get(key, key)
            counts = self._by_source[name] = self.counts.setdefault(key, FileCounts())
        return counts

    def warn(self, message: str) -> None:
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(message)
        elif len(self.warnings) == MAX_WARNINGS:
            self.warnings.append("... more warnings were left out.")

    def totals(self) -> FileCounts:
        total = FileCounts()
        for c in self.counts.values():
            for name in ("seen", "created", "updated", "unchanged", "quarantined"):
                setattr(total, name, getattr(total, name) + getattr(c, name))
        return total


# --- the run lock ------------------------------------------------------------------------------------------
def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def sync_run_is_abandoned(run: SyncRun, *, now: datetime | None = None) -> bool:
    """A running run whose process is gone: its pid is dead on this host, or no heartbeat for too long."""
    now = now or timezone.now()
    stale_after = timedelta(seconds=getattr(settings, "DMS_SYNC_STALE_SECONDS", 900))
    if (run.heartbeat_at or run.started_at) < now - stale_after:
        return True
    host, _, pid = run.owner.rpartition(":")
    if host == socket.gethostname() and pid.isdigit() and int(pid) != os.getpid():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
    return False


def sync_run_start(*, dealership: Dealership, adapter: str) -> SyncRun:
    """Create the store's running SyncRun or raise SyncAlreadyRunning."""
    now = timezone.now()
    with transaction.atomic():
        Dealership.objects.select_for_update().filter(pk=dealership.pk).first()
        running = SyncRun.objects.filter(dealership=dealership, status=SyncStatus.RUNNING).first()
        if running is not None:
            if not sync_run_is_abandoned(running, now=now):
                raise SyncAlreadyRunning(
                    f"A DMS pull for {dealership.code} is already running (run #{running.pk}, started "
                    f"{timezone.localtime(running.started_at):%Y-%m-%d %H:%M}, by {running.owner or 'unknown'}); "
                    "wait for it to finish."
                )
            SyncRun.objects.filter(pk=running.pk).update(
                status=SyncStatus.FAILED,
                finished_at=now,
                error=f"Abandoned: its process ({running.owner or 'unknown'}) stopped without finishing; "
                "a later run took over.",
            )
        try:
            with transaction.atomic():
                return SyncRun.objects.create(
                    dealership=dealership,
                    adapter=adapter,
                    started_at=now,
                    heartbeat_at=now,
                    owner=_owner(),
                )
        except IntegrityError:
            raise SyncAlreadyRunning(f"A DMS pull for {dealership.code} is already running.") from None


def _save_counts(ctx: RunContext, **extra) -> None:
    total = ctx.totals()
    SyncRun.objects.filter(pk=ctx.run.pk).update(
        seen=total.seen,
        created=total.created,
        updated=total.updated,
        unchanged=total.unchanged,
        quarantined=total.quarantined,
        heartbeat_at=timezone.now(),
        **extra,
    )


def _dms_reason() -> TurnOffReason:
    reason, _ = TurnOffReason.objects.get_or_create(
        dealership=None,
        code=DMS_REASON_CODE,
        defaults={"label": "Turned off in the DMS", "applies_to_contact_method": True},
    )
    return reason


# --- entry point -------------------------------------------------------------------------------------------
def dms_pull(
    *,
    dealership: Dealership,
    path=None,
    adapter: DmsAdapter | None = None,
    batch_size: int | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    after_page: Callable[[SyncRun, int], None] | None = None,
) -> SyncRun:
    """Run one pull for a store and return its SyncRun (status succeeded or failed).

    Raises SyncAlreadyRunning when another run holds the store. `progress(rows_done, total)` and
    `after_page(run, page_number)` are hooks for the command's progress bar and for crash-injection tests.
    """
    batch_size = batch_size or getattr(settings, "DMS_SYNC_BATCH_SIZE", DEFAULT_BATCH_SIZE)
    adapter = adapter or adapter_for(dealership)
    try:
        run = sync_run_start(dealership=dealership, adapter=adapter.name)
    except BaseException:
        adapter.close()
        raise
    ctx = None
    try:
        last = (
            SyncRun.objects.filter(dealership=dealership, status=SyncStatus.SUCCEEDED)
            .exclude(cursor="")
            .order_by("-started_at")
            .values_list("cursor", flat=True)
            .first()
        )
        pull = adapter.changes_since(last or "", path=path)
        SyncRun.objects.filter(pk=run.pk).update(source=pull.source[:500])
        pull.validate()  # nothing is written to the customer file before this passes
        ctx = RunContext(
            run=run,
            store=dealership,
            tz=ZoneInfo(dealership.time_zone),
            dms_reason=_dms_reason(),
            max_id_before=Customer.objects.aggregate(m=Max("pk"))["m"] or 0,
        )
        done = 0
        if progress:
            progress(0, pull.total)
        # The next pages are read while this one is written (dms_sync.readahead); closed explicitly so the reader
        # has stopped before the adapter is closed, whatever ends the loop.
        pages = pull.pages_ahead(batch_size=batch_size, stored_digests=lambda: _stored_digests(dealership))
        try:
            for number, page in enumerate(pages, start=1):
                _apply_page(ctx, page)
                done += len(page)
                _save_counts(ctx)
                _refresh_statistics(ctx)
                if progress:
                    progress(done, pull.total)
                if after_page:
                    after_page(run, number)
        finally:
            pages.close()
        _finish_warnings(ctx, pull.warnings)
        _save_counts(
            ctx,
            status=SyncStatus.SUCCEEDED,
            finished_at=timezone.now(),
            cursor=pull.next_cursor[:200],
            warnings=ctx.warnings,
        )
    except (AdapterError, OSError) as exc:
        _fail(run, ctx, str(exc))
    except KeyboardInterrupt:
        _fail(run, ctx, "Interrupted.")
        raise
    except Exception as exc:
        logger.exception("DMS pull for %s failed", dealership.code)
        _fail(run, ctx, f"Unexpected error: {exc.__class__.__name__}: {exc}")
    finally:
        adapter.close()
    run.refresh_from_db()
    return run


def _stored_digests(store: Dealership, chunk: int = 20_000) -> Iterator[list[str]]:
    """The row digests stored with the store's customers, in chunks, in order: for a reader that leaves the
    unchanged rows out (dms_sync.unchanged). One streamed read instead of a lookup per page."""
    # Byte order, as StoredDigests keeps them (SQLite compares bytes anyway; PostgreSQL's default collation
    # would compare them through the locale, slower, in what is for hex text the same order).
    order = Collate("dms_row_hash", "C") if connection.vendor == "postgresql" else "dms_row_hash"
    digests = (
        Customer.objects.filter(dealership=store)
        .exclude(dms_row_hash="")
        .order_by(order)
        .values_list("dms_row_hash", flat=True)
        .iterator(chunk_size=chunk)
    )
    while batch := list(islice(digests, chunk)):
        yield batch


def _refresh_statistics(ctx: RunContext) -> None:
    """PostgreSQL: ANALYZE the loaded tables when a run has grown them a lot (each time the rows it created
    double, from 10,000 on). Without statistics on a freshly bulk-loaded table the planner reads every row of
    the store for each page's lookup instead of using the unique indexes, and a big first import turns
    quadratic. Autovacuum would get there too, but not within the run."""
    if connection.vendor != "postgresql":
        return
    created = ctx.totals().created
    if created < max(10_000, 2 * ctx.analyzed_at_created):
        return
    # Only the columns the pull's own lookups filter on: a full ANALYZE of the customer table also computes the
    # statistics of every expression index (trigram, reverse phones), ~10x the time. Autovacuum analyzes the
    # whole tables after the run, as it would after any large change.
    q = connection.ops.quote_name
    targets = ", ".join(
        f"{q(model._meta.db_table)} ({', '.join(q(c) for c in columns)})" for model, columns in ANALYZE_COLUMNS
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {targets}")
    ctx.analyzed_at_created = created


def _fail(run: SyncRun, ctx: RunContext | None, message: str) -> None:
    extra = {"status": SyncStatus.FAILED, "finished_at": timezone.now(), "error": message[:5000]}
    if ctx is not None:
        _save_counts(ctx, warnings=ctx.warnings, **extra)
    else:
        SyncRun.objects.filter(pk=run.pk).update(**extra)


def _finish_warnings(ctx: RunContext, pull_warnings: list[str]) -> None:
    for message in pull_warnings:
        ctx.warn(message)
    if ctx.duplicates:
        ctx.warn(f"{ctx.duplicates} customer number(s) appeared more than once; the last row won.")
    if ctx.vin_warnings:
        ctx.warn(f"{ctx.vin_warnings} VIN(s) failed the check digit; loaded and flagged.")
    if ctx.suppressed_skips:
        ctx.warn(f"{ctx.suppressed_skips} suppressed value(s) were not re-added.")
    if ctx.user_edits_kept:
        ctx.warn(f"{ctx.user_edits_kept} field(s) kept a user's newer edit.")


# --- pages -------------------------------------------------------------------------------------------------
def _apply_page(ctx: RunContext, page: Page) -> None:
    _count_unchanged_customers(ctx, page)
    with transaction.atomic():
        quarantine: list[QuarantinedRow] = []
        if page.customers:
            _apply_customers(ctx, page.customers, quarantine)
        if page.vehicles:
            _apply_vehicles(ctx, page.vehicles, quarantine)
        if page.repair_orders:
            _apply_repair_orders(ctx, page.repair_orders, quarantine)
        QuarantinedRow.objects.bulk_create(quarantine, batch_size=500)


def _count_unchanged_customers(ctx: RunContext, page: Page) -> None:
    """Customer rows the reader left out as unchanged (dms_sync.unchanged): counted as seen and unchanged,
    and remembered like any row, so a later row of the same customer is noted and looked up."""
    if not page.unchanged_customers:
        return
    counts = ctx.file(page.unchanged_file)
    counts.seen += len(page.unchanged_customers)
    counts.unchanged += len(page.unchanged_customers)
    for number, line in zip(page.unchanged_customers, page.unchanged_lines, strict=True):
        _seen_before(ctx, page.unchanged_file, number, line)


def _seen_before(ctx: RunContext, file: str, number: str, line: int) -> bool:
    """Remember a customer row's number; True, with a warning, when the run has had it before."""
    key = hash(number)
    if key in ctx.seen_customers:
        ctx.duplicates += 1
        ctx.warn(f"{file}: customer {number} appears again at line {line}; the last row wins.")
        return True
    ctx.seen_customers.add(key)
    return False


def _quarantine(ctx: RunContext, quarantine: list, row: SourceRow, reason: str) -> None:
    ctx.file(row.file).quarantined += 1
    raw = row.raw or ",".join(v for k, v in row.data.items() if not k.startswith("__"))
    quarantine.append(
        QuarantinedRow(run=ctx.run, source_file=row.file[:120], line_number=row.line, raw=raw, reason=reason[:500])
    )


def _display(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _user_edit_wins(customer: Customer, field_name: str, last_change, tz: ZoneInfo) -> bool:
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


def _apply_customers(ctx: RunContext, rows: list[SourceRow], quarantine: list) -> None:
    store = ctx.store
    latest: dict[str, tuple[SourceRow, str]] = {}
    for row in rows:
        counts = ctx.file(row.file)
        counts.seen += 1
        if row.error is not None:
            _quarantine(ctx, quarantine, row, row.error)
            continue
        try:
            number = customer_number_check(row.value("customer_number"))
        except RowError as exc:
            _quarantine(ctx, quarantine, row, str(exc))
            continue
        if _seen_before(ctx, row.file, number, row.line) and number in latest:
            counts.unchanged += 1  # superseded inside this page: counted once, applied once
        latest[number] = (row, row.digest or row_hash(row.data))
    if not latest:
        return
    found = {
        number: (pk, digest) for number, pk, digest in _customers_by_number(store.pk, latest, ["id", "dms_row_hash"])
    }
    stored = {number: digest for number, (_pk, digest) in found.items()}
    todo: list[tuple[SourceRow, str, str, dict, dict]] = []  # changed rows of customers on file
    fresh: list[tuple[SourceRow, str, str]] = []  # new customers: validated as they are written
    for number, (row, digest) in latest.items():
        if stored.get(number) == digest:
            ctx.file(row.file).unchanged += 1
            continue
        if number not in found:
            fresh.append((row, number, digest))
            continue
        parsed = _parsed_or_quarantine(ctx, quarantine, row, customer_values, store_country=store.country)
        if parsed is not None:
            todo.append((row, number, digest, *parsed))
    if not todo and not fresh:
        return

    numbers = [t[1] for t in todo] + [t[1] for t in fresh]
    existing_ids = [found[t[1]][0] for t in todo]
    existing = (
        {c.dms_number: c for c in Customer.objects.select_for_update().filter(pk__any_of=existing_ids).order_by("pk")}
        if existing_ids
        else {}
    )
    suppressed = set(
        Suppression.objects.filter(dealership=store, dms_number__any_of=numbers).values_list(
            "dms_number", "field", "value"
        )
    )
    now = timezone.now()
    changed: list[Customer] = []
    hash_only: list[Customer] = []
    changed_fields: set[str] = set()
    history: list[CustomerHistory] = []
    flags_by_customer: list[tuple[Customer, dict, list]] = []

    for row, number, digest, values, flags in todo:
        counts = ctx.file(row.file)
        customer = existing.get(number)
        if customer is None:  # deleted since the lookup: written as a new customer
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
                changes.append(
                    {
                        "field": name,
                        "label": CUSTOMER_LABELS.get(name, name),
                        "old": _display(old),
                        "new": _display(new),
                    }
                )
        customer.dms_row_hash = digest
        flags_by_customer.append((customer, flags, changes))
        if changes:
            customer.version += 1
            customer.updated_at = now
            changed.append(customer)
            counts.updated += 1
        else:
            hash_only.append(customer)
            counts.unchanged += 1

    new_customers = _insert_new_customers(ctx, fresh, suppressed, quarantine)
    if changed:
        Customer.objects.bulk_update(
            changed, sorted(changed_fields | {"dms_row_hash", "version", "updated_at"}), batch_size=500
        )
    if hash_only:
        Customer.objects.bulk_update(hash_only, ["dms_row_hash", "dms_last_change_date"], batch_size=500)

    # Contact methods from the allow_* flags: N turns the methods off; Y turns back on only what the DMS
    # itself turned off (a coordinator's turn-off is never undone by the DMS).
    pending = [(c, flags, None) for c, flags in new_customers] + [t for t in flags_by_customer if t[1]]
    if pending:
        current = {
            (m.customer_id, m.method): m
            for m in ContactMethod.objects.filter(customer_id__any_of=[c.pk for c, _f, _h in pending])
        }
        creates, updates, events = [], [], []
        for customer, flags, changes in pending:
            for column, flag in flags.items():
                for method in FLAG_METHODS[column]:
                    state = current.get((customer.pk, method))
                    is_on = state.is_on if state else True
                    if flag == is_on:
                        continue
                    if flag and (state.changed_by_id is not None or state.reason_id != ctx.dms_reason.pk):
                        continue
                    reason_id = None if flag else ctx.dms_reason.pk
                    if state is None:  # new rows as plain values (dms_sync.services.bulk)
                        creates.append(
                            {
                                "customer_id": customer.pk,
                                "method": method,
                                "is_on": flag,
                                "reason_id": reason_id,
                                "changed_at": now,
                            }
                        )
                    else:
                        state.is_on = flag
                        state.reason_id = reason_id
                        state.changed_by = None
                        state.changed_at = now
                        updates.append(state)
                    events.append(
                        {
                            "customer_id": customer.pk,
                            "target": TurnOffTarget.CONTACT_METHOD.value,
                            "code": method,
                            "is_on": flag,
                            "reason_id": reason_id,
                            "actor_label": DMS_LABEL,
                            "created_at": now,
                        }
                    )
                    if changes is not None:
                        label = ContactMethod(method=method).get_method_display()
                        changes.append(
                            {
                                "field": f"contact_method:{method}",
                                "label": label,
                                "old": "On" if is_on else "Off",
                                "new": "On" if flag else "Off",
                            }
                        )
                        if customer not in changed:
                            ctx.file("customers.csv").unchanged -= 1
                            ctx.file("customers.csv").updated += 1
                            changed.append(customer)
        bulk_insert(ContactMethod, creates)
        ContactMethod.objects.bulk_update(updates, ["is_on", "reason", "changed_by", "changed_at"], batch_size=500)
        bulk_insert(TurnOffEvent, events)

    for customer, _flags, changes in flags_by_customer:
        if changes:
            history.append(
                history_entry(
                    customer_id=customer.pk,
                    now=now,
                    source=HistorySource.DMS_SYNC,
                    actor_label=DMS_LABEL,
                    action="dms_update",
                    changes=changes,
                )
            )
    CustomerHistory.objects.bulk_create(history, batch_size=500)


def _drop_suppressed(ctx: RunContext, number: str, values: dict, suppressed: set) -> None:
    """A value a coordinator removed (Suppression) is never re-added by the DMS."""
    for name in SUPPRESSIBLE:
        if values.get(name) and (number, name, values[name]) in suppressed:
            ctx.suppressed_skips += 1
            values.pop(name)


def _insert_new_customers(ctx: RunContext, fresh: list, suppressed: set, quarantine: list) -> list:
    """Validate the new customers' rows while COPY writes them, and return [(NewCustomer with its id, flags)]
    for those whose flags turn a contact method off (a new customer's methods are on without a row, so the
    others have nothing more to write; their ids are not read back).

    Validation feeds the COPY row by row, so PostgreSQL indexes the rows already sent while Python validates
    the next ones instead of waiting for the whole page. DealerMine numbers are handed out in order under the
    store row lock, and the store's counter moves past the last one used (quarantined rows take none).
    """
    if not fresh:
        return []
    store = ctx.store
    first = Dealership.objects.select_for_update().values_list("next_dealermine_number", flat=True).get(pk=store.pk)
    written: list[tuple[NewCustomer, dict]] = []

    def values_in_order():
        for row, number, digest in fresh:
            parsed = _parsed_or_quarantine(ctx, quarantine, row, customer_values, store_country=store.country)
            if parsed is None:
                continue
            values, flags = parsed
            _drop_suppressed(ctx, number, values, suppressed)
            if values.get("kind") == "prospect" and values.get("activity_salesperson"):
                values["entered_by_name"] = values["activity_salesperson"]
            values.update(
                dealership_id=store.pk, dms_number=number, dms_row_hash=digest, dealermine_number=first + len(written)
            )
            written.append((NewCustomer(values), flags))
            ctx.file(row.file).created += 1
            yield values

    bulk_insert(Customer, values_in_order())
    if not written:
        return []
    Dealership.objects.filter(pk=store.pk).update(next_dealermine_number=first + len(written))
    turned_off = [(c, flags) for c, flags in written if not all(flags.values())]  # all([]) is True: no flags
    if turned_off:
        ids = dict(_customers_by_number(store.pk, [c.values["dms_number"] for c, _ in turned_off], ["id"]))
        for c, _ in turned_off:
            c.pk = ids[c.values["dms_number"]]
    return turned_off


def _customers_by_number(store_id: int, numbers, columns: list[str]) -> list[tuple]:
    """(dms_number, *columns) of the store's customers with these DMS numbers."""
    q = connection.ops.quote_name
    select = ", ".join(q(c) for c in ["dms_number", *columns])
    return _by_customer_number(f"SELECT {select} FROM {q(Customer._meta.db_table)}", store_id, numbers)  # noqa: S608


def _vehicle_hashes_by_number(store_id: int, numbers) -> list[tuple]:
    """(customer DMS number, VIN, row hash) of the vehicles of the store's customers with these DMS numbers."""
    q = connection.ops.quote_name
    customers, vehicles = q(Customer._meta.db_table), q(Vehicle._meta.db_table)
    head = (
        f"SELECT {customers}.{q('dms_number')}, {vehicles}.{q('vin')}, {vehicles}.{q('dms_row_hash')} "  # noqa: S608
        f"FROM {vehicles} JOIN {customers} ON {customers}.{q('id')} = {vehicles}.{q('customer_id')}"
    )
    return _by_customer_number(head, store_id, numbers, table=customers)


def _by_customer_number(head: str, store_id: int, numbers, *, table: str = "") -> list[tuple]:
    """Rows of `head` (a SELECT ... FROM over the customer table) for the store's customers with these numbers.

    Raw SQL on purpose: the (dealership, dms_number) unique index is partial (dms_number <> ''), and SQLite
    uses a partial index only when the query repeats its condition with a literal. The ORM binds '' as a
    parameter, so SQLite would scan all of the store's customers for every page (quadratic over a run).
    """
    numbers = list(numbers)
    q = connection.ops.quote_name
    prefix = f"{table}." if table else ""
    # Only quoted identifiers and placeholders are interpolated; every value is a parameter.
    number = f"{prefix}{q('dms_number')}"
    head = f"{head} WHERE {prefix}{q('dealership_id')} = %s AND NOT ({number} = '')"
    rows: list[tuple] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # the whole page as one array parameter (dealermine.lookups)
            cursor.execute(f"{head} AND {number} = ANY(%s)", [store_id, numbers])
            return cursor.fetchall()
        for start in range(0, len(numbers), 900):
            chunk = numbers[start : start + 900]
            cursor.execute(f"{head} AND {number} IN ({', '.join(['%s'] * len(chunk))})", [store_id, *chunk])
            rows.extend(cursor.fetchall())
    return rows


def _customer_ids(ctx: RunContext, rows: list[SourceRow]) -> dict[str, tuple[int, bool]]:
    """DMS number -> (customer id, existed before this run)."""
    numbers = {r.value("customer_number") for r in rows} - {""}
    return {number: (pk, pk <= ctx.max_id_before) for number, pk in _customers_by_number(ctx.store.pk, numbers, ["id"])}


def _readable(ctx: RunContext, row: SourceRow, quarantine: list) -> bool:
    """Count a vehicle or repair-order row; one that failed to parse is quarantined and False returned."""
    ctx.file(row.file).seen += 1
    if row.error is not None:
        _quarantine(ctx, quarantine, row, row.error)
        return False
    return True


def _owner_or_quarantine(ctx: RunContext, owners: dict, row: SourceRow, quarantine: list) -> tuple[int, bool] | None:
    """The (id, existed before this run) of a row's customer; a row whose customer is not on file is
    quarantined instead and None is returned."""
    number = row.value("customer_number")
    if number not in owners:
        reason = "customer_number is empty" if not number else f"customer {number} is not on file"
        _quarantine(ctx, quarantine, row, reason + " (its customer row is missing or was quarantined)")
        return None
    return owners[number]


def _apply_vehicles(ctx: RunContext, rows: list[SourceRow], quarantine: list) -> None:
    # Unchanged rows are recognised by DMS customer number + VIN, joined to the stored vehicles in one query;
    # only the rows left need their customer's id (a second lookup), so a re-run of an unchanged extract skips it.
    pending: dict[tuple[str, str], tuple[SourceRow, str]] = {}
    for row in rows:
        if not _readable(ctx, row, quarantine):
            continue
        key = (row.value("customer_number"), row.value("vin").replace(" ", "").upper())
        if key in pending:
            ctx.file(row.file).unchanged += 1
        pending[key] = (row, row.digest or row_hash(row.data))
    if not pending:
        return
    by_number = {
        (number, vin): digest
        for number, vin, digest in _vehicle_hashes_by_number(ctx.store.pk, {k[0] for k in pending} - {""})
    }
    todo = []
    for key, (row, digest) in pending.items():
        if by_number.get(key) == digest:
            ctx.file(row.file).unchanged += 1  # the cheap path: same row as last time, not even parsed
        else:
            todo.append((key, row, digest))
    if not todo:
        return
    owners = _customer_ids(ctx, [row for _key, row, _digest in todo])
    latest: dict[tuple[int, str], tuple[SourceRow, str, dict, bool]] = {}  # changed vehicles on file
    fresh: list[tuple[tuple[int, str], SourceRow, str, bool]] = []  # new ones: validated as they are written
    for (number, vin), row, digest in todo:
        owner = _owner_or_quarantine(ctx, owners, row, quarantine)
        if owner is None:
            continue
        customer_id, existed = owner
        key = (customer_id, vin)
        if (number, vin) not in by_number:
            fresh.append((key, row, digest, existed))
            continue
        values = _vehicle_values_or_quarantine(ctx, row, quarantine)
        if values is not None:
            latest[key] = (row, digest, values, existed)
    if not latest and not fresh:
        return
    current = (
        {
            (v.customer_id, v.vin): v
            for v in Vehicle.objects.filter(customer_id__any_of={k[0] for k in latest}).only(
                "id", "customer_id", "vin", "dms_row_hash", "owns_reason_id", *VEHICLE_FIELDS
            )
            if (v.customer_id, v.vin) in latest
        }
        if latest
        else {}
    )
    now = timezone.now()
    updates, changes_by_customer = [], {}
    for (customer_id, vin), (row, digest, values, existed) in latest.items():
        counts = ctx.file(row.file)
        vehicle = current.get((customer_id, vin))
        if vehicle is None:  # deleted since the lookup: written as a new vehicle
            fresh.append(((customer_id, vin), row, digest, existed))
            continue
        if vehicle.dms_row_hash == digest:
            counts.unchanged += 1
            continue
        changes = []
        for name, new in values.items():
            if name == "vin":
                continue
            old = getattr(vehicle, name)
            if old == new:
                continue
            if name == "owns" and new and vehicle.owns_reason_id is not None:
                continue  # turned off with a reason in DealerMine: the DMS does not turn it back on
            setattr(vehicle, name, new)
            changes.append(
                {
                    "field": f"vehicle:{vin}:{name}",
                    "label": f"{vin} {name.replace('_', ' ')}",
                    "old": _display(old),
                    "new": _display(new),
                }
            )
        vehicle.dms_row_hash = digest
        vehicle.updated_at = now
        updates.append(vehicle)
        if changes:
            counts.updated += 1
            if existed:
                changes_by_customer.setdefault(customer_id, []).extend(changes)
        else:
            counts.unchanged += 1

    def new_vehicles():
        # Validated as COPY writes them (see _insert_new_customers).
        for (customer_id, vin), row, digest, existed in fresh:
            values = _vehicle_values_or_quarantine(ctx, row, quarantine)
            if values is None:
                continue
            ctx.file(row.file).created += 1
            if existed:
                changes_by_customer.setdefault(customer_id, []).append(
                    {"field": "vehicle", "label": "Vehicle", "old": "", "new": f"{vin} added"}
                )
            values.update(customer_id=customer_id, dms_row_hash=digest)
            yield values

    bulk_insert(Vehicle, new_vehicles())
    Vehicle.objects.bulk_update(updates, [*VEHICLE_FIELDS, "dms_row_hash", "updated_at"], batch_size=500)
    CustomerHistory.objects.bulk_create(
        [
            history_entry(
                customer_id=customer_id,
                now=now,
                source=HistorySource.DMS_SYNC,
                actor_label=DMS_LABEL,
                action="dms_vehicles",
                changes=changes,
            )
            for customer_id, changes in changes_by_customer.items()
        ],
        batch_size=500,
    )


def _parsed_or_quarantine(ctx: RunContext, quarantine: list, row: SourceRow, parse: Callable, **kwargs):
    """`parse(row.data, **kwargs)` (one of dms_sync.rows' *_values), or None with the row quarantined for the
    RowError's reason."""
    try:
        return parse(row.data, **kwargs)
    except RowError as exc:
        _quarantine(ctx, quarantine, row, str(exc))
        return None


def _vehicle_values_or_quarantine(ctx: RunContext, row: SourceRow, quarantine: list) -> dict | None:
    values = _parsed_or_quarantine(ctx, quarantine, row, vehicle_values)
    if values is not None and not values["vin_check_digit_ok"]:
        ctx.vin_warnings += 1
    return values


def _apply_repair_orders(ctx: RunContext, rows: list[SourceRow], quarantine: list) -> None:
    # Unchanged rows first, by RO number; only the rows left need their customer's id (see _apply_vehicles).
    pending: dict[str, tuple[SourceRow, str]] = {}
    for row in rows:
        if not _readable(ctx, row, quarantine):
            continue
        ro_number = row.value("ro_number")
        if ro_number in pending:
            ctx.file(row.file).unchanged += 1
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
    owners = _customer_ids(ctx, [row for _ro_number, row, _digest in todo])
    latest: dict[str, tuple[SourceRow, str, dict, int]] = {}  # changed repair orders on file
    fresh: list[tuple[str, SourceRow, str, int]] = []  # new ones: validated as they are written
    for ro_number, row, digest in todo:
        owner = _owner_or_quarantine(ctx, owners, row, quarantine)
        if owner is None:
            continue
        customer_id = owner[0]
        if ro_number not in stored:
            fresh.append((ro_number, row, digest, customer_id))
            continue
        values = _parsed_or_quarantine(ctx, quarantine, row, repair_order_values)
        if values is not None:
            latest[ro_number] = (row, digest, values, customer_id)
    if not latest and not fresh:
        return
    current = (
        {ro.ro_number: ro for ro in RepairOrder.objects.filter(dealership=ctx.store, ro_number__any_of=list(latest))}
        if latest
        else {}
    )
    updates = []
    for ro_number, (row, digest, values, customer_id) in latest.items():
        ro = current.get(ro_number)
        if ro is None:  # deleted since the lookup: written as a new repair order
            fresh.append((ro_number, row, digest, customer_id))
            continue
        ro.customer_id = customer_id
        for name, new in values.items():
            setattr(ro, name, new)
        ro.dms_row_hash = digest
        updates.append(ro)
        ctx.file(row.file).updated += 1

    def new_repair_orders():
        # Validated as COPY writes them (see _insert_new_customers).
        for _ro_number, row, digest, customer_id in fresh:
            values = _parsed_or_quarantine(ctx, quarantine, row, repair_order_values)
            if values is None:
                continue
            ctx.file(row.file).created += 1
            values.update(dealership_id=ctx.store.pk, customer_id=customer_id, dms_row_hash=digest)
            yield values

    bulk_insert(RepairOrder, new_repair_orders())
    RepairOrder.objects.bulk_update(updates, [*RO_FIELDS, "dms_row_hash"], batch_size=500)
