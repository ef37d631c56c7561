"""Read the next pages of a pull while the database writes the current one.

A pull alternates two kinds of work: reading and hashing rows (Python, in this process) and writing a page
(mostly PostgreSQL's time: COPY, index maintenance, lookups - this process only waits on the socket). Done one
after the other, the run takes the sum of both; with the reading in a thread it takes closer to the larger of
the two, because a thread waiting on the database socket releases the GIL.

Only the adapter's `pages()` runs in the thread: it reads files or calls the DMS API and never touches the
database, whose connections are per thread in Django. A bounded queue keeps at most `depth` pages in memory
ahead of the writer, so memory stays bounded however big the extract is. An exception in the reader reaches
the caller at the point where the page it failed on would have arrived; when the caller stops early (a failed
page, an interrupt), the reader is told to stop and is waited for before the adapter is closed.

Hand-written rather than a library: it is twenty lines over `queue` and `threading`, and the stop/propagate
rules above are specific to the pull.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()
_POLL_SECONDS = 0.1


class _Failed:
    def __init__(self, exc: BaseException):
        self.exc = exc


def read_ahead(items: Iterable[T], *, depth: int = 2) -> Iterator[T]:
    """Yield what `items` yields, produced by a background thread up to `depth` items ahead."""
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                buffer.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            put(_Failed(exc))
            return
        put(_DONE)

    thread = threading.Thread(target=produce, name="dms-pull-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = buffer.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield item
    finally:
        stop.set()
        thread.join()
