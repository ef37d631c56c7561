"""A fake DMS HTTP API on loopback (DESIGN §6), for the tests and the demo.

A real `ThreadingHTTPServer` in a background thread, speaking the same protocol as an API-based DMS:

- `POST /oauth/token` (client credentials, HTTP Basic) -> bearer token
- `GET /customers?changedSince=...&pageToken=...&pageSize=...` -> `{"items": [...], "nextPageToken": ...}`
- `GET /customers/{number}`
- `POST /customers/{number}/remove-requests` with an `Idempotency-Key` header: a repeated key replays the
  first successful answer, so each key is applied at most once (`applied_by_key` counts applications per
  key); a refused request (4xx) is not remembered and may be retried.

Faults are queued with `fault(...)` and consumed by matching requests (`times` of them; `path` is a prefix):
- `status` (e.g. 500 or 422), `rate_limit` (429 with Retry-After), `timeout` (sleeps past the client's
  timeout, then answers), `slow` (sleeps, then answers normally), `garbage` (200, JSON content type, a body
  that is not JSON);
- `html`: 200 with `Content-Type: text/html` (a gateway's or login portal's page);
- `redirect`: a 3xx (`status`, default 302) to `location` (default `<url>/login`) with the JSON body
  `{"status": "applied"}` - e.g. on `POST /customers/{n}/remove-requests`;
- `huge_page`: 200 JSON of `size` bytes (default 60 MB), streamed from a generator (never built in memory),
  chunked or, with `declare_length=True`, announced by Content-Length; `streamed` records the bytes each one
  got out before the client hung up;
- `trickle` (on `GET /customers`): the page sent in `chunks` pieces, `delay` seconds apart (a body that takes
  ever so long to end, though no single wait is long);
- paging misbehaviours, only on `GET /customers` (answered after the usual authorization): `stuck_token`
  ignores pageToken and answers the first page again with the same nextPageToken each time (paging that does
  not advance); `endless_tokens` answers the page asked for with a new, distinct nextPageToken each time, also
  past the end (paging that never ends).

`repeat_customer(number, **changes)` lists a customer a second time, after all the others (so on a later
page), with different values: the DMS's current record (`GET /customers/{n}` answers it).

    with FakeDms(client_id="dm", client_secret="s3cret") as dms:
        dms.load_extract(extract)
        dms.fault("status", status=500, times=2, path="/customers")
        ... dms.url ...
"""

from __future__ import annotations

import base64
import copy
import json
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

REMOVABLE = {"home_phone", "work_phone", "cell_phone", "fax", "email1", "email2"}
KINDS = {"status", "rate_limit", "timeout", "slow", "garbage", "html", "redirect", "huge_page", "trickle"}
#: Faults that change how GET /customers pages, rather than answering in its place.
PAGING = {"stuck_token", "endless_tokens"}
HUGE_PAGE_BYTES = 60 * 1024 * 1024
_BLOCK = b"x" * 65536


@dataclass
class Fault:
    kind: str
    times: int
    path: str | None = None
    method: str | None = None
    status: int = 500
    retry_after: float = 1
    delay: float = 0.0
    size: int = HUGE_PAGE_BYTES
    declare_length: bool = False
    location: str | None = None
    chunks: int = 20

    def matches(self, method: str, path: str) -> bool:
        if self.kind in PAGING and (method, path) != ("GET", "/customers"):
            return False
        return (self.method is None or self.method == method) and (self.path is None or path.startswith(self.path))


def _changed_on(item: dict) -> date:
    try:
        return date.fromisoformat(str(item.get("last_change_date") or ""))
    except ValueError:
        return date.max  # no usable change date: always part of "what changed"


def _digits(value: str) -> str:
    return "".join(ch for ch in value or "" if ch.isdigit())[-10:]


def huge_body(size: int) -> Iterator[bytes]:
    """A JSON page of `size` bytes (one customer with an enormous note), block by block."""
    head = b'{"items": [{"customer_number": "HUGE-1", "notes": "'
    tail = b'"}], "nextPageToken": null}'
    yield head
    filler = max(size - len(head) - len(tail), 0)
    while filler > 0:
        block = _BLOCK[: min(filler, len(_BLOCK))]
        filler -= len(block)
        yield block
    yield tail


