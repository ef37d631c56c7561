"""The report's import side: the importers' table, their goals (issue 21) and earlier targets, the time plot."""

from __future__ import annotations

from pathlib import Path

from bench.report_fmt import med, n, run_date, secs, spread, stamp_date, verdict_at_least, verdict_at_most

NAMES = {
    "ours": "FileDrop importer (ours)",
    "naive": "naive loop (update_or_create)",
    "iex": "django-import-export",
    "copy": "COPY into UNLOGGED (floor)",
    "copy_indexed": "COPY into the indexed tables (fair floor)",
}
ORDER = ("copy", "copy_indexed", "ours", "iex", "naive")
MARKERS = {"ours": "o", "naive": "v", "iex": "^", "copy": "D", "copy_indexed": "s"}
COLORS = {"ours": "tab:blue", "naive": "tab:red", "iex": "tab:orange", "copy": "tab:green", "copy_indexed": "tab:olive"}
SLOW = ("naive", "iex")
ONE_MILLION = 1_000_000


def find(runs, backend, importer, size):
    return next((r for r in runs if r["backend"] == backend and r["importer"] == importer and r["size"] == size), None)


def _rate(runs, backend, importer, size):
    """rows/s of the first import at `size`; for the capped slow importers, their largest measured size."""
    r = find(runs, backend, importer, size)
    if r:
        return med(r["phases"]["first"]), r["size"], False
    got = sorted((x for x in runs if x["backend"] == backend and x["importer"] == importer), key=lambda x: x["size"])
    if not got:
        return None, None, False
    return med(got[-1]["phases"]["first"]), got[-1]["size"], True


def _one(value) -> dict:
    return {"n": 1, "median": value, "min": value, "max": value, "spread_pct": 0.0, "values": [value]}


def wrap_raw(data: dict, path: str) -> dict:
    """A bare bench/importers.py result (one importer, one run: e.g. the copy_indexed record) in run.py's shape."""
    phases = {}
    for name, p in data["phases"].items():
        phases[name] = {**p, "rows_per_s": _one(p["rows_per_s"]), "seconds": _one(p["seconds"])}
    size = data["phases"]["first"]["rows"]
    run = {"backend": data["backend"], "importer": data["importer"], "size": size, "repeats": 1, "phases": phases}
    return {
        "machine": None,
        "date": stamp_date(path),
        "command": f"bench/importers.py --importer {data['importer']} (one child run; file {Path(path).name})",
        "import": {"sizes": [size], "slow_sizes": [], "runs": [run]},
    }


def merge(sources: list[dict]) -> dict:
    """The import runs of several result files, the first file's winning for a (backend, importer, size); each
    run remembers the date of its file (`_date`)."""
    runs, sizes, slow = [], set(), set()
    for results in sources:
        imp = results["import"]
        sizes |= set(imp["sizes"])
        slow |= set(imp["slow_sizes"])
        for r in imp["runs"]:
            if not find(runs, r["backend"], r["importer"], r["size"]):
                runs.append({**r, "_date": run_date(results)})
    return {"sizes": sorted(sizes), "slow_sizes": sorted(slow), "runs": runs}


def _rss(phase: dict) -> str:
    reader = phase.get("reader_peak_rss_mb", 0)
    return f"{phase['peak_rss_mb']:.0f} MB" + (f" + {reader:.0f} MB reader" if reader else "")


