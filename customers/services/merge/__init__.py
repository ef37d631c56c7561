"""Merge customers into a family under a parent, and undo it.

A merge never moves or deletes rows: children keep their vehicles, associations, repair orders, bounces,
history and DMS numbers (the nightly sync keeps updating them by their own numbers). What a merge writes:
- on each child: merge_parent, merge_relationship, merged_at and merge_snapshot (the child's own field values
  and contact-method rows at merge time, plus which values were copied into the parent);
- on the parent: the empty fields the user chose to fill from a child (a person's edit: `user_edited_at`);
- for non-Duplicate children whose parent's turn-offs the user chose to apply: their contact methods turned
  off like the parent's, through the one contact-state writer (contacts.services.methods);
- one history entry (source "merge", raw values through customers.audit) on every file involved.
Duplicate children follow the parent's contact methods at read time (Call Select and search skip them).

Modules: `snapshot` (which fields are filled and remembered, raw values, the snapshot), `validation` (the
checks, run before anything is written), `merge` and `unmerge` (the writes).
"""

from .merge import MergeResult, customer_merge
from .snapshot import (
    FILLABLE_FIELDS,
    SNAPSHOT_FIELDS,
    display_value,
    field_value,
    is_empty,
    merge_snapshot_build,
)
from .unmerge import customer_unmerge, takeable_fields
from .validation import MERGE_RELATIONSHIPS, MergeError, describe

__all__ = [
    "FILLABLE_FIELDS",
    "MERGE_RELATIONSHIPS",
    "SNAPSHOT_FIELDS",
    "MergeError",
    "MergeResult",
    "customer_merge",
    "customer_unmerge",
    "describe",
    "display_value",
    "field_value",
    "is_empty",
    "merge_snapshot_build",
    "takeable_fields",
]
