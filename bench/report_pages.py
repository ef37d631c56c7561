"""The report's pages side: the timed pages with their spreads, issue 21's page goals, earlier targets, the plot
of each page's share of the floor against store size.

Files from before the repeated runs (one run per page and user count, no share, no request list, fewer pages)
render too: what they lack shows as '-' or 'not measured'."""

from __future__ import annotations

from pathlib import Path

from bench.report_fmt import pct, run_date, spread, verdict_at_least, verdict_at_most

GOAL_USERS = "10"
#: Call Select's sorts (contacts.selectors.call_select.SORTS; the report runs without Django). The default one is
#: the plain "call_select" page, the others "call_select_sort_<sort>"; the filters "call_select_filter_<name>".
CALL_SELECT_SORTS = ("star_desc", "star_asc", "ro_desc", "ro_asc", "recycle_asc", "recycle_desc")
DEFAULT_SORT = "star_desc"
CALL_SELECT_FILTERS = ("language", "fleet", "day_night", "city")
SEARCHES = {
    "name": "name", "phone": "phone", "email": "email", "number": "DMS number", "vin": "VIN", "postal": "postal code",
}  # fmt: skip
PAGE_NAMES = {
    "floor": "floor view /bench/floor/",
    "profile": "Customer Profile",
    "customer_information": "Customer Information",
    **{f"search_{key}": f"search: {label}" for key, label in SEARCHES.items()},
    "call_select": f"Call Select (sort {DEFAULT_SORT}, no filter)",
    "contact_log": "Contact log form (GET)",
    "identity_check": "New customer: identity check",
    **{f"call_select_sort_{s}": f"Call Select, sort {s}" for s in CALL_SELECT_SORTS},
    **{f"call_select_filter_{f}": f"Call Select, filter {f.replace('_', '/')}" for f in CALL_SELECT_FILTERS},
}
SEARCH_TARGET_MS = {"search_name": 100.0}  # issue 7: names <= 100 ms, everything else <= 50 ms


def _call_select_key(sort: str) -> str:
    return "call_select" if sort == DEFAULT_SORT else f"call_select_sort_{sort}"


#: Issue 21's page goals: (page, share of the floor's req/s at 10 users, in %).
GOALS = [
    ("profile", 50),
    ("customer_information", 30),
    *((f"search_{key}", 30) for key in SEARCHES),
    *((_call_select_key(sort), 20) for sort in CALL_SELECT_SORTS),
    *((f"call_select_filter_{f}", 20) for f in CALL_SELECT_FILTERS),
    ("contact_log", 30),
    ("identity_check", 30),
]
CI_MAX_QUERIES = 12


def label(name: str) -> str:
    return PAGE_NAMES.get(name, name)


def share(pages: dict, name: str, users: str) -> tuple[float | None, dict | None]:
    """(median share of the floor's req/s in %, its summary over the rounds or None for a one-run file)."""
    m = pages["load"].get(name, {}).get(users)
    floor = pages["load"]["floor"].get(users)
    if not m or not floor:
        return None, None
    if "share" in m:
        return m["share"]["median"], m["share"]
    return (100 * m["rps"] / floor["rps"] if floor["rps"] else None), None


def _errors(m: dict) -> int:
    return m["status_errors"] + m["connect_errors"] + m["read_errors"] + m["timeouts"]


