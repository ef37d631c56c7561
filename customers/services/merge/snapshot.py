"""Which fields a merge copies and remembers, their raw values, and the child's snapshot taken at merge time.

The lists derive from the field registry (customers.fields); the only names listed by hand are the ones the
registry does not express, each with the reason. Values are raw (as stored, JSON-ready through
customers.audit.raw_value); `display_value` shows one through the registry.
"""

from __future__ import annotations

from datetime import datetime

from contacts.services.methods import contact_method_rows
from customers.audit import raw_value
from customers.fields import BY_KEY, EDIT_FIELDS, ValueType

from ...models import Customer

#: Restored together or not at all (an inactive customer always has a reason, a stamp says when and who).
#: inactivated_at / inactivated_by are not registry fields: they are stamps of the status, never edited or shown
#: as fields of their own.
STATUS_GROUP = frozenset({"status", "inactive_reason", "inactivated_at", "inactivated_by"})

#: Parent fields that may be filled from a child when the parent's value is empty (shown side by side): every
#: field of Customer Information but the yes/no ones (never empty) and the status (always set; its reason goes
#: with it). In Customer Information's order.
FILLABLE_FIELDS: tuple[str, ...] = tuple(
    key for key in EDIT_FIELDS if BY_KEY[key].type is not ValueType.BOOL and key not in STATUS_GROUP
)

#: The file's own settings kept outside Customer Information that unmerge gives back too. Listed by hand: the
#: registry does not say which of its other fields are the file's settings and which are facts that keep moving
#: with the child's own DMS record and contact log (sales totals, salespeople, activity dates), which are left
#: as they are.
OWN_SETTINGS = ("kind", "preferred_contact_method", "eservice_registered", "star_rating", "likely_to_buy")

#: The child's own values recorded at merge time and given back by unmerge.
SNAPSHOT_FIELDS: tuple[str, ...] = (
    *EDIT_FIELDS,
    *OWN_SETTINGS,
    *sorted(STATUS_GROUP - set(EDIT_FIELDS)),
)
SNAPSHOT_VERSION = 1


def attname(name: str) -> str:
    """The model attribute holding a field's raw value (a related row by its id)."""
    field = BY_KEY.get(name)
    return field.attname if field else Customer._meta.get_field(name).attname


def field_value(customer: Customer, name: str):
    """A field's raw value on the customer (ids for related rows)."""
    return getattr(customer, attname(name))


def is_empty(value) -> bool:
    return value is None or value == ""


def empty_value(name: str):
    """What an empty field holds: None where the column is nullable, else ""."""
    return None if Customer._meta.get_field(name).null else ""


def display_value(customer: Customer, name: str) -> str:
    """How the registry shows a field's value of this customer (a related row by its name)."""
    field = BY_KEY[name]
    raw = field_value(customer, name)
    references = None
    if field.is_reference and raw is not None:
        references = {name: {raw: str(getattr(customer, name))}}
    return field.display(raw, references=references)


def value_from_raw(name: str, value):
    """A raw (JSON) value recorded in a snapshot, back as the model attribute's value."""
    if value is None:
        return None
    f = Customer._meta.get_field(name)
    if f.is_relation:
        return value
    if f.get_internal_type() == "DateTimeField":
        return datetime.fromisoformat(value)
    return f.to_python(value)


def merge_snapshot_build(child: Customer) -> dict:
    """The child's own state at merge time: field values, contact-method rows; the merge adds what it copied
    into the parent and whether the parent's turn-offs were applied."""
    return {
        "version": SNAPSHOT_VERSION,
        "fields": {name: raw_value(field_value(child, name)) for name in SNAPSHOT_FIELDS},
        "contact_methods": contact_method_rows(child),
        "copied_to_parent": {},
        "turn_offs_applied": False,
    }
