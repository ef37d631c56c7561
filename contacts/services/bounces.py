"""Email bounces from the provider: webhook batches and bounce-report CSV imports.

Both paths validate every event with BounceEventForm and store the good ones through email_bounces_record,
which is idempotent by provider event id (a unique constraint per store backs it). A CSV export carries no
event id, so the import derives a stable one from the row's content: re-importing a file stores nothing new.
"""

import csv
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import BounceSource, EmailBounce

MAX_FUTURE_SKEW = timedelta(days=1)
CHUNK = 500
CSV_REQUIRED_COLUMNS = ("email", "bounced_at")


class IsoDateTimeField(forms.Field):
    """ISO 8601 date-time ("2026-11-02T14:03:00Z", "+00:00" offsets); a naive value or a bare date is UTC."""

    default_error_messages = {"invalid": _("Enter an ISO 8601 date-time, e.g. 2026-11-02T14:03:00Z.")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            parsed = value
        else:
            text = str(value).strip()
            try:
                parsed = parse_datetime(text)
                if parsed is None:
                    day = parse_date(text)
                    parsed = datetime.combine(day, time.min) if day else None
            except ValueError:
                parsed = None
            if parsed is None:
                raise ValidationError(self.error_messages["invalid"], code="invalid")
        if timezone.is_naive(parsed):
            parsed = parsed.replace(tzinfo=UTC)
        return parsed


class BounceEventForm(forms.Form):
    """One bounce event, as the webhook and the CSV import receive it."""

    id = forms.CharField(max_length=120, required=False)
    email = forms.EmailField(max_length=254)
    bounced_at = IsoDateTimeField()
    campaign = forms.CharField(max_length=120, required=False)
    kind = forms.CharField(max_length=20, required=False)
    reason = forms.CharField(required=False, strip=True)

    def __init__(self, *args, require_id=True, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["id"].required = require_id
        self.now = now or timezone.now()

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean_bounced_at(self):
        value = self.cleaned_data["bounced_at"]
        if value > self.now + MAX_FUTURE_SKEW:
            raise ValidationError(gettext("The bounce time is in the future."), code="future")
        return value

    def clean_kind(self):
        return (self.cleaned_data.get("kind") or "hard").strip().lower()

    def clean_reason(self):
        return self.cleaned_data.get("reason", "")[:500]


def _form_errors(form) -> dict[str, list[str]]:
    return {name: [str(m) for m in messages] for name, messages in form.errors.items()}


def bounce_events_validate(events, *, require_id=True, now=None) -> tuple[list[dict], list[dict]]:
    """Split raw events into cleaned good ones and [{"index", "id", "errors"}] for the bad ones."""
    good, bad = [], []
    for index, raw in enumerate(events):
        if not isinstance(raw, dict):
            bad.append({"index": index, "id": None, "errors": {"__all__": ["An event must be a JSON object."]}})
            continue
        data = {k: v for k, v in raw.items() if isinstance(v, str | int | float)}
        if not data.get("kind") and data.get("type"):
            data["kind"] = data["type"]
        form = BounceEventForm(data, require_id=require_id, now=now)
        if form.is_valid():
            good.append(form.cleaned_data)
        else:
            bad.append({"index": index, "id": str(raw.get("id", "")) or None, "errors": _form_errors(form)})
    return good, bad


@dataclass
class BounceBatchResult:
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "received": self.received,
            "stored": self.stored,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
        }


@transaction.atomic
def email_bounces_record(*, dealership, events: list[dict], source: str = BounceSource.WEBHOOK) -> tuple[int, int]:
    """Store cleaned events for one store; returns (stored, duplicates). Idempotent by provider event id."""
    stored = duplicates = 0
    for start in range(0, len(events), CHUNK):
        chunk = events[start : start + CHUNK]
        ids = {e["id"] for e in chunk}
        existing = set(
            EmailBounce.objects.filter(dealership=dealership, provider_event_id__in=ids).values_list(
                "provider_event_id", flat=True
            )
        )
        rows, seen = [], set()
        for event in chunk:
            event_id = event["id"]
            if event_id in existing or event_id in seen:
                duplicates += 1
                continue
            seen.add(event_id)
            rows.append(
                EmailBounce(
                    dealership=dealership,
                    email=event["email"],
                    bounced_at=event["bounced_at"],
                    campaign=event.get("campaign", ""),
                    kind=event.get("kind") or "hard",
                    reason=event.get("reason", ""),
                    provider_event_id=event_id,
                    source=source,
                )
            )
        # ignore_conflicts: a concurrent delivery of the same event loses the race quietly.
        EmailBounce.objects.bulk_create(rows, ignore_conflicts=True)
        stored += len(rows)
    return stored, duplicates


def bounce_webhook_ingest(*, dealership, events: list, now=None) -> BounceBatchResult:
    good, bad = bounce_events_validate(events, require_id=True, now=now)
    stored, duplicates = email_bounces_record(dealership=dealership, events=good, source=BounceSource.WEBHOOK)
    return BounceBatchResult(received=len(events), stored=stored, duplicates=duplicates, rejected=bad)


def bounce_import_event_id(event: dict) -> str:
    """A stable id for a CSV row that has none, so importing the same report twice stores nothing new."""
    key = "|".join(
        [event["email"], event["bounced_at"].astimezone(UTC).isoformat(), event.get("campaign", ""), event["kind"]]
    )
    return "csv-" + hashlib.sha256(key.encode()).hexdigest()[:40]


@dataclass
class BounceImportResult:
    rows: int = 0
    stored: int = 0
    duplicates: int = 0
    errors: list[tuple[int, dict]] = field(default_factory=list)  # (line number, {field: [messages]})


class ImportFormatError(ValueError):
    """The file as a whole cannot be imported (no header, a required column missing)."""


def _header_map(fieldnames) -> dict[str, str]:
    if not fieldnames:
        raise ImportFormatError(gettext("The file is empty or has no header row."))
    return {(name or "").strip().lower(): name for name in fieldnames}


def bounces_import_csv(*, dealership, stream, now=None) -> BounceImportResult:
    """Import a provider's bounce-report export (columns email, bounced_at, campaign, reason; optional kind/type
    and id). `stream` is a text stream. Bad rows are reported by line; good rows are stored chunk by chunk."""
    reader = csv.DictReader(stream)
    header = _header_map(reader.fieldnames)
    missing = [c for c in CSV_REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ImportFormatError(gettext("Missing column(s): %(columns)s.") % {"columns": ", ".join(missing)})
    result = BounceImportResult()
    pending: list[dict] = []

    def flush():
        stored, dupes = email_bounces_record(dealership=dealership, events=pending, source=BounceSource.IMPORT)
        result.stored += stored
        result.duplicates += dupes
        pending.clear()

    for row in reader:
        result.rows += 1
        data = {key: (row.get(original) or "").strip() for key, original in header.items()}
        if not any(data.values()):
            result.rows -= 1  # blank line
            continue
        if not data.get("kind") and data.get("type"):
            data["kind"] = data["type"]
        form = BounceEventForm(data, require_id=False, now=now)
        if not form.is_valid():
            result.errors.append((reader.line_num, _form_errors(form)))
            continue
        event = dict(form.cleaned_data)
        event["id"] = event["id"] or bounce_import_event_id(event)
        pending.append(event)
        if len(pending) >= CHUNK:
            flush()
    if pending:
        flush()
    return result
