"""Real Celery worker and beat processes for tests: against Redis and the PostgreSQL test database.

Used by the outbox tests (tests/dms_sync/test_worker.py), the killed-pull test and the reliability faults.
"""

import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from customers.models import Customer, DmsAdapter
from dealermine.celery import app as celery_app
from dms_sync.services.removal import customer_value_remove
from tests.customers.factories import DealershipFactory

ROOT = Path(settings.BASE_DIR)
CELERY = str(Path(sys.executable).with_name("celery"))


def worker_database_url() -> str:
    """The test database, as a URL a separate process can use (the worker must see committed rows)."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class CeleryProcesses:
    """The worker and beat processes; each in its own process group so kill -9 takes all of it."""

    def __init__(self, broker: str, tmp: Path):
        self.broker = broker
        self.tmp = tmp
        self.worker: subprocess.Popen | None = None
        self.beat: subprocess.Popen | None = None
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "dealermine.settings.test",
            "DATABASE_URL": worker_database_url(),
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
        wait_until(lambda: b"ready." in (self.tmp / "worker.log").read_bytes(), 60, "the worker to start", self)

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


def wait_until(condition, timeout: float, what: str, processes: "CeleryProcesses | None" = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}\n{processes.logs() if processes else ''}")


@contextmanager
def publishing_to(broker_url: str, monkeypatch):
    """Make this process publish tasks to a real broker instead of running them eagerly, then restore.

    Celery prefers the CELERY_BROKER_URL environment variable over its configuration, so set both.
    """
    monkeypatch.setenv("CELERY_BROKER_URL", broker_url)
    old = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    celery_app.conf.broker_url = broker_url
    celery_app.conf.task_always_eager = False
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    try:
        yield
    finally:
        celery_app.conf.broker_url, celery_app.conf.task_always_eager = old
        celery_app._pool = None
        celery_app.amqp._producer_pool = None


def http_store_with_customers(fake_dms, n: int, *, code: str = "worker-store"):
    """An HTTP-API store whose n customers (each with a cell phone) also exist at the fake DMS."""
    store = DealershipFactory(code=code, dms_adapter=DmsAdapter.HTTP_API)
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


def remove_cell(customer, actor):
    """The coordinator's X beside the cell phone, through the real service; returns the outbox row."""
    return customer_value_remove(customer=customer, field="cell_phone", actor=actor).remove_request
