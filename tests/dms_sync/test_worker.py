"""A real Celery worker process delivering the outbox against Redis and PostgreSQL.

Mandatory in CI (CI=true): Redis missing is a failure there. On SQLite these tests skip (a worker process
cannot share the in-memory test database); CI runs the suite on PostgreSQL too. The worker and a separate
beat process (the sweeper) run against the test database; the test uses transaction=True so they see
committed rows. The fake DMS runs in this process on loopback.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from customers.models import Customer, DmsAdapter
from dealermine.celery import app as celery_app
from dms_sync.models import RemoveRequest
from dms_sync.outbox import remove_request_create, suppression_add
from dms_sync.services.delivery import remove_request_retry
from tests.customers.factories import DealershipFactory, UserFactory
from tests.support.fake_dms import FakeDms
from tests.support.services import require_redis

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

BROKER_DB = 13  # this suite's own Redis database index
ROOT = Path(settings.BASE_DIR)
CELERY = str(Path(sys.executable).with_name("celery"))


def _require_services() -> str:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: a worker process cannot share the SQLite test database (CI runs both)")
    url = require_redis(f"redis://127.0.0.1:6379/{BROKER_DB}")
    import redis

    redis.Redis.from_url(url).flushdb()
    return url


def _database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Services:
    """The worker and beat processes; each in its own process group so kill -9 takes all of it."""

    def __init__(self, broker: str, tmp: Path):
        self.broker = broker
        self.tmp = tmp
        self.worker: subprocess.Popen | None = None
        self.beat: subprocess.Popen | None = None
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "dealermine.settings.test",
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": broker,
            "CONN_MAX_AGE": "0",
            "DMS_REMOVE_LEASE_SECONDS": "3",
            "DMS_REMOVE_SWEEP_SECONDS": "1",
            "DMS_REMOVE_BACKOFF_BASE_SECONDS": "0.5",
            "DMS_REMOVE_BACKOFF_MAX_SECONDS": "2",
            "DMS_REMOVE_MAX_ATTEMPTS": "30",
            "LOG_LEVEL": "WARNING",
        }

    def _spawn(self, args: list[str], log: str) -> subprocess.Popen:
        out = (self.tmp / log).open("ab")
        return subprocess.Popen(
            [CELERY, "-A", "dealermine", *args], cwd=ROOT, env=self.env, stdout=out, stderr=out, start_new_session=True
        )

    def start_worker(self) -> None:
        self.worker = self._spawn(
            ["worker", "--pool=threads", "--concurrency=4", "--loglevel=INFO", "-n", f"dms-test-{time.time_ns()}@%h"],
            "worker.log",
        )
        _wait(lambda: b"ready." in (self.tmp / "worker.log").read_bytes(), 60, "the worker to start", self)

    def start_beat(self) -> None:
        self.beat = self._spawn(
            ["beat", "--loglevel=INFO", "-s", str(self.tmp / "beat-schedule"), "--pidfile="], "beat.log"
        )

    def kill_worker(self) -> None:
        os.killpg(self.worker.pid, signal.SIGKILL)
        self.worker.wait(10)

    def stop(self) -> None:
        for proc in (self.worker, self.beat):
            if proc and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        wait_for_other_sessions_to_end()

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}" for p in self.tmp.glob("*.log") if p.exists()
        )


def wait_for_other_sessions_to_end(timeout: float = 10) -> None:
    """After a SIGKILL the server notices the dead client quickly, but not instantly; the test database can
    only be dropped (and a takeover only proceeds) once its sessions are gone. Terminate any that linger."""
    others = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(f"SELECT count(*) {others}")  # noqa: S608
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.1)
        cursor.execute(f"SELECT pg_terminate_backend(pid) {others}")  # noqa: S608


def _wait(condition, timeout: float, what: str, services: Services | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}\n{services.logs() if services else ''}")


@pytest.fixture
def services(tmp_path, monkeypatch):
    broker = _require_services()
    # This process publishes to the same broker (the on-commit enqueue of remove_request_create). Celery
    # prefers the CELERY_BROKER_URL environment variable (set in CI) over its configuration: set both.
    monkeypatch.setenv("CELERY_BROKER_URL", broker)
    old = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    celery_app.conf.broker_url = broker
    celery_app.conf.task_always_eager = False
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    svc = Services(broker, tmp_path)
    yield svc
    svc.stop()
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = old
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def fake_dms():
    with FakeDms(client_id="dm-worker", client_secret="s3cret") as dms:
        yield dms


def _store_with_customers(fake_dms, n: int):
    store = DealershipFactory(code="worker-store", dms_adapter=DmsAdapter.HTTP_API)
    store.dms_settings = fake_dms.dms_settings(timeout=2)
    store.save(update_fields=["dms_settings"])
    customers = []
    for i in range(n):
        phone = f"+1313555{i:04d}"
        number = f"W{i:05d}"
        fake_dms.put_customer({"customer_number": number, "cell_phone": phone, "last_change_date": "2026-11-01"})
        customers.append(
            Customer.objects.create(dealership=store, dealermine_number=900000 + i, dms_number=number, cell_phone=phone)
        )
    return store, customers


def _remove_cell(customer, actor):
    """What the Customer Information remove service does: clear, suppress and queue, in one transaction."""
    with transaction.atomic():
        value = customer.cell_phone
        customer.cell_phone = ""
        customer.save(update_fields=["cell_phone"])
        suppression_add(customer=customer, field="cell_phone", value=value, actor=actor)
        return remove_request_create(customer=customer, field="cell_phone", value=value, actor=actor)


def test_200_removals_survive_a_worker_killed_mid_delivery(services, fake_dms):
    store, customers = _store_with_customers(fake_dms, 200)
    fake_dms.remove_delay = 0.05  # slow enough that the kill lands mid-delivery
    services.start_beat()
    services.start_worker()
    user = UserFactory()
    requests = [_remove_cell(c, user) for c in customers]
    _wait(lambda: sum(fake_dms.applied_by_key.values()) >= 40, 60, "the first deliveries", services)
    services.kill_worker()
    in_flight = RemoveRequest.objects.filter(status="sent").count()
    delivered_before_kill = RemoveRequest.objects.filter(status="acknowledged").count()
    assert delivered_before_kill < 200
    services.start_worker()
    _wait(
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
    store, customers = _store_with_customers(fake_dms, 20)
    fake_dms.fault("status", status=500, times=40, path="/customers/", method="POST")
    services.start_beat()
    services.start_worker()
    user = UserFactory()
    for c in customers:
        _remove_cell(c, user)
    _wait(lambda: RemoveRequest.objects.filter(status="acknowledged").count() == 20, 120, "recovery", services)
    assert RemoveRequest.objects.filter(attempts__gt=1).exists()
    assert set(fake_dms.applied_by_key.values()) == {1} and len(fake_dms.applied_by_key) == 20


def test_a_permanent_4xx_is_dead_visible_and_retryable(services, fake_dms):
    store, customers = _store_with_customers(fake_dms, 1)
    customer = customers[0]
    saved = fake_dms.customers.pop(customer.dms_number)  # the DMS does not know this number: 404
    services.start_beat()
    services.start_worker()
    request = _remove_cell(customer, UserFactory())
    _wait(lambda: RemoveRequest.objects.get(pk=request.pk).status == "dead", 60, "the request to die", services)
    request.refresh_from_db()
    assert request.attempts == 1 and "HTTP 404" in request.last_error and request.next_attempt_at is None
    time.sleep(2)  # the sweeper leaves dead rows alone
    assert RemoveRequest.objects.get(pk=request.pk).attempts == 1
    # The DMS record is fixed; an admin retries the request.
    fake_dms.put_customer(saved)
    remove_request_retry(request=request, actor=UserFactory())
    _wait(lambda: RemoveRequest.objects.get(pk=request.pk).status == "acknowledged", 60, "the retry", services)
    assert fake_dms.applied_by_key[str(request.uuid)] == 1
    assert RemoveRequest.objects.get(pk=request.pk).acknowledged_at <= timezone.now()
