"""A person's edit of a customer's fields, stamped in one place.

Every service through which a person changes a field (Customer Information, the remove X, the merge screen's
fills and unmerge's take-backs, the preferred method) calls `person_edits_stamp` with the changes it is about
to save. It records two facts the nightly DMS pull needs to decide who wins, field by field (dms_sync.precedence,
DESIGN §6 "three-way merge"):
- `user_edited_at[field]`: when a person last edited the field (the later change wins a conflict);
- `dms_base[field]`: the value the DMS last sent, kept only while a person's value differs from it. A field
  without an entry has its current value as its base; the first edit of such a field records the value it had
  (the DMS's), and an edit back to the DMS's value drops the entry (nothing left to protect). A customer without
  a DMS number has no DMS base to keep.
"""

from __future__ import annotations

from collections.abc import Iterable

from .audit import Change, raw_value
from .fields import DMS_FIELDS

#: The customer fields the stamp writes; a caller saving with update_fields adds them.
STAMP_FIELDS = ("user_edited_at", "dms_base")


def person_edits_stamp(customer, changes: Iterable[Change], *, now) -> None:
    """Record on `customer` (unsaved) that a person changed these fields, each from `old` to `new`."""
    stamp = now.isoformat()
    edited = dict(customer.user_edited_at or {})
    base = dict(customer.dms_base or {})
    for change in changes:
        edited[change.key] = stamp
        if change.key not in DMS_FIELDS or not customer.dms_number:
            continue
        new = raw_value(change.new)
        if change.key not in base:
            base[change.key] = raw_value(change.old)
        if same_raw(base[change.key], new):
            del base[change.key]
    customer.user_edited_at = edited
    customer.dms_base = base


def same_raw(a, b) -> bool:
    """Raw values compared as the DMS sends them: no value is "" or None alike (also dms_sync.precedence)."""
    return (a if a is not None else "") == (b if b is not None else "")
