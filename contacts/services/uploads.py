"""CSV files uploaded in Django admin: the opt-out list and the bounce report, through the same services as the
`import_opt_outs` and `import_bounces` commands.

A file that cannot be read as a whole (too big, not UTF-8, binary, no header or a required column missing, a
malformed CSV line) is refused with one clear message and changes nothing: the file is read and decoded before
anything is applied, and the import runs in one transaction that a file-level error rolls back. Rows that are
merely bad (an invalid phone or email, a date that is not a date) are reported by line, as the commands do, and
the good rows are applied.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import PurePath

from django.db import transaction
from django.utils.translation import gettext, pgettext

from .bounces import BounceImportResult, ImportFormatError, bounces_import_csv
from .opt_outs import OptOutImportResult, opt_outs_import

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class UploadError(ValueError):
    """The file as a whole cannot be imported; nothing was applied."""


def _too_large() -> UploadError:
    message = gettext("The file is larger than %(size)s MB: split it.")
    return UploadError(message % {"size": MAX_UPLOAD_BYTES // (1024 * 1024)})


def uploaded_csv_text(uploaded) -> str:
    """The text of an uploaded CSV (UTF-8, a BOM tolerated), or UploadError."""
    if uploaded.size is not None and uploaded.size > MAX_UPLOAD_BYTES:
        raise _too_large()
    raw = uploaded.read(MAX_UPLOAD_BYTES + 1)
    if len(raw) > MAX_UPLOAD_BYTES:
        raise _too_large()
    if not raw.strip():
        raise UploadError(gettext("The file is empty."))
    if b"\x00" in raw:
        raise UploadError(
            gettext("The file is not a text CSV (it holds NUL bytes; a spreadsheet? Save it as CSV UTF-8).")
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = gettext("The file is not UTF-8 text (byte %(byte)s); save it as CSV UTF-8 and upload it again.")
        raise UploadError(message % {"byte": exc.start + 1}) from None


def upload_name(uploaded) -> str:
    return PurePath(uploaded.name or "upload.csv").name[:80]


@dataclass
class UploadResult:
    """What the result page shows: applied, unknown (opt-outs) or already there (bounces), errors by line.

    The labels are in the language of the request (the admin reads them); `lists_unknown` says whether the file's
    keys can be unknown (opt-outs), so the page shows that count."""

    filename: str
    rows: int = 0
    applied: int = 0
    unchanged: int = 0
    unknown: list[tuple[int, str]] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    applied_label: str = ""
    unchanged_label: str = ""
    lists_unknown: bool = False

    def __post_init__(self):
        self.applied_label = self.applied_label or pgettext("upload rows", "applied")
        self.unchanged_label = self.unchanged_label or pgettext("upload rows", "unchanged")


def _import(run):
    try:
        with transaction.atomic():
            return run()
    except ImportFormatError as exc:
        raise UploadError(str(exc)) from None
    except csv.Error as exc:  # a line the CSV reader cannot read: the file is malformed, nothing applied
        raise UploadError(gettext("The file is not a readable CSV: %(error)s.") % {"error": exc}) from None


def opt_outs_upload(*, dealership, uploaded, reason, actor) -> UploadResult:
    """The opt-out list (a cell-number and/or email column, or one 'key' column) for one store."""
    text = uploaded_csv_text(uploaded)
    name = upload_name(uploaded)
    label = f"{name} (uploaded by {actor.get_username()})" if actor is not None else name
    result: OptOutImportResult = _import(
        lambda: opt_outs_import(
            dealership=dealership, stream=io.StringIO(text, newline=""), filename=label, reason=reason
        )
    )
    return UploadResult(
        filename=name,
        rows=result.rows,
        applied=result.turned_off,
        unchanged=result.already_off,
        unknown=list(result.unknown_keys),
        errors=list(result.errors),
        applied_label=pgettext("upload rows", "turned off"),
        unchanged_label=pgettext("upload rows", "already off"),
        lists_unknown=True,
    )


def bounces_upload(*, dealership, uploaded) -> UploadResult:
    """A provider's bounce report (email, bounced_at, campaign, reason; optional kind/type and id) for one store."""
    text = uploaded_csv_text(uploaded)
    result: BounceImportResult = _import(
        lambda: bounces_import_csv(dealership=dealership, stream=io.StringIO(text, newline=""))
    )
    errors = [
        (line, "; ".join(f"{name}: {' '.join(messages)}" for name, messages in problems.items()))
        for line, problems in result.errors
    ]
    return UploadResult(
        filename=upload_name(uploaded),
        rows=result.rows,
        applied=result.stored,
        unchanged=result.duplicates,
        errors=errors,
        applied_label=pgettext("upload rows", "stored"),
        unchanged_label=pgettext("upload rows", "already imported"),
    )