def section(pages: dict, title: str = "Pages") -> list[str]:
    load = pages["load"]
    repeats = pages.get("repeats", 1)
    lines = [
        f"## {title}",
        "",
        "PostgreSQL only (production's database; SQLite is a developer convenience and not served by gunicorn in "
        f"production). {pages['customers']:,} customers loaded with the FileDrop importer (full extract: "
        f"{pages['rows_loaded']:,} rows of customers, vehicles and repair orders, in {pages['load_s']} s), then "
        "`ANALYZE`. gunicorn with "
        f"production settings (`bench.settings` = `dealermine.settings.production` plus the floor URL; DEBUG off, "
        f"whitenoise manifest storage, {pages['workers']} sync workers), loaded by `wrk` from a separate process "
        f"with a coordinator's session cookie, {pages['seconds_per_step']} s per run. Each page rotates over many "
        "different customers / search values drawn from the loaded data. The floor is "
        "`/bench/floor/`: login required, the same middleware stack (session, auth, CSRF, axes, ...), no template "
        "and no query of its own. Queries per page: `CaptureQueriesContext` in-process, same settings. "
        "Searches with a single exact hit answer 302 to that profile, by design: that redirect is what is timed.",
        "",
    ]
    if repeats > 1:
        lines += [
            f"Repeats: {repeats} rounds; in each, at each user count, the floor first and then every page (odd rounds "
            "in reverse order). Latencies and req/s are the medians of the runs; share of the floor = per round the "
            "page's req/s over the floor's req/s of the same round, median and min-max over the rounds. Errors are "
            f"summed over the runs. The Call Select variants are timed at {pages.get('variant_concurrency', '10')} "
            "users only (issue 21's goals are at 10 users).",
            "",
        ]
    else:
        lines += ["One run per page and user count (a file from before the repeated runs): no spread.", ""]
    if pages.get("seeded"):
        s = pages["seeded"]
        lines += [
            "The extract carries no fleet flag nor day/night preference (Customer Information sets them), so before "
            f"timing the bench marks the businesses as fleet ({s['is_fleet']:,} customers) and gives one customer in "
            f"five a day and one in five a night preference ({s['day_night']:,} customers), then `VACUUM ANALYZE`.",
            "",
        ]
    if pages.get("requests"):
        lines += ["| page | request (the first of those rotated) | rotated |", "|---|---|---:|"]
        for name, req in pages["requests"].items():
            lines.append(f"| {label(name)} | `{req}` | {pages['targets'][name]} |")
        lines += [""]
    lines += [
        "| page | queries | users | runs | p50 ms | p95 ms | p99 ms | req/s | req/s min-max | share of floor "
        "| share min-max | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---:|",
    ]
    for name, by_c in load.items():
        q = pages["queries"].get(name)
        queries = "-" if not q else (str(q["min"]) if q["min"] == q["max"] else f"{q['min']}-{q['max']}")
        for c, m in by_c.items():
            value, got = share(pages, name, c)
            runs = m.get("rps_spread", {}).get("n", 1)
            lines.append(
                f"| {label(name)} | {queries} | {c} | {runs} | {m['p50_ms']:.1f} | {m['p95_ms']:.1f} | "
                f"{m['p99_ms']:.1f} | {m['rps']:.0f} | {spread(m.get('rps_spread'))} | {pct(value)} | "
                f"{spread(got, 1, '%')} | {_errors(m)} |"
            )
    return lines


def _at(results: dict) -> str:
    customers = results["pages"]["customers"]
    return f"{customers:,} customers, {run_date(results)}" + ("" if customers >= 1_000_000 else " (goal at 1M)")


def _best_run(sources: list[dict], name: str) -> dict | None:
    """The largest store's pages run that timed `name` at the goal's user count (the latest on a tie)."""
    got = [r for r in sources if GOAL_USERS in r["pages"]["load"].get(name, {})]
    return max(got, key=lambda r: (r["pages"]["customers"], run_date(r))) if got else None


def goals(sources: list[dict]) -> list[str]:
    """Issue 21's page goals (rows of the goals table), each on the largest store that measured it."""
    out = []
    for name, goal in GOALS:
        title = f"{label(name)} >= {goal}% of the floor's req/s ({GOAL_USERS} users)"
        results = _best_run(sources, name)
        if not results:
            out.append(f"| {title} | - | - | - | not measured |")
        else:
            value, got = share(results["pages"], name, GOAL_USERS)
            out.append(
                f"| {title} | {_at(results)} | {pct(value)} | {spread(got, 1, '%')} | {verdict_at_least(value, goal)} |"
            )
        if name == "customer_information":
            title = f"Customer Information <= {CI_MAX_QUERIES} queries"
            q = results["pages"]["queries"].get(name) if results else None
            if not q:
                out.append(f"| {title} | - | - | - | not measured |")
            else:
                shown = str(q["max"]) if q["min"] == q["max"] else f"{q['min']}-{q['max']}"
                out.append(
                    f"| {title} | {_at(results)} | {shown} queries | 5 customers, in-process | "
                    f"{verdict_at_most(q['max'], CI_MAX_QUERIES)} |"
                )
    return out


