"""File-drop DMS: nightly extracts in `<drop>/<CODE>/<YYYYMMDD>/`, remove requests as JSON files in `<outbox>/<CODE>/`.

Reading is streamed (the csv module over a text stream, one batch in memory at a time) and the whole
extract is validated first: manifest, sha256 and row count of every file, the header of every file. Only
a valid extract is handed to the sync service.

Encoding: UTF-8, with or without a BOM; CRLF or LF. A record whose bytes are not valid UTF-8 is decoded
as Windows-1252 (the usual culprit: an extract saved by a Windows tool as "ANSI"), falling back to
Latin-1, and the run notes how many records were decoded that way. Nothing is lost or quarantined for
the encoding alone.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import re
import tempfile
import threading
from collections.abc import Iterator
from datetime import date
from hashlib import blake2b
from itertools import chain, repeat
from pathlib import Path

from django.conf import settings

from ..readahead import read_ahead_in_process
from ..sample_extract import CUSTOMER_COLUMNS, REPAIR_ORDER_COLUMNS, VEHICLE_COLUMNS
from .base import DmsAdapter, ExtractInvalid, Page, Pull, RemoveOutcome, RemoveResult, SourceRow

CUSTOMERS = "customers.csv"
VEHICLES = "vehicles.csv"
REPAIR_ORDERS = "repair_orders.csv"

KNOWN_COLUMNS = {CUSTOMERS: CUSTOMER_COLUMNS, VEHICLES: VEHICLE_COLUMNS, REPAIR_ORDERS: REPAIR_ORDER_COLUMNS}
#: Without these a file cannot be loaded at all: the run fails. Other known columns may be absent (the
#: fields they feed are then left as they are, with a warning).
REQUIRED_COLUMNS = {
    CUSTOMERS: ["customer_number", "customer_type", "last_change_date"],
    VEHICLES: ["customer_number", "vin"],
    REPAIR_ORDERS: ["customer_number", "ro_number"],
}
REQUIRED_FILES = [CUSTOMERS, VEHICLES]
FILE_ORDER = [CUSTOMERS, VEHICLES, REPAIR_ORDERS]
FOLDER_RE = re.compile(r"^\d{8}$")
_HASH_CHUNK = 1 << 20
_COUNT_CHUNK = 1 << 20
#: A comma and every character str.strip() takes for whitespace: a quote-free line of nothing else is blank.
_COMMA_OR_SPACE = "," + "".join(c for c in map(chr, range(0x110000)) if c.isspace())

logger = logging.getLogger(__name__)


def _open_text(path: Path):
    # utf-8-sig drops a BOM; surrogateescape keeps undecodable bytes so one bad record cannot stop the stream.
    return path.open("r", encoding="utf-8-sig", errors="surrogateescape", newline="")


def _fix_encoding(record: list[str]) -> list[str] | None:
    """None when every field is valid UTF-8; else the fields re-decoded (see _redecoded)."""
    try:
        "\x1f".join(record).encode("utf-8")
        return None
    except UnicodeEncodeError:
        return _redecoded(record)


def _redecoded(record: list[str]) -> list[str]:
    """The fields, each one that is not valid UTF-8 re-decoded as Windows-1252 (or Latin-1)."""
    fixed = []
    for value in record:
        data = value.encode("utf-8", "surrogateescape")
        try:
            fixed.append(data.decode("utf-8"))
        except UnicodeDecodeError:
            try:
                fixed.append(data.decode("cp1252"))
            except UnicodeDecodeError:
                fixed.append(data.decode("latin-1"))
    return fixed


def _raw(record: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(record)
    return out.getvalue()


def count_records(fh, *, batch_chars: int = _COUNT_CHUNK) -> int:
    """What csv.reader over `fh` (a text file opened with newline="") yields after its first record, not
    counting blank records (no field but whitespace) - without splitting most lines into fields.

    A line without a quote character, read outside a quoted field, is exactly one record whose fields are the
    text between its commas, so it is blank when nothing but commas and whitespace; a batch of such lines is
    counted by C-level maps (lstrip returns a line unchanged, uncopied, at its first other character). A line
    with a quote, or long enough to hold a field over the csv module's limit, is handed to csv.reader, which
    reads on through the lines of that record and stops at its end. A sixth of the time of a full parse on a
    million rows; tests/dms_sync/test_record_count.py checks that the two always agree. Raises csv.Error
    where the csv module would."""
    rows = -1  # the first record is the header
    limit = csv.field_size_limit()  # a longer field is an error; only a longer line can hold one
    while lines := fh.readlines(batch_chars):
        if rows >= 0 and not any(map(str.__contains__, lines, repeat('"'))) and max(map(len, lines)) <= limit:
            rows += sum(map(bool, map(str.lstrip, lines, repeat(_COMMA_OR_SPACE))))
            continue
        rest = iter(lines)
        for line in rest:
            if '"' in line or len(line) > limit:  # the record may go on past this batch: csv reads on from fh
                record = next(csv.reader(chain((line,), rest, fh)))
                if rows < 0 or (record and "".join(record).strip()):
                    rows += 1
            elif rows < 0 or line.lstrip(_COMMA_OR_SPACE):
                rows += 1
    return max(rows, 0)


class CsvFile:
    """One extract CSV: header checks and a streaming iterator of SourceRow."""

    def __init__(self, path: Path):
        self.path = path
        self.name = path.name
        self.header: list[str] = []
        self.unknown_columns: list[str] = []
        self.missing_columns: list[str] = []
        self.decoded_as_legacy = 0

    def read_header(self) -> None:
        with _open_text(self.path) as fh:
            reader = csv.reader(fh)
            try:
                header = next(reader)
            except StopIteration:
                raise ExtractInvalid(f"{self.name} is empty (no header row).") from None
            except csv.Error as exc:
                raise ExtractInvalid(f"{self.name}: the header is not readable as CSV ({exc}).") from None
        header = [(_fix_encoding([h]) or [h])[0].strip().lower() for h in header]
        known = KNOWN_COLUMNS[self.name]
        missing_required = [c for c in REQUIRED_COLUMNS[self.name] if c not in header]
        if missing_required:
            raise ExtractInvalid(f"{self.name} is missing required column(s): {', '.join(missing_required)}.")
        duplicated = sorted({c for c in header if c and header.count(c) > 1})
        if duplicated:
            raise ExtractInvalid(f"{self.name} has duplicated column(s): {', '.join(duplicated)}.")
        self.header = header
        self.unknown_columns = [c for c in header if c not in known]
        self.missing_columns = [c for c in known if c not in header]

    def count_and_hash(self) -> tuple[int, str]:
        """(records after the header with a field that is not blank, sha256 of the bytes). The checksum is
        computed by a thread meanwhile: hashlib releases the GIL on large buffers."""
        digest = hashlib.sha256()

        def checksum() -> None:
            with self.path.open("rb") as fh:
                while chunk := fh.read(_HASH_CHUNK):
                    digest.update(chunk)

        hashing = threading.Thread(target=checksum, name="extract-sha256")
        hashing.start()
        try:
            with _open_text(self.path) as fh:
                rows = count_records(fh)
        except csv.Error:
            rows = self._count_records_slowly()  # the same count, with the line the csv module stopped at
        finally:
            hashing.join()
        return rows, digest.hexdigest()

    def _count_records_slowly(self) -> int:
        rows = 0
        with _open_text(self.path) as fh:
            reader = csv.reader(fh)
            try:
                next(reader, None)
                for record in reader:
                    if record and "".join(record).strip():  # a field that is not blank
                        rows += 1
            except csv.Error as exc:
                raise ExtractInvalid(f"{self.name} line {reader.line_num}: not readable as CSV ({exc}).") from None
        return rows

    def rows(self) -> Iterator[SourceRow]:
        known = set(KNOWN_COLUMNS[self.name])
        keep = [(i, c) for i, c in enumerate(self.header) if c in known]
        index = {c: i for i, c in keep}
        width = len(self.header)
        whole = len(keep) == width  # every column known, so hashed in file order (the usual extract)
        # The row hash covers the known columns as sent (names and values): unknown columns never make a row
        # "changed"; padding does, once, and then the compare of the stripped values finds nothing to update.
        # The column names are hashed once; each row continues from a copy of that state.
        signature = blake2b(("\x1e".join(c for _, c in keep) + "\x1d").encode(), digest_size=20)
        with _open_text(self.path) as fh:
            reader = csv.reader(fh)
            next(reader, None)
            last_line = reader.line_num
            for record in reader:
                line = last_line + 1
                last_line = reader.line_num
                # One join serves the blank, encoding and NUL checks and, for the usual extract, the hash (the
                # separator counts as whitespace to str.strip, so a row of empty or blank fields strips to
                # nothing; it is itself the hash's field separator).
                joined = "\x1f".join(record)
                if not joined.strip():
                    continue  # blank line
                try:
                    encoded = joined.encode("utf-8")
                except UnicodeEncodeError:  # bytes that were not UTF-8 (surrogate-escaped by the reader)
                    record = _redecoded(record)
                    joined = "\x1f".join(record)
                    encoded = joined.encode("utf-8", "surrogatepass")
                    self.decoded_as_legacy += 1
                if "\x00" in joined:
                    record = [v.replace("\x00", "\\0") for v in record]
                    yield SourceRow(self.name, line, {"__error__": "row contains a NUL byte"}, _raw(record))
                    continue
                if len(record) != width:
                    # The sync service quarantines it; the data dict carries the reason.
                    yield SourceRow(
                        file=self.name,
                        line=line,
                        data={"__error__": f"row has {len(record)} fields, the header has {width}"},
                        raw=_raw(record),
                    )
                    continue
                digest = signature.copy()
                if whole:
                    digest.update(encoded)
                else:
                    digest.update("\x1f".join([record[i] for i, _ in keep]).encode("utf-8", "surrogatepass"))
                # When no field holds the separator, the joined text splits back losslessly (see CsvRow).
                lossless = joined.count("\x1f") == width - 1
                yield CsvRow(self.name, line, record, keep, index, digest.hexdigest(), joined if lossless else None)

    @staticmethod
    def raw_of(row: SourceRow) -> str:
        return row.raw


class CsvRow(SourceRow):
    """A readable record whose column dict is built on first use: the sync needs only the digest and the
    customer number of the rows it finds unchanged, most rows of a nightly extract.

    Pickled (from the reading process, FileDropPull.pages_ahead) as its fields joined into one string when
    that splits back losslessly: one string per row is far cheaper to send than a list of forty."""

    __slots__ = ("_record", "_joined", "_keep", "_index", "_data")

    def __init__(
        self,
        file: str,
        line: int,
        record: list[str] | None,
        keep: list,
        index: dict,
        digest: str,
        joined: str | None = None,
    ):
        """`record` (the fields) or `joined` (the fields joined by \x1f, none holding it) or both."""
        self.file = file
        self.line = line
        self.raw = ""
        self.digest = digest
        self._record = record
        self._joined = joined
        self._keep = keep
        self._index = index
        self._data = None

    @property
    def record(self) -> list[str]:
        if self._record is None:
            self._record = self._joined.split("\x1f")
        return self._record

    @property
    def data(self) -> dict[str, str]:
        if self._data is None:
            record = self.record
            self._data = {c: record[i].strip() for i, c in self._keep}
        return self._data

    @property
    def error(self) -> None:
        return None

    def value(self, column: str) -> str:
        i = self._index.get(column)
        if i is None:
            return ""
        if self._record is None:  # one column of a row that may never need the others
            return self._joined.split("\x1f", i + 1)[i].strip()
        return self._record[i].strip()

    def __reduce__(self):
        # keep / index are the same objects for every row of a file, so pickle sends them once per page.
        record = None if self._joined is not None else self.record
        return (CsvRow, (self.file, self.line, record, self._keep, self._index, self.digest, self._joined))


class ReaderWarnings(list):
    """The warnings the reading process's pull collected, sent after its last page."""


