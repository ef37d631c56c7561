"""Reading the file drop's CSV files: header checks, a fast record count, and a stream of rows.

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
from itertools import chain, repeat
from pathlib import Path

from ..extract_format import CUSTOMERS, FILE_ORDER, KNOWN_COLUMNS, REPAIR_ORDERS, REQUIRED_COLUMNS, VEHICLES
from .base import ExtractInvalid, Page, SourceRow

_HASH_CHUNK = 1 << 20
_COUNT_CHUNK = 1 << 20
#: A comma and every character str.strip() takes for whitespace: a quote-free line of nothing else is blank.
_COMMA_OR_SPACE = "," + "".join(c for c in map(chr, range(0x110000)) if c.isspace())


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


#: Bits of the filter that finds repeated keys (2**27 bits, 16 MB): ~0.75% of a million keys land on a bit
#: another key set, and are kept as if repeated - harmless, their own line is their last.
_SEEN_BITS = 1 << 27


def last_lines_of_repeats(fh, column: int, *, batch_chars: int = _COUNT_CHUNK) -> dict[str, int]:
    """{key: the line its last record starts on} for the keys of column `column` (stripped) that may occur in
    more than one record of `fh` (a text file opened with newline="", at its header), numbering lines as
    CsvFile.rows() does.

    A key is kept from its second occurrence on, so the line kept is its last. "Seen once" is a bit per key
    hash rather than a set of a million strings; a key whose bit another key set is kept too (with its only
    line, which is its last). Quote-free lines are split at their commas; a line with a quote, or long enough
    to hold a field over the csv module's limit, is read by csv.reader through to the end of its record, as
    count_records does."""
    seen = bytearray(_SEEN_BITS >> 3)
    mask = _SEEN_BITS - 1
    last: dict[str, int] = {}
    limit = csv.field_size_limit()
    line_no = 0
    while lines := fh.readlines(batch_chars):
        rest = iter(lines)
        for line in rest:
            start = line_no = line_no + 1
            if '"' in line or len(line) > limit:
                reader = csv.reader(chain((line,), rest, fh))
                fields = next(reader, [])
                line_no += reader.line_num - 1
            else:
                fields = line.split(",", column + 1)
            if start == 1 or len(fields) <= column:
                continue  # the header, or a record the sync quarantines
            key = fields[column].strip()
            if not key:
                continue
            bit = hash(key) & mask
            byte, flag = bit >> 3, 1 << (bit & 7)
            if seen[byte] & flag:
                last[key] = start
            else:
                seen[byte] |= flag
    return last


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

    def last_lines_of_repeats(self, column: str) -> dict[str, int]:
        """See last_lines_of_repeats: the repeated values of `column` (a header name) and their last lines."""
        with _open_text(self.path) as fh:
            return last_lines_of_repeats(fh, self.header.index(column))

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
