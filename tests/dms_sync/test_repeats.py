"""A customer repeated in one extract is resolved once, the last row winning, whatever the page size (DESIGN §6).

The pull finds the repeated customer numbers before anything is applied (file_drop_csv.last_lines_of_repeats,
a fast scan that splits most lines at their commas), and every earlier row of theirs is skipped in whichever
page it falls. The scan must number lines exactly as CsvFile.rows() does, on any CSV the csv module reads.
"""

import csv
import io
import tempfile
from datetime import date
from pathlib import Path

import pytest
from django.forms.models import model_to_dict
from hypothesis import given, settings
from hypothesis import strategies as st

from customers.models import Customer, CustomerHistory
from dms_sync.adapters import file_drop
from dms_sync.adapters.file_drop_csv import CsvFile
from dms_sync.adapters.file_drop_scan import last_lines_of_repeats
from dms_sync.extract_format import CUSTOMER_COLUMNS, CUSTOMERS
from dms_sync.services.pull import dms_pull

from .extracts import csv_bytes, customer_row, write_raw_extract

# --- the scan, against the rows CsvFile.rows() yields --------------------------------------------------------

WIDTH = len(CUSTOMER_COLUMNS)
NUMBERS = st.sampled_from(["1001", "1002", "1003", "77", "A-7", ""])
PADDING = st.sampled_from(["", " ", "  ", "\t"])
# Pieces that matter to CSV inside a field: separators, quotes, every line ending, whitespace, non-ASCII.
PIECES = ["a", "7", " ", ",", '"', '""', "\n", "\r\n", "\r", "é", "x,y", "Zoë"]
TEXT = st.lists(st.sampled_from(PIECES), max_size=5).map("".join)


@st.composite
def field_written(draw, text):
    """A field as some tool writes it: quoted when it must be, or quoted anyway; a stray quote inside an
    unquoted field is read literally by the csv module."""
    needs_quotes = any(c in text for c in ',"\r\n')
    stray_quote_ok = '"' in text and not any(c in text for c in ",\r\n") and not text.startswith('"')
    if stray_quote_ok and draw(st.booleans()):
        return text
    if needs_quotes or draw(st.booleans()):
        return '"' + text.replace('"', '""') + '"'
    return text


@st.composite
def record_line(draw, column):
    """One record: a full row, one with too few or too many fields, or a blank line or record."""
    kind = draw(st.sampled_from(["full", "full", "full", "short", "long", "blank"]))
    if kind == "blank":
        return draw(st.sampled_from(["", "  ", ",,,", '"",""', " , "]))
    width = {"full": WIDTH, "short": draw(st.integers(1, WIDTH - 1)), "long": WIDTH + draw(st.integers(1, 2))}[kind]
    texts = [draw(TEXT) for _ in range(width)]
    if column < width:
        texts[column] = draw(PADDING) + draw(NUMBERS) + draw(PADDING)
    return ",".join([draw(field_written(text)) for text in texts])


@st.composite
def extract_text(draw):
    """customers.csv with customer_number at any position: (text, the column's index)."""
    column = draw(st.integers(0, WIDTH - 1))
    header = [c for c in CUSTOMER_COLUMNS if c != "customer_number"]
    header.insert(column, "customer_number")
    records = draw(st.lists(record_line(column), max_size=14))
    ending = draw(st.sampled_from(["\r\n", "\n", "mixed"]))
    lines = [",".join(header), *records]
    text = ""
    for i, line in enumerate(lines):
        text += line
        if i < len(lines) - 1 or draw(st.booleans()):  # the last line may end without a line ending
            text += draw(st.sampled_from(["\r\n", "\n"])) if ending == "mixed" else ending
    if draw(st.booleans()):
        text = "\ufeff" + text
    return text, column


