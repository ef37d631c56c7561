"""Page benchmark in its own process, called by bench/run.py.

Loads the full generated extract (customers, vehicles, repair orders) with the project's importer into the given
PostgreSQL database, sets the fleet flag and day/night preference the extract does not carry
(bench.page_targets.seed_crm_fields), creates a coordinator and a session for it directly (SessionStore: no login
form, so django-axes never counts anything), counts queries per page in-process (CaptureQueriesContext), then
serves the app with gunicorn (production settings via bench.settings, 2 sync workers), checks that every page
answers through it, and loads every page with wrk from a separate process. All traffic goes to 127.0.0.1.

Repeats: the whole plan runs `--repeats` rounds. In each round, at each user count, the floor view /bench/floor/
is timed first and then every page, so a page and the floor of its round are measured minutes apart at most
(odd rounds run the pages in reverse order, so no page always comes last). The JSON keeps every run; per page and
user count the medians of the runs, the sums of requests and errors, the spread of req/s, and the share of the
floor: per round the page's req/s over the floor's req/s of that round, with their median and min-max.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))

LUA = """
local specs = {
%(specs)s
}
local reqs = {}
local counter = 0
init = function(args)
  for i, s in ipairs(specs) do
    local headers = {["Cookie"] = %(cookie)s, ["Host"] = "127.0.0.1"}
    if s[4] then
      for name, value in pairs(s[4]) do headers[name] = value end
    end
    reqs[i] = wrk.format(s[1], s[2], headers, s[3])
  end
