"""Render bench results (bench/run.py JSON) as docs/PERFORMANCE.md plus docs/perf/import_rows_per_s.png."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT  # noqa: E402

PLOT = ROOT / "docs" / "perf" / "import_rows_per_s.png"
NAMES = {
    "ours": "FileDrop importer (ours)",
    "naive": "naive loop (update_or_create)",
    "iex": "django-import-export",
    "copy": "COPY into UNLOGGED (floor)",
    "copy_indexed": "COPY into the indexed tables (fair floor)",
}
PAGE_NAMES = {
    "floor": "floor view /bench/floor/",
    "profile": "Customer Profile",
    "customer_information": "Customer Information",
    "search_name": "search: name",
    "search_phone": "search: phone",
    "search_email": "search: email",
    "search_number": "search: DMS number",
    "search_vin": "search: VIN",
    "search_postal": "search: postal code",
    "call_select": "Call Select",
}
SEARCH_TARGET_MS = {"search_name": 100.0}  # issue 7: names <= 100 ms, everything else <= 50 ms


def _n(value, digits=0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def _med(phase: dict | None, key="rows_per_s"):
    return phase[key]["median"] if phase and phase.get(key, {}).get("n") else None


def _spread(phase: dict | None, key="rows_per_s") -> str:
    if not phase or not phase.get(key, {}).get("n"):
        return "-"
    s = phase[key]
    return f"{_n(s['min'])}-{_n(s['max'])} ({s['spread_pct']}%)" if s["n"] > 1 else "1 run"


def _find(runs, backend, importer, size):
    return next((r for r in runs if r["backend"] == backend and r["importer"] == importer and r["size"] == size), None)


def _rate(runs, backend, importer, size):
    """rows/s of the first import at `size`; for the capped slow importers, their largest measured size."""
    r = _find(runs, backend, importer, size)
    if r:
        return _med(r["phases"]["first"]), r["size"], False
    got = sorted((x for x in runs if x["backend"] == backend and x["importer"] == importer), key=lambda x: x["size"])
    if not got:
        return None, None, False
    return _med(got[-1]["phases"]["first"]), got[-1]["size"], True


def plot(imp: dict) -> Path | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    colors = {
        "ours": "tab:blue", "naive": "tab:red", "iex": "tab:orange", "copy": "tab:green", "copy_indexed": "tab:olive",
    }  # fmt: skip
    for backend, style in (("postgresql", "-"), ("sqlite", "--")):
        for importer in ("copy", "copy_indexed", "ours", "iex", "naive"):
            pts = sorted(
                (r["size"], _med(r["phases"]["first"]))
                for r in imp["runs"]
                if r["backend"] == backend and r["importer"] == importer
            )
            if not pts:
                continue
            xs, ys = zip(*pts, strict=True)
            ax.plot(xs, ys, style, marker="o", color=colors[importer], label=f"{NAMES[importer]} - {backend}")
            biggest = max(r["size"] for r in imp["runs"])
            if importer in ("naive", "iex") and xs[-1] < biggest:  # capped: flat extrapolation, drawn as such
                ax.plot([xs[-1], biggest], [ys[-1], ys[-1]], ":", color=colors[importer], alpha=0.6)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("customers in the extract (rows of customers.csv)")
    ax.set_ylabel("rows/s, first import (median)")
    ax.set_title("Customer import throughput: same generated extracts, same machine")
    ax.text(
        0.01, 0.01, "dotted: naive / import-export extrapolated flat past the size they were run at",
        transform=ax.transAxes, fontsize=7, alpha=0.7,
    )  # fmt: skip
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="center right")
    PLOT.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(PLOT)
    plt.close(fig)
    return PLOT


def _machine_lines(m: dict) -> list[str]:
    v = m["versions"]
    return [
        f"- Date: {m['date']} (start of the default run)",
        f"- Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, {m['os']}; load average at start "
        f"{m['loadavg_at_start'][0]} / {m['loadavg_at_start'][1]} (1 / 5 min; the runs followed each other, so "
        "the load of the previous one shows). A virtual machine whose speed varies from hour to hour: absolute "
        "numbers are noisy, and the ratios inside one run (each importer to COPY, each page to the floor view) "
        "are the numbers to trust.",
        f"- Versions: Python {v['python']}, Django {v['django']}, PostgreSQL {v['postgresql']}, SQLite {v['sqlite']}, "
        f"gunicorn {v['gunicorn']}, Celery {v['celery']}, psycopg {v['psycopg']}, django-import-export "
        f"{v['import_export']}, redis-py {v['redis']}, {v['wrk']}",
    ]


def _import_section(imp: dict, title: str) -> list[str]:
    runs = imp["runs"]
    lines = [f"## {title}", ""]
    lines += [
        "Same deterministic extract (`dms_sync.sample_extract`, seed 1) for every importer: `customers.csv` only "
        "(the vehicles and repair-order files are empty), so every importer loads exactly the same rows into the same "
        "database. Each cell is the median of the runs, each run a fresh database and a fresh child process; "
        "spread = min-max (and (max-min)/median). Peak RSS = the child's high-water mark (`VmHWM`; Python, "
        "Django and driver included; an idle Django child is ~60 MB); from 20,000 rows our importer reads the "
        'extract in a second process, whose own peak is shown after it ("+ N MB reader").',
        "",
        "| backend | importer | customers | runs | first import rows/s | spread | vs COPY | peak RSS | unchanged "
        "again rows/s | again speed-up | 1% changed rows/s |",
        "|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for backend in ("postgresql", "sqlite"):
        for size in sorted({r["size"] for r in runs}):
            copy = _find(runs, "postgresql", "copy", size)
            copy_rate = _med(copy["phases"]["first"]) if copy else None
            for importer in ("copy", "copy_indexed", "ours", "iex", "naive"):
                r = _find(runs, backend, importer, size)
                if not r:
                    continue
                p = r["phases"]
                first = _med(p["first"])
                again = _med(p.get("again"))
                speedup = _med(p["first"], "seconds") / _med(p["again"], "seconds") if p.get("again") else None
                ratio = f"{100 * first / copy_rate:.1f}%" if copy_rate and importer != "copy" else (
                    "100%" if importer == "copy" else "-")  # fmt: skip
                lines.append(
                    f"| {backend} | {NAMES[importer]} | {size:,} | {r['repeats']} | {_n(first)} | "
                    f"{_spread(p['first'])} | {ratio} | {_rss(p['first'])} | {_n(again)} | "
                    f"{(f'{speedup:.1f}x' if speedup else '-')} | {_n(_med(p.get('changed')))} |"
                )
    if imp["slow_sizes"] != imp["sizes"]:
        lines += [
            "",
            f"The naive loop and django-import-export were run only up to {max(imp['slow_sizes']):,} customers "
            "(BENCH_SLOW_CAP): both are per-row and scale linearly, so their rows/s at larger sizes is taken as "
            "flat (an upper bound: their per-row cost only grows with the table and its indexes). Ratios below "
            "that use this extrapolation say so.",
        ]
    return lines


def _targets_import(imp: dict) -> list[str]:
    runs = imp["runs"]
    size = max(imp["sizes"])
    out = []
    ours, _, _ = _rate(runs, "postgresql", "ours", size)
    copy, _, _ = _rate(runs, "postgresql", "copy", size)
    naive, naive_size, naive_extra = _rate(runs, "postgresql", "naive", size)
    r = _find(runs, "postgresql", "ours", size)
    at = f"at {size:,} customers" + ("" if size >= 1_000_000 else " (the target is stated at 1M; this run's largest)")
    if ours and copy:
        pct = 100 * ours / copy
        out.append(
            f"| importer >= 25% of COPY | {at} | {pct:.1f}% of COPY ({_n(ours)} vs {_n(copy)} rows/s) | "
            f"{'met' if pct >= 25 else f'**missed** by {25 / pct:.1f}x'} |"
        )
    copy_indexed, _, _ = _rate(runs, "postgresql", "copy_indexed", size)
    if ours and copy_indexed:
        x = copy_indexed / ours  # time ratio: ours takes x times as long as COPY into the indexed tables
        out.append(
            f"| first import <= 1.5x COPY into the indexed tables | {at} | {x:.2f}x ({_n(ours)} vs "
            f"{_n(copy_indexed)} rows/s) | {'met' if x <= 1.5 else f'**missed** by {x / 1.5:.2f}x'} |"
        )
    if ours and naive:
        x = ours / naive
        note = f" (naive measured at {naive_size:,}, extrapolated flat)" if naive_extra else ""
        out.append(
            f"| importer >= 20x the naive loop | {at} | {x:.1f}x{note} | "
            f"{'met' if x >= 20 else f'**missed** by {20 / x:.1f}x'} |"
        )
    if r and r["phases"].get("again"):
        s = _med(r["phases"]["first"], "seconds") / _med(r["phases"]["again"], "seconds")
        out.append(
            f"| unchanged re-import >= 3x faster | {at} | {s:.1f}x | "
            f"{'met' if s >= 3 else f'**missed** by {3 / s:.1f}x'} |"
        )
    return out


def _targets_sync(imp: dict) -> list[str]:
    """The DMS sync issue's own targets (issue 5), on the largest PostgreSQL run of our importer."""
    size = max(imp["sizes"])
    r = _find(imp["runs"], "postgresql", "ours", size)
    if not r:
        return []
    at = f"{size:,} customers (customers.csv)" + ("" if size >= 1_000_000 else "; target at 1M")
    first = _med(r["phases"]["first"], "seconds")
    out = [
        f"| first import of 1M customers <= 60 s (issue 5) | {at} | {first:.0f} s | "
        f"{'met' if first <= 60 else f'**missed** by {first / 60:.1f}x'} |"
    ]
    if r["phases"].get("again"):
        again = _med(r["phases"]["again"], "seconds")
        out.append(
            f"| unchanged re-run <= 20 s (issue 5) | {at} | {again:.0f} s | "
            f"{'met' if again <= 20 else f'**missed** by {again / 20:.1f}x'} |"
        )
    # The reader process's peak counts too (both peaks added: an upper bound of what the two held at once).
    rss = max(p["peak_rss_mb"] + p.get("reader_peak_rss_mb", 0) for p in r["phases"].values())
    out.append(
        f"| peak RSS <= 300 MB (issue 5) | {at} | {rss:.0f} MB (importer + reader process) | "
        f"{'met' if rss <= 300 else '**missed**'} |"
    )
    return out


