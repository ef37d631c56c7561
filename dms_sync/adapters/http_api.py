"""HTTP API DMS (DESIGN §6): client-credentials bearer token, `changedSince` + `pageToken` paging, remove
requests with an `Idempotency-Key` header.

Three modules beside this one: http_api_transport reads each answer within limits (size, time) and classifies
it; http_api_pull fetches and spools a whole pull before the sync writes anything (page token and page count
limits, repeated customers); http_api_rows turns API items into the extract's rows.

Classification (http_api_transport): 429, 5xx, timeouts, connection errors, a success that is not JSON (its
content type or its body) and an answer still arriving after DMS_API_MAX_RESPONSE_SECONDS are *retryable*; any
other 4xx, any 3xx (a redirect is never success) and an answer over DMS_API_MAX_PAGE_BYTES are *permanent*.
While pulling, retryable failures are retried a few times with backoff (honouring Retry-After), then the run
fails with a clear message; while delivering a remove request the outbox decides when to try again.

Settings (`Dealership.dms_settings`): base_url, token_url (default `<base_url>/oauth/token`), client_id,
client_secret, timeout (seconds, default 15), page_size (default 500), pull_attempts (default 4),
retry_base_seconds (default 1).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from urllib.parse import quote

import httpx
from django.conf import settings

from .base import AdapterError, DmsAdapter, Page, Pull, RemoveOutcome, RemoveResult
from .http_api_pull import HttpApiPull
from .http_api_rows import NESTED, item_to_rows
from .http_api_transport import MAX_RETRY_AFTER, Answer, Permanent, Retryable, answer_read, json_of, status_check

__all__ = [
    "MAX_RETRY_AFTER",
    "NESTED",
    "HttpApiAdapter",
    "HttpApiPull",
    "Permanent",
    "Retryable",
    "item_to_rows",
]

CHECK_BASE_URL = "the store's dms_settings.base_url"
CHECK_OAUTH_URL = "the store's dms_settings.token_url (default <base_url>/oauth/token)"


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
        self._pulls: list[HttpApiPull] = []

    def close(self) -> None:
        for pull in self._pulls:
            pull.close()  # deletes its spool
        self._pulls.clear()
        self.client.close()

    # --- transport -------------------------------------------------------------------------------------
    def exchange(self, method: str, url: str, what: str, **kwargs) -> Answer:
        """One request; its answer read within DMS_API_MAX_PAGE_BYTES and DMS_API_MAX_RESPONSE_SECONDS."""
        limit_s = float(settings.DMS_API_MAX_RESPONSE_SECONDS)
        deadline = time.monotonic() + limit_s
        try:
            with self.client.stream(method, url, **kwargs) as response:
                return answer_read(
                    response,
                    what,
                    max_bytes=int(settings.DMS_API_MAX_PAGE_BYTES),
                    deadline=deadline,
                    limit_s=limit_s,
                )
        except httpx.TimeoutException as exc:
            raise Retryable(f"{what}: timed out ({exc.__class__.__name__})") from None
        except httpx.RequestError as exc:
            raise Retryable(f"{what}: {exc.__class__.__name__}: {exc}") from None

    def token(self, *, refresh: bool = False) -> str:
        if self._token and not refresh and time.monotonic() < self._token_expires:
            return self._token
        what = "POST token"
        answer = self.exchange(
            "POST",
            self.token_url,
            what,
            data={"grant_type": "client_credentials"},
            auth=(self.client_id, self.client_secret),
        )
        status_check(answer, what, check=CHECK_OAUTH_URL)
        body = json_of(answer, what)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise Retryable("token endpoint answered without an access_token")
        try:
            expires_in = float(body.get("expires_in", 300))
        except (TypeError, ValueError):
            expires_in = 300.0
        self._token = str(token)
        self._token_expires = time.monotonic() + max(expires_in - 30, 5)
        return self._token

    def request(self, method: str, path: str, *, headers: dict | None = None, **kwargs) -> Answer:
        """One authenticated request; a 401 refreshes the token once."""
        url = f"{self.base_url}{path}"
        what = f"{method} {path}"
        for attempt in (1, 2):
            auth = {"Authorization": f"Bearer {self.token(refresh=attempt == 2)}"}
            answer = self.exchange(method, url, what, headers={**(headers or {}), **auth}, **kwargs)
            if answer.status_code != 401:
                break
        return answer

    def get_json(self, path: str, *, params=None, keepalive: Callable[[], None] | None = None):
        """GET with the pull's own retries for retryable failures (the run fails when they run out)."""
        what = f"GET {path}"

        def get():
            answer = self.request("GET", path, params=params)
            status_check(answer, what, check=CHECK_BASE_URL)
            return json_of(answer, what)

        return self.with_retries(get, what, keepalive=keepalive)

    def with_retries(self, call, what: str, *, keepalive: Callable[[], None] | None = None):
        """Call `call()`, retrying Retryable failures with backoff (and Retry-After); AdapterError when out.
        `keepalive()` is called before each wait, so a long Retry-After is not taken for a dead run."""
        last: Retryable | None = None
        for attempt in range(1, self.pull_attempts + 1):
            try:
                return call()
            except Retryable as exc:
                last = exc
                if attempt == self.pull_attempts:
                    break
                if keepalive:
                    keepalive()
                backoff = self.retry_base * 2 ** (attempt - 1)
                time.sleep(max(exc.retry_after or 0.0, random.uniform(backoff / 2, backoff)))
            except Permanent as exc:
                raise AdapterError(str(exc)) from None
        raise AdapterError(f"{last or what} (gave up after {self.pull_attempts} attempts)")

    # --- interface -------------------------------------------------------------------------------------
    def changes_since(self, cursor: str, *, path=None) -> Pull:
        pull = HttpApiPull(self, cursor)
        self._pulls.append(pull)
        return pull

    def customer_fetch(self, number: str) -> Page | None:
        what = "GET /customers/{number}"
        answer = self.request("GET", f"/customers/{quote(number, safe='')}")
        if answer.status_code == 404:
            return None
        status_check(answer, what, check=CHECK_BASE_URL)
        return item_to_rows(json_of(answer, what), source="api:/customers/{number}", index=1)

    def remove_request_send(self, request) -> RemoveResult:
        path = f"/customers/{quote(request.dms_number, safe='')}/remove-requests"
        what = f"POST {path}"
        payload = {
            "field": request.field,
            "value": request.value,
            "requestedAt": request.requested_at.isoformat(),
            "requestedBy": request.requested_by.get_username() if request.requested_by_id else "",
        }
        try:
            answer = self.request("POST", path, json=payload, headers={"Idempotency-Key": str(request.uuid)})
            status_check(answer, what, check=CHECK_BASE_URL)  # a 3xx is permanent, whatever its body says
            body = json_of(answer, what)
        except Retryable as exc:
            return RemoveResult(RemoveOutcome.RETRY_LATER, str(exc), exc.retry_after)
        except Permanent as exc:
            return RemoveResult(RemoveOutcome.PERMANENT, str(exc))
        status = str(body.get("status", "")).lower() if isinstance(body, dict) else ""
        if status in ("applied", "accepted", "removed"):
            return RemoveResult(RemoveOutcome.APPLIED, f"HTTP {answer.status_code} {status}")
        if status in ("already_absent", "absent", "not_present"):
            return RemoveResult(RemoveOutcome.ALREADY_ABSENT, f"HTTP {answer.status_code} {status}")
        return RemoveResult(RemoveOutcome.RETRY_LATER, f"HTTP {answer.status_code}: unexpected answer {body!r:.200}")
