"""Outbox delivery of remove requests (DESIGN §6).

Each delivery attempt claims the row first (a short transaction under select_for_update(skip_locked)):
status "sent", attempts + 1 and a lease in `next_attempt_at`. Then it talks to the DMS outside any
transaction and records the answer: applied / already absent -> acknowledged; retryable -> pending again
with exponential backoff and jitter stored on the row; permanent, or out of attempts -> dead.

A worker killed after the claim leaves the row "sent" with an expired lease soon after: the periodic
sweeper picks it up again and re-sends it with the same idempotency key (the request's uuid), so the DMS
applies it once. Nothing relies on a broker message surviving.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections import OrderedDict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from customers.models import DmsAdapter as DmsAdapterKind

from ..adapters import AdapterError, RemoveOutcome, RemoveResult, adapter_for
from ..models import RemoveRequest, RemoveStatus

logger = logging.getLogger(__name__)

OPEN_STATUSES = (RemoveStatus.PENDING, RemoveStatus.SENT)


# The knobs below are settings (dealermine/settings/base.py, README), read on each use so a test can change them.
def max_attempts() -> int:
    return int(settings.DMS_REMOVE_MAX_ATTEMPTS)


def lease_seconds() -> float:
    return float(settings.DMS_REMOVE_LEASE_SECONDS)


def backoff_delay(attempts: int, *, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter: base * 2^(attempts-1), capped, then a random 50-100% of it."""
    base = float(settings.DMS_REMOVE_BACKOFF_BASE_SECONDS)
    cap = float(settings.DMS_REMOVE_BACKOFF_MAX_SECONDS)
    delay = min(cap, base * 2 ** max(attempts - 1, 0))
    return (rng or random).uniform(delay / 2, delay)


def remove_requests_due(*, now: datetime | None = None):
    now = now or timezone.now()
    return RemoveRequest.objects.filter(status__in=OPEN_STATUSES).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


def _claim(request_id: int, now: datetime) -> RemoveRequest | None:
    with transaction.atomic():
        request = (
            RemoveRequest.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("dealership", "requested_by")
            .filter(pk=request_id, status__in=OPEN_STATUSES)
            .first()
        )
        if request is None:
            return None  # delivered, dead, or another worker holds it right now
        if request.dealership.dms_adapter == DmsAdapterKind.NONE:
            return None  # no DMS connection yet: stays pending, delivered once the store is connected
        if request.next_attempt_at and request.next_attempt_at > now:
            return None  # backing off, or leased by a delivery in flight
        request.status = RemoveStatus.SENT
        request.attempts += 1
        request.last_attempt_at = now
        request.next_attempt_at = now + timedelta(seconds=lease_seconds())
        request.save(update_fields=["status", "attempts", "last_attempt_at", "next_attempt_at"])
        return request


ADAPTER_CACHE_SIZE = 32
_adapters: OrderedDict[tuple, object] = OrderedDict()
_adapters_lock = threading.Lock()


def _adapter_for_delivery(dealership):
    """One adapter per store configuration per worker process, shared by its threads.

    Building an adapter per delivery meant a new HTTP connection and a new OAuth token for every request;
    reusing it keeps the connection pool and the token (refreshed on expiry or a 401). The key includes the
    settings, so an admin's change to the DMS connection takes effect on the next delivery.
    """
    key = (dealership.pk, dealership.dms_adapter, json.dumps(dealership.dms_settings, sort_keys=True, default=str))
    with _adapters_lock:
        adapter = _adapters.get(key)
        if adapter is not None:
            _adapters.move_to_end(key)
            return adapter
        adapter = adapter_for(dealership)
        _adapters[key] = adapter
        while len(_adapters) > ADAPTER_CACHE_SIZE:
            _, evicted = _adapters.popitem(last=False)
            evicted.close()
        return adapter