end
request = function()
  counter = counter + 1
  return reqs[(counter %% #reqs) + 1]
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
ERROR_KEYS = ("status_errors", "connect_errors", "read_errors", "timeouts")


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
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import connection

    from bench.page_targets import csrf_secret, seed_crm_fields
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
    seeded = seed_crm_fields(store)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    user = get_user_model().objects.create_user("bench_coordinator", password=None)
    Membership.objects.create(user=user, dealership=store, role="coordinator")
    csrf = csrf_secret()  # the browser holds the CSRF cookie of the first page with a form it loaded
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    if settings.CSRF_USE_SESSIONS:
        session["_csrftoken"] = csrf
    session.save()
    cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
    if not settings.CSRF_USE_SESSIONS:
        cookie += f"; {settings.CSRF_COOKIE_NAME}={csrf}"
    return {"store": store, "cookie": cookie, "csrf": csrf, "load_s": load_s, "rows": run.seen, "seeded": seeded}


def _accepted(name: str, status: int, location: str) -> bool:
    # A GET search renders the results (200), a single exact hit included (the search box POSTs to open it and
    # record the INQ); a 302 to a profile is still accepted. Anything else (a 302 to the login page, a 403, a
    # 404, a 500) would make the load numbers meaningless.
    return status == 200 or (name.startswith("search") and status == 302 and location.startswith("/customers/"))


def _queries(targets: dict[str, list[dict]], cookie: str) -> dict:
    """Queries per page, in-process, through the same settings and middleware; also proves every page answers."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    for part in cookie.split("; "):
        key, value = part.split("=", 1)
        client.cookies[key] = value
    out = {}
    for name, reqs in targets.items():
        counts, statuses = [], set()
        for req in reqs[:5]:
            headers = dict(req.get("headers", {}))
            with CaptureQueriesContext(connection) as ctx:
                if req["method"] == "POST":
                    content_type = headers.pop("Content-Type")
                    response = client.post(req["path"], req["body"], content_type=content_type, headers=headers)
                else:
                    response = client.get(req["path"], headers=headers)
            location = response.headers.get("Location", "")
            if not _accepted(name, response.status_code, location):
                raise RuntimeError(f"{req['method']} {req['path']}: HTTP {response.status_code} {location}")
            statuses.add(response.status_code)
            counts.append(len(ctx.captured_queries))
        out[name] = {"min": min(counts), "max": max(counts), "statuses": sorted(statuses)}
    return out


def _through_server(port: int, targets: dict[str, list[dict]], cookie: str) -> dict:
    """Each page's first request through gunicorn, as wrk will send it (CSRF included): its status."""
    out = {}
    for name, reqs in targets.items():
        req = reqs[0]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            headers = {"Cookie": cookie, "Host": "127.0.0.1", **req.get("headers", {})}
            conn.request(req["method"], req["path"], body=req.get("body", "").encode() or None, headers=headers)
            response = conn.getresponse()
            response.read()
        finally:
            conn.close()
        if not _accepted(name, response.status, response.getheader("Location", "")):
            raise RuntimeError(f"through gunicorn: {req['method']} {req['path']}: HTTP {response.status}")
        out[name] = response.status
    return out


def _lua_string(text: str) -> str:
    """A Lua string literal of `text`'s UTF-8 bytes (decimal escapes: LuaJIT has no \\u escape)."""
    chars = [chr(b) if 32 <= b < 127 and b not in (34, 92) else f"\\{b:03d}" for b in text.encode()]
    return '"' + "".join(chars) + '"'


def _lua_spec(req: dict) -> str:
    parts = [_lua_string(req["method"]), _lua_string(req["path"])]
    if req.get("body") or req.get("headers"):
        parts.append(_lua_string(req["body"]) if req.get("body") else "nil")
    if req.get("headers"):
        parts.append("{" + ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in req["headers"].items()) + "}")
    return "  {" + ", ".join(parts) + "},"


def _drain(port: int, cookie: str, timeout: float = 120) -> float:
    """Wait until gunicorn has worked off what the last wrk run left queued (wrk stops counting at the end of its
    run, but the sync workers still serve every request already sent): until the floor view answers quickly twice
    in a row. Without this a slow page's backlog would be timed as the next page's. Returns the seconds waited."""
    started = time.monotonic()
    quick = 0
    while quick < 2 and time.monotonic() - started < timeout:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        sent = time.monotonic()
        try:
            conn.request("GET", "/bench/floor/", headers={"Cookie": cookie, "Host": "127.0.0.1"})
            conn.getresponse().read()
        finally:
            conn.close()
        quick = quick + 1 if time.monotonic() - sent < 0.1 else 0
    return round(time.monotonic() - started, 2)


def _wrk(port: int, script: Path, concurrency: int, seconds: float, cookie: str) -> dict:
    threads = max(1, min(2, concurrency))
    proc = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{int(seconds)}s", "--timeout", "30s", "-s", str(script),
         f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, timeout=seconds + 60, check=True,
    )  # fmt: skip
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("WRKJSON "))
    data = json.loads(line.removeprefix("WRKJSON "))
    data["rps"] = round(data["requests"] / (data["duration_us"] / 1e6), 1)
    data["drain_s"] = _drain(port, cookie)
    return data


def _aggregate(runs: list[dict], floor_runs: dict[int, dict]) -> dict:
    """Medians of the runs (latencies and req/s), sums of requests and errors, the req/s spread and the share of
    the floor (each run over the floor run of its round, in %)."""
    from bench.common import summary

    out = {key: round(statistics.median(r[key] for r in runs), 2) for key in ("rps", "p50_ms", "p95_ms", "p99_ms")}
    out["max_ms"] = max(r["max_ms"] for r in runs)
    for key in ("requests", "duration_us", *ERROR_KEYS):
        out[key] = sum(r[key] for r in runs)
    out["rps_spread"] = summary([r["rps"] for r in runs])
    shares = [round(100 * r["rps"] / floor_runs[r["round"]]["rps"], 1) for r in runs if floor_runs[r["round"]]["rps"]]
    if shares:
        out["share"] = summary(shares)
    out["runs"] = runs
    return out


