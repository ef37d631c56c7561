"""An HTTP API pull (DESIGN §6): every page is fetched, and spooled to a temporary file, before the sync
writes anything.

`validate()` pages through `GET /customers` to the end, within limits, so a DMS cannot stall the store:
- a page token the DMS already sent in this pull fails it (its paging does not advance), and so does a DMS
  still sending a next page token after `DMS_API_MAX_PAGES` pages;
- each answer is bounded in size and time and classified by dms_sync.adapters.http_api_transport; retryable
  failures are retried `pull_attempts` times (then the pull fails), permanent ones fail it at once.
It writes the items, one JSON object a line, to an unnamed temporary file (memory stays bounded whatever the
number of items; the file is deleted when the pull or its adapter closes, or its process dies), calls
`keepalive()` after each page, and finds the customer numbers that appear more than once (`last_lines`).

`pages(batch_size=...)` then replays the spool in pages of `batch_size` items, whatever the DMS's own page
size. The item at line N (its ordinal in the pull) gives rows at line N; an item superseded by a later one of
the same customer (`last_lines`) gives only its customer row (the sync counts it and skips it): its vehicles
and repair orders are left out, the last item carries the customer's current ones.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from django.conf import settings

from .base import AdapterError, Page, Pull
from .http_api_rows import item_number, item_to_rows

if TYPE_CHECKING:
    from .http_api import HttpApiAdapter

SOURCE = "api:/customers"
#: Bits of the filter that finds repeated customer numbers (2**27 bits, 16 MB), as the file drop's: a number
#: whose bit another number set is kept as if repeated - harmless, its own line is its last.
_SEEN_BITS = 1 << 27
_TOKEN_SHOWN = 80


def _shown(token: str) -> str:
    return token if len(token) <= _TOKEN_SHOWN else f"{token[: _TOKEN_SHOWN - 3]}..."


class HttpApiPull(Pull):
    def __init__(self, adapter: HttpApiAdapter, cursor: str):
        super().__init__()
        self.adapter = adapter
        self.cursor = cursor
        self.source = adapter.base_url
        # The next run asks for what changed since this one began (the DMS's clock decides "changed").
        self.next_cursor = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        #: Items spooled by validate(), and the pages they came in.
        self.items = 0
        self.pages_fetched = 0
        self._spool = None

    def close(self) -> None:
        """Delete the spool (the adapter closes its pulls when it closes)."""
        spool, self._spool = self._spool, None
        if spool is not None:
            spool.close()

    def validate(self, *, keepalive: Callable[[], None] | None = None) -> None:
        self.close()
        self.last_lines = {}
        self.items = self.pages_fetched = 0
        # Fail early, with the clearest message, when the DMS is down or the credentials are wrong.
        self.adapter.with_retries(self.adapter.token, "POST token", keepalive=keepalive)
        self._spool = tempfile.TemporaryFile(prefix="dms-api-pull-", suffix=".jsonl")  # noqa: SIM115 - closed by close()
        try:
            self._fetch_all(keepalive)
        except BaseException:
            self.close()
            raise

    def _fetch_all(self, keepalive: Callable[[], None] | None) -> None:
        max_pages = int(settings.DMS_API_MAX_PAGES)
        seen = bytearray(_SEEN_BITS >> 3)
        mask = _SEEN_BITS - 1
        tokens: dict[bytes, int] = {}  # digest of each page token sent -> the page that sent it
        token = None
        line = 0
        while True:
            params = {"pageSize": self.adapter.page_size}
            if self.cursor:
                params["changedSince"] = self.cursor
            if token:
                params["pageToken"] = token
            body = self.adapter.get_json("/customers", params=params, keepalive=keepalive)
            self.pages_fetched += 1
            page_no = self.pages_fetched
            items = body.get("items") if isinstance(body, dict) else None
            if not isinstance(items, list):
                raise AdapterError(f"GET /customers page {page_no}: the answer has no items list.")
            for item in items:
                line += 1
                self._spool.write(json.dumps(item, separators=(",", ":")).encode() + b"\n")
                number = item_number(item)
                if number:
                    bit = hash(number) & mask
                    byte, flag = bit >> 3, 1 << (bit & 7)
                    if seen[byte] & flag:
                        self.last_lines[number] = line
                    else:
                        seen[byte] |= flag
            self.items = line
            next_token = body.get("nextPageToken")
            del body, items
            if keepalive:
                keepalive()
            if not next_token:
                break
            token = str(next_token)
            key = hashlib.blake2b(token.encode("utf-8", "surrogatepass"), digest_size=16).digest()
            if key in tokens:
                raise AdapterError(
                    f"GET /customers: the DMS sent page token {_shown(token)!r} again at page {page_no} (first "
                    f"sent at page {tokens[key]}); its paging does not advance, the run stopped."
                )
            if page_no >= max_pages:
                raise AdapterError(
                    f"GET /customers: the DMS still sent a next page token after {max_pages:,} pages "
                    "(DMS_API_MAX_PAGES); its paging does not end, the run stopped."
                )
            tokens[key] = page_no
        self._spool.flush()

    def pages(self, *, batch_size: int) -> Iterator[Page]:
        if self._spool is None:
            self.validate()
        spool = self._spool
        spool.seek(0)
        batch_size = max(1, batch_size)
        last_lines = self.last_lines
        page = Page()
        for line, raw in enumerate(spool, start=1):
            item = json.loads(raw)
            current = not last_lines or last_lines.get(item_number(item), line) == line
            rows = item_to_rows(item, source=SOURCE, index=line, nested=current)
            page.customers += rows.customers
            page.vehicles += rows.vehicles
            page.repair_orders += rows.repair_orders
            if len(page.customers) >= batch_size:
                yield page
                page = Page()
        if page.customers:
            yield page
