"""Render bench results (bench/run.py JSON) as docs/PERFORMANCE.md plus its plots in docs/perf/.

    .venv/bin/python bench/report.py bench/results/latest.json --extra-import <1M import run> \\
        --extra-import <copy_indexed record> --extra-pages <100k pages run> --extra-pages <1M pages run> --out X.md

The plots go to perf/ beside the output file (docs/perf/ for docs/PERFORMANCE.md): import_time_vs_size.png and
pages_share_vs_size.png. The sections: bench/report_import.py (importers), bench/report_pages.py (pages), the
outbox here; the goals of issue 21 come first, the earlier targets (issues 5, 7, 8) after the sections, then the
hand-written analysis (bench/report_analysis.md).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import report_import, report_pages  # noqa: E402
from bench.common import ROOT  # noqa: E402
from bench.report_fmt import machine_short, run_date, verdict_at_least  # noqa: E402

ANALYSIS = Path(__file__).resolve().parent / "report_analysis.md"
IMPORT_PLOT = "import_time_vs_size.png"
PAGES_PLOT = "pages_share_vs_size.png"


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


def _reproduce() -> list[str]:
    return [
        "## Reproduce",
        "",
        "```sh",
        "make bench                                  # small default: up to 10k customers (import 3 runs each,",
        "                                            # pages 3 rounds of 3 s runs)",
        "BENCH_SCALE=100000 make bench               # adds 100k",
        "BENCH_SCALE=1000000 make bench              # the full run (not run end to end here: >1 h on 2 cores)",
        "# the larger runs reported below, then this document from the result files:",
        ".venv/bin/python bench/run.py --only import --backends postgresql --scale 1000000 --out /tmp/import1m.md",
        ".venv/bin/python bench/run.py --only pages --scale 100000 --out /tmp/pages100k.md",
        ".venv/bin/python bench/run.py --only pages --scale 1000000 --out /tmp/pages1m.md",
        ".venv/bin/python bench/run.py --only outbox --out /tmp/outbox.md",
        ".venv/bin/python bench/report.py bench/results/latest.json "
        "--extra-import bench/results/<stamp>-scale1000000-import.json "
        "--extra-import bench/results/<stamp>-scale1000000-import-copy_indexed.json "
        "--extra-pages bench/results/<stamp>-scale100000-pages.json "
        "--extra-pages bench/results/<stamp>-scale1000000-pages.json "
        "--extra-outbox bench/results/<stamp>-scale10000-outbox.json",
        "```",
        "",
        "Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust; throwaway `dm_bench_<pid>_*` databases are "
        "created and dropped), Redis on 127.0.0.1:6379 (DB index 12, flushed), and `wrk` (the Make target "
        "installs it with apt-get when missing, and `requirements-bench.txt` into the venv). Knobs: "
        "`--page-seconds` / BENCH_PAGE_SECONDS (length of a timed page run), `--page-repeats` / BENCH_PAGE_REPEATS "
        "(rounds), `--repeats` / BENCH_REPEATS (import runs per size up to 10k).",
        "",
    ]


def _goals_table(import_rows: list[str], page_rows: list[str]) -> list[str]:
    return [
        "## Against the goals (issue 21)",
        "",
        "Page goals: the page's req/s as a share of the floor view's req/s in the same run, at 10 concurrent users, "
        "2 gunicorn workers, PostgreSQL; the goals are stated at 1M customers, and each row is taken from the "
        "largest store whose run timed that page (the sections below have every run). Spread: min-max over the "
        "rounds of that run ('1 run' for files from before the repeated runs). Import goals: our importer at the "
        "largest size it was run at, PostgreSQL.",
        "",
        "| goal | measured at | result | spread over runs | verdict |",
        "|---|---|---|---|---|",
        *page_rows,
        *import_rows,
        "",
    ]


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
        f"{verdict_at_least(rate, 200)} |"
    ]
    return lines, targets


def _extra_title(extra: dict, what: str) -> str:
    return f"{what} ({run_date(extra)}, `{extra['command']}`)"


def render(
    results: dict,
    out: Path,
    extra_import: list[dict] | None = None,
    extra_pages: list[dict] | None = None,
    extra_outbox: dict | None = None,
) -> None:
    perf = out.parent / "perf"
    m = results["machine"]
    head = [
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
        *_reproduce(),
    ]
    lines: list[str] = []
    earlier: list[str] = []
    imports = ([results] if "import" in results else []) + list(extra_import or [])
    merged = report_import.merge(imports) if imports else None
    if "import" in results:
        lines += report_import.section(results["import"], "DMS import: the importers, same extract")
        earlier += report_import.earlier_targets(results["import"])
    for extra in extra_import or []:
        what = "Larger import run" if extra.get("machine") else "COPY into the indexed tables, one run"
        lines += [
            "",
            *report_import.section(extra["import"], _extra_title(extra, what), intro=bool(extra.get("machine"))),
        ]
        if extra.get("machine"):
            lines += ["", f"Machine: {machine_short(extra['machine'])}."]
        if extra.get("machine"):
            earlier += report_import.earlier_targets(extra["import"])
    if merged:
        png = report_import.plot(merged, perf / IMPORT_PLOT)
        lines += ["", f"![first-import time against size]({os.path.relpath(png, out.parent)})", ""]
    page_sources = ([results] if "pages" in results else []) + list(extra_pages or [])
    if "pages" in results:
        lines += report_pages.section(results["pages"]) + [""]
    for extra in extra_pages or []:
        title = _extra_title(extra, f"Pages at {extra['pages']['customers']:,} customers")
        lines += report_pages.section(extra["pages"], title)
        lines += ["", f"Machine: {machine_short(extra.get('machine'))}.", ""]
    for source in page_sources:
        earlier += report_pages.earlier_targets(source)
    if page_sources:
        png = report_pages.plot(page_sources, perf / PAGES_PLOT)
        if png:
            lines += [f"![each page's share of the floor against store size]({os.path.relpath(png, out.parent)})", ""]
    if extra_outbox:
        # A later outbox-only run supersedes the default run's outbox figures (the delivery path changed).
        title = _extra_title(extra_outbox, "Outbox (remove requests to the DMS)")
        ob_lines, ob_targets = _outbox_section(extra_outbox["outbox"], title)
        lines += ob_lines + [""]
        earlier += ob_targets
    elif "outbox" in results:
        ob_lines, ob_targets = _outbox_section(results["outbox"])
        lines += ob_lines + [""]
        earlier += ob_targets
    goals = _goals_table(report_import.goals(merged), report_pages.goals(page_sources))
    lines += [
        "## Earlier targets (issues 5, 7 and 8)",
        "",
        "| target | measured at | result | verdict |",
        "|---|---|---|---|",
        *earlier,
        "",
        ANALYSIS.read_text(encoding="utf-8").rstrip("\n"),
    ]
    out.write_text("\n".join(head + goals + lines) + "\n", encoding="utf-8")


def load(path: str) -> dict:
    """A results file; a bare bench/importers.py result (e.g. the copy_indexed record) in run.py's shape."""
    data = json.loads(Path(path).read_text())
    return report_import.wrap_raw(data, path) if "importer" in data and "import" not in data else data


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("results", nargs="?", default=str(ROOT / "bench" / "results" / "latest.json"))
    parser.add_argument("--extra-import", action="append", default=[], help="an import-only results file")
    parser.add_argument("--extra-pages", action="append", default=[], help="a pages-only results file")
    parser.add_argument("--extra-outbox", help="an outbox-only results file that supersedes the default run's")
    parser.add_argument("--out", default=str(ROOT / "docs" / "PERFORMANCE.md"))
    args = parser.parse_args()
    extras = [load(p) for p in args.extra_import]
    pages = [load(p) for p in args.extra_pages]
    outbox = load(args.extra_outbox) if args.extra_outbox else None
    render(load(args.results), Path(args.out), extras, pages, outbox)


if __name__ == "__main__":
    main()
