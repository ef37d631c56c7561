"""Unchanged customer rows recognised by the reader, before they reach the sync.

A nightly extract is mostly rows whose hash equals the one stored with the customer. For a big file-drop pull
the reading process (FileDropPull.pages_ahead) is given the store's stored customer row digests up front and
leaves those rows out of the pages it sends: the sync only counts them, and neither process builds, sends or
looks up a row that has nothing to do. An unchanged re-run of a million customers spent most of its time on
exactly that.

The sync's rule stays whole: a customer's last row in the file wins. A row is left out only when its customer
number is valid and has not been sent on earlier in the run, so a row that follows a changed row of the same
customer always reaches the sync (which then applies it, "last wins"). Left-out rows still arrive as numbers
and lines, so the sync counts them and notes a customer that appears twice.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator

from .adapters.base import Page
from .rows import RowError, customer_number_check, row_hash


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


def skip_unchanged(pages: Iterable[Page], stored: StoredDigests) -> Iterator[Page]:
    """The pages, with each customer row found in `stored` moved to the page's unchanged_* lists (see the
    module docstring for which rows may be)."""
    sent: set[str] = set()  # numbers of customer rows passed on: a later row of theirs must follow
    for page in pages:
        if page.customers and len(stored):
            keep = []
            for row in page.customers:
                if row.error is None:
                    try:
                        number = customer_number_check(row.value("customer_number"))
                    except RowError:
                        keep.append(row)
                        continue
                    if number not in sent and (row.digest or row_hash(row.data)) in stored:
                        page.unchanged_customers.append(number)
                        page.unchanged_lines.append(row.line)
                        page.unchanged_file = row.file
                        continue
                    sent.add(number)
                keep.append(row)
            page.customers = keep
        yield page
