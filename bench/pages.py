"""Page benchmark in its own process, called by bench/run.py.

Loads the full generated extract (customers, vehicles, repair orders) with the project's importer into the given
PostgreSQL database, creates a coordinator and a session for it directly (SessionStore: no login form, so
django-axes never counts anything), counts queries per page in-process (CaptureQueriesContext), then serves the
app with gunicorn (production settings via bench.settings, 2 sync workers) and loads every page with wrk from a
separate process, the floor view /bench/floor/ first, at each concurrency. All traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
SEARCH_KINDS = ["name", "phone", "email", "number", "vin", "postal"]

LUA = """
local paths = {%(paths)s}
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1], {["Cookie"] = "%(cookie)s", ["Host"] = "127.0.0.1"})
end
done = function(summary, latency, requests)
  io.write(string.format(
    'WRKJSON {"requests":%%d,"duration_us":%%d,"status_errors":%%d,"connect_errors":%%d,"read_errors":%%d,' ..
    '"timeouts":%%d,"p50_ms":%%.2f,"p95_ms":%%.2f,"p99_ms":%%.2f,"max_ms":%%.2f}\\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.timeout, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _setup_env(database_url: str, static_root: Path) -> None:
    os.environ.update(
        {
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
            "ALLOWED_HOSTS": "127.0.0.1,testserver",
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_HSTS_SECONDS": "0",
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "BENCH_STATIC_ROOT": str(static_root),
        }
    )
    sys.path.insert(0, str(ROOT))


def _load(extract: Path) -> dict:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    from customers.models import Dealership, DmsAdapter, Membership
    from dms_sync.services.pull import dms_pull

    call_command("collectstatic", "--noinput", verbosity=0)
    store, _ = Dealership.objects.get_or_create(
        code="bench-store", defaults={"name": "Bench Store", "country": "US", "dms_adapter": DmsAdapter.FILE_DROP}
    )
    started = time.perf_counter()
    run = dms_pull(dealership=store, path=extract)
    assert run.status == "succeeded", run.error
    load_s = time.perf_counter() - started
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    user = get_user_model().objects.create_user("bench_coordinator", password=None)
    Membership.objects.create(user=user, dealership=store, role="coordinator")
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return {"store": store, "user": user, "session_key": session.session_key, "load_s": load_s, "rows": run.seen}


def _targets(store) -> dict[str, list[str]]:
    """URL paths per page, drawn from the loaded data (seeded): many different customers and search values,
    rotated by wrk, so no single row stays hot in a cache."""
    from urllib.parse import urlencode

    from contacts.forms import CallSelectForm
    from customers.models import Customer, Vehicle

    rng = random.Random(7)
    ids = list(Customer.objects.filter(dealership=store).values_list("id", flat=True).order_by("?")[:200])
    sample = list(
        Customer.objects.filter(pk__in=ids).values(
            "id", "last_name", "first_name", "home_phone", "cell_phone", "email1", "dms_number", "postal_code"
        )
    )
    vins = list(Vehicle.objects.filter(customer_id__in=ids).values_list("vin", flat=True)[:100])
    rng.shuffle(sample)

    def search(values):
        return [f"/customers/search/?{urlencode({'q': v})}" for v in values if v][:50]

    sort = CallSelectForm.base_fields["sort"].initial
    call_select = []
    for contact_type in ("maintenance", "csi", "recalls", "confirm_appt"):
        for limit in (50, 100):
            call_select.append(
                "/call-select/?"
                + urlencode({"dealership": store.pk, "contact_type": contact_type, "limit": limit, "sort": sort})
            )
    return {
        "floor": ["/bench/floor/"],
        "profile": [f"/customers/{c['id']}/" for c in sample[:100]],
        "customer_information": [f"/customers/{c['id']}/edit/" for c in sample[:100]],
        "search_name": search(f"{c['first_name']} {c['last_name']}".strip() for c in sample),
        "search_phone": search(c["cell_phone"] or c["home_phone"] for c in sample),
        "search_email": search(c["email1"] for c in sample),
        "search_number": search(c["dms_number"] for c in sample),
        "search_vin": search(vins),
        "search_postal": search(c["postal_code"] for c in sample),
        "call_select": call_select,
    }


def _queries(targets: dict[str, list[str]], session_key: str) -> dict:
    """Queries per page, in-process, through the same settings and middleware; also proves every page is a 200."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies["sessionid"] = session_key
    out = {}
    for name, paths in targets.items():
        counts, statuses = [], set()
        for path in paths[:5]:
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(path)
            # A GET search renders the results (200), a single exact hit included (the search box POSTs to open
            # it and record the INQ); a 302 to a profile is still accepted. Anything else (a 302 to the login
            # page, a 404, a 500) would make the load numbers meaningless.
            location = response.headers.get("Location", "")
            if response.status_code != 200 and not (name.startswith("search") and location.startswith("/customers/")):
                raise RuntimeError(f"{path}: HTTP {response.status_code} {location}")
            statuses.add(response.status_code)
            counts.append(len(ctx.captured_queries))
        out[name] = {"min": min(counts), "max": max(counts), "statuses": sorted(statuses)}
    return out


def _wrk(port: int, paths: list[str], cookie: str, concurrency: int, seconds: float, tmp: Path) -> dict:
    script = tmp / "bench.lua"
    script.write_text(LUA % {"paths": ", ".join(json.dumps(p) for p in paths), "cookie": cookie})
    threads = max(1, min(2, concurrency))
    proc = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{int(seconds)}s", "--timeout", "30s", "-s", str(script),
         f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, timeout=seconds + 60, check=True,
    )  # fmt: skip
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("WRKJSON "))
    data = json.loads(line.removeprefix("WRKJSON "))
    data["rps"] = round(data["requests"] / (data["duration_us"] / 1e6), 1)
    return data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--extract", required=True)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--concurrency", default="1,10,50")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="dm-bench-pages-"))
    _setup_env(args.database_url, tmp / "static")
    import django

    django.setup()
    loaded = _load(Path(args.extract))
    targets = _targets(loaded["store"])
    queries = _queries(targets, loaded["session_key"])
    from django.db import connections

    connections.close_all()
    port = _free_port()
    log = (tmp / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [GUNICORN, "dealermine.wsgi:application", "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
         "--access-logfile", "-" if os.environ.get("BENCH_ACCESS_LOG") else "/dev/null", "--log-level", "warning"],
        cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=log, start_new_session=True,
    )  # fmt: skip
    results: dict = {}
    try:
        cookie = f"sessionid={loaded['session_key']}"
        deadline = time.monotonic() + 60
        while True:
            try:
                url = f"http://127.0.0.1:{port}{targets['profile'][0]}"
                req = urllib.request.Request(url, headers={"Cookie": cookie})
                with urllib.request.urlopen(req, timeout=10) as response:  # noqa: S310 - loopback only
                    if response.status != 200 or response.url != url:  # a redirect means the login page
                        raise RuntimeError(f"the session cookie did not authenticate: {response.url}")
                break
            except (ConnectionError, urllib.error.URLError):
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError((tmp / "gunicorn.log").read_text()[-3000:]) from None
                time.sleep(0.3)
        for name, paths in targets.items():
            _wrk(port, paths, cookie, 2, 1, tmp)  # warm-up, not recorded: both workers load templates, plans
            results[name] = {}
            for c in [int(x) for x in args.concurrency.split(",")]:
                results[name][str(c)] = _wrk(port, paths, cookie, c, args.seconds, tmp)
                print(f"pages: {name} c={c}: {results[name][str(c)]}", file=sys.stderr, flush=True)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)
        shutil.rmtree(tmp, ignore_errors=True)
    print(
        json.dumps(
            {
                "rows_loaded": loaded["rows"],
                "load_s": round(loaded["load_s"], 2),
                "workers": args.workers,
                "seconds_per_step": args.seconds,
                "targets": {k: len(v) for k, v in targets.items()},
                "queries": queries,
                "load": results,
            }
        )
    )


if __name__ == "__main__":
    main()