def earlier_targets(results: dict) -> list[str]:
    """Issue 8's profile targets and issue 7's search latencies, for one pages run."""
    load = results["pages"]["load"]
    customers = results["pages"]["customers"]
    at = f"{customers:,} customers" + ("" if customers >= 1_000_000 else " (target: 1M)")
    out = []
    prof = load["profile"].get("10")
    if prof:
        p95 = prof["p95_ms"]
        out.append(f"| profile p95 <= 50 ms at 10 users | {at} | {p95:.0f} ms | {verdict_at_most(p95, 50)} |")
        best = max(m["rps"] for m in load["profile"].values())
        out.append(
            f"| >= 200 profile req/s on 2 cores | {at}, best of 1/10/50 users | {best:.0f} req/s | "
            f"{verdict_at_least(best, 200)} |"
        )
    for name in [k for k in load if k.startswith("search_")]:
        limit = SEARCH_TARGET_MS.get(name, 50.0)
        for c in ("1", "10"):
            if c in load[name]:
                p95 = load[name][c]["p95_ms"]
                out.append(
                    f"| {label(name)} p95 <= {limit:.0f} ms (issue 7) | {at}, {c} user(s), whole page | "
                    f"{p95:.0f} ms | {verdict_at_most(p95, limit)} |"
                )
    return out


def plot(sources: list[dict], path: Path) -> Path | None:
    """Each page's share of the floor at the goal's user count against store size (the latest run per size)."""
    by_size: dict[int, dict] = {}
    for results in sorted(sources, key=run_date):
        by_size[results["pages"]["customers"]] = results
    if not by_size:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    for results in by_size.values():
        names += [k for k in results["pages"]["load"] if k != "floor" and k not in names]
    fig, ax = plt.subplots(figsize=(12, 6.5), dpi=110)
    cmap = plt.get_cmap("tab20")
    markers = "os^vD<>ph*"
    for i, name in enumerate(names):
        pts = []
        for size, results in sorted(by_size.items()):
            value, got = share(results["pages"], name, GOAL_USERS)
            if value is not None:
                lo, hi = (got["min"], got["max"]) if got else (value, value)
                pts.append((size, value, value - lo, hi - value))
        if not pts:
            continue
        xs, ys, down, up = zip(*pts, strict=True)
        dodge = 10 ** (0.01 * (i - len(names) / 2))  # side by side, so the min-max bars of one size stay apart
        xs = [x * dodge for x in xs]
        style = "--" if name.startswith("call_select") else "-"
        ax.errorbar(
            xs, ys, yerr=[down, up], fmt=style, marker=markers[i % len(markers)], color=cmap(i % 20),
            label=label(name), capsize=3, linewidth=1.2, markersize=5,
        )  # fmt: skip
    for goal, text in ((50, "profile goal 50%"), (30, "goal 30%"), (20, "Call Select goal 20%")):
        ax.axhline(goal, color="grey", linestyle=":", linewidth=1)
        ax.text(1.01, goal, text, transform=ax.get_yaxis_transform(), fontsize=7, va="center", color="grey")
    ax.set_xscale("log")
    ax.set_xticks(sorted(by_size), [f"{s:,}" for s in sorted(by_size)])
    ax.minorticks_off()
    ax.set_ylim(bottom=0)
    ax.set_xlabel("customers in the store (log scale)")
    ax.set_ylabel(f"req/s as % of the floor view's, {GOAL_USERS} users (median; bars: min-max)")
    dates = ", ".join(f"{s:,}: {run_date(r)}" for s, r in sorted(by_size.items()))
    ax.set_title(f"Each page's share of the floor against store size\n({dates})", fontsize=9)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.12, 1.0))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