def numbers_by_line(csv_file: CsvFile, text: str, column: int) -> dict[str, list[int]]:
    """Each customer number's lines, as CsvFile.rows() numbers them. rows() yields every record that is not
    blank, a quarantined one too but without its fields: the fields are the csv module's own reading."""
    records = [r for r in csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")) if any(v.strip() for v in r)]
    rows = list(csv_file.rows())
    assert len(rows) == len(records) - 1  # the header
    lines: dict[str, list[int]] = {}
    for row, fields in zip(rows, records[1:], strict=True):
        if row.error is None:
            assert row.record == fields
        if len(fields) <= column:
            continue
        number = fields[column].strip()
        if number:
            lines.setdefault(number, []).append(row.line)
    return lines


@settings(max_examples=300, deadline=None)
@given(extract_text(), st.sampled_from([1, 7, 64, 1 << 20]))
def test_the_scan_finds_the_last_line_of_every_repeated_number_as_rows_numbers_it(extract, batch_chars):
    text, column = extract
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / CUSTOMERS
        path.write_bytes(text.encode("utf-8"))
        csv_file = CsvFile(path)
        csv_file.read_header()
        assert csv_file.header.index("customer_number") == column
        expected = numbers_by_line(csv_file, text, column)
        with path.open("r", encoding="utf-8-sig", newline="") as fh:
            found = last_lines_of_repeats(fh, column, batch_chars=batch_chars)
        assert found == csv_file.last_lines_of_repeats("customer_number")
    for number, lines in expected.items():
        if len(lines) > 1:
            assert found.get(number) == lines[-1], (number, lines)
    for number, line in found.items():
        # Any number returned (one that only shares a bit of the "seen" filter with another, too) is given
        # its own last line.
        assert number in expected and line == expected[number][-1], (number, line)


def test_the_scan_on_a_hand_made_extract_with_quoted_newlines_and_short_rows():
    text = (
        ",".join(CUSTOMER_COLUMNS) + "\r\n"
        "1001" + "," * (WIDTH - 1) + "\r\n"  # line 2
        '1002,P,"Line one\r\nline two, still in the field",' + "," * (WIDTH - 4) + "\r\n"  # lines 3-4
        "\r\n"  # line 5: blank
        " 1001 ,P\r\n"  # line 6: too few fields, still this number's last record
        '"1002",' + "," * (WIDTH - 2) + "\r\n"  # line 7
        "1003" + "," * (WIDTH - 1)  # line 8, no line ending
    )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / CUSTOMERS
        path.write_text(text, encoding="utf-8", newline="")
        csv_file = CsvFile(path)
        csv_file.read_header()
        assert [row.line for row in csv_file.rows()] == [2, 3, 6, 7, 8]
        found = csv_file.last_lines_of_repeats("customer_number")
    assert {n: found[n] for n in ("1001", "1002")} == {"1001": 6, "1002": 7}
    assert found.get("1003", 8) == 8


# --- through the pull: the last row wins whatever the page size, and a re-run changes nothing -------------------

OLD_DAY = "2026-10-01"


@pytest.fixture(params=[0, 1], ids=["thread-reader", "process-reader"])
def reader_process_rows(request, settings, monkeypatch):
    """0: the extract is read by a thread; 1: by a second process, given the stored digests to leave unchanged
    rows out of its pages (checked to have been used)."""
    settings.DMS_SYNC_READER_PROCESS_ROWS = request.param
    started = []
    real = file_drop.pages_from_reader_process

    def reader_process(*args, **kwargs):
        started.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(file_drop, "pages_from_reader_process", reader_process)
    yield request.param
    assert bool(started) is bool(request.param)


def write(dms_dirs, store, rows, day):
    write_raw_extract(
        dms_dirs[0], store.code, customers=csv_bytes(CUSTOMER_COLUMNS, rows), customer_rows=len(rows), day=day
    )


def pulled(store, **kwargs):
    run = dms_pull(dealership=store, **kwargs)
    assert run.status == "succeeded", run.error
    return run


def state(number):
    customer = Customer.objects.get(dms_number=number)
    return model_to_dict(customer), customer.version, CustomerHistory.objects.filter(customer=customer).count()


@pytest.mark.django_db
@pytest.mark.parametrize("batch_size", [1, 2, 500])
def test_a_customer_repeated_on_two_pages_ends_with_the_last_rows_values_in_one_history_entry(
    dms_dirs, file_store, reader_process_rows, batch_size
):
    others = [customer_row("9102", last_change_date=OLD_DAY), customer_row("9103", last_change_date=OLD_DAY)]
    write(dms_dirs, file_store, [customer_row("9101", city="Oldtown", last_change_date=OLD_DAY), *others], "20261101")
    pulled(file_store)
    before = Customer.objects.get(dms_number="9101")
    # Tonight's extract has the customer twice, with other customers between: with batch sizes 1 and 2 the
    # two rows fall on different pages. The first row also changes the first name; the last does not.
    first = customer_row("9101", city="Firsttown", first_name="Anne", last_change_date="2026-11-01")
    last = customer_row("9101", city="Lasttown", last_name="Smith-Jones", last_change_date="2026-11-02")
    write(dms_dirs, file_store, [first, *others, last], "20261102")

    run = pulled(file_store, batch_size=batch_size)

    customer = Customer.objects.get(dms_number="9101")
    assert (customer.city, customer.last_name, customer.first_name) == ("Lasttown", "Smith-Jones", "Ann")
    assert customer.dms_last_change_date == date(2026, 11, 2)
    assert customer.version == before.version + 1
    (entry,) = CustomerHistory.objects.filter(customer=customer)
    assert {c["field"]: (c["old"], c["new"]) for c in entry.changes} == {
        "city": ("Oldtown", "Lasttown"),
        "last_name": ("Smith", "Smith-Jones"),
    }
    assert (run.updated, run.created) == (1, 0)
    assert "customer 9101 appears again" in " | ".join(run.warnings)

    after = state("9101")
    again = pulled(file_store, batch_size=batch_size)
    assert (again.updated, again.created) == (0, 0)
    assert state("9101") == after


@pytest.mark.django_db
@pytest.mark.parametrize("batch_size", [1, 2, 500])
def test_a_repeated_customer_whose_last_row_is_what_is_on_file_is_left_as_it_is(
    dms_dirs, file_store, reader_process_rows, batch_size
):
    """The earlier row differs from the file, the last one is what the file holds: nothing is applied, even
    where the reading process leaves the last row out as unchanged."""
    on_file = customer_row("9201", city="Oldtown", last_change_date=OLD_DAY)
    others = [customer_row("9202", last_change_date=OLD_DAY), customer_row("9203", last_change_date=OLD_DAY)]
    write(dms_dirs, file_store, [on_file, *others], "20261101")
    pulled(file_store)
    before = state("9201")
    earlier = customer_row("9201", city="Firsttown", last_change_date="2026-11-01")
    write(dms_dirs, file_store, [earlier, *others, on_file], "20261102")

    run = pulled(file_store, batch_size=batch_size)

    assert state("9201") == before
    assert (run.updated, run.created) == (0, 0)
    assert pulled(file_store, batch_size=batch_size).updated == 0
    assert state("9201") == before


@pytest.mark.django_db
@pytest.mark.parametrize("batch_size", [1, 2, 500])
def test_a_new_customer_repeated_on_two_pages_is_created_once_with_the_last_rows_values(
    dms_dirs, file_store, reader_process_rows, batch_size
):
    rows = [
        customer_row("9301", city="Firsttown", first_name="Anne", last_change_date="2026-11-01"),
        customer_row("9302"),
        customer_row("9303"),
        customer_row("9301", city="Lasttown", last_change_date="2026-11-02"),
    ]
    write(dms_dirs, file_store, rows, "20261102")

    run = pulled(file_store, batch_size=batch_size)

    (customer,) = Customer.objects.filter(dms_number="9301")
    assert (customer.city, customer.first_name) == ("Lasttown", "Ann")
    assert customer.dms_last_change_date == date(2026, 11, 2)
    assert run.created == 3
    after = state("9301")
    again = pulled(file_store, batch_size=batch_size)
    assert (again.updated, again.created) == (0, 0)
    assert state("9301") == after
