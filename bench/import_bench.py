"""DMS import benchmark: a file-drop extract of N customers (with vehicles and repair orders) loaded on
SQLite and PostgreSQL, then the same extract again (unchanged). Writes docs/PERFORMANCE.md.

    python bench/import_bench.py                 # 10,000 customers (a few minutes on a laptop)
    BENCH_SCALE=10 python bench/import_bench.py  # 100,000 customers
    python bench/import_bench.py --customers 1000000 --backends postgresql

Each backend runs in its own process (`--child`), so peak RSS (getrusage ru_maxrss) is that import's alone.
PostgreSQL uses a throwaway database `dm_bench_<pid>` on $BENCH_PG (default postgres://postgres@127.0.0.1:5432).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CUSTOMERS = 10_000
STORE = "bench-store"


def _child(backend: str, customers: int, workdir: Path, database_url: str) -> dict:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "dealermine.settings.local"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["DEBUG"] = "false"  # no SQL logging overhead: measure the importer, not the debug toolbar
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from customers.models import Customer, Dealership, DmsAdapter, RepairOrder, Vehicle
    from dms_sync.sample_extract import ExtractSpec, extract_write
    from dms_sync.services.sync import dms_pull

    call_command("migrate", verbosity=0)
    store, _ = Dealership.objects.get_or_create(
        code=STORE, defaults={"name": "Bench Store", "country": "US", "dms_adapter": DmsAdapter.FILE_DROP}
    )
    started = time.perf_counter()
    folder = extract_write(spec=ExtractSpec(dealership_code=STORE, customers=customers, seed=1), out_dir=workdir)
    generate_s = time.perf_counter() - started
    manifest = json.loads((folder / "manifest.json").read_text())
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    started = time.perf_counter()
    first = dms_pull(dealership=store, path=folder)
    first_s = time.perf_counter() - started
    assert first.status == "succeeded", first.error
    rss_first = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    started = time.perf_counter()
    again = dms_pull(dealership=store, path=folder)
    again_s = time.perf_counter() - started
    assert again.status == "succeeded" and again.created == again.updated == 0, again.error
    rss_again = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        server = cursor.fetchone()[0]
    return {
        "backend": backend,
        "server_version": server,
        "customers": customers,
        "rows": first.seen,
        "files": {name: entry["rows"] for name, entry in manifest["files"].items()},
        "generate_s": round(generate_s, 2),
        "first_s": round(first_s, 2),
        "first_rows_per_s": round(first.seen / first_s),
        "first_customers_per_s": round(customers / first_s),
        "again_s": round(again_s, 2),
        "again_rows_per_s": round(again.seen / again_s),
        "rss_before_mb": round(rss_before / 1024, 1),
        "peak_rss_first_mb": round(rss_first / 1024, 1),
        "peak_rss_again_mb": round(rss_again / 1024, 1),
        "stored": {
            "customers": Customer.objects.count(),
            "vehicles": Vehicle.objects.count(),
            "repair_orders": RepairOrder.objects.count(),
        },
    }


def _pg_base() -> str:
    return os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")


def _pg_admin(sql: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(f"{_pg_base()}/postgres", autocommit=True, connect_timeout=3) as conn:
            conn.execute(sql)
        return True
    except psycopg.Error as exc:
        print(f"PostgreSQL: {exc}", file=sys.stderr)
        return False


def _run_backend(backend: str, customers: int) -> dict | None:
    with tempfile.TemporaryDirectory(prefix="dm-bench-") as tmp:
        tmp = Path(tmp)
        if backend == "sqlite":
            url = f"sqlite:///{tmp / 'bench.sqlite3'}"
            dbname = None
        else:
            dbname = f"dm_bench_{os.getpid()}"
            if not _pg_admin(f'CREATE DATABASE "{dbname}"'):
                return None
            url = f"{_pg_base()}/{dbname}"
        try:
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    backend,
                    "--customers",
                    str(customers),
                    "--workdir",
                    str(tmp),
                    "--database-url",
                    url,
                ],
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
        except subprocess.CalledProcessError as exc:
            print(exc.stdout, exc.stderr, file=sys.stderr)
            raise
        finally:
            if dbname:
                _pg_admin(f'DROP DATABASE IF EXISTS "{dbname}"')
        return json.loads(out.stdout.strip().splitlines()[-1])


def _machine() -> dict:
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import django

    return {
        "cpu": cpu or "unknown",
        "cores": os.cpu_count(),
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
    }


def _report(results: list[dict], machine: dict, customers: int, command: str) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Performance: DMS import",
        "",
        f"Measured {now} by `bench/import_bench.py` ({customers:,} customers with their vehicles and repair orders).",
        "",
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['ram_gb']} GB RAM; {machine['os']}; "
        f"Python {machine['python']}, Django {machine['django']}.",
        "",
        f"Command: `{command}`",
        "",
        "| backend | server | rows (cust+veh+RO) | first import | rows/s | customers/s | unchanged re-run | rows/s "
        "| peak RSS |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['backend']} | {r['server_version']} | {r['rows']:,} | {r['first_s']:.1f} s | "
            f"{r['first_rows_per_s']:,} | {r['first_customers_per_s']:,} | {r['again_s']:.1f} s | "
            f"{r['again_rows_per_s']:,} | {max(r['peak_rss_first_mb'], r['peak_rss_again_mb']):.0f} MB |"
        )
    lines += [
        "",
        "The machine may have been shared with other jobs while measuring; numbers on an idle one are better. "
        "Rows are all three files (customers, vehicles, repair orders). Peak RSS is the importing process's "
        "high-water mark (`getrusage`), Django and the drivers included. The unchanged re-run loads the same "
        "extract again: every row is skipped by its row hash, nothing is written.",
        "",
        "## Against the targets",
        "",
        "Targets (issue 5, PostgreSQL, 1M customers): first import <= 60 s, unchanged re-run <= 20 s, peak RSS "
        "<= 300 MB.",
        "",
        *_target_lines(results),
        "",
        "Where the time goes (cProfile, PostgreSQL): on a first import about half is building and inserting "
        "model rows (PostgreSQL COPY / SQLite executemany for batches of 200+ new rows), a fifth is validating rows "
        "(phone parsing with `phonenumbers` alone is ~40 us per phone), the rest is CSV decoding and hashing. "
        "An unchanged re-run never parses a row: it reads the CSV twice (manifest check, then load), hashes "
        "each row and compares it with one indexed lookup per page, so it is bound by Python's per-row cost "
        "(~5 us per row per pass). Memory stays flat: one page (2,000 rows) in memory plus the set of customer "
        "numbers seen (for the duplicate warning), about 70 bytes per customer.",
        "",
        "Reaching the 1M targets needs parallelism rather than a faster loop: split the extract by customer "
        "number range and load the ranges in parallel Celery tasks (each page is already its own transaction "
        "and idempotent), or move validation of unchanged files to a single file-level checksum comparison. "
        "Neither is done yet; the numbers above are what the single-process importer does today.",
        "",
        "Raw results:",
        "",
        "```json",
        json.dumps(results, indent=2),
        "```",
        "",
    ]
    return "\n".join(lines)


def _target_lines(results: list[dict]) -> list[str]:
    lines = []
    for r in results:
        factor = 1_000_000 / r["customers"]
        first, again = r["first_s"] * factor, r["again_s"] * factor
        rss = max(r["peak_rss_first_mb"], r["peak_rss_again_mb"]) + 0.00007 * (1_000_000 - r["customers"])
        lines.append(
            f"- {r['backend']}: linear extrapolation to 1M customers: first import ~{first:,.0f} s "
            f"({'meets' if first <= 60 else 'misses'} 60 s), unchanged re-run ~{again:,.0f} s "
            f"({'meets' if again <= 20 else 'misses'} 20 s), peak RSS ~{rss:,.0f} MB "
            f"({'meets' if rss <= 300 else 'misses'} 300 MB)."
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    scale = float(os.environ.get("BENCH_SCALE", "1"))
    parser.add_argument("--customers", type=int, default=int(DEFAULT_CUSTOMERS * scale))
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--out", default=str(ROOT / "docs" / "PERFORMANCE.md"))
    parser.add_argument("--child", choices=["sqlite", "postgresql"])
    parser.add_argument("--workdir")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args.customers, Path(args.workdir), args.database_url)))
        return
    sys.path.insert(0, str(ROOT))
    results = []
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        print(f"{backend}: importing {args.customers:,} customers ...", flush=True)
        result = _run_backend(backend, args.customers)
        if result is None:
            print(f"{backend}: skipped (not reachable)")
            continue
        print(
            f"{backend}: {result['rows']:,} rows in {result['first_s']} s ({result['first_rows_per_s']:,} rows/s), "
            f"unchanged re-run {result['again_s']} s, peak RSS {result['peak_rss_first_mb']} MB",
            flush=True,
        )
        results.append(result)
    command = "python bench/import_bench.py " + " ".join(sys.argv[1:])
    if os.environ.get("BENCH_SCALE"):
        command = f"BENCH_SCALE={os.environ['BENCH_SCALE']} {command}"
    Path(args.out).write_text(_report(results, _machine(), args.customers, command.strip()), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
