"""Remove requests for a file-drop DMS: one JSON file each in `<outbox>/<DEALERSHIP_CODE>/`, named by the
request's uuid (DESIGN §6).

The file name is the idempotency key: a request whose file already exists was delivered before (a retry after a
lost acknowledgement) and is not written again. The file is written atomically, so the DMS, which picks files up
on its own schedule, never reads half of one.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .base import RemoveOutcome, RemoveResult


def remove_request_payload(request, *, dealership_code: str) -> dict:
    return {
        "uuid": str(request.uuid),
        "idempotency_key": str(request.uuid),
        "dealership": dealership_code,
        "customer_number": request.dms_number,
        "field": request.field,
        "value": request.value,
        "requested_at": request.requested_at.isoformat(),
        "requested_by": request.requested_by.get_username() if request.requested_by_id else "",
    }


def remove_request_write(request, *, path: Path, dealership_code: str) -> RemoveResult:
    """Write the request's file at `path` unless it is there already; a write that fails is retried later."""
    payload = remove_request_payload(request, dealership_code=dealership_code)
    if path.exists():
        return RemoveResult(RemoveOutcome.APPLIED, "already written")
    try:
        atomic_write(path, (json.dumps(payload, indent=2) + "\n").encode("utf-8"))
    except OSError as exc:  # full disk, unmounted share, permissions: try again later
        return RemoveResult(RemoveOutcome.RETRY_LATER, f"cannot write {path}: {exc}")
    return RemoveResult(RemoveOutcome.APPLIED, f"written to {path}")


def atomic_write(path: Path, data: bytes) -> None:
    """`data` as the file `path`, all of it or nothing: written to a temporary file in the same folder, flushed
    to disk, then renamed over `path` (a rename within one file system is atomic)."""
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
