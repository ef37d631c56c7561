"""Formatting shared by the report's sections: numbers, spreads, verdicts, where a run was measured."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path


def n(value, digits=0) -> str:
    """A number with thousands separators; '-' when missing."""
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def secs(value) -> str:
    """Seconds: two decimals under 10 s, one above; '-' when missing."""
    return "-" if value is None else f"{value:,.{2 if value < 10 else 1}f}"


def pct(value) -> str:
    """A share in %: one decimal under 10%; '-' when missing."""
    return "-" if value is None else f"{value:.{1 if value < 10 else 0}f}%"


def med(phase: dict | None, key="rows_per_s"):
    """The median of a phase's summary (bench.common.summary), None when missing."""
    return phase[key]["median"] if phase and phase.get(key, {}).get("n") else None


def spread(s: dict | None, digits=0, unit="") -> str:
    """min-max (and (max-min)/median) of a summary; '1 run' for one, '-' when missing."""
    if not s or not s.get("n"):
        return "-"
    if s["n"] == 1:
        return "1 run"
    return f"{n(s['min'], digits)}-{n(s['max'], digits)}{unit} ({s['n']} runs, {s['spread_pct']}%)"


def verdict_at_least(value, goal) -> str:
    if value is None:
        return "not measured"
    if value >= goal:
        return "met"
    return f"**missed** by {goal / value:.2f}x" if value > 0 else "**missed**"


def verdict_at_most(value, goal) -> str:
    if value is None:
        return "not measured"
    return "met" if value <= goal else f"**missed** by {value / goal:.2f}x"


def stamp_date(path: str | Path) -> str | None:
    """'2026-11-30 10:49 UTC' from a results file named <UTC stamp>-...json; None when it has no stamp."""
    try:
        return datetime.strptime(Path(path).name[:16], "%Y%m%dT%H%M%SZ").strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return None


def run_date(results: dict) -> str:
    return (results.get("machine") or {}).get("date") or results.get("date") or "date unknown"


def machine_short(m: dict | None) -> str:
    if not m:
        return "machine not recorded in the file"
    load = m.get("loadavg_at_start") or ["?", "?"]
    return f"{m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM; load average at start {load[0]} / {load[1]}"
