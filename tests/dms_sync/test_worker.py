"""A real Celery worker process delivering the outbox against Redis and PostgreSQL.

Mandatory in CI (CI=true): Redis missing is a failure there. On SQLite these tests skip (a worker process
cannot share the in-memory test database); CI runs the suite on PostgreSQL too. The worker and a separate
beat process (the sweeper) run against the test database; the test uses transaction=True so they see
committed rows. The fake DMS runs in this process on loopback.
"""

import time

import pytest
from django.db import connection
from django.utils import timezone

from dms_sync.models import RemoveRequest
from dms_sync.services.delivery import remove_request_retry
from tests.customers.factories import UserFactory
from tests.support.celery_worker import (
    CeleryProcesses,
    http_store_with_customers,
    publishing_to,
    remove_cell,
    wait_until,
)
from tests.support.fake_dms import FakeDms
from tests.support.services import require_redis

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

BROKER_DB = 13  # this suite's own Redis database index


def _require_services() -> str:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: a worker process cannot share the SQLite test database (CI runs both)")
    url = require_redis(f"redis://127.0.0.1:6379/{BROKER_DB}")
    import redis

    redis.Redis.from_url(url).flushdb()
    return url


@pytest.fixture
def services(tmp_path, monkeypatch):
    broker = _require_services()
    # This process publishes to the same broker (the on-commit enqueue of remove_request_create).
    with publishing_to(broker, monkeypatch):
        processes = CeleryProcesses(broker, tmp_path)
        yield processes
        processes.stop()


@pytest.fixture
def fake_dms():
    with FakeDms(client_id="dm-worker", client_secret="s3cret") as dms:
        yield dms


def test_200_removals_survive_a_worker_killed_mid_delivery(services, fake_dms):
    store, customers = http_store_with_customers(fake_dms, 200)
    fake_dms.remove_delay = 0.05  # slow enough that the kill lands mid-delivery
    services.start_beat()
    services.start_worker()
    user = UserFactory()
    requests = [remove_cell(c, user) for c in customers]
    wait_until(lambda: sum(fake_dms.applied_by_key.values()) >= 40, 60, "the first deliveries", services)
    services.kill_worker()
    in_flight = RemoveRequest.objects.filter(status="sent").count()
    delivered_before_kill = RemoveRequest.objects.filter(status="acknowledged").count()
    assert delivered_before_kill < 200
    services.start_worker()
    wait_until(
        lambda: RemoveRequest.objects.filter(status="acknowledged").count() == 200,
        120,
        "all 200 acknowledged",
        services,
    )
    keys = {str(r.uuid) for r in requests}
    assert set(fake_dms.applied_by_key) == keys
    assert set(fake_dms.applied_by_key.values()) == {1}  # each idempotency key applied exactly once
    assert all(fake_dms.customers[c.dms_number]["cell_phone"] == "" for c in customers)
    print(f"killed with {in_flight} in flight, {delivered_before_kill} acknowledged before the kill")


def test_500s_for_a_while_then_recovery_delivers_everything(services, fake_dms):
    store, customers = http_store_with_customers(fake_dms, 20)
    fake_dms.fault("status", status=500, times=40, path="/customers/", method="POST")
    services.start_beat()
    services.start_worker()
    user = UserFactory()
    for c in customers:
        remove_cell(c, user)
    wait_until(lambda: RemoveRequest.objects.filter(status="acknowledged").count() == 20, 120, "recovery", services)
    assert RemoveRequest.objects.filter(attempts__gt=1).exists()
    assert set(fake_dms.applied_by_key.values()) == {1} and len(fake_dms.applied_by_key) == 20


def test_a_permanent_4xx_is_dead_visible_and_retryable(services, fake_dms):
    store, customers = http_store_with_customers(fake_dms, 1)
    customer = customers[0]
    saved = fake_dms.customers.pop(customer.dms_number)  # the DMS does not know this number: 404
    services.start_beat()
    services.start_worker()
    request = remove_cell(customer, UserFactory())
    wait_until(lambda: RemoveRequest.objects.get(pk=request.pk).status == "dead", 60, "the request to die", services)
    request.refresh_from_db()
    assert request.attempts == 1 and "HTTP 404" in request.last_error and request.next_attempt_at is None
    time.sleep(2)  # the sweeper leaves dead rows alone
    assert RemoveRequest.objects.get(pk=request.pk).attempts == 1
    # The DMS record is fixed; an admin retries the request.
    fake_dms.put_customer(saved)
    remove_request_retry(request=request, actor=UserFactory())
    wait_until(lambda: RemoveRequest.objects.get(pk=request.pk).status == "acknowledged", 60, "the retry", services)
    assert fake_dms.applied_by_key[str(request.uuid)] == 1
    assert RemoveRequest.objects.get(pk=request.pk).acknowledged_at <= timezone.now()
