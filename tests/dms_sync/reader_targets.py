"""Targets for dms_sync.readahead.read_ahead_in_process in the tests: importable by the reading process."""

import os
from pathlib import Path


def numbers(*, count: int):
    yield from range(count)


def numbers_then_error(*, count: int):
    yield from range(count)
    raise ValueError(f"customers.csv line {count + 2}: not readable as CSV")


def dies_after(*, count: int):
    yield from range(count)
    os._exit(3)  # as if killed: no error is reported


def endless_with_pid(*, pid_file: str):
    Path(pid_file).write_text(str(os.getpid()))
    i = 0
    while True:
        yield i
        i += 1