def pages_in_child(*, folder: str, names: list[str], batch_size: int, stream: Iterator | None = None) -> Iterator:
    """The reading process's side of FileDropPull.pages_ahead: the pages of the validated extract's files
    (their headers are read again; the files were checked in the parent), then the warnings as they would
    have been collected in the parent. `stream`, when given, brings the store's stored customer row digests
    in chunks: unchanged customer rows are then left out of the pages (dms_sync.unchanged)."""
    from ..unchanged import StoredDigests, skip_unchanged

    stored = StoredDigests(chain.from_iterable(stream)) if stream is not None else None
    pull = FileDropPull(Path(folder), dealership_code="")
    for name in names:
        csv_file = CsvFile(pull.folder / name)
        csv_file.read_header()
        pull.files[name] = csv_file
    pages = pull.pages(batch_size=batch_size)
    yield from skip_unchanged(pages, stored) if stored is not None else pages
    yield ReaderWarnings(pull.warnings)


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


class FileDropPull(Pull):
    def __init__(self, folder: Path, *, dealership_code: str):
        super().__init__()
        self.folder = Path(folder)
        self.dealership_code = dealership_code
        self.source = str(self.folder)
        self.files: dict[str, CsvFile] = {}
        self.extract_date: date | None = None

    def validate(self) -> None:
        manifest_path = self.folder / "manifest.json"
        if not manifest_path.is_file():
            raise ExtractInvalid(f"No manifest.json in {self.folder}.")
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8-sig"))
            files = manifest["files"]
            if not isinstance(files, dict):
                raise TypeError("files is not an object")
        except (ValueError, KeyError, TypeError) as exc:
            raise ExtractInvalid(f"manifest.json is not a valid manifest: {exc}") from None
        if str(manifest.get("dealership", "")).lower() != self.dealership_code.lower():
            raise ExtractInvalid(
                f"manifest.json is for store {manifest.get('dealership')!r}, not {self.dealership_code!r}."
            )
        try:
            self.extract_date = date.fromisoformat(str(manifest.get("extract_date", "")))
        except ValueError:
            raise ExtractInvalid(
                f"manifest.json has no valid extract_date ({manifest.get('extract_date')!r})."
            ) from None
        for name in REQUIRED_FILES:
            if name not in files:
                raise ExtractInvalid(f"manifest.json does not list {name}.")
        total = 0
        for name in FILE_ORDER:
            if name not in files:
                continue
            entry = files[name]
            path = self.folder / name
            if not path.is_file():
                raise ExtractInvalid(f"{name} is listed in manifest.json but missing from {self.folder}.")
            csv_file = CsvFile(path)
            csv_file.read_header()
            try:
                expected_rows, expected_sha = int(entry["rows"]), str(entry["sha256"]).lower()
            except (KeyError, TypeError, ValueError):
                raise ExtractInvalid(f"manifest.json entry for {name} needs rows and sha256.") from None
            rows, sha = csv_file.count_and_hash()
            if sha != expected_sha:
                raise ExtractInvalid(
                    f"{name}: sha256 {sha[:12]}... does not match the manifest ({expected_sha[:12]}...): "
                    "the file is truncated or was changed after the extract."
                )
            if rows != expected_rows:
                raise ExtractInvalid(f"{name}: {rows} rows, the manifest says {expected_rows}.")
            total += rows
            self.files[name] = csv_file
            if csv_file.unknown_columns:
                self.warnings.append(f"{name}: unknown column(s) ignored: {', '.join(csv_file.unknown_columns)}.")
            if csv_file.missing_columns:
                self.warnings.append(
                    f"{name}: column(s) absent, those fields were left as they are: "
                    f"{', '.join(csv_file.missing_columns)}."
                )
        self.total = total
        self.next_cursor = self.extract_date.isoformat()

    def pages_ahead(self, *, batch_size: int, stored_digests=None):
        """Big extracts are read and hashed by a second process (dms_sync.readahead.read_ahead_in_process),
        so reading and writing use both cores, and that process leaves unchanged customer rows out when given
        the stored digests; small extracts, or where no process can be started, are read by a thread."""
        threshold = settings.DMS_SYNC_READER_PROCESS_ROWS
        # The reading process sets Django up from the environment, as manage.py and the worker do.
        if not threshold or (self.total or 0) < threshold or not os.environ.get("DJANGO_SETTINGS_MODULE"):
            return super().pages_ahead(batch_size=batch_size)
        kwargs = {"folder": str(self.folder), "names": list(self.files), "batch_size": batch_size}
        try:
            items = read_ahead_in_process(
                "dms_sync.adapters.file_drop:pages_in_child",
                kwargs,
                stream=stored_digests() if stored_digests is not None else None,
            )
        except OSError as exc:
            logger.info("Reading %s in a thread: no reader process (%s)", self.folder, exc)
            return super().pages_ahead(batch_size=batch_size)
        return _PagesFromChild(items, self.warnings)

    def pages(self, *, batch_size: int) -> Iterator[Page]:
        for name in FILE_ORDER:
            csv_file = self.files.get(name)
            if csv_file is None:
                continue
            attr = {CUSTOMERS: "customers", VEHICLES: "vehicles", REPAIR_ORDERS: "repair_orders"}[name]
            batch: list[SourceRow] = []
            for row in csv_file.rows():
                batch.append(row)
                if len(batch) >= batch_size:
                    yield Page(**{attr: batch})
                    batch = []
            if batch:
                yield Page(**{attr: batch})
            if csv_file.decoded_as_legacy:
                self.warnings.append(
                    f"{name}: {csv_file.decoded_as_legacy} row(s) were not valid UTF-8 and were decoded as "
                    "Windows-1252/Latin-1."
                )


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class FileDropAdapter(DmsAdapter):
    name = "file_drop"

    @property
    def drop_root(self) -> Path:
        return Path(self.dealership.dms_settings.get("drop_dir") or settings.DMS_DROP_ROOT)

    @property
    def outbox_root(self) -> Path:
        return Path(self.dealership.dms_settings.get("outbox_dir") or settings.DMS_OUTBOX_ROOT)

    def store_folder(self, root: Path | None = None) -> Path:
        return Path(root or self.drop_root) / self.dealership.code

    def latest_extract(self, root: Path | None = None) -> Path:
        folder = self.store_folder(root)
        dated = sorted(p for p in folder.iterdir() if p.is_dir() and FOLDER_RE.match(p.name)) if folder.is_dir() else []
        if not dated:
            raise ExtractInvalid(f"No extract folder (YYYYMMDD) in {folder}.")
        return dated[-1]

    def resolve(self, path=None) -> Path:
        """An explicit extract folder, a store folder or a drop root; default: the newest extract in the drop."""
        if path is None:
            return self.latest_extract()
        path = Path(path)
        if (path / "manifest.json").is_file():
            return path
        if path.name == self.dealership.code and path.is_dir():
            return self.latest_extract(path.parent)
        if (path / self.dealership.code).is_dir():
            return self.latest_extract(path)
        raise ExtractInvalid(f"{path} is neither an extract folder (with manifest.json) nor a drop folder.")

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
        return self.outbox_root / self.dealership.code / f"{request.uuid}.json"

    def remove_request_send(self, request) -> RemoveResult:
        path = self.remove_request_path(request)
        payload = {
            "uuid": str(request.uuid),
            "idempotency_key": str(request.uuid),
            "dealership": self.dealership.code,
            "customer_number": request.dms_number,
            "field": request.field,
            "value": request.value,
            "requested_at": request.requested_at.isoformat(),
            "requested_by": request.requested_by.get_username() if request.requested_by_id else "",
        }
        if path.exists():
            return RemoveResult(RemoveOutcome.APPLIED, "already written")
        try:
            _atomic_write(path, (json.dumps(payload, indent=2) + "\n").encode("utf-8"))
        except OSError as exc:  # full disk, unmounted share, permissions: try again later
            return RemoveResult(RemoveOutcome.RETRY_LATER, f"cannot write {path}: {exc}")
        return RemoveResult(RemoveOutcome.APPLIED, f"written to {path}")
