"""dms_sync.readahead: the pull's pages read by a thread or a second process, in order, with errors and early stops
kept."""

import os
import threading

import pytest

from dms_sync.readahead import ReaderProcessError, read_ahead, read_ahead_in_process

from . import reader_targets


def test_items_arrive_in_order_and_all_of_them():
    assert list(read_ahead(iter(range(1000)), depth=3)) == list(range(1000))


def test_the_reader_runs_at_most_depth_items_ahead():
    produced = []
    release = threading.Event()

    def items():
        for i in range(10):
            produced.append(i)
            yield i

    pages = read_ahead(items(), depth=2)
    assert next(pages) == 0
    release.wait(0.3)  # give the reader time to run as far ahead as it may
    # One handed over, two in the queue, one more produced and waiting for a free slot.
    assert len(produced) <= 4
    assert list(pages) == list(range(1, 10))


def test_an_error_in_the_reader_reaches_the_caller_after_the_pages_before_it():
    def items():
        yield 1
        yield 2
        raise ValueError("customers.csv line 3: not readable as CSV")

    got = []
    with pytest.raises(ValueError, match="line 3"):
        for item in read_ahead(items()):
            got.append(item)
    assert got == [1, 2]


def test_closing_early_stops_the_reader_before_returning():
    pages = read_ahead(iter(range(1_000_000)), depth=2)
    assert next(pages) == 0
    pages.close()
    # The reader has stopped (not drained a million items) and its thread is gone when close() returns.
    assert not any(t.name == "dms-pull-read-ahead" for t in threading.enumerate())


# --- in another process (big file-drop extracts) -------------------------------------------------------------
def test_a_reader_process_sends_every_item_in_order():
    assert list(read_ahead_in_process(reader_targets.numbers, {"count": 5000})) == list(range(5000))


def test_an_error_in_the_reader_process_reaches_the_caller_after_the_items_before_it():
    got = []
    with pytest.raises(ValueError, match="line 5: not readable"):
        for item in read_ahead_in_process(reader_targets.numbers_then_error, {"count": 3}):
            got.append(item)
    assert got == [0, 1, 2]


def test_a_reader_process_that_dies_fails_the_read_instead_of_ending_it_quietly():
    got = []
    with pytest.raises(ReaderProcessError, match="exit code 3"):
        for item in read_ahead_in_process(reader_targets.dies_after, {"count": 2}):
            got.append(item)
    assert got == [0, 1][: len(got)]  # what it had not sent yet is lost with it, never reordered


def test_closing_early_stops_the_reader_process(tmp_path):
    pid_file = tmp_path / "pid"
    items = read_ahead_in_process(reader_targets.endless_with_pid, {"pid_file": str(pid_file)})
    assert next(items) == 0
    items.close()
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):  # stopped and reaped, not left running
        os.kill(pid, 0)
