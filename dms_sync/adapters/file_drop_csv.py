"""Reading the file drop's CSV files: header checks, the count pass (file_drop_scan), and a stream of rows.

Reading is streamed (the csv module over a text stream, one page in memory at a time). Encoding: UTF-8, with
or without a BOM; CRLF or LF. A record whose bytes are not valid UTF-8 is decoded as Windows-1252 (the usual
culprit: an extract saved by a Windows tool as "ANSI"), falling back to Latin-1, and the run notes how many
records were decoded that way. Nothing is lost or quarantined for the encoding alone.

The manifest checks that decide whether these files may be read at all are in file_drop_manifest.
"""

from __future__ import annotations

import csv
import hashlib
import io
import threading
from collections.abc import Iterator
from hashlib import blake2b
from pathlib import Path

from ..extract_format import (
    CUSTOMERS,
    FILE_ORDER,
    KNOWN_COLUMNS,
    OPTIONAL_COLUMNS,
    REPAIR_ORDERS,
    REQUIRED_COLUMNS,
    VEHICLES,
)
from .base import ExtractInvalid, Page, SourceRow
from .file_drop_scan import last_lines_of_repeats, scan_records

#: The column whose repeated values the count pass also finds (a customer repeated in the extract).
REPEAT_KEYS = {CUSTOMERS: "customer_number"}

_HASH_CHUNK = 1 << 20


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
    """The record as one CSV line. The writer quotes a field holding a character of its line terminator, so
    the terminator is CRLF (a field with a line break reads back as one record) and is cut off after."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(record)
    return out.getvalue()[:-2]


class CsvFile:
    """One extract CSV: header checks and a streaming iterator of SourceRow."""

    def __init__(self, path: Path):
        self.path = path
        self.name = path.name
        self.header: list[str] = []
        self.unknown_columns: list[str] = []
        self.missing_columns: list[str] = []
        self.decoded_as_legacy = 0
        self._repeats: dict[str, dict[str, int]] = {}

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
        optional = OPTIONAL_COLUMNS[self.name]
        self.missing_columns = [c for c in known if c not in header and c not in optional]

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
        key = REPEAT_KEYS.get(self.name)
        try:
            with _open_text(self.path) as fh:
                scan = scan_records(fh, key_column=self.header.index(key) if key else None)
            rows = scan.rows
            if key:
                self._repeats[key] = scan.last_lines
        except csv.Error:
            rows = self._count_records_slowly()  # the same count, with the line the csv module stopped at
        finally:
            hashing.join()
        return rows, digest.hexdigest()

    def last_lines_of_repeats(self, column: str) -> dict[str, int]:
        """See file_drop_scan.last_lines_of_repeats: the repeated values of `column` (a header name) and their
        last lines; found by count_and_hash's own pass for the file's key (REPEAT_KEYS), else read now."""
        if column not in self._repeats:
            with _open_text(self.path) as fh:
                self._repeats[column] = last_lines_of_repeats(fh, self.header.index(column))
        return self._repeats[column]

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


class CsvRow(SourceRow):
    """A readable record whose column dict is built on first use: the sync needs only the digest and the
    customer number of the rows it finds unchanged, most rows of a nightly extract.

    Pickled (from the reading process, file_drop_reader) as its fields joined into one string when
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


#: Which list of a Page each file's rows go to.
_PAGE_LIST = {CUSTOMERS: "customers", VEHICLES: "vehicles", REPAIR_ORDERS: "repair_orders"}


def csv_pages(files: dict[str, CsvFile], *, batch_size: int, warnings: list[str]) -> Iterator[Page]:
    """The rows of the checked `files` in pages of `batch_size`, file by file in load order (customers first);
    a file's note on rows decoded as Windows-1252/Latin-1 is added to `warnings` once it has been read."""
    for name in FILE_ORDER:
        csv_file = files.get(name)
        if csv_file is None:
            continue
        attr = _PAGE_LIST[name]
        batch: list[SourceRow] = []
        for row in csv_file.rows():
            batch.append(row)
            if len(batch) >= batch_size:
                yield Page(**{attr: batch})
                batch = []
        if batch:
            yield Page(**{attr: batch})
        if csv_file.decoded_as_legacy:
            warnings.append(
                f"{name}: {csv_file.decoded_as_legacy} row(s) were not valid UTF-8 and were decoded as "
                "Windows-1252/Latin-1."
            )
