"""The adapter interface every DMS transport implements (DESIGN §6).

An adapter does three things: iterate the customers changed since a cursor, page by page; fetch one
customer; send a remove request with an idempotency key and classify the answer. It never touches the
database: the sync service and the outbox delivery service do.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field


class AdapterError(Exception):
    """The DMS could not be read; the run fails with this message."""


class ExtractInvalid(AdapterError):
    """The extract failed validation (manifest, checksums, row counts, header). Nothing was touched."""


class RemoveOutcome(enum.StrEnum):
    APPLIED = "applied"
    ALREADY_ABSENT = "already_absent"
    RETRY_LATER = "retry_later"
    PERMANENT = "permanent"


@dataclass(frozen=True)
class RemoveResult:
    outcome: RemoveOutcome
    detail: str = ""
    retry_after: float | None = None  # seconds, when the DMS said (429 Retry-After)

    @property
    def delivered(self) -> bool:
        return self.outcome in (RemoveOutcome.APPLIED, RemoveOutcome.ALREADY_ABSENT)


class SourceRow:
    """One record as the DMS sent it: column name -> text ("" = no value), with where it came from.

    `data` may be built lazily by an adapter (the file drop's CsvRow): most rows of a nightly extract are
    unchanged, and the sync recognises them by `digest` and `value("customer_number")` alone.
    """

    __slots__ = ("file", "line", "data", "raw", "digest")

    def __init__(self, file: str, line: int, data: dict[str, str], raw: str, digest: str = ""):
        self.file = file
        self.line = line
        self.data = data
        self.raw = raw
        #: Hash of the row as sent, when the adapter computes it more cheaply than rows.row_hash(data).
        self.digest = digest

    @property
    def error(self) -> str | None:
        """Why the adapter could not read this record, or None."""
        return self.data.get("__error__")

    def value(self, column: str) -> str:
        """One column's text, stripped ("" when absent)."""
        return self.data.get(column, "").strip()

    def __eq__(self, other) -> bool:
        if not isinstance(other, SourceRow):
            return NotImplemented
        return (self.file, self.line, self.data, self.raw, self.digest) == (
            other.file,
            other.line,
            other.data,
            other.raw,
            other.digest,
        )

    __hash__ = None

    def __repr__(self) -> str:
        return f"SourceRow(file={self.file!r}, line={self.line}, data={self.data!r})"


@dataclass
class Page:
    customers: list[SourceRow] = field(default_factory=list)
    vehicles: list[SourceRow] = field(default_factory=list)
    repair_orders: list[SourceRow] = field(default_factory=list)
    #: Customer rows the reader found unchanged and left out (dms_sync.unchanged): numbers and lines, of
    #: `unchanged_file`. They are part of the page: counted, and noted when a customer appears twice.
    unchanged_customers: list[str] = field(default_factory=list)
    unchanged_lines: list[int] = field(default_factory=list)
    unchanged_file: str = ""

    def __len__(self) -> int:
        return len(self.customers) + len(self.vehicles) + len(self.repair_orders) + len(self.unchanged_customers)


class Pull:
    """One pull, opened by `DmsAdapter.changes_since`. `validate()` runs before anything is written."""

    #: Where the data comes from (extract folder or API URL), shown on the SyncRun.
    source: str = ""
    #: Cursor to store when the run succeeds (extract date, or the changedSince the next run should use).
    next_cursor: str = ""
    #: Rows expected in total when known (for the progress bar), else None.
    total: int | None = None

    def __init__(self):
        self.warnings: list[str] = []
        #: customer number -> the line of its last customer row in this pull, for the numbers that may appear
        #: more than once (set by validate()). A customer row of such a number at another line is superseded by
        #: that later row: the sync skips it, so the last row wins whatever the page size (dms_sync.unchanged).
        self.last_lines: dict[str, int] = {}

    def validate(self, *, keepalive: Callable[[], None] | None = None) -> None:  # pragma: no cover - interface
        """Check the whole pull before anything is written; `keepalive()` is called now and then by a pull that
        reads for long (the run proves it is alive)."""
        raise NotImplementedError

    def pages(self, *, batch_size: int) -> Iterator[Page]:  # pragma: no cover - interface
        raise NotImplementedError

    def pages_ahead(self, *, batch_size: int, stored_digests: Callable[[], Iterable[list[str]]] | None = None):
        """`pages()`, read ahead while the sync writes (dms_sync.readahead). The caller closes the iterator
        (`close()`) whatever ends its loop. `stored_digests()` yields the store's stored customer row digests
        in chunks: a reader that can use them leaves unchanged customer rows out (dms_sync.unchanged); this
        one, a thread in this process, does not (the sync looks the rows up)."""
        from ..readahead import read_ahead

        return read_ahead(self.pages(batch_size=batch_size))


class DmsAdapter:
    name = ""

    def __init__(self, dealership):
        self.dealership = dealership

    def changes_since(self, cursor: str, *, path=None) -> Pull:  # pragma: no cover - interface
        """Open a pull of the customers changed since `cursor` (an adapter-specific string, "" = everything)."""
        raise NotImplementedError

    def customer_fetch(self, number: str) -> Page | None:  # pragma: no cover - interface
        """One customer (with vehicles and repair orders) by DMS number, or None when the DMS has none."""
        raise NotImplementedError

    def remove_request_send(self, request) -> RemoveResult:  # pragma: no cover - interface
        """Deliver one RemoveRequest, idempotent by `request.uuid`."""
        raise NotImplementedError

    def close(self) -> None:
        pass
