"""Injected faults: the database connection killed during a sync, a DMS API that answers garbage, 500s or
slowly, and a Redis restart while a real Celery worker delivers the outbox.

Every test counts what it did (requests sent, faults injected, requests lost - which must be 0) and prints a
one-line summary (`pytest -s` shows it); docs/RELIABILITY.md quotes those lines. The kill -9 of a worker during
outbox delivery and of a sync process are in tests/dms_sync/test_worker.py and tests/dms_sync/test_kill_pull.py.
"""

import json
import threading
import time
from pathlib import Path

import psycopg
import pytest
from django.db import connection, connections

from customers.models import Customer, Dealership, Vehicle
from dms_sync.models import SyncRun, SyncStatus
from dms_sync.sample_extract import ExtractSpec, extract_write
from dms_sync.services.pull import dms_pull
from tests.dms_sync.extracts import customer_checksum
from tests.support.celery_worker import (
    CeleryProcesses,
    http_store_with_customers,
    publishing_to,
    remove_cell,
    wait_until,
)

from .conftest import require_postgresql, summary


def _dsn() -> str:
    db = connection.settings_dict
    parts = [f"dbname={db['NAME']}", f"user={db['USER']}", f"host={db['HOST'] or '127.0.0.1'}"]
    parts.append(f"port={db['PORT'] or 5432}")
    if db.get("PASSWORD"):
        parts.append(f"password={db['PASSWORD']}")
    return " ".join(parts)