def remove_request_deliver(*, request_id: int, adapter=None) -> RemoveRequest | None:
    """One delivery attempt when the row is due. Returns the row as left, or None when not claimed."""
    now = timezone.now()
    request = _claim(request_id, now)
    if request is None:
        return None
    try:
        adapter = adapter or _adapter_for_delivery(request.dealership)
        result = adapter.remove_request_send(request)
    except AdapterError as exc:  # misconfigured store: nothing will change until an admin fixes it
        result = RemoveResult(RemoveOutcome.PERMANENT, str(exc))
    except Exception as exc:  # an adapter bug must not lose the request: treat as retryable
        logger.exception("Delivering remove request %s failed", request.uuid)
        result = RemoveResult(RemoveOutcome.RETRY_LATER, f"{exc.__class__.__name__}: {exc}")
    return remove_request_record(request=request, result=result)


@transaction.atomic
def remove_request_record(*, request: RemoveRequest, result: RemoveResult) -> RemoveRequest:
    now = timezone.now()
    request.outcome = str(result.outcome)
    fields = ["status", "outcome", "next_attempt_at", "last_error"]
    if result.delivered:
        request.status = RemoveStatus.ACKNOWLEDGED
        request.acknowledged_at = now
        request.next_attempt_at = None
        request.last_error = ""
        fields.append("acknowledged_at")
    elif result.outcome == RemoveOutcome.RETRY_LATER and request.attempts < max_attempts():
        delay = max(backoff_delay(request.attempts), result.retry_after or 0.0)
        request.status = RemoveStatus.PENDING
        request.next_attempt_at = now + timedelta(seconds=delay)
        request.last_error = result.detail[:2000]
    else:
        request.status = RemoveStatus.DEAD
        request.next_attempt_at = None
        why = "permanent failure" if result.outcome == RemoveOutcome.PERMANENT else "out of attempts"
        request.last_error = f"{why} after {request.attempts} attempt(s): {result.detail}"[:2000]
    RemoveRequest.objects.filter(pk=request.pk).update(**{f: getattr(request, f) for f in fields})
    if request.status == RemoveStatus.PENDING:
        countdown = (request.next_attempt_at - now).total_seconds()
        # Short waits ride on a Celery countdown; longer ones are left to the sweeper (no long countdowns).
        if countdown <= float(settings.DMS_REMOVE_MAX_COUNTDOWN_SECONDS):
            transaction.on_commit(lambda: enqueue_delivery(request.pk, countdown=countdown))
    return request


def enqueue_delivery(request_id: int, *, countdown: float | None = None) -> bool:
    """Publish a delivery task; False (logged) when the broker cannot take it. Never raises: every caller runs
    after a commit, the row is due in the database, and the sweeper picks up whatever was not published."""
    from ..tasks import remove_request_deliver_task

    try:
        # No publish retries: a web request must not hang on a dead broker; the sweeper is the retry.
        remove_request_deliver_task.apply_async((request_id,), countdown=countdown or None, retry=False)
    except Exception:
        logger.warning(
            "Could not enqueue delivery of remove request %s; the sweeper will deliver it.", request_id, exc_info=True
        )
        return False
    return True


def remove_requests_sweep(*, limit: int = 500) -> list[int]:
    """Enqueue a delivery for every due row; rows another transaction holds are skipped, not waited for."""
    with transaction.atomic():
        ids = list(
            remove_requests_due()
            .exclude(dealership__dms_adapter=DmsAdapterKind.NONE)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        for pk in ids:
            transaction.on_commit(lambda pk=pk: enqueue_delivery(pk))
    return ids


@transaction.atomic
def remove_request_retry(*, request: RemoveRequest, actor) -> RemoveRequest:
    """Admin action: give a dead request a fresh set of attempts, due now."""
    now = timezone.now()
    updated = RemoveRequest.objects.filter(pk=request.pk, status=RemoveStatus.DEAD).update(
        status=RemoveStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        last_error=f"Retry requested by {actor.get_username() if actor else 'system'} at {now:%Y-%m-%d %H:%M}Z; "
        f"previously: {request.last_error}"[:2000],
    )
    if updated:
        transaction.on_commit(lambda: enqueue_delivery(request.pk))
    request.refresh_from_db()
    return request