def _time_pages(port: int, targets: dict, cookie: str, args, tmp: Path) -> dict:
    from bench.page_targets import is_variant

    main_c = [int(x) for x in args.concurrency.split(",")]
    variant_c = [int(x) for x in args.variant_concurrency.split(",")]
    users = {name: (variant_c if is_variant(name) else main_c) for name in targets}
    scripts = {}
    for i, (name, reqs) in enumerate(targets.items()):
        scripts[name] = tmp / f"page{i}.lua"
        specs = "\n".join(_lua_spec(r) for r in reqs)
        scripts[name].write_text(LUA % {"specs": specs, "cookie": _lua_string(cookie)}, encoding="utf-8")
    for name in targets:
        _wrk(port, scripts[name], 2, 1, cookie)  # warm-up, not recorded: both workers load templates, plans
    runs: dict[str, dict[int, list[dict]]] = {name: {} for name in targets}
    for rnd in range(args.repeats):
        for c in sorted({c for cs in users.values() for c in cs}):
            names = [n for n in targets if n != "floor" and c in users[n]]
            for name in ["floor", *(reversed(names) if rnd % 2 else names)]:
                got = {**_wrk(port, scripts[name], c, args.seconds, cookie), "round": rnd}
                runs[name].setdefault(c, []).append(got)
                print(f"pages: round {rnd + 1} {name} c={c}: {got}", file=sys.stderr, flush=True)
    load = {}
    for name, by_c in runs.items():
        load[name] = {}
        for c, page_runs in by_c.items():
            floor_runs = {r["round"]: r for r in runs["floor"][c]}
            load[name][str(c)] = _aggregate(page_runs, floor_runs)
    return load


def _request_line(req: dict) -> str:
    return f"{req['method']} {req['path']}" + (" (form data: the identity keys)" if req.get("body") else "")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--extract", required=True)
    parser.add_argument("--seconds", type=int, default=3, help="length of each timed run")
    parser.add_argument("--repeats", type=int, default=3, help="rounds: each page and the floor timed this often")
    parser.add_argument("--concurrency", default="1,10,50")
    parser.add_argument("--variant-concurrency", default="10", help="user counts of the Call Select variants")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="dm-bench-pages-"))
    _setup_env(args.database_url, tmp / "static")
    import django

    django.setup()
    from bench.page_targets import build_targets

    loaded = _load(Path(args.extract))
    targets, filter_values = build_targets(loaded["store"], loaded["csrf"])
    queries = _queries(targets, loaded["cookie"])
    from django.db import connections

    connections.close_all()
    port = _free_port()
    log = (tmp / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [GUNICORN, "dealermine.wsgi:application", "-w", str(args.workers), "-b", f"127.0.0.1:{port}",
         "--access-logfile", "-" if os.environ.get("BENCH_ACCESS_LOG") else "/dev/null", "--log-level", "warning"],
        cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=log, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                served = _through_server(port, targets, loaded["cookie"])
                break
            except (ConnectionError, OSError):
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError((tmp / "gunicorn.log").read_text()[-3000:]) from None
                time.sleep(0.3)
        timing_started = time.perf_counter()
        load = _time_pages(port, targets, loaded["cookie"], args, tmp)
        timing_s = time.perf_counter() - timing_started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)
        shutil.rmtree(tmp, ignore_errors=True)
    print(
        json.dumps(
            {
                "rows_loaded": loaded["rows"],
                "load_s": round(loaded["load_s"], 2),
                "seeded": loaded["seeded"],
                "workers": args.workers,
                "seconds_per_step": args.seconds,
                "repeats": args.repeats,
                "concurrency": args.concurrency,
                "variant_concurrency": args.variant_concurrency,
                "targets": {k: len(v) for k, v in targets.items()},
                "requests": {k: _request_line(v[0]) for k, v in targets.items()},
                "filter_values": filter_values,
                "served": served,
                "queries": queries,
                "load": load,
                "timing_s": round(timing_s, 1),
                "wall_s": round(time.perf_counter() - started, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
