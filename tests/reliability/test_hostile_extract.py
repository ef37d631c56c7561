"""The DMS extract parser fuzzed with generated CSV rows (hypothesis): every row imports or is quarantined with a
reason; the run never crashes.

Each example writes a real extract folder (CSV + manifest) for a fresh file-drop store and runs the public sync
service `dms_sync.services.pull.dms_pull` on it.
"""

import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from customers.models import Customer, DmsAdapter
from dms_sync.adapters.file_drop_csv import CsvFile
from dms_sync.extract_format import CUSTOMER_COLUMNS
from dms_sync.models import QuarantinedRow, SyncRun
from dms_sync.services.pull import dms_pull
from tests.customers.factories import DealershipFactory
from tests.dms_sync.extracts import csv_bytes, customer_row, write_raw_extract

from .hostile import BOUNDED, hostile_text

# Each example is a whole pull of a few rows (milliseconds): afford more of them than the HTTP tests.
MANY = hsettings(BOUNDED, max_examples=60)

pytestmark = pytest.mark.django_db

# CSV is text: lone surrogates cannot be written as UTF-8 (invalid bytes get their own test below).
csv_text = hostile_text.filter(lambda s: not any("\ud800" <= ch <= "\udfff" for ch in s))
odd_values = st.sampled_from(
    ["", " ", "N/A", "NULL", "9999-99-99", "2026-02-30", "-1", "1e309", "NaN", "Y", "N", "maybe", "P", "B", "X"]
)


def column_value(column):
    return st.one_of(odd_values, csv_text) if column != "customer_number" else st.just(None)


@st.composite
def customer_rows(draw):
    """Rows with a tracking number Z0000X.. (or a hostile number) and, per row, a few hostile columns."""
    rows = []
    for i in range(draw(st.integers(min_value=1, max_value=8))):
        row = customer_row(f"Z{i:04d}X", email1=f"z{i}@mail.example.com")
        for column in draw(st.lists(st.sampled_from(CUSTOMER_COLUMNS), max_size=4, unique=True)):
            row[column] = draw(column_value(column)) if column != "customer_number" else draw(csv_text)
        rows.append(row)
    return rows


def _count_rows(data: bytes) -> int:
    with tempfile.NamedTemporaryFile(suffix=".csv") as fh:
        Path(fh.name).write_bytes(data)
        csv_file = CsvFile(Path(fh.name))
        return csv_file.count_and_hash()[0]


def _store():
    return DealershipFactory(dms_adapter=DmsAdapter.FILE_DROP)


def _pull(store, customers: bytes) -> SyncRun:
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_raw_extract(
            Path(tmp), store.code, customers=customers, customer_rows=_count_rows(customers), vehicle_rows=0
        )
        return dms_pull(dealership=store, path=folder)


def _assert_accounted(run: SyncRun) -> None:
    assert run.status == "succeeded", run.error
    assert run.seen == run.created + run.updated + run.unchanged + run.quarantined
    for q in QuarantinedRow.objects.filter(run=run):
        assert q.reason.strip(), f"quarantined without a reason: {q}"
        assert q.line_number >= 2 and q.source_file == "customers.csv"


@given(rows=customer_rows())
@MANY
def test_every_generated_row_imports_or_is_quarantined_with_a_reason(rows):
    store = _store()
    rows = [r for r in rows if any(str(v).strip() for v in r.values())]  # an all-blank record is a blank line
    run = _pull(store, csv_bytes(CUSTOMER_COLUMNS, rows))
    _assert_accounted(run)
    assert run.seen == len(rows)
    imported = set(Customer.objects.filter(dealership=store).values_list("dms_number", flat=True))
    quarantined = list(QuarantinedRow.objects.filter(run=run).values_list("raw", "reason"))
    for i, row in enumerate(rows):
        number = f"Z{i:04d}X"
        if row["customer_number"] != number:
            continue  # a hostile number: accounted for by the totals above
        in_db = number in imported
        in_quarantine = any(number in raw for raw, _reason in quarantined)
        assert in_db != in_quarantine, f"row {i} ({number}): imported={in_db} quarantined={in_quarantine}"


# Byte-level garbage: invalid UTF-8, NUL bytes, wrong field counts, stray quotes, bare CRs.
garbage_lines = st.one_of(
    st.binary(min_size=1, max_size=80).map(lambda b: b.replace(b"\n", b" ").replace(b"\r", b" ")),
    st.sampled_from(
        [
            b"Z9000X,P,Ann\x00,Smith",
            b"\xff\xfe\xfd,P",
            b'Z9001X,"unterminated,P',
            b"Z9002X,P,Caf\xe9,M\xfcller",  # Windows-1252
            b",,,,,,,,",
            b"Z9003X" + b",x" * 200,
        ]
    ),
)


@given(lines=st.lists(st.one_of(garbage_lines, st.just(None)), min_size=1, max_size=10))
@MANY
def test_byte_level_garbage_lines_are_quarantined_or_the_extract_is_refused_never_a_crash(lines):
    store = _store()
    good = csv_bytes(CUSTOMER_COLUMNS, [customer_row("Z0001X")]).rstrip(b"\r\n").split(b"\r\n")
    header, valid = good[0], good[1]
    body = b"\r\n".join([header, *[valid if line is None else line for line in lines]]) + b"\r\n"
    run = _pull(store, body)  # an exception here is the crash this test looks for
    if run.status == "failed":
        # Only an unreadable file may refuse the whole extract, with a message saying which file and line.
        assert "customers.csv" in run.error, run.error
        assert not Customer.objects.filter(dealership=store).exists()
        return
    _assert_accounted(run)
    assert run.seen == _count_rows(body)


def test_the_fuzzers_can_tell_an_import_from_a_quarantine():
    """The same harness on known rows: one imports, one is quarantined with its reason."""
    store = _store()
    rows = [customer_row("Z0000X"), customer_row("Z0001X", customer_type="Q")]
    run = _pull(store, csv_bytes(CUSTOMER_COLUMNS, rows))
    _assert_accounted(run)
    assert list(Customer.objects.filter(dealership=store).values_list("dms_number", flat=True)) == ["Z0000X"]
    assert list(run.quarantined_rows.values_list("reason", flat=True)) == ["customer_type: 'Q' is not P, B or R"]
