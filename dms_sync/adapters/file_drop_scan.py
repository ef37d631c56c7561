"""One fast pass over an extract CSV before anything is loaded: its record count (checked against the manifest)
and, for customers.csv, the customers repeated anywhere in it with the line of each one's last row
(adapters.base.Pull.last_lines: the last row wins whatever the page size).

Neither needs most lines split into fields. A line without a quote character, read outside a quoted field, is
exactly one record whose fields are the text between its commas; a batch of such lines is counted by C-level
maps (lstrip returns a line unchanged, uncopied, at its first other character) and only its key column is cut
out. A line with a quote, or long enough to hold a field over the csv module's limit, is handed to csv.reader,
which reads on through the lines of that record and stops at its end. Counting this way takes a sixth of the
time of a full parse on a million rows; finding the repeats in the same pass costs ~0.5 s more per million
(measured on 2 cores; as a pass of its own, reading the file again, it cost ~1.1 s), against an unchanged
nightly re-run of ~19 s. tests/dms_sync/test_record_count.py and test_repeats.py check both against csv.reader.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from itertools import chain, repeat

_CHUNK = 1 << 20
#: A comma and every character str.strip() takes for whitespace: a quote-free line of nothing else is blank.
_COMMA_OR_SPACE = "," + "".join(c for c in map(chr, range(0x110000)) if c.isspace())
#: Bits of the filter that finds repeated keys (2**27 bits, 16 MB): ~0.75% of a million keys land on a bit
#: another key set, and are kept as if repeated - harmless, their own line is their last.
_SEEN_BITS = 1 << 27


@dataclass
class Scan:
    #: Records after the header with a field that is not blank (what csv.reader yields, blank records left out).
    rows: int = 0
    #: {key: the line its last record starts on} for the keys that may occur in more than one record.
    last_lines: dict[str, int] = field(default_factory=dict)


class _Repeats:
    """Keys met more than once, each with the line of its latest record. A key is kept from its second
    occurrence on, so the line kept is its last. "Seen once" is a bit per key hash rather than a set of a
    million strings; a key whose bit another key set is kept too (with its only line, which is its last)."""

    def __init__(self):
        self.seen = bytearray(_SEEN_BITS >> 3)
        self.last: dict[str, int] = {}

    def add(self, key: str, line: int) -> None:
        if not key:
            return  # no number: the sync quarantines the row
        bit = hash(key) & (_SEEN_BITS - 1)
        byte, flag = bit >> 3, 1 << (bit & 7)
        if self.seen[byte] & flag:
            self.last[key] = line
        else:
            self.seen[byte] |= flag

    def add_lines(self, lines: list[str], column: int, first_line: int) -> None:
        """Quote-free lines, one record each, starting at line `first_line`."""
        add = self.add
        for line_no, line in enumerate(lines, first_line):
            fields = line.split(",", column + 1)
            if len(fields) > column:
                add(fields[column].strip(), line_no)


def scan_records(fh, *, key_column: int | None = None, batch_chars: int = _CHUNK) -> Scan:
    """Count the records of `fh` (a text file opened with newline="", at its header) and, with `key_column`,
    find the repeated values of that column (stripped), numbering lines as CsvFile.rows() does: a record's line
    is the one it starts on. Raises csv.Error where the csv module would."""
    rows = -1  # the first record is the header
    repeats = _Repeats() if key_column is not None else None
    limit = csv.field_size_limit()  # a longer field is an error; only a longer line can hold one
    line_no = 0
    while lines := fh.readlines(batch_chars):
        if rows >= 0 and not any(map(str.__contains__, lines, repeat('"'))) and max(map(len, lines)) <= limit:
            rows += sum(map(bool, map(str.lstrip, lines, repeat(_COMMA_OR_SPACE))))
            if repeats is not None:
                repeats.add_lines(lines, key_column, line_no + 1)
            line_no += len(lines)
            continue
        rest = iter(lines)
        for line in rest:
            start = line_no = line_no + 1
            if '"' in line or len(line) > limit:  # the record may go on past this batch: csv reads on from fh
                reader = csv.reader(chain((line,), rest, fh))
                record = next(reader)
                line_no += reader.line_num - 1
                if rows < 0 or (record and "".join(record).strip()):
                    rows += 1
            else:
                if rows < 0 or line.lstrip(_COMMA_OR_SPACE):
                    rows += 1
                record = line.split(",", key_column + 1) if repeats is not None else None
            if repeats is not None and start > 1 and len(record) > key_column:
                repeats.add(record[key_column].strip(), start)
    return Scan(rows=max(rows, 0), last_lines=repeats.last if repeats is not None else {})


def count_records(fh, *, batch_chars: int = _CHUNK) -> int:
    """The record count of scan_records."""
    return scan_records(fh, batch_chars=batch_chars).rows


def last_lines_of_repeats(fh, column: int, *, batch_chars: int = _CHUNK) -> dict[str, int]:
    """The repeated keys of column `column` and the line each one's last record starts on (scan_records)."""
    return scan_records(fh, key_column=column, batch_chars=batch_chars).last_lines
