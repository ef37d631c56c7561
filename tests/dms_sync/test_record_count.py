"""The manifest's row count without a full CSV parse (dms_sync.adapters.file_drop_scan.count_records) must count
exactly what the csv module reads: any disagreement would fail a good extract or pass a bad one."""

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dms_sync.adapters.file_drop_scan import count_records

# Pieces that matter to CSV: separators, quotes (opening, inside, doubled, stray), every line ending,
# whitespace the strip() of a blank check sees (incl. NBSP and the \x1f separator), NUL, non-ASCII text.
PIECES = ["a", "7", ",", '"', '""', "\n", "\r", "\r\n", " ", "\t", "\xa0", "\x1f", "\x00", "é", "Zoë", ",,", '"x,y"']


def csv_count(text: str) -> int:
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader, None)
    return sum(1 for record in reader if record and any(v.strip() for v in record))


def fast_count(text: str, batch_chars: int) -> int:
    return count_records(io.StringIO(text, newline=""), batch_chars=batch_chars)


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60), st.sampled_from([1, 7, 64, 1 << 20]))
def test_the_count_agrees_with_the_csv_module_on_any_text(pieces, batch_chars):
    text = "".join(pieces)
    assert fast_count(text, batch_chars) == csv_count(text)


def test_quoted_newlines_across_batches_blank_lines_and_blank_records():
    text = (
        "customer_number,address1\r\n"
        '1,"12 King St,\r\nUnit 4"\r\n'
        "\r\n"  # blank line
        ",  ,\r\n"  # a record of blank fields
        '"",""\r\n'  # the same, quoted
        "2,\xa0Main St\r\n"
        "3,x"  # no final line end
    )
    for batch_chars in (1, 5, 30, 1 << 20):
        assert fast_count(text, batch_chars) == 3 == csv_count(text)


def test_an_unterminated_quote_runs_to_the_end_as_the_csv_module_reads_it():
    text = 'n,a\n1,"open\n2,b\n3,c\n'
    assert fast_count(text, 4) == csv_count(text) == 1


def test_a_field_over_the_csv_modules_limit_is_an_error_as_with_the_csv_module():
    text = "n,a\n1," + "x" * (csv.field_size_limit() + 1) + "\n2,b\n"
    with pytest.raises(csv.Error, match="field larger than field limit"):
        csv_count(text)
    for batch_chars in (4, 1 << 20):
        with pytest.raises(csv.Error, match="field larger than field limit"):
            fast_count(text, batch_chars)
