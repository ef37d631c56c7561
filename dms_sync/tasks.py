"""Celery tasks of the DMS integration. Tasks take ids, re-fetch and call services.

Delivery tasks are `acks_late` (settings) and idempotent: a redelivered message finds the row acknowledged or
not yet due and does nothing. The sweeper is the safety net for lost messages and killed workers.
"""

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from celery import shared_task
from django.utils import timezone

from customers.models import Dealership, DmsAdapter

from .models import SyncRun
from .services.delivery import remove_request_deliver, remove_requests_sweep
from .services.pull import SyncAlreadyRunning, dms_pull

logger = logging.getLogger(__name__)


@shared_task(name="dms_sync.remove_request_deliver", acks_late=True, ignore_result=True)
def remove_request_deliver_task(request_id: int) -> str:
    request = remove_request_deliver(request_id=request_id)
    return request.status if request else "skipped"


@shared_task(name="dms_sync.remove_requests_sweep", ignore_result=True)
def remove_requests_sweep_task() -> int:
    return len(remove_requests_sweep())


@shared_task(name="dms_sync.dms_pull_store", acks_late=True, ignore_result=True)
def dms_pull_store_task(dealership_id: int) -> str:
    dealership = Dealership.objects.filter(pk=dealership_id, is_active=True).first()
    if dealership is None:
        return "no such store"
    try:
        run = dms_pull(dealership=dealership)
    except SyncAlreadyRunning as exc:
        logger.info("%s", exc)
        return "already running"
    return run.status


def stores_due_for_pull(*, now: datetime | None = None) -> list[Dealership]:
    """Stores whose nightly pull time (in their time zone) has passed today and that have not run since."""
    now = now or timezone.now()
    due = []
    stores = Dealership.objects.filter(is_active=True).exclude(dms_adapter=DmsAdapter.NONE)
    for store in stores:
        tz = ZoneInfo(store.time_zone)
        local = now.astimezone(tz)
        scheduled = datetime.combine(local.date(), store.nightly_pull_time, tzinfo=tz)
        if local < scheduled or local - scheduled > timedelta(hours=12):
            continue
        if SyncRun.objects.filter(dealership=store, started_at__gte=scheduled).exists():
            continue
        due.append(store)
    return due


@shared_task(name="dms_sync.dms_pull_fan_out", ignore_result=True)
def dms_pull_fan_out_task() -> list[int]:
    """Runs every few minutes (dealermine.schedule): one pull task per store whose nightly time has come."""
    ids = [store.pk for store in stores_due_for_pull()]
    for pk in ids:
        dms_pull_store_task.delay(pk)
    return ids
