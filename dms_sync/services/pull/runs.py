"""A pull's SyncRun: one running pull per store (the run lock), its liveness, and what it records.

The lock is the Dealership row under select_for_update while the SyncRun row is created; the partial unique
constraint on status=running is the database's own guarantee. A run whose process died (no heartbeat for
DMS_SYNC_STALE_SECONDS, or its pid gone on this host) is abandoned: the next run marks it failed and takes
over. The run's counters are written by one function, `_save`: with each page's heartbeat, and once more
with the outcome.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.models import Dealership

from ...models import SyncRun, SyncStatus
from .counts import RunContext


class SyncAlreadyRunning(Exception):
    pass


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def sync_run_is_abandoned(run: SyncRun, *, now: datetime | None = None) -> bool:
    """A running run whose process is gone: its pid is dead on this host, or no heartbeat for too long."""
    now = now or timezone.now()
    if (run.heartbeat_at or run.started_at) < now - timedelta(seconds=settings.DMS_SYNC_STALE_SECONDS):
        return True
    host, _, pid = run.owner.rpartition(":")
    if host == socket.gethostname() and pid.isdigit() and int(pid) != os.getpid():
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # alive, under another user
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
                    dealership=dealership, adapter=adapter, started_at=now, heartbeat_at=now, owner=_owner()
                )
        except IntegrityError:  # another process won the race the store lock did not cover
            raise SyncAlreadyRunning(f"A DMS pull for {dealership.code} is already running.") from None


def sync_run_last_cursor(dealership: Dealership) -> str:
    """Where the store's last successful pull got to ("" = never: everything)."""
    cursor = (
        SyncRun.objects.filter(dealership=dealership, status=SyncStatus.SUCCEEDED)
        .exclude(cursor="")
        .order_by("-started_at")
        .values_list("cursor", flat=True)
        .first()
    )
    return cursor or ""


def sync_run_source_set(run: SyncRun, source: str) -> None:
    """Where the data comes from, known once the adapter has opened the pull (after the lock was taken)."""
    SyncRun.objects.filter(pk=run.pk).update(source=source[:500])


def sync_run_alive(run: SyncRun) -> None:
    """Proof that the run is alive while it reads before its first page (a long validation or pre-fetch)."""
    SyncRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())


def sync_run_heartbeat(ctx: RunContext) -> None:
    """After each page: the counters so far (the progress others see) and proof that the run is alive."""
    _save(ctx.run, ctx)


def sync_run_succeed(ctx: RunContext, *, cursor: str) -> None:
    _save(
        ctx.run,
        ctx,
        status=SyncStatus.SUCCEEDED,
        finished_at=timezone.now(),
        cursor=cursor[:200],
        warnings=ctx.warnings,
    )


def sync_run_fail(run: SyncRun, ctx: RunContext | None, message: str) -> None:
    """`ctx` is None when the run failed before its first page (e.g. the extract did not validate)."""
    outcome = {"status": SyncStatus.FAILED, "finished_at": timezone.now(), "error": message[:5000]}
    if ctx is not None:
        outcome["warnings"] = ctx.warnings
    _save(run, ctx, **outcome)


def _save(run: SyncRun, ctx: RunContext | None, **fields) -> None:
    if ctx is not None:
        total = ctx.totals()
        fields.update(
            seen=total.seen,
            created=total.created,
            updated=total.updated,
            unchanged=total.unchanged,
            quarantined=total.quarantined,
            heartbeat_at=timezone.now(),
        )
    SyncRun.objects.filter(pk=run.pk).update(**fields)
