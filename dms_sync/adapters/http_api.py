"""HTTP API DMS (DESIGN §6): client-credentials bearer token, `changedSince` + `pageToken` paging, remove
requests with an `Idempotency-Key` header.

Classification: 429, 5xx, timeouts, connection errors and unreadable JSON are *retryable*; any other 4xx is
*permanent*. While pulling, retryable failures are retried a few times with backoff (honouring
Retry-After), then the run fails with a clear message; while delivering a remove request the outbox
decides when to try again.

Settings (`Dealership.dms_settings`): base_url, token_url (default `<base_url>/oauth/token`), client_id,
client_secret, timeout (seconds, default 15), page_size (default 500), pull_attempts (default 4).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx

from .base import AdapterError, DmsAdapter, Page, Pull, RemoveOutcome, RemoveResult, SourceRow

NESTED = {"vehicles": "vehicles", "repair_orders": "repair_orders", "repairOrders": "repair_orders"}
MAX_RETRY_AFTER = 300.0


class Retryable(AdapterError):
    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class Permanent(AdapterError):
    pass


def _text(value) -> str:
    """API JSON values -> the extract's text conventions (flags Y/N, empty = no value)."""
    if value is None:
        return ""
    if value is True:
        return "Y"
    if value is False:
        return "N"
    return str(value).strip()


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        try:
            from email.utils import parsedate_to_datetime

            when = parsedate_to_datetime(value)
            return min(max((when - datetime.now(UTC)).total_seconds(), 0.0), MAX_RETRY_AFTER)
        except (TypeError, ValueError):
            return None


def item_to_rows(item: dict, *, source: str, index: int) -> Page:
    """One API customer object -> SourceRows in the extract's column names."""
    if not isinstance(item, dict):
        return Page(customers=[SourceRow(source, index, {"__error__": "item is not an object"}, json.dumps(item))])
    raw = json.dumps(item, sort_keys=True, default=str)[:20000]
    data = {k: _text(v) for k, v in item.items() if k not in NESTED}
    if "customer_number" not in data and "number" in data:
        data["customer_number"] = data.pop("number")
    page = Page(customers=[SourceRow(source, index, data, raw)])
    number = data.get("customer_number", "")
    for key, attr in NESTED.items():
        children = item.get(key) or []
        if not isinstance(children, list):
            children = []
        for child in children:
            if not isinstance(child, dict):
                continue
            child_data = {k: _text(v) for k, v in child.items()}
            child_data.setdefault("customer_number", number)
            getattr(page, attr).append(
                SourceRow(f"{source}#{attr}", index, child_data, json.dumps(child, sort_keys=True, default=str))
            )
    return page


class HttpApiPull(Pull):
    def __init__(self, adapter: HttpApiAdapter, cursor: str):
        super().__init__()
        self.adapter = adapter
        self.cursor = cursor
        self.source = adapter.base_url
        # The next run asks for what changed since this one began (the DMS's clock decides "changed").
        self.next_cursor = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")

    def validate(self) -> None:
        # Fail early, before a run touches anything, when the DMS is down or the credentials are wrong.
        self.adapter.with_retries(self.adapter.token, "POST token")

    def pages(self, *, batch_size: int) -> Iterator[Page]:
        token = None
        index = 0
        page_no = 0
        while True:
            params = {"pageSize": self.adapter.page_size}
            if self.cursor:
                params["changedSince"] = self.cursor
            if token:
                params["pageToken"] = token
            body = self.adapter.get_json("/customers", params=params)
            page_no += 1
            items = body.get("items") if isinstance(body, dict) else None
            if not isinstance(items, list):
                raise AdapterError(f"GET /customers page {page_no}: the answer has no items list.")
            page = Page()
            for item in items:
                index += 1
                rows = item_to_rows(item, source="api:/customers", index=index)
                page.customers += rows.customers
                page.vehicles += rows.vehicles
                page.repair_orders += rows.repair_orders
            if page.customers:
                yield page
            token = body.get("nextPageToken")
            if not token:
                return


