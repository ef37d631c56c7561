"""The unchanged-row rule of the nightly pull, in one place: which customer rows need applying.

A nightly extract is mostly rows whose hash equals the one stored with the customer (dms_row_hash): nothing
to do. And a customer repeated in one extract is resolved once, the last row winning, whatever the page size,
so a re-run changes nothing: the pull finds the repeated customers before anything is applied (`Pull.last_lines`:
the line of each one's last row) and every earlier row of theirs is skipped, in whichever page it falls.
`customer_rows_to_apply` is that rule for one page; two places use it:
- the sync (dms_sync.services.pull.customers), against the digests stored now;
- the reading process of a big file-drop pull (`skip_unchanged`), against the store's digests as they were when
  the run started (`StoredDigests`, given to the reader up front). It leaves the rows it skips out of the pages
  it sends, so neither process builds, sends or looks up a row with nothing to do (an unchanged re-run of a
  million customers spent most of its time on exactly that); the sync still counts them, by number and line,
  and notes a customer that appears twice. Its snapshot is stale for a customer whose row it passed on
  earlier in the run (the sync may have applied it), so such a customer's later rows always reach the sync.

The reader's skipping is performance machinery: a run's result is the same without it (the sync applies the
same rule), only slower. Measured (docs/PERFORMANCE.md, PostgreSQL, 2 cores, 1,000,000 customers,
customers.csv): the unchanged re-run takes 19 s against a 20 s target (36.6 s earlier the same day, before the
reading process left these rows out), 8.7x faster than the first import (52,452 rows/s); the digests take
16 MB per million customers in the reading process (StoredDigests, below).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TypeVar

from .adapters.base import Page
from .rows import RowError, customer_number_check, row_hash

R = TypeVar("R")


def customer_rows_to_apply(
    rows: Iterable[tuple[str, R, str]],
    *,
    is_stored: Callable[[str, str], bool],
    last_lines: Mapping[str, int] | None = None,
) -> tuple[dict[str, tuple[R, str]], list[tuple[str, R, str]]]:
    """Split one page's customer rows, (customer number, row, digest) in file order, into the rows to apply
    ({number: (row, digest)}, in the order their customers first appear) and the rows to skip, as given.

    A row of a customer whose last row in the whole pull is at another line (`last_lines`, number -> line, for
    the numbers that may repeat) is skipped: superseded. Of the rest, each customer's last row in the page
    stands for it and its earlier rows are skipped. The last row is skipped too when `is_stored(number,
    digest)`: the customer's stored digest is this row's, so the file already holds what it says.
    """
    latest: dict[str, tuple[R, str]] = {}
    skipped: list[tuple[str, R, str]] = []
    for number, row, digest in rows:
        if last_lines and last_lines.get(number, row.line) != row.line:
            skipped.append((number, row, digest))
            continue
        earlier = latest.get(number)
        if earlier is not None:
            skipped.append((number, *earlier))
        latest[number] = (row, digest)
    to_apply: dict[str, tuple[R, str]] = {}
    for number, (row, digest) in latest.items():
        if is_stored(number, digest):
            skipped.append((number, row, digest))
        else:
            to_apply[number] = (row, digest)
    return to_apply, skipped


class StoredDigests:
    """A read-only set of row digests (hex, as stored in dms_row_hash), 16 bytes a digest: the first 128 of
    their 160 bits, in two sorted arrays of 64-bit halves. A Python set of the same keys takes five times the
    memory (~80 MB per million), and the reading process holds it for the whole run. Two different rows share
    the first 128 bits with a chance of about 1 in 10^26 per pair: not a practical risk."""

    def __init__(self, digests: Iterable[str]):
        hi, lo = array("Q"), array("Q")
        ordered = True
        last = (-1, -1)
        for digest in digests:
            # A value that is not a digest this code wrote is left out: such a row is simply looked up.
            if len(digest) < 32:
                continue
            try:
                key = (int(digest[:16], 16), int(digest[16:32], 16))
            except ValueError:
                continue
            ordered = ordered and key >= last
            last = key
            hi.append(key[0])
            lo.append(key[1])
        if not ordered:  # given in another order than the hex text's: sort once
            pairs = sorted(zip(hi, lo, strict=True))
            hi, lo = array("Q", (h for h, _ in pairs)), array("Q", (low for _, low in pairs))
        self._hi, self._lo = hi, lo

    def __len__(self) -> int:
        return len(self._hi)

    def __contains__(self, digest: str) -> bool:
        high, low = int(digest[:16], 16), int(digest[16:32], 16)
        hi, lo = self._hi, self._lo
        i = bisect_left(hi, high)
        while i < len(hi) and hi[i] == high:
            if lo[i] == low:
                return True
            i += 1
        return False


def skip_unchanged(
    pages: Iterable[Page], stored: StoredDigests, last_lines: Mapping[str, int] | None = None
) -> Iterator[Page]:
    """The pages, with the customer rows `customer_rows_to_apply` skips moved to each page's unchanged_*
    lists. A row the adapter could not read or without a valid customer number is passed on as it is: the
    sync quarantines it."""
    passed_on: set[str] = set()  # customers whose row the sync may have applied: `stored` is stale for them

    def is_stored(number: str, digest: str) -> bool:
        return number not in passed_on and digest in stored

    for page in pages:
        if page.customers and len(stored):  # nothing stored (a first import): the sync resolves repeats itself
            numbered = []
            for row in page.customers:
                if row.error is None:
                    try:
                        number = customer_number_check(row.value("customer_number"))
                    except RowError:
                        continue
                    numbered.append((number, row, row.digest or row_hash(row.data)))
            to_apply, skipped = customer_rows_to_apply(numbered, is_stored=is_stored, last_lines=last_lines)
            passed_on.update(to_apply)
            if skipped:
                left_out = {id(row) for _number, row, _digest in skipped}
                page.customers = [row for row in page.customers if id(row) not in left_out]
                for number, row, _digest in skipped:
                    page.unchanged_customers.append(number)
                    page.unchanged_lines.append(row.line)
                    page.unchanged_file = row.file
        yield page