def _rss(phase: dict) -> str:
    reader = phase.get("reader_peak_rss_mb", 0)
    return f"{phase['peak_rss_mb']:.0f} MB" + (f" + {reader:.0f} MB reader" if reader else "")


def _pages_section(pages: dict, title: str = "Pages") -> tuple[list[str], list[str]]:
    load = pages["load"]
    floor = load["floor"]
    lines = [
        f"## {title}",
        "",
        "PostgreSQL only (production's database; SQLite is a developer convenience and not served by gunicorn in "
        f"production). {pages['customers']:,} customers loaded with the FileDrop importer (full extract: "
        f"{pages['rows_loaded']:,} rows of customers, vehicles and repair orders, in {pages['load_s']} s), then "
        "`ANALYZE`. gunicorn with "
        f"production settings (`bench.settings` = `dealermine.settings.production` plus the floor URL; DEBUG off, "
        f"whitenoise manifest storage, {pages['workers']} sync workers), loaded by `wrk` from a separate process "
        f"with a coordinator's session cookie, {pages['seconds_per_step']} s per step. Each page rotates over many "
        "different customers / search values drawn from the loaded data (counts in the raw JSON). The floor is "
        "`/bench/floor/`: login required, the same middleware stack (session, auth, CSRF, axes, ...), no template "
        "and no query of its own. Queries per page: `CaptureQueriesContext` in-process, same settings. "
        "Searches with a single exact hit answer 302 to that profile, by design: that redirect is what is timed.",
        "",
        "| page | queries | users | p50 ms | p95 ms | p99 ms | req/s | vs floor req/s | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, by_c in load.items():
        q = pages["queries"][name]
        queries = str(q["min"]) if q["min"] == q["max"] else f"{q['min']}-{q['max']}"
        for c, m in by_c.items():
            errors = m["status_errors"] + m["connect_errors"] + m["read_errors"] + m["timeouts"]
            ratio = f"{100 * m['rps'] / floor[c]['rps']:.0f}%" if name != "floor" else "100%"
            lines.append(
                f"| {PAGE_NAMES.get(name, name)} | {queries} | {c} | {m['p50_ms']:.1f} | {m['p95_ms']:.1f} | "
                f"{m['p99_ms']:.1f} | {m['rps']:.0f} | {ratio} | {errors} |"
            )
    targets = []
    at = f"{pages['customers']:,} customers" + ("" if pages["customers"] >= 1_000_000 else " (target: 1M)")
    prof = load["profile"].get("10")
    if prof:
        p95 = prof["p95_ms"]
        targets.append(
            f"| profile p95 <= 50 ms at 10 users | {at} | {p95:.0f} ms | "
            f"{'met' if p95 <= 50 else f'**missed** by {p95 / 50:.1f}x'} |"
        )
        best = max(m["rps"] for m in load["profile"].values())
        targets.append(
            f"| >= 200 profile req/s on 2 cores | {at}, best of 1/10/50 users | {best:.0f} req/s | "
            f"{'met' if best >= 200 else f'**missed** by {200 / best:.1f}x'} |"
        )
        ratio = 100 * prof["rps"] / load["floor"]["10"]["rps"]
        targets.append(
            f"| profile >= 30% of the floor's rate | 10 users | {ratio:.1f}% | "
            f"{'met' if ratio >= 30 else f'**missed** by {30 / ratio:.2f}x'} |"
        )
    for name in [k for k in load if k.startswith("search_")]:
        limit = SEARCH_TARGET_MS.get(name, 50.0)
        for c in ("1", "10"):
            if c in load[name]:
                p95 = load[name][c]["p95_ms"]
                targets.append(
                    f"| {PAGE_NAMES[name]} p95 <= {limit:.0f} ms (issue 7) | {at}, {c} user(s), whole page | "
                    f"{p95:.0f} ms | {'met' if p95 <= limit else f'**missed** by {p95 / limit:.1f}x'} |"
                )
    return lines, targets


def _outbox_section(ob: dict, title: str = "Outbox (remove requests to the DMS)") -> tuple[list[str], list[str]]:
    d, lat = ob["drain"], ob["latency"]
    lines = [
        f"## {title}",
        "",
        f"{ob['workers']} real Celery worker processes ({ob.get('pool', 'prefork')} pool, concurrency "
        f"{ob['concurrency_per_worker']} each), "
        "Redis broker on a private DB index, PostgreSQL, the HTTP API adapter talking to the fake DMS "
        "(`tests/support/fake_dms.py`, loopback). Drain: all rows committed as due, then one delivery task "
        "published per row (what the after-commit hook does); the clock stops when every row is acknowledged. "
        "Latency: requests created one by one through `remove_request_create` in a transaction at "
        f"{lat['rate_per_s']:.0f}/s with the workers live; commit (wall clock after COMMIT) to `acknowledged_at`.",
        "",
        "| measurement | requests | result |",
        "|---|---:|---|",
        f"| drain | {d['requests']:,} | {d['seconds']} s = **{d['requests_per_s']:.0f} requests/s** (publishing took "
        f"{d['publish_seconds']} s of it); {d['dead']} dead, {d['applied_by_fake_dms']:,} applied by the DMS |",
        f"| commit -> acknowledged | {lat['requests']} | p50 {lat['p50_ms']:.0f} ms, **p95 {lat['p95_ms']:.0f} ms**, "
        f"p99 {lat['p99_ms']:.0f} ms, max {lat['max_ms']:.0f} ms |",
    ]
    rate = d["requests_per_s"]
    targets = [
        f"| outbox drain >= 200 requests/s | {d['requests']:,} requests, 2 workers | {rate:.0f} requests/s | "
        f"{'met' if rate >= 200 else f'**missed** by {200 / rate:.1f}x'} |"
    ]
    return lines, targets


ANALYSIS = """## 2026-11-30 against 2026-11-22

The default run above (10,000 customers) and the 1M import run were made on 2026-11-30 on the code that has
the field registry and one writer per kind of state change (issue 15), the three-way merge with the DMS
(issue 16), and the new screens and hardening (issues 17, 18, 20). The 1M pages section is still the
2026-11-22 run.

- **The nightly pull at 1M customers (PostgreSQL):** first import 164.3 s (166.8 s on 2026-11-22), unchanged
  re-run 17.6 s (19.1 s; target <= 20 s), 1%-changed run 22.4 s (30.4 s). The three-way merge costs nothing
  measurable on rows whose hash is unchanged (most rows); finding repeated customers before anything is applied
  adds ~0.5 s per million rows to the manifest's count pass. The 1%-changed run got faster because updates are
  set-based (`dealermine.bulk.bulk_update`: COPY into a staging table, one `UPDATE ... FROM`; 10,000 customers
  with 7 fields took 19-24 s through Django's CASE-per-field `bulk_update`, 0.6-0.8 s this way).
- **Pages, 10 users, share of the floor view's rate** (2026-11-22 -> 2026-11-30): profile 30% -> 25%,
  Customer Information 12% -> 12%, search by name 28% -> 33%, phone 35% -> 33%, email 28% -> 36%, DMS number
  30% -> 30%, VIN 21% -> 27%, postal code 21% -> 28%, Call Select 7% -> 4%. The floor view itself now runs the
  hardening middleware (input cleaning, CSP, no-store, the lockout handler) and served 326 req/s against
  475-643 on 2026-11-22 with the same 2 workers; that lifts every ratio a little. The restructuring of issue 15
  was compared apart, request by request under callgrind on identical data (old code against new): Customer
  Information +0.2% instructions, searches 0%, Call Select +0.1%, profile +4.5% (the contact-method indicators
  that now show contactability's answer). What lowered the profile and Call Select in this run is what they
  show now (issue 18): the profile's Contact History panel and do-not-call facts, and Call Select's recycle
  periods, call backs first, local time and calling hours (two statements: call backs due, then the rest).
  Issue 21 (speed) takes these pages on.

## Why the misses, and the proposed fixes

Causes below come from cProfile runs and EXPLAIN ANALYZE on this machine, on the runs named in each point.
The machine is a shared VM whose speed varies by the hour (the same COPY ran at 594k rows/s in the morning
and 312-356k rows/s in the evening run): compare rows inside one run, not across runs.

- **Importer vs COPY (missed by far).** COPY into an unlogged table with no index only moves bytes into text
  columns. Our importer reads each CSV row, hashes it, validates and normalises every field (phones, e-mail,
  postal codes, dates, money), looks the page up by DMS number, hands out DealerMine numbers under the store
  lock, writes the customer plus its contact-method flags through COPY into the real table, and keeps every
  index of that table current. The indexes are the floor. Measured on 2026-11-22 (night) with PostgreSQL
  alone: a binary COPY of the 1M customers' rows (taken from a loaded table) into the empty customer table
  took 99 s with all its indexes and 26 s with only its three unique ones; by group on top of those, the
  trigram GiST index +20 s, the eight phone indexes +16 s, the Call Select index +12 s, the e-mail indexes
  +6 s. A private cluster with shared_buffers 2 GB instead of 128 MB took the same 99 s (it is CPU, not
  cache); the C collation 85 s. Done since: the trigram index is GIN (migration `customers/0007`; 74 s for
  all indexes; the similar-name query at 1M went 381 -> 167 ms, as the planner never used GiST's
  nearest-first scan there); the CSV is read and hashed by a second process, so the two cores work at once;
  the manifest's row count no longer parses every field (a property test keeps it equal to the csv
  module's). Earlier work (phones validated once per area code + exchange, COPY of plain values, rows
  validated by the generator feeding COPY, array-parameter lookups, partial indexes with expression
  statistics) is described in the git log. 25% of an unindexed COPY stays out of reach for any importer that
  writes the indexed table: the fair floor is COPY into the indexed table (above), and the importer takes
  2.3 times that.
- **First import of 1M customers in 60 s (issue 5, missed).** PostgreSQL alone needs ~74 s to take the
  customer rows into the table with its indexes (above), before any validation, DealerMine numbers,
  contact-method rows or foreign-key checks; the importer took the time in the table. The target is not
  reachable on this 2-core machine while the table keeps the indexes the screens need. What would close
  most of the gap, in order: (1) fold the 4 exact-match phone indexes into the 4 reverse ones
  (`reverse(col) = reverse(x)` serves exact matches too; about half of their 16 s); (2) validate in the
  reading process as well, so the main process only feeds COPY; (3) restate the target against COPY into
  the indexed table.
- **Unchanged re-run of 1M customers in 20 s (issue 5, met).** The reading process gets the store's stored
  row digests first (one ordered read, 16 MB per million in two sorted arrays) and leaves unchanged rows
  out: the sync only counts them, so neither process builds, sends or looks up a row with nothing to do; a
  row whose customer was passed on earlier in the run still reaches the sync, so the last row wins. The row
  hash now covers the values as sent (one join per row serves the checks and the hash). 36.6 s earlier the
  same day, 14-17 s measured directly on a vacuumed table; the bench's figure is right after the first
  import, whose fresh rows PostgreSQL reads more slowly once (hint bits), and the machine's speed varies by
  ~15% within the hour, so this target is met with little margin. The 1%-changed run costs more (10,000
  customers updated through Django's bulk_update and history).
- **Peak RSS 300 MB (issue 5, met).** The importer and its reading process are measured separately (each
  one's VmHWM; the reader's sampled from /proc) and added: an upper bound of what the two held at once.
- **Customer Profile at 1M customers.** The first 1M page run (not kept) served no profile at all: the
  merge-candidate query took 3 s a page. EXPLAIN: its OR of exact phone / e-mail / name matches with
  `ORDER BY last_name, first_name LIMIT 50` was planned as a walk of the store's name index, because the
  planner guessed 0.5% of the table (5,000 rows) for `lower(email1) = '...'`: it takes expression statistics
  only from non-partial indexes, and the e-mail indexes had just become partial. Fixed by extended statistics
  on those expressions (migration `customers/0006_expression_statistics`, tested by
  `tests/customers/test_index_statistics.py`): 13-20 ms a profile in-process at 1M. The profile's own CPU was
  cut before that (`dealermine.db.CompiledQuery`: its one-row query compiled once per connection and
  prepared on PostgreSQL; cached icons): 53.5 -> 11.9 ms of CPU a request. With both, the 1M run above
  serves the profile at about 30% of the floor view's rate and ~180 requests/s at 10 users, p95 ~80 ms:
  near the rate targets, 1.6x over the latency target. At 10 users on 2 cores every request shares the cores
  with PostgreSQL, wrk and the other gunicorn worker, so p95 is mostly queueing (p50 at 1 user is ~11 ms).
  Remaining levers: fewer queries a page (9; the session, user and store list are the floor's too), the
  merge panel's two queries folded into the profile query, and the template's remaining includes.
- **Search** at 1 user meets issue 7's targets at 1M customers for every kind but postal code; at 10 and 50
  users every kind is queueing on 2 sync workers (p95 ~5x p50, the same shape as the floor view). Postal
  code (p50 45 ms, p95 107 ms at 1 user) grows with the store: a ZIP is shared by thousands of customers of a
  1M store, and the page sorts all the matches by name before cutting the first page. Proposed fix (search
  issue): a `(postal_code varchar_pattern_ops, last_name, first_name)` index so the prefix range comes out in
  name order and the scan stops at the page limit, as the name branches already do.
- **Call Select** at 1M customers: p50 285 ms at 1 user, 3 requests/s (no target, but the slowest page).
  `customer_call_select_idx` lets the planner walk the store's active customers in the wanted order and stop
  after `limit` eligible ones (352 -> 26 ms at 100k when it landed), but each candidate is checked by
  correlated `EXISTS` subqueries (eligible vehicle, usable phone / e-mail, bounces, consent), and at 1M the
  walk checks many customers before it has 50 eligible ones. Proposed fix (Call Select issue): EXPLAIN at
  1M, then keep a per-customer "callable" flag current on write (contact-method and vehicle changes already
  go through services) so the walk filters on the index alone.
- **Outbox (met).** One adapter per store configuration per worker process (its connection pool and token),
  and `--pool=threads --concurrency=8` workers, since delivery waits on the network.
"""


def render(
    results: dict,
    out: Path,
    extra_import: list[dict] | None = None,
    extra_pages: list[dict] | None = None,
    extra_outbox: dict | None = None,
) -> None:
    m = results["machine"]
    lines = [
        "# Performance",
        "",
        "Every number below comes from real runs of `bench/run.py` on this machine: the default `make bench` run "
        "(first sections) and, where a heading says so, the larger runs with their exact commands; only the prose "
        "is written by hand. Raw results with the machine facts: `bench/results/latest.json` (the latest complete "
        "default run) and one time-stamped JSON file per run.",
        "",
        *_machine_lines(m),
        f"- Run: `{results['command']}` ({results.get('wall_seconds', '?')} s wall)",
        "",
        "## Reproduce",
        "",
        "```sh",
        "make bench                                  # small default: up to 10k customers, 3 runs each, ~7 min",
        "BENCH_SCALE=100000 make bench               # adds 100k",
        "BENCH_SCALE=1000000 make bench              # the full run (not run end to end here: >1 h on 2 cores)",
        "# the larger runs reported below, then this document from the result files:",
        ".venv/bin/python bench/run.py --only import --backends postgresql --scale 1000000 --out /tmp/import1m.md",
        ".venv/bin/python bench/run.py --only pages --scale 1000000 --out /tmp/pages1m.md",
        ".venv/bin/python bench/run.py --only outbox --out /tmp/outbox.md",
        ".venv/bin/python bench/report.py bench/results/latest.json "
        "--extra-import bench/results/<stamp>-scale1000000-import.json "
        "--extra-pages bench/results/<stamp>-scale1000000-pages.json "
        "--extra-outbox bench/results/<stamp>-scale10000-outbox.json",
        "```",
        "",
        "Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust; throwaway `dm_bench_<pid>_*` databases are "
        "created and dropped), Redis on 127.0.0.1:6379 (DB index 12, flushed), and `wrk` (the Make target "
        "installs it with apt-get when missing, and `requirements-bench.txt` into the venv).",
        "",
    ]
    targets: list[str] = []
    if "import" in results:
        lines += _import_section(results["import"], "DMS import: four importers, same extract")
        targets += _targets_import(results["import"])
        for extra in extra_import or []:
            lines += [""]
            lines += _import_section(
                extra["import"], f"Larger import run ({extra['machine']['date']}, `{extra['command']}`)"
            )
            targets += _targets_import(extra["import"]) + _targets_sync(extra["import"])
        png = plot(results["import"] if not extra_import else _merge(results["import"], extra_import))
        if png:
            lines += ["", f"![import rows/s against size]({os.path.relpath(png, out.parent)})", ""]
    if "pages" in results:
        page_lines, page_targets = _pages_section(results["pages"])
        lines += page_lines + [""]
        targets += page_targets
    for extra in extra_pages or []:
        title = f"Pages at {extra['pages']['customers']:,} customers ({extra['machine']['date']}, `{extra['command']}`)"
        page_lines, page_targets = _pages_section(extra["pages"], title)
        lines += page_lines + [""]
        targets += page_targets
    if extra_outbox:
        # A later outbox-only run supersedes the default run's outbox figures (the delivery path changed).
        title = f"Outbox (remove requests to the DMS) ({extra_outbox['machine']['date']}, `{extra_outbox['command']}`)"
        ob_lines, ob_targets = _outbox_section(extra_outbox["outbox"], title)
        lines += ob_lines + [""]
        targets += ob_targets
    elif "outbox" in results:
        ob_lines, ob_targets = _outbox_section(results["outbox"])
        lines += ob_lines + [""]
        targets += ob_targets
    lines += [
        "## Against the targets (issue 8)",
        "",
        "| target | measured at | result | verdict |",
        "|---|---|---|---|",
        *targets,
        "",
        ANALYSIS,
    ]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _merge(base: dict, extras: list[dict]) -> dict:
    runs = list(base["runs"])
    for extra in extras:
        for r in extra["import"]["runs"]:
            if not _find(runs, r["backend"], r["importer"], r["size"]):
                runs.append(r)
    return {**base, "runs": runs}


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("results", nargs="?", default=str(ROOT / "bench" / "results" / "latest.json"))
    parser.add_argument("--extra-import", action="append", default=[], help="an import-only results file")
    parser.add_argument("--extra-pages", action="append", default=[], help="a pages-only results file")
    parser.add_argument("--extra-outbox", help="an outbox-only results file that supersedes the default run's")
    parser.add_argument("--out", default=str(ROOT / "docs" / "PERFORMANCE.md"))
    args = parser.parse_args()
    extras = [json.loads(Path(p).read_text()) for p in args.extra_import]
    pages = [json.loads(Path(p).read_text()) for p in args.extra_pages]
    outbox = json.loads(Path(args.extra_outbox).read_text()) if args.extra_outbox else None
    render(json.loads(Path(args.results).read_text()), Path(args.out), extras, pages, outbox)


if __name__ == "__main__":
    main()