def section(imp: dict, title: str, intro: bool = True) -> list[str]:
    runs = imp["runs"]
    lines = [f"## {title}", ""]
    if intro:
        lines += [
            "Same deterministic extract (`dms_sync.sample_extract`, seed 1) for every importer: `customers.csv` "
            "only (the vehicles and repair-order files are empty), so every importer loads exactly the same rows "
            "into the same database. Each cell is the median of the runs, each run a fresh database and a fresh "
            "child process; spread = min-max (and (max-min)/median). Peak RSS = the child's high-water mark "
            "(`VmHWM`; Python, Django and driver included; an idle Django child is ~60 MB); from 20,000 rows our "
            'importer reads the extract in a second process, whose own peak is shown after it ("+ N MB reader").',
            "",
        ]
    else:
        lines += [
            "One `bench/importers.py --importer copy_indexed` child: our importer loads the extract once (untimed "
            "for the floor, its own time kept beside), the rows it stored are copied out (binary) and the tables "
            "emptied; only the COPY back into the tables with all their indexes and constraints is timed.",
            "",
        ]
    lines += [
        "| backend | importer | customers | runs | first import s | first import rows/s | spread | vs COPY | peak RSS "
        "| unchanged again s | again speed-up | 1% changed s |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for backend in ("postgresql", "sqlite"):
        for size in sorted({r["size"] for r in runs}):
            copy = find(runs, "postgresql", "copy", size)
            copy_rate = med(copy["phases"]["first"]) if copy else None
            for importer in ORDER:
                r = find(runs, backend, importer, size)
                if not r:
                    continue
                p = r["phases"]
                first = med(p["first"])
                speedup = med(p["first"], "seconds") / med(p["again"], "seconds") if p.get("again") else None
                ratio = "100%" if importer == "copy" else (f"{100 * first / copy_rate:.1f}%" if copy_rate else "-")
                lines.append(
                    f"| {backend} | {NAMES[importer]} | {size:,} | {r['repeats']} | {secs(med(p['first'], 'seconds'))} "
                    f"| {n(first)} | {spread(p['first'].get('rows_per_s'))} | {ratio} | {_rss(p['first'])} | "
                    f"{secs(med(p.get('again'), 'seconds'))} | {(f'{speedup:.1f}x' if speedup else '-')} | "
                    f"{secs(med(p.get('changed'), 'seconds'))} |"
                )
                if p["first"].get("ours_seconds"):
                    ours_s = p["first"]["ours_seconds"]
                    lines.append(
                        f"| | (the same child's own first import with our importer, the rows it copied) | {size:,} "
                        f"| 1 | {secs(ours_s)} | {n(p['first']['rows'] / ours_s)} | 1 run | - | - | - | - | - |"
                    )
    if imp["slow_sizes"] and imp["slow_sizes"] != imp["sizes"]:
        lines += [
            "",
            f"The naive loop and django-import-export were run only up to {max(imp['slow_sizes']):,} customers "
            "(BENCH_SLOW_CAP): both are per-row and scale linearly, so their rows/s at larger sizes is taken as "
            "flat (an upper bound: their per-row cost only grows with the table and its indexes). Ratios below "
            "that use this extrapolation say so.",
        ]
    return lines


def _largest_ours(imp: dict):
    got = [r for r in imp["runs"] if r["backend"] == "postgresql" and r["importer"] == "ours"]
    return max(got, key=lambda r: r["size"]) if got else None


def _at(r: dict) -> str:
    note = "" if r["size"] >= ONE_MILLION else " (goal at 1M)"
    return f"{r['size']:,} customers, {r.get('_date', '?')}{note}"


def goals(imp: dict | None) -> list[str]:
    """Issue 21's import goals, on the largest PostgreSQL run of our importer (rows of the goals table)."""
    labels = [
        "first import <= 1.5x COPY into the indexed tables (time)",
        "1%-changed re-run <= 10 s",
        "unchanged re-run <= 20 s",
        "peak RSS, importer + reader process, <= 300 MB",
    ]
    r = _largest_ours(imp) if imp else None
    if not r:
        return [f"| {label} | - | - | - | not measured |" for label in labels]
    p, at = r["phases"], _at(r)
    out = []
    ours_s = med(p["first"], "seconds")
    ci = find(imp["runs"], "postgresql", "copy_indexed", r["size"])
    if ci and ci["phases"]["first"].get("ours_seconds"):
        f = ci["phases"]["first"]
        x = f["ours_seconds"] / med(f, "seconds")
        other = f"; ours' own run ({n(ours_s, 1)} s, {r.get('_date', '?')}) over it: {ours_s / med(f, 'seconds'):.2f}x"
        out.append(
            f"| {labels[0]} | {r['size']:,} customers, {ci.get('_date', '?')} | {x:.2f}x (ours "
            f"{n(f['ours_seconds'], 1)} s, COPY {n(med(f, 'seconds'), 1)} s, same child and database) | 1 run{other} "
            f"| {verdict_at_most(x, 1.5)} |"
        )
    elif ci:
        ci_s = med(ci["phases"]["first"], "seconds")
        out.append(
            f"| {labels[0]} | {at} | {ours_s / ci_s:.2f}x (ours {n(ours_s, 1)} s, COPY {n(ci_s, 1)} s) | ours "
            f"{spread(p['first']['seconds'], 1, ' s')}; COPY {spread(ci['phases']['first']['seconds'], 1, ' s')} | "
            f"{verdict_at_most(ours_s / ci_s, 1.5)} |"
        )
    else:
        out.append(f"| {labels[0]} | {at} | no COPY into the indexed tables at this size | - | not measured |")
    for label, phase, goal in ((labels[1], "changed", 10), (labels[2], "again", 20)):
        s = med(p.get(phase), "seconds")
        got = p.get(phase, {}).get("seconds")
        out.append(f"| {label} | {at} | {n(s, 1)} s | {spread(got, 1, ' s')} | {verdict_at_most(s, goal)} |")
    # The reader process's peak counts too (both peaks added: an upper bound of what the two held at once).
    rss = max(q["peak_rss_mb"] + q.get("reader_peak_rss_mb", 0) for q in p.values())
    out.append(
        f"| {labels[3]} | {at} | {rss:.0f} MB | highest of {r['repeats']} run(s), all phases | "
        f"{verdict_at_most(rss, 300)} |"
    )
    return out


def earlier_targets(imp: dict) -> list[str]:
    """Issue 8's import targets and issue 5's (the DMS sync), at this run's largest size."""
    runs = imp["runs"]
    size = max(imp["sizes"])
    out = []
    ours, _, _ = _rate(runs, "postgresql", "ours", size)
    copy, _, _ = _rate(runs, "postgresql", "copy", size)
    naive, naive_size, naive_extra = _rate(runs, "postgresql", "naive", size)
    r = find(runs, "postgresql", "ours", size)
    at = f"at {size:,} customers" + ("" if size >= ONE_MILLION else " (the target is stated at 1M; this run's largest)")
    if ours and copy:
        pct = 100 * ours / copy
        out.append(
            f"| importer >= 25% of COPY | {at} | {pct:.1f}% of COPY ({n(ours)} vs {n(copy)} rows/s) | "
            f"{verdict_at_least(pct, 25)} |"
        )
    if ours and naive:
        x = ours / naive
        note = f" (naive measured at {naive_size:,}, extrapolated flat)" if naive_extra else ""
        out.append(f"| importer >= 20x the naive loop | {at} | {x:.1f}x{note} | {verdict_at_least(x, 20)} |")
    if r and r["phases"].get("again"):
        s = med(r["phases"]["first"], "seconds") / med(r["phases"]["again"], "seconds")
        out.append(f"| unchanged re-import >= 3x faster | {at} | {s:.1f}x | {verdict_at_least(s, 3)} |")
    if r and size >= ONE_MILLION:
        first = med(r["phases"]["first"], "seconds")
        out.append(
            f"| first import of 1M customers <= 60 s (issue 5) | {at} | {first:.0f} s | {verdict_at_most(first, 60)} |"
        )
    return out


def plot(imp: dict, path: Path) -> Path:
    """First-import time against size, log-log: every importer on each backend; bars = min-max of the runs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 5.5), dpi=110)
    biggest = max(r["size"] for r in imp["runs"])
    for backend, style in (("postgresql", "-"), ("sqlite", "--")):
        for importer in ORDER:
            got = sorted(
                (r for r in imp["runs"] if r["backend"] == backend and r["importer"] == importer),
                key=lambda r: r["size"],
            )
            if not got:
                continue
            xs = [r["size"] for r in got]
            secs = [r["phases"]["first"]["seconds"] for r in got]
            ys = [s["median"] for s in secs]
            err = [
                [y - s["min"] for y, s in zip(ys, secs, strict=True)],
                [s["max"] - y for y, s in zip(ys, secs, strict=True)],
            ]
            label = f"{NAMES[importer]} - {backend}"
            ax.errorbar(
                xs, ys, yerr=err, fmt=style, marker=MARKERS[importer], color=COLORS[importer], label=label, capsize=3,
                markersize=9 if importer == "copy_indexed" else 6, zorder=3 if importer == "copy_indexed" else 2,
            )  # fmt: skip
            if importer in SLOW and xs[-1] < biggest:  # capped: time extrapolated linearly, drawn as such
                ax.plot([xs[-1], biggest], [ys[-1], ys[-1] * biggest / xs[-1]], ":", color=COLORS[importer], alpha=0.6)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("customers in the extract (rows of customers.csv)")
    ax.set_ylabel("seconds, first import into an empty store (median; bars: min-max)")
    ax.set_title("Customer import time against size: same generated extracts, same machine")
    ax.text(
        0.01, 0.98, "dotted: naive / import-export extrapolated linearly past the size they were run at",
        transform=ax.transAxes, fontsize=7, alpha=0.7, va="top",
    )  # fmt: skip
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