class HttpApiAdapter(DmsAdapter):
    name = "http_api"

    def __init__(self, dealership, *, client: httpx.Client | None = None):
        super().__init__(dealership)
        conf = dealership.dms_settings or {}
        self.base_url = str(conf.get("base_url", "")).rstrip("/")
        if not self.base_url:
            raise AdapterError(f"Store {dealership.code}: dms_settings.base_url is not set.")
        self.token_url = conf.get("token_url") or f"{self.base_url}/oauth/token"
        self.client_id = conf.get("client_id", "")
        self.client_secret = conf.get("client_secret", "")
        self.page_size = int(conf.get("page_size", 500))
        self.pull_attempts = int(conf.get("pull_attempts", 4))
        self.retry_base = float(conf.get("retry_base_seconds", 1.0))
        timeout = float(conf.get("timeout", 15))
        self.client = client or httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False)
        self._token: str | None = None
        self._token_expires = 0.0

    def close(self) -> None:
        self.client.close()

    # --- transport -------------------------------------------------------------------------------------
    def token(self, *, refresh: bool = False) -> str:
        if self._token and not refresh and time.monotonic() < self._token_expires:
            return self._token
        try:
            response = self.client.post(
                self.token_url,
                data={"grant_type": "client_credentials"},
                auth=(self.client_id, self.client_secret),
            )
        except httpx.TransportError as exc:
            raise Retryable(f"token endpoint unreachable: {exc.__class__.__name__}: {exc}") from None
        self._raise_for(response, "POST token")
        body = self._json(response, "POST token")
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise Retryable("token endpoint answered without an access_token")
        self._token = str(token)
        self._token_expires = time.monotonic() + max(float(body.get("expires_in", 300)) - 30, 5)
        return self._token

    def _json(self, response: httpx.Response, what: str):
        try:
            return response.json()
        except (ValueError, UnicodeDecodeError):
            raise Retryable(f"{what}: the DMS answered with unreadable JSON (HTTP {response.status_code})") from None

    def _raise_for(self, response: httpx.Response, what: str) -> None:
        status = response.status_code
        if status < 400:
            return
        detail = response.text[:200].replace("\n", " ")
        if status == 429 or status >= 500:
            raise Retryable(f"{what}: HTTP {status} {detail}".strip(), retry_after=_retry_after(response))
        raise Permanent(f"{what}: HTTP {status} {detail}".strip())

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        """One authenticated request; a 401 refreshes the token once."""
        url = f"{self.base_url}{path}"
        for attempt in (1, 2):
            headers = {**kwargs.pop("headers", {}), "Authorization": f"Bearer {self.token(refresh=attempt == 2)}"}
            try:
                response = self.client.request(method, url, headers=headers, **kwargs)
            except httpx.TimeoutException as exc:
                raise Retryable(f"{method} {path}: timed out ({exc.__class__.__name__})") from None
            except httpx.TransportError as exc:
                raise Retryable(f"{method} {path}: {exc.__class__.__name__}: {exc}") from None
            if response.status_code == 401 and attempt == 1:
                kwargs["headers"] = {k: v for k, v in headers.items() if k != "Authorization"}
                continue
            return response
        return response

    def get_json(self, path: str, *, params=None):
        """GET with the pull's own retries for retryable failures (the run fails when they run out)."""

        def get():
            response = self.request("GET", path, params=params)
            self._raise_for(response, f"GET {path}")
            return self._json(response, f"GET {path}")

        return self.with_retries(get, f"GET {path}")

    def with_retries(self, call, what: str):
        """Call `call()`, retrying Retryable failures with backoff (and Retry-After); AdapterError when out."""
        last: Retryable | None = None
        for attempt in range(1, self.pull_attempts + 1):
            try:
                return call()
            except Retryable as exc:
                last = exc
                if attempt == self.pull_attempts:
                    break
                backoff = self.retry_base * 2 ** (attempt - 1)
                time.sleep(max(exc.retry_after or 0.0, random.uniform(backoff / 2, backoff)))
            except Permanent as exc:
                raise AdapterError(str(exc)) from None
        raise AdapterError(f"{last or what} (gave up after {self.pull_attempts} attempts)")

    # --- interface -------------------------------------------------------------------------------------
    def changes_since(self, cursor: str, *, path=None) -> Pull:
        return HttpApiPull(self, cursor)

    def customer_fetch(self, number: str) -> Page | None:
        from urllib.parse import quote

        response = self.request("GET", f"/customers/{quote(number, safe='')}")
        if response.status_code == 404:
            return None
        self._raise_for(response, "GET /customers/{number}")
        return item_to_rows(self._json(response, "GET /customers/{number}"), source="api:/customers/{number}", index=1)

    def remove_request_send(self, request) -> RemoveResult:
        from urllib.parse import quote

        path = f"/customers/{quote(request.dms_number, safe='')}/remove-requests"
        payload = {
            "field": request.field,
            "value": request.value,
            "requestedAt": request.requested_at.isoformat(),
            "requestedBy": request.requested_by.get_username() if request.requested_by_id else "",
        }
        try:
            response = self.request("POST", path, json=payload, headers={"Idempotency-Key": str(request.uuid)})
            self._raise_for(response, f"POST {path}")
            body = self._json(response, f"POST {path}")
        except Retryable as exc:
            return RemoveResult(RemoveOutcome.RETRY_LATER, str(exc), exc.retry_after)
        except Permanent as exc:
            return RemoveResult(RemoveOutcome.PERMANENT, str(exc))
        status = str(body.get("status", "")).lower() if isinstance(body, dict) else ""
        if status in ("applied", "accepted", "removed"):
            return RemoveResult(RemoveOutcome.APPLIED, f"HTTP {response.status_code} {status}")
        if status in ("already_absent", "absent", "not_present"):
            return RemoveResult(RemoveOutcome.ALREADY_ABSENT, f"HTTP {response.status_code} {status}")
        return RemoveResult(RemoveOutcome.RETRY_LATER, f"HTTP {response.status_code}: unexpected answer {body!r:.200}")
