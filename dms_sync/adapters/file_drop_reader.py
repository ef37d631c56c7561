"""A big file-drop extract read by a second process (dms_sync.readahead.read_ahead_in_process).

`read_extract_in_child` is the reading process's one entry point: the parent hands over the function itself
(pickled as a reference, imported by the child after django.setup()), never a name to look up. The child
re-reads the headers of files the parent has already checked against the manifest, reads and hashes the rows,
leaves out the customer rows whose digest the store already holds (dms_sync.unchanged), and sends pages back.
Warnings it collects (rows decoded as Windows-1252) arrive after its last page and join the pull's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from pathlib import Path

from ..readahead import read_ahead_in_process
from ..unchanged import StoredDigests, skip_unchanged
from .base import Page
from .file_drop_csv import CsvFile, csv_pages


class ReaderWarnings(list):
    """The warnings the reading process collected, sent after its last page."""


def read_extract_in_child(
    *,
    folder: str,
    names: list[str],
    batch_size: int,
    last_lines: dict[str, int] | None = None,
    stream: Iterator | None = None,
) -> Iterator[Page | ReaderWarnings]:
    """The reading process's side: the pages of the checked extract's files `names` in `folder`, then the
    warnings as they would have been collected in the parent. `stream`, when given, brings the store's stored
    customer row digests in chunks; it is read to its end before the first page, and unchanged customer rows
    are then left out of the pages, as are the rows of repeated customers before their last (`last_lines`)."""
    stored = StoredDigests(chain.from_iterable(stream)) if stream is not None else None
    files = {}
    for name in names:
        csv_file = CsvFile(Path(folder) / name)
        csv_file.read_header()
        files[name] = csv_file
    warnings: list[str] = []
    pages = csv_pages(files, batch_size=batch_size, warnings=warnings)
    yield from skip_unchanged(pages, stored, last_lines) if stored is not None else pages
    yield ReaderWarnings(warnings)


def pages_from_reader_process(
    folder: Path,
    *,
    names: list[str],
    batch_size: int,
    stored_digests: Callable[[], Iterable[list[str]]] | None,
    warnings: list[str],
    last_lines: dict[str, int] | None = None,
) -> _PagesFromChild:
    """The parent's side: start the reading process on the extract's checked files and iterate its pages; the
    warnings it sends join `warnings`. Raises OSError when no process can be started here."""
    kwargs = {"folder": str(folder), "names": names, "batch_size": batch_size, "last_lines": last_lines}
    items = read_ahead_in_process(
        read_extract_in_child,
        kwargs,
        stream=stored_digests() if stored_digests is not None else None,
    )
    return _PagesFromChild(items, warnings)


class _PagesFromChild:
    """Iterator over the pages the reading process sends; its warnings join the pull's."""

    def __init__(self, items, warnings: list[str]):
        self._items = items
        self._warnings = warnings

    def __iter__(self):
        return self

    def __next__(self) -> Page:
        while True:
            item = next(self._items)
            if isinstance(item, ReaderWarnings):
                self._warnings.extend(item)
                continue
            return item

    def close(self) -> None:
        self._items.close()
