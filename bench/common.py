"""Shared helpers of the bench harness: machine facts, throwaway databases, child processes, statistics."""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable


def pg_base() -> str:
    return os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{pg_base()}/postgres", autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql)


def pg_reachable() -> bool:
    try:
        pg_admin("SELECT 1")
        return True
    except Exception as exc:  # noqa: BLE001 - reported, the caller decides
        print(f"PostgreSQL not reachable: {exc}", file=sys.stderr)
        return False


def pg_drop(name: str) -> None:
    pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_create(name: str, template: str | None = None) -> str:
    pg_drop(name)
    pg_admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return f"{pg_base()}/{name}"


class Databases:
    """Throwaway databases: one migrated template per backend, cheap copies for every run, all dropped at the end."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.prefix = f"dm_bench_{os.getpid()}"
        self.created: list[str] = []
        self.templates: dict[str, str] = {}

    def _migrate(self, url: str) -> None:
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "dealermine.settings.local"}
        subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)

    def fresh(self, backend: str, label: str) -> str:
        """URL of a new, migrated, empty database."""
        if backend == "postgresql":
            if "postgresql" not in self.templates:
                tpl = f"{self.prefix}_tpl"
                self.created.append(tpl)
                self._migrate(pg_create(tpl))
                self.templates["postgresql"] = tpl
            name = f"{self.prefix}_{label}"
            self.created.append(name)
            return pg_create(name, template=self.templates["postgresql"])
        tpl = self.workdir / "template.sqlite3"
        if not tpl.exists():
            self._migrate(f"sqlite:///{tpl}")
        target = self.workdir / f"{label}.sqlite3"
        shutil.copyfile(tpl, target)
        return f"sqlite:///{target}"

    def drop(self, url: str) -> None:
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        else:
            name = url.rsplit("/", 1)[1]
            pg_drop(name)
            if name in self.created:
                self.created.remove(name)

    def close(self) -> None:
        for name in reversed(self.created):
            try:
                pg_drop(name)
            except Exception as exc:  # noqa: BLE001
                print(f"could not drop {name}: {exc}", file=sys.stderr)
        self.created.clear()


def run_child(args: list[str], env: dict | None = None, timeout: float | None = None) -> dict:
    """Run `python <args>` in a child process; its last stdout line is a JSON object."""
    proc = subprocess.run(
        [PYTHON, *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-6000:]}"
        )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def summary(values: list[float]) -> dict:
    """Median and spread of repeated measurements."""
    values = [v for v in values if v is not None]
    if not values:
        return {"n": 0}
    med = statistics.median(values)
    return {
        "n": len(values),
        "median": med,
        "min": min(values),
        "max": max(values),
        "spread_pct": round(100 * (max(values) - min(values)) / med, 1) if med else 0.0,
        "values": values,
    }


def pg_server_version() -> str:
    try:
        import psycopg

        with psycopg.connect(f"{pg_base()}/postgres", connect_timeout=3) as conn:
            return conn.execute("SHOW server_version").fetchone()[0]
    except Exception:  # noqa: BLE001
        return "unreachable"


def machine() -> dict:
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    cpu = platform.processor() or "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    import sqlite3

    import django

    versions = {"python": platform.python_version(), "django": django.get_version(), "sqlite": sqlite3.sqlite_version}
    versions["postgresql"] = pg_server_version()
    for module in ("gunicorn", "celery", "psycopg", "import_export", "redis"):
        try:
            mod = __import__(module)
            versions[module] = getattr(mod, "__version__", "?")
        except ImportError:
            versions[module] = "not installed"
    try:
        versions["wrk"] = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("[")[0].strip()
    except OSError:
        versions["wrk"] = "not installed"
    load1, load5, _ = os.getloadavg()
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "loadavg_at_start": [round(load1, 2), round(load5, 2)],
        "versions": versions,
    }


def now() -> float:
    return time.perf_counter()
