"""What a pull carries from page to page: its rows counted per extract file, its warnings, the rows it
quarantines, and the facts every applier needs (the store, its time zone, the DMS turn-off reason)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from zoneinfo import ZoneInfo

from customers.models import Dealership

from ...adapters import SourceRow
from ...models import QuarantinedRow, SyncRun
from ...rows import RowError

MAX_WARNINGS = 200
#: An adapter names its sources ("api:/customers", "vehicles", "page 3#vehicles"); the run counts them under the
#: file-drop names so a SyncRun reads the same whatever the transport.
SOURCE_FILES = {"vehicles": "vehicles.csv", "repair_orders": "repair_orders.csv", "api:/customers": "customers.csv"}


@dataclass
class FileCounts:
    seen: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0

    def add(self, other: FileCounts) -> None:
        for counter in fields(self):
            setattr(self, counter.name, getattr(self, counter.name) + getattr(other, counter.name))


@dataclass
class RunContext:
    run: SyncRun
    store: Dealership
    tz: ZoneInfo
    #: The reason of the contact-method turn-offs the DMS's allow_* flags make (allow_flags).
    dms_reason_id: int
    #: Customers with a higher id were created by this run (ids only grow).
    max_id_before: int = 0
    #: The pull's repeated customers and the line of each one's last row (adapters.base.Pull.last_lines).
    last_lines: dict[str, int] = field(default_factory=dict)
    counts: dict[str, FileCounts] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: The current page's quarantined rows, saved with the page (loop).
    quarantined: list[QuarantinedRow] = field(default_factory=list)
    #: hash() of each customer number met so far: a few bytes a customer rather than the number's text.
    seen_customers: set[int] = field(default_factory=set)
    duplicates: int = 0
    vin_warnings: int = 0
    suppressed_skips: int = 0
    user_edits_kept: int = 0
    _by_source: dict[str, FileCounts] = field(default_factory=dict)

    def file(self, name: str) -> FileCounts:
        counts = self._by_source.get(name)
        if counts is None:
            key = name.split("#", 1)[-1]
            counts = self._by_source[name] = self.counts.setdefault(SOURCE_FILES.get(key, key), FileCounts())
        return counts

    def totals(self) -> FileCounts:
        total = FileCounts()
        for counts in self.counts.values():
            total.add(counts)
        return total

    def warn(self, message: str) -> None:
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(message)
        elif len(self.warnings) == MAX_WARNINGS:
            self.warnings.append("... more warnings were left out.")

    def seen_before(self, file: str, number: str, line: int) -> bool:
        """Remember a customer row's number; True, with a warning, when the run has had it before."""
        key = hash(number)
        if key in self.seen_customers:
            self.duplicates += 1
            self.warn(f"{file}: customer {number} appears again at line {line}; the last row wins.")
            return True
        self.seen_customers.add(key)
        return False

    def quarantine(self, row: SourceRow, reason: str) -> None:
        self.file(row.file).quarantined += 1
        raw = row.raw or ",".join(v for k, v in row.data.items() if not k.startswith("__"))
        self.quarantined.append(
            QuarantinedRow(run=self.run, source_file=row.file[:120], line_number=row.line, raw=raw, reason=reason[:500])
        )

    def readable(self, row: SourceRow) -> bool:
        """Count a row as seen; one the adapter could not read is quarantined and False returned."""
        self.file(row.file).seen += 1
        if row.error is not None:
            self.quarantine(row, row.error)
            return False
        return True

    def parsed(self, row: SourceRow, parse: Callable, **kwargs):
        """`parse(row.data, **kwargs)` (one of dms_sync.rows' *_values), or None with the row quarantined for
        the RowError's reason."""
        try:
            return parse(row.data, **kwargs)
        except RowError as exc:
            self.quarantine(row, str(exc))
            return None