class BackendKiller:
    """From a second connection: hold the store's row lock so the sync blocks inside a page transaction, wait
    until its backend is waiting on that lock, then pg_terminate_backend() it (a deterministic mid-write kill)."""

    def __init__(self, dealership_id: int):
        self.dealership_id = dealership_id
        self.killed_pid: int | None = None
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None

    def arm(self, victim_pid: int) -> None:
        self.thread = threading.Thread(target=self._run, args=(victim_pid,), daemon=True)
        self.thread.start()
        time.sleep(0.2)  # the lock is held before the sync goes on to its next page

    def _run(self, pid: int) -> None:
        try:
            with psycopg.connect(_dsn(), autocommit=False) as conn:
                # The victim is this pid *and* this backend: a pid is reused once its backend ends, and a kill
                # landing on a later test's connection would fail that test instead.
                started = conn.execute("SELECT backend_start FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
                conn.execute(
                    f'SELECT id FROM "{Dealership._meta.db_table}" WHERE id = %s FOR UPDATE',  # noqa: S608
                    [self.dealership_id],
                )
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    waiting = conn.execute(
                        "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s AND backend_start = %s",
                        [pid, started[0] if started else None],
                    ).fetchone()
                    if waiting and waiting[0] == "Lock":
                        break
                    time.sleep(0.02)
                else:
                    raise AssertionError("the sync never waited on the held lock")
                conn.execute("SELECT pg_terminate_backend(%s)", [pid])
                self.killed_pid = pid
                conn.rollback()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc


def _pull_in_thread(**kwargs) -> tuple[object, BaseException | None]:
    """dms_pull in its own thread, so the killed connection is that thread's and is closed with it."""
    box: dict = {}

    def run():
        try:
            box["run"] = dms_pull(**kwargs)
        except BaseException as exc:  # noqa: BLE001
            box["error"] = exc
        finally:
            connections.close_all()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(120)
    assert not t.is_alive(), "the sync hung after its connection was killed"
    return box.get("run"), box.get("error")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_database_connection_killed_during_a_sync_fails_the_run_and_a_rerun_converges(file_store, dms_dirs):
    require_postgresql("pg_terminate_backend")
    folder = extract_write(
        spec=ExtractSpec(dealership_code=file_store.code, customers=600, seed=9, messy_share=0.02),
        out_dir=dms_dirs[0],
    )
    killer = BackendKiller(file_store.pk)

    def after_page(run, number):
        if number == 2:
            killer.arm(connection.connection.info.backend_pid)

    run, error = _pull_in_thread(dealership=file_store, path=folder, batch_size=100, after_page=after_page)
    killer.thread.join(30)
    assert killer.error is None, killer.error
    assert killer.killed_pid is not None
    failed = SyncRun.objects.get(dealership=file_store)
    assert error is None, f"dms_pull raised instead of failing the run: {error!r}"
    assert run.status == SyncStatus.FAILED and failed.status == SyncStatus.FAILED
    assert failed.finished_at is not None and failed.error
    kept = Customer.objects.filter(dealership=file_store).count()
    assert 0 < kept < 600  # the pages before the kill are kept; the killed page was rolled back whole

    rerun = dms_pull(dealership=file_store, path=folder, batch_size=100)
    assert rerun.status == SyncStatus.SUCCEEDED, rerun.error
    converged = customer_checksum(file_store)
    # The same extract into an empty store gives the same customer file: the kill left no trace.
    Customer.objects.filter(dealership=file_store).delete()
    SyncRun.objects.all().delete()
    Dealership.objects.filter(pk=file_store.pk).update(next_dealermine_number=100001)
    assert dms_pull(dealership=file_store, path=folder, batch_size=100).status == SyncStatus.SUCCEEDED
    assert customer_checksum(file_store) == converged
    summary(
        "pg_terminate_backend during a sync",
        faults_injected=1,
        run="failed",
        error=repr(failed.error[:60]),
        customers_kept=kept,
        rerun="succeeded",
        converged=True,
        rows_lost=0,
    )


def _terminate(pid: int) -> None:
    with psycopg.connect(_dsn(), autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("page", [1, 3])
def test_the_database_connection_killed_between_pages_fails_the_run_and_a_rerun_converges(file_store, dms_dirs, page):
    """The kill lands while the sync is between two page transactions (its next statement finds it dead)."""
    require_postgresql("pg_terminate_backend")
    folder = extract_write(
        spec=ExtractSpec(dealership_code=file_store.code, customers=400, seed=10), out_dir=dms_dirs[0]
    )

    def after_page(run, number):
        if number == page:
            _terminate(connection.connection.info.backend_pid)

    run, error = _pull_in_thread(dealership=file_store, path=folder, batch_size=100, after_page=after_page)
    assert error is None, f"dms_pull raised instead of failing the run: {error!r}"
    failed = SyncRun.objects.get(dealership=file_store)
    assert failed.status == SyncStatus.FAILED, (failed.status, failed.error)
    kept = Customer.objects.filter(dealership=file_store).count()
    assert kept == page * 100
    rerun = dms_pull(dealership=file_store, path=folder, batch_size=100)
    assert rerun.status == SyncStatus.SUCCEEDED, rerun.error
    assert Customer.objects.filter(dealership=file_store).count() == 400
    summary(
        f"pg_terminate_backend after page {page}",
        faults_injected=1,
        run="failed",
        customers_kept=kept,
        rerun="succeeded",
        customers_after_rerun=400,
        rows_lost=0,
    )


# --- the DMS API answering garbage, 500s or slowly ----------------------------------------------------------
REMOVE_PATH = "/customers/"


@pytest.fixture
def fake_dms():
    from tests.support.fake_dms import FakeDms

    with FakeDms(client_id="dm-reliab", client_secret="s3cret") as dms:
        yield dms


@pytest.fixture
def api_store(db, fake_dms):
    from customers.models import DmsAdapter
    from tests.customers.factories import DealershipFactory

    return DealershipFactory(
        code="rel-api",
        dms_adapter=DmsAdapter.HTTP_API,
        dms_settings=fake_dms.dms_settings(timeout=0.3, page_size=10, retry_base_seconds=0.01, pull_attempts=3),
    )


def _remove_requests(store, fake_dms, n: int):
    from dms_sync.models import RemoveRequest
    from tests.customers.factories import CustomerFactory, UserFactory

    user = UserFactory()
    requests = []
    for i in range(n):
        phone = f"+1313556{i:04d}"
        customer = CustomerFactory(dealership=store, dms_number=f"R{i:05d}", cell_phone="")
        fake_dms.put_customer({"customer_number": customer.dms_number, "cell_phone": phone})
        requests.append(
            RemoveRequest.objects.create(
                dealership=store,
                customer=customer,
                dms_number=customer.dms_number,
                field="cell_phone",
                value=phone,
                requested_by=user,
                requested_at=customer.created_at,
                next_attempt_at=customer.created_at,
            )
        )
    return requests


def _sweep_until_settled(deadline_s: float = 30) -> int:
    """What the periodic sweeper does, in-process: deliver every due request until none is open. Returns rounds."""
    from dms_sync.models import RemoveRequest, RemoveStatus
    from dms_sync.services.delivery import remove_request_deliver, remove_requests_due

    deadline = time.monotonic() + deadline_s
    rounds = 0
    while RemoveRequest.objects.filter(status__in=[RemoveStatus.PENDING, RemoveStatus.SENT]).exists():
        assert time.monotonic() < deadline, "requests still open at the deadline"
        rounds += 1
        for pk in list(remove_requests_due().values_list("pk", flat=True)):
            remove_request_deliver(request_id=pk)
        time.sleep(0.02)
    return rounds


def _remove_posts(fake_dms) -> int:
    return sum(1 for method, path in fake_dms.requests if method == "POST" and path.startswith(REMOVE_PATH))


@pytest.mark.django_db
def test_remove_requests_ride_out_garbage_500s_timeouts_and_slow_answers_none_lost(api_store, fake_dms, settings):
    from dms_sync.models import RemoveRequest, RemoveStatus

    settings.DMS_REMOVE_BACKOFF_BASE_SECONDS = 0.01
    settings.DMS_REMOVE_BACKOFF_MAX_SECONDS = 0.05
    settings.DMS_REMOVE_MAX_ATTEMPTS = 20
    n = 40
    requests = _remove_requests(api_store, fake_dms, n)
    injected = {"garbage": 15, "status": 25, "timeout": 4, "slow": 10}
    fake_dms.fault("garbage", times=injected["garbage"], path=REMOVE_PATH, method="POST")
    fake_dms.fault("status", status=500, times=injected["status"], path=REMOVE_PATH, method="POST")
    fake_dms.fault("timeout", delay=0.4, times=injected["timeout"], path=REMOVE_PATH, method="POST")
    fake_dms.fault("slow", delay=0.1, times=injected["slow"], path=REMOVE_PATH, method="POST")
    rounds = _sweep_until_settled()
    left = sum(f.times for f in fake_dms.faults)
    faults = sum(injected.values()) - left
    statuses = dict.fromkeys(RemoveStatus.values, 0)
    for status in RemoveRequest.objects.values_list("status", flat=True):
        statuses[status] += 1
    lost = n - statuses[RemoveStatus.ACKNOWLEDGED] - statuses[RemoveStatus.DEAD]
    sent = _remove_posts(fake_dms)
    assert lost == 0 and statuses[RemoveStatus.ACKNOWLEDGED] == n, statuses
    assert faults == sum(injected.values()), "every injected fault was hit"
    assert set(fake_dms.applied_by_key) == {str(r.uuid) for r in requests}
    assert set(fake_dms.applied_by_key.values()) == {1}  # each applied exactly once despite the retries
    failing = faults - injected["slow"]  # a slow answer within the timeout is still a success
    assert sent == n + failing == sum(r.attempts for r in RemoveRequest.objects.all())  # no retry storm
    summary(
        "DMS API faults during delivery",
        requests=n,
        http_requests_sent=sent,
        faults_injected=faults,
        failed_answers=failing,
        acknowledged=statuses[RemoveStatus.ACKNOWLEDGED],
        dead=statuses[RemoveStatus.DEAD],
        lost=lost,
        applied_twice=0,
        sweep_rounds=rounds,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["garbage", "status", "timeout"])
def test_a_dms_that_never_recovers_ends_dead_after_the_attempts_never_a_crash_loop(api_store, fake_dms, settings, kind):
    from dms_sync.models import RemoveRequest, RemoveStatus
    from dms_sync.services.delivery import remove_request_deliver, remove_requests_sweep

    settings.DMS_REMOVE_BACKOFF_BASE_SECONDS = 0.01
    settings.DMS_REMOVE_BACKOFF_MAX_SECONDS = 0.02
    settings.DMS_REMOVE_MAX_ATTEMPTS = 5
    (request,) = _remove_requests(api_store, fake_dms, 1)
    fake_dms.fault(kind, status=503, delay=0.4, times=1000, path=REMOVE_PATH, method="POST")
    _sweep_until_settled()
    request.refresh_from_db()
    assert request.status == RemoveStatus.DEAD and request.attempts == 5
    assert "out of attempts after 5 attempt(s)" in request.last_error
    assert _remove_posts(fake_dms) == 5
    # Dead stays dead: the sweeper does not pick it up, a stray delivery does not send it.
    time.sleep(0.05)
    assert request.pk not in remove_requests_sweep()
    assert remove_request_deliver(request_id=request.pk) is None
    assert _remove_posts(fake_dms) == 5 and RemoveRequest.objects.get(pk=request.pk).attempts == 5
    summary(f"DMS answering {kind} forever", requests=1, http_requests_sent=5, attempts=5, status="dead", lost=0)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["garbage", "status", "slow"])
def test_a_pull_from_a_failing_dms_retries_then_fails_the_run_cleanly(api_store, fake_dms, kind):
    for i in range(25):
        fake_dms.put_customer({"customer_number": f"C{i:03d}", "customer_type": "P", "last_name": f"Pull{i}"})
    fault_times = 1000 if kind != "slow" else 6
    fake_dms.fault(kind, status=500, delay=0.05, times=fault_times, path="/customers", method="GET")
    runs = [dms_pull(dealership=api_store) for _ in range(2)]
    pages = sum(1 for method, path in fake_dms.requests if method == "GET" and path == "/customers")
    if kind == "slow":
        # Slow but answering: the pull just takes longer and succeeds.
        assert [r.status for r in runs] == [SyncStatus.SUCCEEDED] * 2
        assert Customer.objects.filter(dealership=api_store).count() == 25
    else:
        # Each run tries pull_attempts times, then fails with the reason; the next run starts clean.
        assert [r.status for r in runs] == [SyncStatus.FAILED] * 2
        assert all("gave up after 3 attempts" in r.error for r in runs), [r.error for r in runs]
        assert pages == 2 * 3
        assert not Customer.objects.filter(dealership=api_store).exists()
    summary(f"pull from a DMS answering {kind}", runs=2, page_requests=pages, statuses=[r.status for r in runs])


# --- a Redis restart while a real worker delivers the outbox ------------------------------------------------
def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A redis-server of this test's own on a free port (never the shared system Redis), without persistence:
    a kill -9 loses every queued broker message, the worst case for delivery."""

    def __init__(self, binary: str, tmp):
        self.binary = binary
        self.port = _free_port()
        self.tmp = tmp
        self.proc = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import subprocess

        from tests.support.services import port_open

        log = (self.tmp / "redis.log").open("ab")
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--daemonize", "no", "--dir", str(self.tmp)],
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while not port_open("127.0.0.1", self.port, timeout=0.2):
            assert time.monotonic() < deadline, "the private redis-server did not start"
            time.sleep(0.05)

    def kill(self) -> None:
        import os
        import signal

        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


@pytest.fixture
def private_redis(tmp_path):
    import shutil

    from tests.support.services import require

    require_postgresql("a Celery worker process cannot share the SQLite test database")
    binary = shutil.which("redis-server")
    require(binary is not None, "redis-server (to start a private Redis for the restart test)")
    redis = PrivateRedis(binary, tmp_path)
    redis.start()
    yield redis
    redis.kill()


@pytest.fixture
def worker_services(private_redis, tmp_path, monkeypatch):
    """A Celery worker and beat on the private Redis (stop() also waits for their database sessions to end)."""
    with publishing_to(private_redis.url, monkeypatch):
        processes = CeleryProcesses(private_redis.url, tmp_path)
        yield processes
        processes.stop()


@pytest.mark.services
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_redis_restart_during_delivery_loses_nothing(private_redis, worker_services, fake_dms):
    from dms_sync.models import RemoveRequest
    from tests.customers.factories import UserFactory

    n_before, n_during = 60, 10
    store, customers = http_store_with_customers(fake_dms, n_before + n_during)
    fake_dms.remove_delay = 0.05
    worker_services.start_beat()
    worker_services.start_worker()
    user = UserFactory()
    requests = [remove_cell(c, user) for c in customers[:n_before]]
    wait_until(lambda: sum(fake_dms.applied_by_key.values()) >= 10, 60, "the first deliveries", worker_services)

    private_redis.kill()  # the fault: every queued message is gone, the worker and beat lose the broker
    down_at = time.monotonic()
    acknowledged_at_kill = RemoveRequest.objects.filter(status="acknowledged").count()
    # People keep removing numbers while the broker is down (in a thread: each enqueue blocks while kombu
    # retries, and the broker comes back meanwhile). The row is committed before the enqueue is attempted.
    enqueue = {"errors": 0, "slowest": 0.0}

    def remove_while_down():
        try:
            for c in customers[n_before:]:
                started = time.monotonic()
                try:
                    remove_cell(c, user)
                except Exception:  # noqa: BLE001 - counted and reported
                    enqueue["errors"] += 1
                enqueue["slowest"] = max(enqueue["slowest"], time.monotonic() - started)
        finally:
            connections.close_all()

    writer = threading.Thread(target=remove_while_down, daemon=True)
    writer.start()
    time.sleep(2)
    private_redis.start()  # same port: the worker and beat reconnect
    seconds_down = time.monotonic() - down_at
    writer.join(120)
    assert not writer.is_alive()
    requests += [RemoveRequest.objects.get(customer=c) for c in customers[n_before:]]

    total = n_before + n_during
    wait_until(
        lambda: RemoveRequest.objects.filter(status="acknowledged").count() == total,
        120,
        f"all {total} acknowledged after the Redis restart",
        worker_services,
    )
    keys = {str(r.uuid) for r in requests}
    assert set(fake_dms.applied_by_key) == keys
    assert set(fake_dms.applied_by_key.values()) == {1}  # each idempotency key applied exactly once
    lost = total - RemoveRequest.objects.filter(status="acknowledged").count()
    assert lost == 0
    summary(
        "Redis restart during delivery",
        requests=total,
        created_while_down=n_during,
        enqueue_errors_while_down=enqueue["errors"],
        slowest_enqueue_s=f"{enqueue['slowest']:.1f}",
        acknowledged_before_kill=acknowledged_at_kill,
        http_requests_sent=sum(fake_dms.requests_by_key.values()),
        faults_injected=1,
        seconds_down=f"{seconds_down:.1f}",
        lost=lost,
        applied_twice=0,
    )


@pytest.mark.django_db(transaction=True)
def test_removing_a_number_while_the_broker_is_down_is_saved_and_not_a_500(client_for, us_coordinator, us_store):
    from django.urls import reverse

    from dealermine.celery import app as celery_app
    from dms_sync.models import RemoveRequest
    from tests.customers.factories import CustomerFactory

    customer = CustomerFactory(dealership=us_store, dms_number="B00001", cell_phone="+13135550177")
    old = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    celery_app.conf.broker_url = f"redis://127.0.0.1:{_free_port()}/0"  # nothing listens there: the broker is down
    celery_app.conf.task_always_eager = False
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    client = client_for(us_coordinator)
    client.raise_request_exception = False
    try:
        # transaction=True: the on-commit enqueue runs inside the request, as in production.
        started = time.monotonic()
        response = client.post(reverse("customers:remove", args=[customer.pk, "cell_phone"]), {"value": "+13135550177"})
        elapsed = time.monotonic() - started
    finally:
        celery_app.conf.broker_url, celery_app.conf.task_always_eager = old
        celery_app._pool = None
        celery_app.amqp._producer_pool = None
    assert RemoveRequest.objects.filter(customer=customer, status="pending").count() == 1  # saved, due for the sweeper
    assert response.status_code == 302, response.status_code
    assert elapsed < 15, f"the removal hung {elapsed:.1f}s on the dead broker"
    summary("remove while the broker is down", http_status=302, saved=1, lost=0, response_s=f"{elapsed:.1f}")


@pytest.mark.services
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_during_a_sync_is_taken_over_by_the_next_task_and_converges(private_redis, worker_services):
    """kill -9 of the Celery worker while it runs a store's pull; the next pull task (on a new worker) sees the
    dead run (its pid is gone), marks it abandoned and converges. (A manage.py pull killed the same way is
    tests/dms_sync/test_kill_pull.py.)"""
    import os
    import shutil

    from django.conf import settings

    from customers.models import DmsAdapter
    from dms_sync.tasks import dms_pull_store_task
    from tests.customers.factories import DealershipFactory

    store = DealershipFactory(code=f"relkill{os.getpid()}", dms_adapter=DmsAdapter.FILE_DROP)
    drop = Path(settings.DMS_DROP_ROOT)  # the worker process uses the test settings' drop folder
    shutil.rmtree(drop / store.code, ignore_errors=True)
    try:
        folder = extract_write(spec=ExtractSpec(dealership_code=store.code, customers=2500, seed=11), out_dir=drop)
        vehicles = json.loads((folder / "manifest.json").read_text())["files"]["vehicles.csv"]["rows"]
        worker_services.start_worker()
        dms_pull_store_task.delay(store.pk)
        wait_until(
            lambda: SyncRun.objects.filter(dealership=store, seen__gt=0).exists(), 60, "the pull", worker_services
        )
        worker_services.kill_worker()
        killed = SyncRun.objects.get(dealership=store)
        assert killed.status == SyncStatus.RUNNING, "the pull finished before the worker could be killed"
        kept = Customer.objects.filter(dealership=store).count()

        worker_services.start_worker()
        dms_pull_store_task.delay(store.pk)
        wait_until(
            lambda: SyncRun.objects.filter(dealership=store, status=SyncStatus.SUCCEEDED).exists(),
            90,
            "the next pull to take over and succeed",
            worker_services,
        )
        killed.refresh_from_db()
        assert killed.status == SyncStatus.FAILED and "Abandoned" in killed.error
        assert Customer.objects.filter(dealership=store).count() == 2500
        assert Vehicle.objects.filter(customer__dealership=store).count() == vehicles
        summary(
            "worker kill -9 during a sync",
            faults_injected=1,
            rows_seen_before_kill=killed.seen,
            customers_kept=kept,
            killed_run="abandoned",
            next_run="succeeded",
            customers_after=2500,
            vehicles_after=vehicles,
            lost=0,
        )
    finally:
        shutil.rmtree(drop / store.code, ignore_errors=True)
