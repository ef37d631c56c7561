"""File-drop DMS: nightly extracts in `<drop>/<CODE>/<YYYYMMDD>/`, remove requests as JSON files in `<outbox>/<CODE>/`.

The adapter composes four parts, each in its own module:
- file_drop_manifest: the whole extract is validated first (manifest, sha256 and row count of every file, the
  header of every file); only a valid extract is handed to the sync service;
- file_drop_csv: the CSV files read as a stream of rows (encoding fixes, blank lines, the row digests);
- file_drop_reader: a big extract read by a second process, so reading and writing use both cores;
- file_drop_outbox: remove requests written atomically, one file per request.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from django.conf import settings

from dealermine.paths import UnsafePathComponent, path_component

from ..extract_format import CUSTOMERS, EXTRACT_FOLDER_RE, MANIFEST
from ..readahead import child_can_set_up_django
from .base import DmsAdapter, ExtractInvalid, Page, Pull, RemoveResult
from .file_drop_csv import REPEAT_KEYS, CsvFile, csv_pages
from .file_drop_manifest import column_warnings, extract_file_check, manifest_read
from .file_drop_outbox import remove_request_write
from .file_drop_reader import pages_from_reader_process

logger = logging.getLogger(__name__)


class FileDropPull(Pull):
    def __init__(self, folder: Path, *, dealership_code: str):
        super().__init__()
        self.folder = Path(folder)
        self.dealership_code = dealership_code
        self.source = str(self.folder)
        self.files: dict[str, CsvFile] = {}
        self.extract_date: date | None = None

    def validate(self, *, keepalive=None) -> None:
        manifest = manifest_read(self.folder, dealership_code=self.dealership_code)
        self.extract_date = manifest.extract_date
        total = 0
        for name in manifest.listed_files():
            csv_file, rows = extract_file_check(manifest, name)
            total += rows
            self.files[name] = csv_file
            self.warnings.extend(column_warnings(csv_file))
        self.total = total
        self.next_cursor = self.extract_date.isoformat()
        # Customers repeated anywhere in the extract, found before anything is applied (dms_sync.unchanged).
        if CUSTOMERS in self.files:
            self.last_lines = self.files[CUSTOMERS].last_lines_of_repeats(REPEAT_KEYS[CUSTOMERS])

    def pages_ahead(self, *, batch_size: int, stored_digests=None):
        """Big extracts are read and hashed by a second process (file_drop_reader), so reading and writing use
        both cores, and that process leaves unchanged customer rows out when given the stored digests; small
        extracts, or where no process can be started, are read by a thread."""
        threshold = settings.DMS_SYNC_READER_PROCESS_ROWS
        if not threshold or (self.total or 0) < threshold or not child_can_set_up_django():
            return super().pages_ahead(batch_size=batch_size)
        try:
            return pages_from_reader_process(
                self.folder,
                names=list(self.files),
                batch_size=batch_size,
                stored_digests=stored_digests,
                warnings=self.warnings,
                last_lines=self.last_lines,
            )
        except OSError as exc:
            logger.info("Reading %s in a thread: no reader process (%s)", self.folder, exc)
            return super().pages_ahead(batch_size=batch_size)

    def pages(self, *, batch_size: int) -> Iterator[Page]:
        yield from csv_pages(self.files, batch_size=batch_size, warnings=self.warnings)


class FileDropAdapter(DmsAdapter):
    name = "file_drop"

    @property
    def drop_root(self) -> Path:
        return Path(self.dealership.dms_settings.get("drop_dir") or settings.DMS_DROP_ROOT)

    @property
    def outbox_root(self) -> Path:
        return Path(self.dealership.dms_settings.get("outbox_dir") or settings.DMS_OUTBOX_ROOT)

    @property
    def folder_name(self) -> str:
        """The store's code as the name of its drop and outbox folders; never a path (`../x`)."""
        try:
            return path_component(self.dealership.code, what="store code")
        except UnsafePathComponent as exc:
            raise ExtractInvalid(str(exc)) from None

    def store_folder(self, root: Path | None = None) -> Path:
        return Path(root or self.drop_root) / self.folder_name

    def latest_extract(self, root: Path | None = None) -> Path:
        folder = self.store_folder(root)
        dated = (
            sorted(p for p in folder.iterdir() if p.is_dir() and EXTRACT_FOLDER_RE.match(p.name))
            if folder.is_dir()
            else []
        )
        if not dated:
            raise ExtractInvalid(f"No extract folder (YYYYMMDD) in {folder}.")
        return dated[-1]

    def resolve(self, path=None) -> Path:
        """An explicit extract folder, a store folder or a drop root; default: the newest extract in the drop."""
        if path is None:
            return self.latest_extract()
        path = Path(path)
        if (path / MANIFEST).is_file():
            return path
        if path.name == self.folder_name and path.is_dir():
            return self.latest_extract(path.parent)
        if (path / self.folder_name).is_dir():
            return self.latest_extract(path)
        raise ExtractInvalid(f"{path} is neither an extract folder (with {MANIFEST}) nor a drop folder.")

    def changes_since(self, cursor: str, *, path=None) -> Pull:
        # A file drop delivers what the DMS extracted; the newest extract is loaded (idempotently) whatever the
        # cursor, so a run that was killed can simply be repeated.
        return FileDropPull(self.resolve(path), dealership_code=self.dealership.code)

    def customer_fetch(self, number: str) -> Page | None:
        pull = FileDropPull(self.latest_extract(), dealership_code=self.dealership.code)
        pull.validate()
        found = Page()
        for page in pull.pages(batch_size=5000):
            found.customers += [r for r in page.customers if r.data.get("customer_number") == number]
            found.vehicles += [r for r in page.vehicles if r.data.get("customer_number") == number]
            found.repair_orders += [r for r in page.repair_orders if r.data.get("customer_number") == number]
        return found if found.customers else None

    def remove_request_path(self, request) -> Path:
        return self.outbox_root / self.folder_name / f"{request.uuid}.json"

    def remove_request_send(self, request) -> RemoveResult:
        return remove_request_write(
            request, path=self.remove_request_path(request), dealership_code=self.dealership.code
        )
