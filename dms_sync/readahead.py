"""Read the next pages of a pull while the database writes the current one. Performance machinery behind one
seam (`Pull.pages_ahead`): a run's result is the same with or without it, only its time differs.

A pull alternates two kinds of work: reading and hashing rows (Python, in this process) and writing a page
(mostly PostgreSQL's time: COPY, index maintenance, lookups - this process only waits on the socket). Done one
after the other, the run takes the sum of both; with the reading in a thread it takes closer to the larger of
the two, because a thread waiting on the database socket releases the GIL.

Only the adapter's `pages()` runs in the thread: it reads files or calls the DMS API and never touches the
database, whose connections are per thread in Django. A bounded queue keeps at most `depth` pages in memory
ahead of the writer, so memory stays bounded however big the extract is. An exception in the reader reaches
the caller at the point where the page it failed on would have arrived; when the caller stops early (a failed
page, an interrupt), the reader is told to stop and is waited for before the adapter is closed.

Big file-drop extracts are read by a second process instead (`read_ahead_in_process`, below), so reading and
writing run on both cores. What was measured (docs/PERFORMANCE.md, PostgreSQL, 2 cores, 1,000,000 customers,
customers.csv): a first import at 5,996 rows/s (167 s) and an unchanged re-run in 19 s (target 20 s, met), with
the reading process's own peak at 80 MB beside the importer's 160 MB - 271 MB together against a 300 MB target
(met). PERFORMANCE.md records no A/B of this module alone (thread against process against neither).

Hand-written rather than a library: it is twenty lines over `queue` and `threading`, and the stop/propagate
rules above are specific to the pull.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

_DONE = object()
_POLL_SECONDS = 0.1


class _Failed:
    def __init__(self, exc: BaseException):
        self.exc = exc


def _put_unless(buffer: queue.Queue, item, stop: threading.Event) -> bool:
    """Put `item` in the bounded buffer, waiting for room, unless `stop` is set first (then False)."""
    while not stop.is_set():
        try:
            buffer.put(item, timeout=_POLL_SECONDS)
            return True
        except queue.Full:
            continue
    return False


def read_ahead(items: Iterable[T], *, depth: int = 2) -> Iterator[T]:
    """Yield what `items` yields, produced by a background thread up to `depth` items ahead."""
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        return _put_unless(buffer, item, stop)

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            put(_Failed(exc))
            return
        put(_DONE)

    thread = threading.Thread(target=produce, name="dms-pull-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = buffer.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield item
    finally:
        stop.set()
        thread.join()


# --- in another process -------------------------------------------------------------------------------------
# A thread overlaps reading with the database's work, but reading and hashing a big extract is Python work
# that holds the GIL, as does validating and writing the rows in the main thread, so on a large pull the two
# take turns. In a second process they run on two cores. The child only reads files: it never opens a
# database connection. It is a fresh interpreter (`python -m dms_sync.readahead`) talking pickles over a
# pipe, rather than multiprocessing: a spawned multiprocessing child re-runs the parent's main script, and a
# forked one would share the parent's database connection. A bounded queue in the child (and the pipe's
# buffer) bound what is read ahead.

_PROCESS_DONE = "dms-pull-reader:done"
_STREAM_END = "dms-pull-reader:end-of-stream"
_PROCESS_DEPTH = 8  # pages pickled and waiting in the child: about 0.5 MB each for 2,000 customers
_WAIT_SECONDS = 5.0
_PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ReaderProcessError(RuntimeError):
    """The reading process died without reporting an error (killed, out of memory)."""


def child_can_set_up_django() -> bool:
    """Whether a reading process started from here can set Django up: it is a fresh interpreter, which finds
    its settings the way manage.py and the Celery worker do, through DJANGO_SETTINGS_MODULE in the environment
    it inherits. Without it (settings configured in-process) no reading process is started. Process plumbing,
    not a tuning knob, so not a Django setting."""
    return bool(os.environ.get("DJANGO_SETTINGS_MODULE"))


def _child_main() -> None:
    """Entry point of the reading process: set up Django (the adapters import models), read (target, kwargs)
    from stdin, then write what `target(**kwargs)` yields to stdout, one pickle per item. A writer thread
    sends them, so reading goes on while the parent is busy, up to _PROCESS_DEPTH items ahead."""
    # The pickles get the real stdout to themselves; anything printed goes to stderr.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    if child_can_set_up_django():  # before anything is unpickled: the target's module may import models
        import django

        django.setup()
    source = sys.stdin.buffer
    pending: queue.Queue = queue.Queue(maxsize=_PROCESS_DEPTH)
    gone = threading.Event()  # the parent stopped reading

    def write() -> None:
        while (data := pending.get()) is not None:
            try:
                out.write(data)
                out.flush()
            except OSError:  # a broken pipe: the parent closed it
                gone.set()
                return

    def put(item) -> bool:
        try:
            data = pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - an exception that does not pickle travels as its text
            data = pickle.dumps(_Failed(RuntimeError(f"{item!r:.200}: {exc}")), protocol=pickle.HIGHEST_PROTOCOL)
        return _put_unless(pending, data, gone)

    def stream() -> Iterator:
        while (chunk := pickle.load(source)) != _STREAM_END:  # noqa: S301 - from the parent process, over its pipe
            yield chunk

    writer = threading.Thread(target=write, name="dms-pull-reader-writer", daemon=True)
    writer.start()
    try:
        # Unpickling the target imports its module: a failure there reaches the parent like any other.
        target, kwargs, streamed = pickle.load(source)  # noqa: S301 - as above
        if streamed:
            kwargs["stream"] = stream()
        for item in target(**kwargs):
            if not put(item):
                return
        put(_PROCESS_DONE)
    except BaseException as exc:  # handed to the parent, raised there
        put(_Failed(exc))
    finally:
        if not gone.is_set():
            pending.put(None)
            writer.join()


def read_ahead_in_process(target: Callable[..., Iterable], kwargs: dict, *, stream: Iterable | None = None) -> Iterator:
    """Yield what `target(**kwargs)` yields, produced by a second Python process. `target` is a module-level
    function, the child's whole entry point: pickle sends it as a reference that the child imports after
    django.setup(); items and kwargs must pickle. Same contract as read_ahead: an exception in the child is
    raised here where its item would have arrived, and the child is stopped (and waited for) when the caller
    closes the iterator. Raises OSError when no process can be started here.

    `stream`: items sent to the child after kwargs, before anything is read back; the target gets them as
    `stream=` (an iterator) and must read it to its end before it yields its first item."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(_PROJECT_ROOT), *filter(None, [env.get("PYTHONPATH")])])
    process = subprocess.Popen(
        [sys.executable, "-m", "dms_sync.readahead"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        cwd=_PROJECT_ROOT,
    )
    try:
        pickle.dump((target, kwargs, stream is not None), process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        if stream is not None:
            for chunk in stream:
                pickle.dump(chunk, process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            pickle.dump(_STREAM_END, process.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        process.stdin.close()
    except BrokenPipeError:  # the child stopped reading: what it says about why arrives below
        with contextlib.suppress(OSError):
            process.stdin.close()
    except BaseException:
        process.kill()
        process.wait()
        raise
    items = _from_process(process)
    next(items)  # runs into the try block, so closing the iterator stops the child even before the first item
    return items


def _from_process(process) -> Iterator:
    try:
        yield None
        while True:
            try:
                item = pickle.load(process.stdout)  # noqa: S301 - our own child, over its pipe
            except EOFError:
                code = process.wait()
                raise ReaderProcessError(f"the extract reader process ended unexpectedly (exit code {code})") from None
            if isinstance(item, str) and item == _PROCESS_DONE:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield item
    finally:
        process.stdout.close()  # a child still writing gets a broken pipe and exits
        try:
            process.wait(_WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    # Run as `python -m dms_sync.readahead`: the work is done by the module's importable copy, so what it
    # pickles (e.g. _Failed) is unpickled by the parent under the same name.
    from dms_sync.readahead import _child_main as main

    main()