class FakeDms:
    def __init__(self, *, client_id: str = "dealermine", client_secret: str = "fake-secret", port: int = 0):  # noqa: S107
        self.client_id = client_id
        self.client_secret = client_secret
        self.customers: dict[str, dict] = {}
        #: Second listings of customers (repeat_customer), after all the others.
        self.repeats: list[dict] = []
        #: Bytes each huge_page answer got out before the client hung up (or all of them).
        self.streamed: list[int] = []
        self._endless = 0
        self.tokens: set[str] = set()
        self.faults: list[Fault] = []
        self.responses_by_key: dict[str, tuple[int, dict]] = {}
        self.applied_by_key: Counter[str] = Counter()
        self.requests_by_key: Counter[str] = Counter()
        self.requests: list[tuple[str, str]] = []
        self.remove_delay = 0.0
        self.lock = threading.RLock()
        self._port = port
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------------------
    def start(self) -> FakeDms:
        handler = type("Handler", (_Handler,), {"dms": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", self._port), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="fake-dms", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self) -> FakeDms:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def dms_settings(self, **extra) -> dict:
        """What a Dealership's dms_settings needs to talk to this server."""
        return {"base_url": self.url, "client_id": self.client_id, "client_secret": self.client_secret} | extra

    # --- data and faults ---------------------------------------------------------------------------------
    def load_extract(self, extract) -> None:
        """Serve the customers of a dms_sync.sample_extract.Extract (with their vehicles and repair orders)."""
        with self.lock:
            for row in extract.customers:
                if row["customer_number"]:
                    self.customers[row["customer_number"]] = {**row, "vehicles": [], "repair_orders": []}
            for v in extract.vehicles:
                if v["customer_number"] in self.customers:
                    self.customers[v["customer_number"]]["vehicles"].append(dict(v))
            for r in extract.repair_orders:
                if r["customer_number"] in self.customers:
                    self.customers[r["customer_number"]]["repair_orders"].append(dict(r))

    def put_customer(self, item: dict) -> None:
        with self.lock:
            self.customers[item["customer_number"]] = {"vehicles": [], "repair_orders": [], **item}

    def repeat_customer(self, number: str, **changes) -> dict:
        """List customer `number` again, after all the others, with `changes` (e.g. other vehicles)."""
        with self.lock:
            item = copy.deepcopy(self.customers[number]) | changes
            self.repeats.append(item)
            return item

    def fault(self, kind: str, *, times: int = 1, path: str | None = None, method: str | None = None, **params):
        assert kind in KINDS | PAGING, kind
        with self.lock:
            self.faults.append(Fault(kind=kind, times=times, path=path, method=method, **params))

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and fault.matches(method, path):
                    fault.times -= 1
                    return fault
        return None

    # --- protocol ----------------------------------------------------------------------------------------
    def issue_token(self, authorization: str, body: str) -> tuple[int, dict]:
        try:
            user, _, password = base64.b64decode(authorization.split(" ", 1)[1]).decode().partition(":")
        except (IndexError, ValueError):
            return 401, {"error": "invalid_client"}
        if parse_qs(body).get("grant_type") != ["client_credentials"]:
            return 400, {"error": "unsupported_grant_type"}
        if (user, password) != (self.client_id, self.client_secret):
            return 401, {"error": "invalid_client"}
        token = secrets.token_urlsafe(16)
        with self.lock:
            self.tokens.add(token)
        return 200, {"access_token": token, "token_type": "Bearer", "expires_in": 3600}

    def list_customers(self, query: dict, *, paging: str | None = None) -> tuple[int, dict]:
        since = (query.get("changedSince") or [""])[0]
        size = max(1, min(int((query.get("pageSize") or ["100"])[0]), 1000))
        token = "" if paging == "stuck_token" else (query.get("pageToken") or [""])[0]
        try:
            offset = int(token.split(".", 1)[0] or 0)
        except ValueError:
            return 400, {"error": "pageToken is not one of ours"}
        since_day = None
        if since:
            try:
                since_day = datetime.fromisoformat(since.replace("Z", "+00:00")).date()
            except ValueError:
                return 400, {"error": "changedSince is not an ISO date-time"}
        with self.lock:
            listing = [self.customers[n] for n in sorted(self.customers)] + self.repeats
            selected = [item for item in listing if since_day is None or _changed_on(item) >= since_day]
            page = json.loads(json.dumps(selected[offset : offset + size]))
            following = offset + size
            next_token = str(following) if following < len(selected) else None
            if paging == "stuck_token":
                next_token = str(size)  # the first page's token, every time
            elif paging == "endless_tokens":
                self._endless += 1
                next_token = f"{following}.{self._endless}"
        return 200, {"items": page, "nextPageToken": next_token}

    def get_customer(self, number: str) -> tuple[int, dict]:
        with self.lock:
            repeated = [r for r in self.repeats if r.get("customer_number") == number]
            item = repeated[-1] if repeated else self.customers.get(number)
            return (200, json.loads(json.dumps(item))) if item else (404, {"error": "no such customer"})

    def remove(self, number: str, key: str, body: dict) -> tuple[int, dict]:
        with self.lock:
            self.requests_by_key[key] += 1
            if key in self.responses_by_key:
                return self.responses_by_key[key]
        if self.remove_delay:
            time.sleep(self.remove_delay)
        with self.lock:
            if key in self.responses_by_key:
                return self.responses_by_key[key]
            customer = self.customers.get(number)
            field = body.get("field")
            if customer is None:
                answer = (404, {"error": f"no customer {number}"})
            elif field not in REMOVABLE:
                answer = (422, {"error": f"{field!r} cannot be removed"})
            else:
                current = str(customer.get(field, ""))
                value = str(body.get("value", ""))
                same = (
                    current.lower() == value.lower()
                    if field.startswith("email")
                    else (_digits(current) and _digits(current) == _digits(value))
                )
                if same:
                    customer[field] = ""
                    self.applied_by_key[key] += 1
                    answer = (200, {"status": "applied"})
                else:
                    answer = (200, {"status": "already_absent"})
            if answer[0] < 400:  # like real APIs, only a request that was carried out is replayed
                self.responses_by_key[key] = answer
            return answer


class _Handler(BaseHTTPRequestHandler):
    dms: FakeDms
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # quiet
        pass

    def _send(self, status: int, body, headers: dict | None = None, *, content_type: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _send_chunks(self, status: int, chunks, *, length: int | None = None, delay: float = 0.0) -> int:
        """Stream `chunks` (JSON) with Content-Length `length`, or chunked; the bytes that got out."""
        sent = 0
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            if length is None:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(length))
            self.end_headers()
            for chunk in chunks:
                if delay:
                    time.sleep(delay)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if length is None else chunk)
                sent += len(chunk)
            if length is None:
                self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:  # the client hung up (as it should on a huge page)
            pass
        self.close_connection = True
        return sent

    def _body(self) -> str:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length).decode("utf-8", "replace") if length else ""

    def _authorized(self) -> bool:
        auth = self.headers.get("Authorization", "")
        return auth.startswith("Bearer ") and auth[7:] in self.dms.tokens

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        path = parts.path
        body = self._body()
        dms = self.dms
        with dms.lock:
            dms.requests.append((method, path))
        fault = dms.take_fault(method, path)
        if fault:
            if fault.kind == "status":
                return self._send(fault.status, {"error": f"injected {fault.status}"})
            if fault.kind == "rate_limit":
                return self._send(429, {"error": "slow down"}, {"Retry-After": str(fault.retry_after)})
            if fault.kind == "garbage":
                return self._send(200, b"<html>Gateway says hi</html>{not json")
            if fault.kind == "html":
                page = b"<html><body><h1>Scheduled maintenance</h1></body></html>"
                return self._send(200, page, content_type="text/html; charset=utf-8")
            if fault.kind == "redirect":
                status = fault.status if 300 <= fault.status < 400 else 302
                return self._send(status, {"status": "applied"}, {"Location": fault.location or f"{dms.url}/login"})
            if fault.kind == "huge_page":
                length = fault.size if fault.declare_length else None
                sent = self._send_chunks(200, huge_body(fault.size), length=length)
                with dms.lock:
                    dms.streamed.append(sent)
                return None
            if fault.kind in ("timeout", "slow"):
                time.sleep(fault.delay)
                if fault.kind == "timeout":
                    return self._send(504, {"error": "too late"})
        if method == "POST" and path == "/oauth/token":
            return self._send(*dms.issue_token(self.headers.get("Authorization", ""), body))
        if not self._authorized():
            return self._send(401, {"error": "invalid_token"})
        segments = [unquote(s) for s in path.strip("/").split("/")]
        if method == "GET" and segments == ["customers"]:
            paging = fault.kind if fault and fault.kind in PAGING else None
            status, answer = dms.list_customers(parse_qs(parts.query), paging=paging)
            if fault and fault.kind == "trickle":
                data = json.dumps(answer).encode()
                step = max(1, -(-len(data) // max(fault.chunks, 1)))
                pieces = (data[i : i + step] for i in range(0, len(data), step))
                self._send_chunks(status, pieces, delay=fault.delay)
                return None
            return self._send(status, answer)
        if method == "GET" and len(segments) == 2 and segments[0] == "customers":
            return self._send(*dms.get_customer(segments[1]))
        if method == "POST" and len(segments) == 3 and segments[0] == "customers" and segments[2] == "remove-requests":
            key = self.headers.get("Idempotency-Key", "")
            if not key:
                return self._send(400, {"error": "Idempotency-Key header is required"})
            try:
                payload = json.loads(body or "{}")
            except ValueError:
                return self._send(400, {"error": "body is not JSON"})
            return self._send(*dms.remove(segments[1], key, payload))
        return self._send(404, {"error": "not found"})

    def do_GET(self):  # noqa: N802
        self._handle("GET")

    def do_POST(self):  # noqa: N802
        self._handle("POST")
