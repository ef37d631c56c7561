"""Who wins, field by field, between a person and the DMS: the three-way merge of DESIGN §6, as pure rules.

The three values of a field: the DMS's new value (this row), the value on file (current), and the base - the
value the DMS last sent. The base is kept compactly (customers.edits): `Customer.dms_base` holds an entry only
while a person's value differs from what the DMS last sent; a field without an entry has its current value as
its base. The rule:

- the DMS's value = base (the DMS did not change the field): the value on file stays, however new the row;
- != base, and no entry (no person changed it): the DMS's value is applied;
- != base, a person's value = the DMS's: nothing to do, they agree (the entry goes);
- != base, a person edited it before the row's last_change_date: the DMS's value is applied, and the history
  says a conflict was resolved (the DMS won);
- != base, a person edited it on or after that day: the person's value stays, the history says the person won
  and what the DMS sent, and the DMS's value becomes the base (the same row is not news the next night).

A value the DMS sends that a person removed for good (a Suppression in its family) is not applied, and becomes
the base so the same row is not news the next night. The allow_* flags follow the same rule: their base is the
flag the DMS last sent (an entry only for N; none means Y), each method's state is the value on file, and a state
a person (or an import) set is theirs (`contacts.models.ContactMethod.changed_at` is their time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

from customers.audit import Conflict
from customers.edits import same_raw

#: `Decision.base` when the field keeps no entry: its base is the value on file after the row.
NO_ENTRY = object()


@dataclass(frozen=True)
class Decision:
    apply: bool
    #: "" or who won a conflict (customers.audit.Conflict).
    conflict: str
    #: The field's dms_base entry after the row: a raw value, or NO_ENTRY.
    base: object


def field_decide(
    *, new, current, has_base: bool, base, edited_at: str | None, row_date: date | None, tz: ZoneInfo
) -> Decision:
    """The DMS's `new` raw value for a field whose raw value on file is `current`; `has_base`/`base` is the
    field's dms_base entry, `edited_at` a person's last edit of it (ISO text, customers.edits), `row_date` the
    row's last_change_date."""
    if not has_base:
        if same_raw(new, current):
            return Decision(False, "", NO_ENTRY)
        return Decision(True, "", NO_ENTRY)  # the DMS changed it; no person did
    if same_raw(new, base):
        return Decision(False, "", base)  # the DMS did not change it: the person's value stays
    if same_raw(new, current):
        return Decision(False, "", NO_ENTRY)  # both changed it the same way
    if dms_is_later(row_date, edited_at, tz):
        return Decision(True, Conflict.DMS, NO_ENTRY)
    return Decision(False, Conflict.PERSON, new)


def dms_is_later(row_date: date | None, edited_at: str | datetime | None, tz: ZoneInfo) -> bool:
    """Whether the DMS's change (its row's last_change_date, a day) is later than a person's edit. A person's
    edit on that day or after wins; so does one against a row with no date. No known edit time: the DMS wins."""
    if edited_at is None:
        return True
    if isinstance(edited_at, str):
        try:
            edited_at = datetime.fromisoformat(edited_at)
        except ValueError:
            return True
    if row_date is None:
        return False
    if timezone.is_naive(edited_at):
        edited_at = timezone.make_aware(edited_at, tz)
    return edited_at.astimezone(tz).date() < row_date


def flag_changed(*, sent: bool, base_entry) -> bool:
    """Whether the DMS changed an allow_* flag since it last sent it (`base_entry`: the dms_base entry, None
    when there is none, meaning Y)."""
    return sent != (base_entry if isinstance(base_entry, bool) else True)


def flag_base_entry(sent: bool):
    """The dms_base entry that remembers a sent flag: only N is kept."""
    return NO_ENTRY if sent else False
