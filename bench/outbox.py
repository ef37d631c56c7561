"""Outbox benchmark in its own process, called by bench/run.py.

Real Celery worker processes (default 2, thread pool, concurrency 8 each) on a Redis broker (a private DB index,
flushed first) and PostgreSQL deliver remove requests to the fake DMS (tests/support/fake_dms.py, an HTTP server
on 127.0.0.1 in this process), through the production delivery path (dms_sync.services.delivery).

1. Drain: N remove requests are committed as due rows while the workers are running idle; the clock starts when
   the first delivery task is published (one task per row, like the after-commit hook) and stops when every row
   is acknowledged in the database.
2. Commit-to-acknowledged: M requests created one at a time through dms_sync.outbox.remove_request_create inside
   a transaction (as the Customer Information remove does) at a modest pace with the workers live; latency is
   acknowledged_at (written by the worker) minus the wall-clock time right after this process's commit.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CELERY = str(Path(sys.executable).with_name("celery"))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--latency-requests", type=int, default=200)
    parser.add_argument("--latency-rate", type=float, default=20.0, help="requests per second for step 2")
    parser.add_argument("--workers", type=int, default=2)
    # Delivery waits on the network, so the recommended outbox worker is a thread pool (README, docs/DMS_SYNC.md).
    parser.add_argument("--pool", default="threads", choices=["threads", "prefork", "solo"])
    parser.add_argument("--concurrency", type=int, default=8, help="per worker process")
    parser.add_argument("--broker", default=os.environ.get("BENCH_BROKER", "redis://127.0.0.1:6379/12"))
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    from bench.pages import _setup_env

    tmp = Path(tempfile.mkdtemp(prefix="dm-bench-outbox-"))
    _setup_env(args.database_url, tmp / "static")
    os.environ["CELERY_BROKER_URL"] = args.broker
    os.environ["CONN_MAX_AGE"] = "60"
    import redis

    redis.Redis.from_url(args.broker).flushdb()
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connections, transaction
    from django.utils import timezone

    from customers.models import Customer, Dealership, DmsAdapter
    from dms_sync.models import RemoveRequest, RemoveStatus
    from dms_sync.outbox import remove_request_create
    from dms_sync.services.delivery import enqueue_delivery
    from tests.support.fake_dms import FakeDms

    fake = FakeDms().start()
    store = Dealership.objects.create(
        code="bench-outbox", name="Bench Outbox", country="US", dms_adapter=DmsAdapter.HTTP_API,
        dms_settings=fake.dms_settings(),
    )  # fmt: skip
    user = get_user_model().objects.create_user("bench_outbox", password=None)
    total = args.requests + args.latency_requests
    customers = []
    for i in range(total):
        number = f"B{i:07d}"
        email = f"c{i}@example.com"
        fake.put_customer({"customer_number": number, "email1": email})
        customers.append(Customer(dealership=store, dealermine_number=i + 1, dms_number=number, email1=email))
    Customer.objects.bulk_create(customers, batch_size=2000)
    customers = list(Customer.objects.filter(dealership=store).order_by("dealermine_number"))
    drain_customers, latency_customers = customers[: args.requests], customers[args.requests :]
    now = timezone.now()
    RemoveRequest.objects.bulk_create(
        [
            RemoveRequest(
                dealership=store, customer=c, dms_number=c.dms_number, field="email1", value=c.email1,
                requested_by=user, requested_at=now, next_attempt_at=now,
            )
            for c in drain_customers
        ],
        batch_size=2000,
    )  # fmt: skip
    ids = list(RemoveRequest.objects.filter(dealership=store).order_by("pk").values_list("pk", flat=True))
    connections.close_all()

    env = {**os.environ, "LOG_LEVEL": "WARNING"}
    workers = []
    for n in range(args.workers):
        log = tmp / f"worker{n}.log"
        workers.append(
            (
                subprocess.Popen(
                    [
                        CELERY,
                        "-A",
                        "dealermine",
                        "worker",
                        f"--pool={args.pool}",
                        f"--concurrency={args.concurrency}",
                        "--loglevel=INFO",
                        "--without-gossip",
                        "--without-mingle",
                        "-n",
                        f"bench{n}-{os.getpid()}@%h",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=log.open("wb"),
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                ),  # fmt: skip
                log,
            )
        )
    out: dict = {
        "workers": args.workers,
        "pool": args.pool,
        "concurrency_per_worker": args.concurrency,
        "broker": args.broker,
    }
    try:
        deadline = time.monotonic() + 90
        while not all(b"ready." in log.read_bytes() for _, log in workers):
            if time.monotonic() > deadline or any(p.poll() is not None for p, _ in workers):
                raise RuntimeError("\n".join(log.read_text(errors="replace")[-2000:] for _, log in workers))
            time.sleep(0.2)

        open_rows = RemoveRequest.objects.filter(dealership=store).exclude(status=RemoveStatus.ACKNOWLEDGED)
        started = time.perf_counter()
        for pk in ids:
            enqueue_delivery(pk)
        published_s = time.perf_counter() - started
        deadline = time.monotonic() + max(120, args.requests / 20)
        while open_rows.exists():
            if time.monotonic() > deadline:
                raise RuntimeError(f"drain timed out with {open_rows.count()} open rows")
            time.sleep(0.1)
        drain_s = time.perf_counter() - started
        dead = RemoveRequest.objects.filter(dealership=store, status=RemoveStatus.DEAD).count()
        out["drain"] = {
            "requests": len(ids),
            "seconds": round(drain_s, 2),
            "publish_seconds": round(published_s, 2),
            "requests_per_s": round(len(ids) / drain_s, 1),
            "dead": dead,
            "applied_by_fake_dms": sum(fake.applied_by_key.values()),
        }
        print(f"outbox drain: {out['drain']}", file=sys.stderr, flush=True)

        committed: dict[int, float] = {}
        interval = 1.0 / args.latency_rate
        for c in latency_customers:
            tick = time.perf_counter()
            with transaction.atomic():
                request = remove_request_create(customer=c, field="email1", value=c.email1, actor=user)
            committed[request.pk] = time.time()
            time.sleep(max(0.0, interval - (time.perf_counter() - tick)))
        pending = RemoveRequest.objects.filter(pk__in=committed).exclude(status=RemoveStatus.ACKNOWLEDGED)
        deadline = time.monotonic() + 120
        while pending.exists():
            if time.monotonic() > deadline:
                raise RuntimeError("latency step timed out")
            time.sleep(0.1)
        acked = dict(RemoveRequest.objects.filter(pk__in=committed).values_list("pk", "acknowledged_at"))
        latencies = [
            (acked[pk] - datetime.fromtimestamp(t, tz=UTC)).total_seconds() * 1000 for pk, t in committed.items()
        ]
        out["latency"] = {
            "requests": len(latencies),
            "rate_per_s": args.latency_rate,
            "p50_ms": round(statistics.median(latencies), 1),
            "p95_ms": round(_pct(latencies, 95), 1),
            "p99_ms": round(_pct(latencies, 99), 1),
            "max_ms": round(max(latencies), 1),
        }
        print(f"outbox latency: {out['latency']}", file=sys.stderr, flush=True)
    finally:
        for proc, _ in workers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc, _ in workers:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        fake.stop()
        redis.Redis.from_url(args.broker).flushdb()
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
