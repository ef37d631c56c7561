"""The audit log's one writer: customer history and Turn Off history, single and bulk.

Every service that changes a file records it through here, Zulip-style: the action that validates and writes
also records the audit row in the same transaction. One history entry per save: who (a user, or a label such as
"DMS sync" / "import: optouts.csv"), the source, the action (`AuditAction`, declared) and each change as
{field: key, old: raw, new: raw}. Raw means the stored value (E.164 phone, choice code, related row id, ISO
date, a contact method's {on, reason}); labels and formatting come from the field registry when the entry is
shown (customers.selectors.history), so an entry reads the same whoever wrote it, and unmerge or any later
reader can trust the values as data.

Texts stored with an entry (actor label, note, Turn Off comment) are stored as the product writes them, in English:
a lazy translation handed in is stored in English whatever the writer's language (`stored_text`), and the
history panel translates the product's own texts when it shows them.

Bulk writers (the DMS sync, consent expiry, opt-out imports) build unsaved rows with `history_entry` /
`turn_off_entry` and save them with `audit_bulk_save`, so the bulk path records exactly what the single path
does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from dealermine.bulk import bulk_insert

from .models import AuditAction, CustomerHistory, HistorySource, TurnOffEvent, TurnOffTarget

# As sets: a choices class's `.values` builds a new list on every read, and a big pull checks thousands of rows.
_ACTIONS = frozenset(AuditAction.values)
_TARGETS = frozenset(TurnOffTarget.values)


def raw_value(value: Any):
    """A value as the audit log stores it (JSON): ids for related rows, ISO text for dates, str for money."""
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class Conflict(models.TextChoices):
    """Who won when a person and the DMS both changed a field (dms_sync.precedence)."""

    DMS = "dms", _("the DMS's newer value replaced a person's edit")
    PERSON = "person", _("a person's newer edit was kept")


def stored_text(text) -> str:
    """Text as the audit log stores it: a lazy translation (e.g. `HistorySource.DMS_SYNC.label`) in English, the
    source language, whoever is writing; plain text as given."""
    if isinstance(text, Promise):
        with translation.override(None):
            return str(text)
    return text


@dataclass(frozen=True)
class Change:
    """One field's change: its registry key (or audit key, see customers.fields) and raw old/new values.

    A change that resolved a conflict between a person and the DMS says who won (`conflict`); when the person's
    value was kept (old = new), `other` is the value the DMS sent."""

    key: str
    old: Any = None
    new: Any = None
    conflict: str = ""
    other: Any = None

    def as_json(self) -> dict:
        data = {"field": self.key, "old": raw_value(self.old), "new": raw_value(self.new)}
        if self.conflict:
            data["conflict"] = self.conflict
            if self.conflict == Conflict.PERSON:
                data["other"] = raw_value(self.other)
        return data


def history_entry(
    *,
    customer=None,
    customer_id=None,
    action: AuditAction | str,
    changes: Iterable[Change],
    actor=None,
    source=HistorySource.USER,
    actor_label="",
    note="",
    now=None,
) -> CustomerHistory:
    """An unsaved history entry (for `audit_bulk_save`)."""
    if action not in _ACTIONS:
        raise ValueError(f"{action!r} is not a declared audit action")
    return CustomerHistory(
        customer=customer,
        customer_id=customer_id if customer is None else customer.pk,
        created_at=now or timezone.now(),
        actor=actor,
        source=source,
        actor_label=stored_text(actor_label)[:120],
        action=action,
        changes=[c.as_json() for c in changes],
        note=stored_text(note)[:500],
    )


def history_record(**kwargs) -> CustomerHistory:
    """Write one history entry in the caller's transaction; see `history_entry` for the arguments."""
    entry = history_entry(**kwargs)
    entry.save()
    return entry


def turn_off_values(
    *,
    customer=None,
    customer_id=None,
    target: TurnOffTarget | str,
    code: str,
    is_on: bool,
    reason=None,
    reason_id=None,
    vehicle=None,
    comment: str = "",
    actor=None,
    actor_label: str = "",
    now=None,
) -> dict:
    """A Turn Off history row as attname -> value: what `turn_off_entry` builds, and what the bulk writers
    hand to `audit_bulk_save` (a big pull writes thousands; a model instance costs more than its row)."""
    if target not in _TARGETS:
        raise ValueError(f"{target!r} is not a Turn Off target")
    return {
        "customer_id": customer_id if customer is None else customer.pk,
        "vehicle_id": vehicle.pk if vehicle is not None else None,
        "target": str(target),
        "code": code,
        "is_on": is_on,
        "reason_id": reason_id if reason is None else reason.pk,
        "comment": stored_text(comment)[:500],
        "actor_id": actor.pk if actor is not None else None,
        "actor_label": stored_text(actor_label)[:120],
        "created_at": now or timezone.now(),
    }


def turn_off_entry(**kwargs) -> TurnOffEvent:
    """An unsaved Turn Off history row; see `turn_off_values` for the arguments."""
    return TurnOffEvent(**turn_off_values(**kwargs))


def turn_off_record(**kwargs) -> TurnOffEvent:
    """Write one Turn Off history row in the caller's transaction; see `turn_off_entry` for the arguments."""
    event = turn_off_entry(**kwargs)
    event.save()
    return event


def audit_bulk_save(*, history: Iterable[CustomerHistory] = (), turn_offs: Iterable[TurnOffEvent | dict] = ()) -> None:
    """Save entries built by `history_entry` and rows built by `turn_off_entry` / `turn_off_values` in bulk
    (the pull, imports, merge): through dealermine.bulk, i.e. COPY on PostgreSQL for big batches."""
    history = list(history)
    turn_offs = list(turn_offs)
    if history:
        bulk_insert(CustomerHistory, history)
    if turn_offs:
        if isinstance(turn_offs[0], TurnOffEvent):
            bulk_insert(TurnOffEvent, turn_offs)
        else:
            bulk_insert(TurnOffEvent, iter(turn_offs))  # dicts of attname -> value
