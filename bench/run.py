"""`make bench`: DMS import, pages and outbox measured side by side with the alternatives and the floor.

    python bench/run.py                          # small default: up to 10k customers, 3 runs each (minutes)
    BENCH_SCALE=100000 python bench/run.py       # sizes 2k, 10k, 100k
    BENCH_SCALE=1000000 python bench/run.py      # the full run: 2k, 10k, 100k, 1M
    python bench/run.py --only import --backends postgresql

Environment knobs (all optional): BENCH_SCALE (largest size, customers; default 10000), BENCH_REPEATS (runs per
import measurement at sizes <= 10k, default 3; larger sizes run once), BENCH_SLOW_CAP (largest size the naive
loop and django-import-export are run at, default 2000; their rows/s at larger sizes is extrapolated flat, and
the report says so), BENCH_PAGE_SECONDS (length of each timed page run, default 3), BENCH_PAGE_REPEATS (rounds of
page runs: every page and the floor view timed this often at each user count, default 3), BENCH_OUTBOX (remove
requests to drain, default 2000), BENCH_PG (server URL, default postgres://postgres@127.0.0.1:5432).

Each measurement runs in a child process on a throwaway database (PostgreSQL `dm_bench_<pid>_*`, dropped at the
end; SQLite files in a temp dir). Results with the machine facts go to bench/results/<UTC time>.json and
bench/results/latest.json; the report to docs/PERFORMANCE.md (--out) and its plots to docs/perf/ (perf/ beside --out).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dealermine.settings.local")

import django  # noqa: E402

django.setup()

from bench.common import RESULTS, ROOT, Databases, machine, pg_reachable, run_child, summary  # noqa: E402
from bench.extracts import extracts_make  # noqa: E402

IMPORTERS = ["ours", "naive", "iex", "copy", "copy_indexed"]
SLOW = {"naive", "iex"}
SIZES = (2_000, 10_000, 100_000, 1_000_000)


def _env_int(name: str, default: int) -> int:
    return int(float(os.environ.get(name, default)))


def bench_import(cfg, dbs: Databases, work: Path, log) -> dict:
    sizes = sorted({n for n in SIZES if n <= cfg.scale} | {cfg.scale})
    cap = min(cfg.slow_cap, cfg.scale)
    slow_sizes = sorted({n for n in (1_000, *SIZES) if n <= cap} | {cap})
    all_sizes = sorted(set(sizes) | set(slow_sizes))
    out: dict = {"sizes": sizes, "slow_sizes": slow_sizes, "runs": []}
    for size in all_sizes:
        started = time.perf_counter()
        ex = extracts_make(customers=size, workdir=work / f"extract-{size}")
        log(f"import: extract of {size:,} customers written in {time.perf_counter() - started:.1f} s")
        repeats = cfg.repeats if size <= 10_000 else 1
        for backend in cfg.backends:
            for importer in IMPORTERS:
                if importer.startswith("copy") and backend != "postgresql":
                    continue
                if importer in SLOW and size not in slow_sizes:
                    continue
                if importer not in SLOW and size not in sizes:
                    continue
                runs = []
                for i in range(repeats):
                    url = dbs.fresh(backend, f"imp_{importer}_{size}_{i}")
                    try:
                        args = ["bench/importers.py", "--importer", importer, "--database-url", url,
                                "--extract", str(ex["customers"]), "--changed", str(ex["changed"])]  # fmt: skip
                        runs.append(run_child(args, timeout=6 * 3600))
                    finally:
                        dbs.drop(url)
                phases = {}
                for phase in ("first", "again", "changed"):
                    got = [r["phases"][phase] for r in runs if phase in r["phases"]]
                    if got:
                        phases[phase] = {
                            "rows": got[0]["rows"],
                            "rows_per_s": summary([g["rows_per_s"] for g in got]),
                            "seconds": summary([g["seconds"] for g in got]),
                            "peak_rss_mb": max(g["peak_rss_mb"] for g in got),
                            "reader_peak_rss_mb": max(g.get("reader_peak_rss_mb", 0) for g in got),
                            "counts": got[0]["counts"],
                        }
                entry = {"backend": backend, "importer": importer, "size": size, "repeats": repeats, "phases": phases}
                out["runs"].append(entry)
                f = phases["first"]
                log(
                    f"import: {backend:10} {importer:5} {size:>9,}: {f['rows_per_s']['median']:>10,.0f} rows/s "
                    f"(spread {f['rows_per_s']['spread_pct']}%), peak RSS {f['peak_rss_mb']} MB"
                )
    return out


def bench_pages(cfg, dbs: Databases, work: Path, log) -> dict:
    size = cfg.scale
    ex = work / f"extract-{size}" / "full" / "bench-store" / "20261101"
    if not (ex / "manifest.json").exists():
        ex = extracts_make(customers=size, workdir=work / f"extract-{size}")["full"]
    url = dbs.fresh("postgresql", "pages")
    try:
        log(
            f"pages: loading {size:,} customers (full extract) and serving with gunicorn, {cfg.page_repeats} rounds "
            f"of {cfg.page_seconds} s runs"
        )
        args = ["bench/pages.py", "--database-url", url, "--extract", str(ex), "--seconds", str(cfg.page_seconds),
                "--repeats", str(cfg.page_repeats)]  # fmt: skip
        result = run_child(args, timeout=6 * 3600)
    finally:
        dbs.drop(url)
    result["customers"] = size
    return result


def bench_outbox(cfg, dbs: Databases, log) -> dict:
    url = dbs.fresh("postgresql", "outbox")
    try:
        log(f"outbox: draining {cfg.outbox:,} remove requests with 2 Celery workers")
        result = run_child(["bench/outbox.py", "--database-url", url, "--requests", str(cfg.outbox)], timeout=3600)
    finally:
        dbs.drop(url)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=_env_int("BENCH_SCALE", 10_000))
    parser.add_argument("--repeats", type=int, default=_env_int("BENCH_REPEATS", 3))
    parser.add_argument("--slow-cap", type=int, default=_env_int("BENCH_SLOW_CAP", 2_000))
    parser.add_argument("--page-seconds", type=int, default=_env_int("BENCH_PAGE_SECONDS", 3))
    parser.add_argument("--page-repeats", type=int, default=_env_int("BENCH_PAGE_REPEATS", 3))
    parser.add_argument("--outbox", type=int, default=_env_int("BENCH_OUTBOX", 2_000))
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--only", default="import,pages,outbox")
    parser.add_argument("--out", default=str(ROOT / "docs" / "PERFORMANCE.md"))
    parser.add_argument("--report-only", help="re-render the report from a results JSON file")
    cfg = parser.parse_args()
    from bench.report import render

    if cfg.report_only:
        results = json.loads(Path(cfg.report_only).read_text())
        render(results, Path(cfg.out))
        print(f"wrote {cfg.out}")
        return
    cfg.backends = [b.strip() for b in cfg.backends.split(",") if b.strip()]
    only = {x.strip() for x in cfg.only.split(",")}
    if not pg_reachable():
        sys.exit("PostgreSQL is required (BENCH_PG, default postgres://postgres@127.0.0.1:5432).")

    def log(msg: str) -> None:
        print(f"[{datetime.now(UTC):%H:%M:%S}] {msg}", flush=True)

    argv = " ".join(sys.argv[1:])
    knobs = " ".join(f"{k}={os.environ[k]}" for k in sorted(os.environ) if k.startswith("BENCH_") and k != "BENCH_PG")
    results = {
        "machine": machine(),
        "command": f"{knobs} python bench/run.py {argv}".strip(),
        "config": {
            k: getattr(cfg, k)
            for k in ("scale", "repeats", "slow_cap", "page_seconds", "page_repeats", "outbox", "backends")
        },
    }
    results["config"]["only"] = sorted(only)
    log(f"machine: {results['machine']}")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="dm-bench-") as tmp:
        work = Path(tmp)
        dbs = Databases(work)
        try:
            if "import" in only:
                results["import"] = bench_import(cfg, dbs, work, log)
            if "pages" in only:
                results["pages"] = bench_pages(cfg, dbs, work, log)
            if "outbox" in only:
                results["outbox"] = bench_outbox(cfg, dbs, log)
        finally:
            dbs.close()
    results["wall_seconds"] = round(time.perf_counter() - started, 1)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    paths = [RESULTS / f"{stamp}-scale{cfg.scale}-{'-'.join(sorted(only))}.json"]
    if only == {"import", "pages", "outbox"}:  # latest.json is always a complete run
        paths.append(RESULTS / "latest.json")
    for path in paths:
        path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    render(results, Path(cfg.out))
    log(f"done in {results['wall_seconds']} s: wrote {cfg.out} and {', '.join(p.name for p in paths)}")


if __name__ == "__main__":
    main()
