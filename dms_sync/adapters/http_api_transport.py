"""One answer of an API DMS, read within limits and classified (DESIGN §6), for dms_sync.adapters.http_api.

Nothing a DMS answers can stall a store or take its memory:
- a body is read as it arrives (httpx streaming) with a running cap, `DMS_API_MAX_PAGE_BYTES`: an answer
  announcing more (Content-Length) is refused before its body is read, one sending more is cut off there. Too
  big is *permanent* (asking again gets the same page);
- the whole answer must have arrived within `DMS_API_MAX_RESPONSE_SECONDS` (the client's timeout bounds each
  wait for data, this bounds a body that trickles in): later is *retryable*, like a timeout;
- a 3xx is never success (the client does not follow redirects): *permanent*, with where it pointed;
- 429 and 5xx are *retryable* (Retry-After honoured, at most MAX_RETRY_AFTER); any other 4xx is *permanent*;
- a success must be JSON: a content type other than application/json or application/*+json, or a body that
  does not parse, is *retryable* (a gateway's or a login portal's page in front of the DMS).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from .base import AdapterError

MAX_RETRY_AFTER = 300.0
#: Of an answer that is not a success only this much is read, for the message.
ERROR_DETAIL_BYTES = 4096


class Retryable(AdapterError):
    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class Permanent(AdapterError):
    pass


@dataclass(frozen=True)
class Answer:
    """An answer whose body has been read (within the limits)."""

    status_code: int
    headers: httpx.Headers
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


def retry_after(headers: httpx.Headers) -> float | None:
    """Retry-After (seconds or an HTTP date) as seconds, at most MAX_RETRY_AFTER; None when absent or unreadable."""
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
            return min(max((when - datetime.now(UTC)).total_seconds(), 0.0), MAX_RETRY_AFTER)
        except (TypeError, ValueError):
            return None


def media_type(headers: httpx.Headers) -> str:
    return headers.get("Content-Type", "").split(";", 1)[0].strip().lower()


def is_json_type(media: str) -> bool:
    """application/json or application/<anything>+json (e.g. application/problem+json)."""
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _too_big(what: str, max_bytes: int, announced: int | None = None) -> Permanent:
    size = f"is {announced:,} bytes (Content-Length)" if announced is not None else f"is over {max_bytes:,} bytes"
    return Permanent(
        f"{what}: the DMS's answer {size}, more than DMS_API_MAX_PAGE_BYTES ({max_bytes:,}); refused without "
        "reading the rest. Ask for smaller pages (dms_settings.page_size) or raise the limit."
    )


def answer_read(response: httpx.Response, what: str, *, max_bytes: int, deadline: float, limit_s: float) -> Answer:
    """Read a streamed response's body as it arrives, within `max_bytes` (a success) and the `deadline`
    (time.monotonic()). Of an answer that is not a success only the first ERROR_DETAIL_BYTES are kept."""
    success = 200 <= response.status_code < 300
    cap = max_bytes if success else ERROR_DETAIL_BYTES
    if success:
        try:
            announced = int(response.headers.get("Content-Length", ""))
        except ValueError:
            announced = None
        if announced is not None and announced > max_bytes:
            raise _too_big(what, max_bytes, announced)
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > cap:
            if success:
                raise _too_big(what, max_bytes)
            del body[cap:]
            break
        if time.monotonic() > deadline:
            raise Retryable(
                f"{what}: the DMS's answer was still arriving after {limit_s:g} s (DMS_API_MAX_RESPONSE_SECONDS); "
                "abandoned"
            )
    return Answer(response.status_code, response.headers, bytes(body))


def status_check(answer: Answer, what: str, *, check: str) -> None:
    """Raise Retryable or Permanent for an answer that is not a success. `check` names the setting a redirect
    suggests is wrong."""
    status = answer.status_code
    if 200 <= status < 300:
        return
    if 300 <= status < 400:
        where = answer.headers.get("Location") or "nowhere (no Location header)"
        raise Permanent(
            f"{what}: HTTP {status}: the DMS redirected to {where}. A redirect is never taken as success, whatever "
            f"its body says; check {check}."
        )
    detail = answer.text[:200].replace("\n", " ")
    if status == 429 or status >= 500:
        raise Retryable(f"{what}: HTTP {status} {detail}".strip(), retry_after=retry_after(answer.headers))
    raise Permanent(f"{what}: HTTP {status} {detail}".strip())


def json_of(answer: Answer, what: str):
    """A success's JSON; Retryable when it is not JSON (content type or body)."""
    media = media_type(answer.headers)
    if not is_json_type(media):
        raise Retryable(
            f"{what}: the DMS answered with content type {media or 'none'!r} (HTTP {answer.status_code}), not JSON"
        )
    try:
        return json.loads(answer.content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Retryable(f"{what}: the DMS answered with unreadable JSON (HTTP {answer.status_code})") from None
