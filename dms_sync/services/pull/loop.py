"""The nightly pull of one store: adapter pages -> idempotent upserts of customers, vehicles and repair orders.

A run:
1. takes the store's run lock (runs);
2. validates the whole extract (manifest, checksums, row counts, headers) before touching anything;
3. streams the rows page by page, each page in its own transaction: memory stays bounded, and a killed run
   keeps the pages it finished, so a re-run converges. Unchanged rows are skipped by their row hash, bad rows
   are quarantined with file, line and reason while good rows load (customers, vehicles, repair_orders). The
   next pages are read while the current one is written, by a thread or, for a big file drop, by a second
   process that also leaves the unchanged customer rows out (dms_sync.readahead, dms_sync.unchanged).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from customers.models import Customer, Dealership

from ...adapters import AdapterError, DmsAdapter, Page, adapter_for
from ...models import QuarantinedRow, SyncRun
from .allow_flags import dms_turn_off_reason
from .counts import RunContext
from .customers import customers_apply
from .db_tuning import statistics_refresh, stored_digests
from .repair_orders import repair_orders_apply
from .runs import (
    sync_run_alive,
    sync_run_fail,
    sync_run_heartbeat,
    sync_run_last_cursor,
    sync_run_source_set,
    sync_run_start,
    sync_run_succeed,
)
from .vehicles import vehicles_apply

logger = logging.getLogger(__name__)


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
    batch_size = batch_size or settings.DMS_SYNC_BATCH_SIZE
    adapter = adapter or adapter_for(dealership)
    try:
        run = sync_run_start(dealership=dealership, adapter=adapter.name)
    except BaseException:
        adapter.close()
        raise
    ctx = None
    try:
        pull = adapter.changes_since(sync_run_last_cursor(dealership), path=path)
        sync_run_source_set(run, pull.source)
        # Nothing is written to the customer file before this passes; it also finds repeated customers.
        pull.validate(keepalive=lambda: sync_run_alive(run))
        ctx = RunContext(
            run=run,
            store=dealership,
            tz=ZoneInfo(dealership.time_zone),
            dms_reason_id=dms_turn_off_reason().pk,
            max_id_before=Customer.objects.aggregate(m=Max("pk"))["m"] or 0,
            last_lines=pull.last_lines,
        )
        done = analyzed_at = 0
        if progress:
            progress(0, pull.total)
        # Closed explicitly, so the reader has stopped before the adapter is closed, whatever ends the loop.
        pages = pull.pages_ahead(batch_size=batch_size, stored_digests=lambda: stored_digests(dealership.pk))
        try:
            for number, page in enumerate(pages, start=1):
                _apply_page(ctx, page)
                done += len(page)
                sync_run_heartbeat(ctx)
                analyzed_at = statistics_refresh(created=ctx.totals().created, analyzed_at_created=analyzed_at)
                if progress:
                    progress(done, pull.total)
                if after_page:
                    after_page(run, number)
        finally:
            pages.close()
        _finish_warnings(ctx, pull.warnings)
        sync_run_succeed(ctx, cursor=pull.next_cursor)
    except (AdapterError, OSError) as exc:
        sync_run_fail(run, ctx, str(exc))
    except KeyboardInterrupt:
        sync_run_fail(run, ctx, "Interrupted.")
        raise
    except Exception as exc:
        logger.exception("DMS pull for %s failed", dealership.code)
        sync_run_fail(run, ctx, f"Unexpected error: {exc.__class__.__name__}: {exc}")
    finally:
        adapter.close()
    run.refresh_from_db()
    return run


def _apply_page(ctx: RunContext, page: Page) -> None:
    _count_left_out(ctx, page)
    with transaction.atomic():
        if page.customers:
            customers_apply(ctx, page.customers)
        if page.vehicles:
            vehicles_apply(ctx, page.vehicles)
        if page.repair_orders:
            repair_orders_apply(ctx, page.repair_orders)
        quarantined, ctx.quarantined = ctx.quarantined, []
        QuarantinedRow.objects.bulk_create(quarantined, batch_size=500)


def _count_left_out(ctx: RunContext, page: Page) -> None:
    """Customer rows the reader left out as unchanged (dms_sync.unchanged): counted as seen and unchanged, and
    remembered like any row, so a later row of the same customer is noted as a repeat."""
    if not page.unchanged_customers:
        return
    counts = ctx.file(page.unchanged_file)
    counts.seen += len(page.unchanged_customers)
    counts.unchanged += len(page.unchanged_customers)
    for number, line in zip(page.unchanged_customers, page.unchanged_lines, strict=True):
        ctx.seen_before(page.unchanged_file, number, line)


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
