"""Shared helpers of the reliability suite: PostgreSQL-only guards, threads with their own connections, and the
one-line summaries the fault tests print (quoted in docs/RELIABILITY.md)."""

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections

from customers.models import DmsAdapter
from tests.customers.factories import DealershipFactory

LOCK_TIMEOUT = "5s"  # a lock wait longer than this is a bug (or a deadlock the database did not break) -> fail fast


def require_postgresql(why: str = "row locks and concurrent sessions") -> None:
    if connection.vendor != "postgresql":
        pytest.skip(f"needs PostgreSQL: {why} (CI runs the suite on PostgreSQL too)")


def set_lock_timeout() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
        cursor.execute("SET deadlock_timeout = '200ms'")


def run_threads(targets: list[Callable[[], object]], *, timeout: float = 60) -> list[tuple[str, object]]:
    """Run each target in its own thread (own DB connection, lock timeout set), all released at once.

    Returns [("ok", result) | ("error", exception)] in target order.
    """
    barrier = threading.Barrier(len(targets))
    results: list = [None] * len(targets)

    def worker(i, target):
        try:
            set_lock_timeout()
            barrier.wait(10)
            results[i] = ("ok", target())
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            results[i] = ("error", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, t), daemon=True) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
        assert not t.is_alive(), "a thread is still blocked: a deadlock or a lock that is never released"
    return results


def summary(name: str, **figures) -> str:
    """Print one line per fault test (pytest -s shows it); docs/RELIABILITY.md quotes these lines."""
    line = f"[reliability] {name}: " + " ".join(f"{k}={v}" for k, v in figures.items())
    print(line)
    return line


@pytest.fixture
def dms_dirs(tmp_path, settings):
    settings.DMS_DROP_ROOT = tmp_path / "drop"
    settings.DMS_OUTBOX_ROOT = tmp_path / "outbox"
    return settings.DMS_DROP_ROOT, settings.DMS_OUTBOX_ROOT


@pytest.fixture
def file_store(dms_dirs, db):
    return DealershipFactory(code="rel-store", dms_adapter=DmsAdapter.FILE_DROP)
