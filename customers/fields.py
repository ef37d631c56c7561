"""The field registry: every customer field a screen, the history, the sync, merge, search, duplicate matching,
suppression or Call Select cares about, declared once.

Each `CustomerField` says what the field is (its one label, its kind and section on Customer Information),
whether the X removes it for good and which value family a removal blocks (a removed number is blocked in every
phone field, a removed address in both email fields), which DMS extract column carries it, which contact method
it serves and how its stored (raw) value is shown. Every other module derives its lists and labels from here:
`PHONE_FIELDS`, `EMAIL_FIELDS`, `REMOVABLE_FIELDS`, `field_label()`, `value_display()`. Nobody lists the phone or
email fields by hand any more, and the history shows the same label whoever made the change.

Values are kept raw everywhere (E.164 phones, lower-case emails, choice codes, ids of related rows, ISO dates);
labels and formatting are applied only when something is shown (`value_display`), in the reader's language: the
labels here are lazy translations, and `field_label` / `value_display` answer in the language active when called.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache

from django.utils.functional import lazy
from django.utils.translation import gettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from .models import (
    ContactMethodKind,
    Country,
    CustomerKind,
    CustomerStatus,
    DayNight,
    Gender,
    Language,
    Relationship,
    VinContactType,
)
from .phones import phone_display


class FieldKind(enum.StrEnum):
    NAME = "name"
    PHONE = "phone"
    EMAIL = "email"
    ADDRESS = "address"
    OTHER = "other"


class ValueFamily(enum.StrEnum):
    """What a removal (Suppression) blocks: the value in every field of its family, however formatted."""

    PHONE = "phone"
    EMAIL = "email"


class Section(enum.StrEnum):
    """Where Customer Information shows an editable field; NONE: kept by the DMS or derived, not edited there."""

    NAME = "name"
    CONTACT = "contact"
    ADDRESS = "address"
    OTHER = "other"
    NONE = ""


class ValueType(enum.StrEnum):
    TEXT = "text"
    PHONE = "phone"
    EMAIL = "email"
    CHOICE = "choice"
    BOOL = "bool"
    DATE = "date"
    INT = "int"
    MONEY = "money"
    REFERENCE = "reference"  # a related row, stored by id


@dataclass(frozen=True)
class CustomerField:
    key: str
    label: str  # a lazy translation: str(label) in the reader's language
    kind: FieldKind
    type: ValueType = ValueType.TEXT
    section: Section = Section.NONE
    family: ValueFamily | None = None
    dms_column: str = ""
    contact_method: str = ""
    choices: tuple[tuple[str, str], ...] = ()

    @property
    def removable(self) -> bool:
        """The X beside the field clears it for good (Suppression + DMS remove request)."""
        return self.family is not None

    @property
    def editable(self) -> bool:
        return self.section is not Section.NONE

    @property
    def is_reference(self) -> bool:
        return self.type is ValueType.REFERENCE

    @property
    def attname(self) -> str:
        """The model attribute holding the raw value (a reference by its id)."""
        return f"{self.key}_id" if self.is_reference else self.key

    def display(self, raw, *, references: dict | None = None) -> str:
        """The human form of a raw value: phones formatted, choices by label, Yes/No, references by name.

        `references` maps a reference field's key to {id: label} when the caller resolved them in bulk."""
        if raw is None or raw == "":
            return ""
        if self.type is ValueType.PHONE:
            return phone_display(str(raw))
        if self.type is ValueType.BOOL:
            return yes_no(raw in (True, "1", "true", "True", 1))
        if self.type is ValueType.CHOICE:
            return str(_choice_labels(self.key).get(str(raw), str(raw)))
        if self.is_reference:
            return (references or {}).get(self.key, {}).get(_id(raw), str(raw))
        if isinstance(raw, date | datetime):
            return raw.isoformat()
        return str(raw)


@cache
def _choice_labels(key: str) -> dict[str, str]:
    """code -> (lazy) label of a field's (immutable) choices, built once per field."""
    return dict(BY_KEY[key].choices)


def yes_no(value: bool) -> str:
    return gettext("Yes") if value else gettext("No")


def _id(raw):
    try:
        return int(raw.pk if hasattr(raw, "pk") else raw)
    except (TypeError, ValueError):
        return raw


F, K, T, S = CustomerField, FieldKind, ValueType, Section

#: In Customer Information's order within each section.
FIELDS: tuple[CustomerField, ...] = (
    # Name Information
    F("first_name", _("First Name"), K.NAME, section=S.NAME, dms_column="first_name"),
    F("middle_name", _("Middle Name"), K.NAME, section=S.NAME, dms_column="middle_name"),
    F("last_name", _("Last Name"), K.NAME, section=S.NAME, dms_column="last_name"),
    F("contact_name", _("Contact Name"), K.NAME, section=S.NAME, dms_column="contact_name"),
    F("other_name", _("Other Name (company)"), K.NAME, section=S.NAME, dms_column="company_name"),
    F("address_to", _("Address To"), K.NAME, section=S.NAME),
    F("status", _("Status"), K.OTHER, T.CHOICE, S.NAME, choices=tuple(CustomerStatus.choices)),
    F("inactive_reason", _("Inactive Reason"), K.OTHER, T.REFERENCE, S.NAME),
    # Contact Information
    F(
        "home_phone",
        pgettext_lazy("phone field", "Home"),
        K.PHONE,
        T.PHONE,
        S.CONTACT,
        ValueFamily.PHONE,
        "home_phone",
        ContactMethodKind.HOME_PHONE,
    ),
    F(
        "work_phone",
        pgettext_lazy("phone field", "Work"),
        K.PHONE,
        T.PHONE,
        S.CONTACT,
        ValueFamily.PHONE,
        "work_phone",
        ContactMethodKind.WORK_PHONE,
    ),
    F("work_ext", _("Work Ext."), K.PHONE, section=S.CONTACT, dms_column="work_ext"),
    F(
        "cell_phone",
        pgettext_lazy("phone field", "Cell"),
        K.PHONE,
        T.PHONE,
        S.CONTACT,
        ValueFamily.PHONE,
        "cell_phone",
        ContactMethodKind.CELL_PHONE,
    ),
    F("fax", _("Fax"), K.PHONE, T.PHONE, S.CONTACT, ValueFamily.PHONE, "fax"),
    F("email1", _("Email 1"), K.EMAIL, T.EMAIL, S.CONTACT, ValueFamily.EMAIL, "email1", ContactMethodKind.EMAIL),
    F("email2", _("Email 2"), K.EMAIL, T.EMAIL, S.CONTACT, ValueFamily.EMAIL, "email2", ContactMethodKind.EMAIL),
    F("default_email", _("Default Email"), K.EMAIL, T.BOOL, S.CONTACT),
    # Address Information
    F("address1", _("Address 1"), K.ADDRESS, section=S.ADDRESS, dms_column="address1", contact_method="mail"),
    F("address2", _("Address 2"), K.ADDRESS, section=S.ADDRESS, dms_column="address2"),
    F("postal_code", _("Postal/Zip"), K.ADDRESS, section=S.ADDRESS, dms_column="postal_code"),
    F("city", _("City"), K.ADDRESS, section=S.ADDRESS, dms_column="city"),
    F("state", _("State/Province"), K.ADDRESS, section=S.ADDRESS, dms_column="state"),
    F("county", _("County"), K.ADDRESS, section=S.ADDRESS, dms_column="county"),
    F("country", _("Country"), K.ADDRESS, T.CHOICE, S.ADDRESS, dms_column="country", choices=tuple(Country.choices)),
    # Other Information
    F("birth_date", _("Birth Date"), K.OTHER, T.DATE, S.OTHER, dms_column="birth_date"),
    F("is_fleet", _("Fleet"), K.OTHER, T.BOOL, S.OTHER),
    F("language", _("Language"), K.OTHER, T.CHOICE, S.OTHER, dms_column="language", choices=tuple(Language.choices)),
    F("gender", _("Gender"), K.OTHER, T.CHOICE, S.OTHER, dms_column="gender", choices=tuple(Gender.choices)),
    F("day_night", _("Day/Night"), K.OTHER, T.CHOICE, S.OTHER, choices=tuple(DayNight.choices)),
    F("preferred_advisor", _("Pref Advisor"), K.OTHER, T.REFERENCE, S.OTHER),
    F("twitter_handle", _("Twitter"), K.OTHER, section=S.OTHER),
    # Kept by the DMS or by their own screens (not edited on Customer Information).
    F("kind", _("Customer Type"), K.OTHER, T.CHOICE, dms_column="customer_type", choices=tuple(CustomerKind.choices)),
    F("preferred_contact_method", _("Preferred Method"), K.OTHER, T.CHOICE, choices=tuple(ContactMethodKind.choices)),
    F("eservice_registered", _("eService Registered"), K.OTHER, T.BOOL, dms_column="eservice"),
    F("star_rating", _("Star Rating"), K.OTHER, T.INT, dms_column="star_rating"),
    F("likely_to_buy", _("Likely To Buy"), K.OTHER, T.INT, dms_column="likely_to_buy"),
    F("labour_sales_total", _("Labour Sales Total"), K.OTHER, T.MONEY, dms_column="labour_sales_total"),
    F("sold_salesperson", _("Sold Salesperson"), K.OTHER, dms_column="sold_salesperson"),
    F("last_sold_date", _("Last Sold Date"), K.OTHER, T.DATE, dms_column="last_sold_date"),
    F("reassigned_salesperson", _("Reassigned Salesperson"), K.OTHER, dms_column="reassigned_salesperson"),
    F("reassigned_date", _("Reassigned Date"), K.OTHER, T.DATE, dms_column="reassigned_date"),
    F("activity_salesperson", _("Activity Salesperson"), K.OTHER, dms_column="activity_salesperson"),
    F("last_activity_date", _("Last Activity Date"), K.OTHER, T.DATE, dms_column="last_activity_date"),
    F("last_contact_date", _("Last Contact"), K.OTHER, T.DATE, dms_column="last_contact_date"),  # an optional column
    F("entered_by_name", _("Entered By"), K.OTHER),
)
del F, K, T, S

BY_KEY: dict[str, CustomerField] = {f.key: f for f in FIELDS}


def fields_where(predicate: Callable[[CustomerField], bool]) -> tuple[CustomerField, ...]:
    return tuple(f for f in FIELDS if predicate(f))


def keys(fields: Iterable[CustomerField]) -> tuple[str, ...]:
    return tuple(f.key for f in fields)


PHONE_FIELDS: tuple[str, ...] = keys(fields_where(lambda f: f.type is ValueType.PHONE))
EMAIL_FIELDS: tuple[str, ...] = keys(fields_where(lambda f: f.type is ValueType.EMAIL))
REMOVABLE_FIELDS: tuple[str, ...] = keys(fields_where(lambda f: f.removable))
EDIT_FIELDS: tuple[str, ...] = keys(fields_where(lambda f: f.editable))
REFERENCE_FIELDS: tuple[str, ...] = keys(fields_where(lambda f: f.is_reference))
BOOL_FIELDS: tuple[str, ...] = keys(fields_where(lambda f: f.type is ValueType.BOOL))
#: The phone fields that are contact methods (fax is not): method -> field.
PHONE_METHOD_FIELDS: dict[str, str] = {
    f.contact_method: f.key for f in FIELDS if f.type is ValueType.PHONE and f.contact_method
}
#: DMS extract column -> field key, for the columns the importer maps one-to-one onto a field.
DMS_COLUMNS: dict[str, str] = {f.dms_column: f.key for f in FIELDS if f.dms_column}
#: The fields the DMS extract fills (and keeps a base of, customers.edits).
DMS_FIELDS: frozenset[str] = frozenset(DMS_COLUMNS.values())


def family_of(key: str) -> ValueFamily | None:
    field = BY_KEY.get(key)
    return field.family if field else None


@cache  # the registry is immutable, and screens ask this per row
def method_fields(method: str) -> tuple[str, ...]:
    """The fields whose value a contact method reaches (Email: either address; Mailing Address: address line 1)."""
    return keys(fields_where(lambda f: f.contact_method == method))


# --- labels and display of audit keys ----------------------------------------------------------------------------
# The history also records changes that are not plain customer fields. Their keys and labels live here too, so
# the history panel, conflict messages and exports take every label from one place.

CONTACT_METHOD_PREFIX = "contact_method:"
VEHICLE_PREFIX = "vehicle:"  # vehicle:<VIN>:<field>, a vehicle's field as the DMS sent it
VIN_TYPE_PREFIX = "vin:"  # vin:<VIN>:<contact type>, a VIN contact type's state (Owns included)
VIN_TYPE_LABELS = {"owns": pgettext_lazy("vehicle", "Owns"), **dict(VinContactType.choices)}

#: Audit keys declared by the apps above this one (e.g. contacts' consent ledger): prefix -> (label, display).
#: They register in their AppConfig.ready(), so this module stays below them and still answers every label.
_EXTENSIONS: dict[str, tuple[Callable[[str], str], Callable[[str, object], str]]] = {}


def register_audit_keys(prefix: str, *, label: Callable[[str], str], display: Callable[[str, object], str]) -> None:
    """Declare how history keys starting with `prefix` are labelled and shown (for keys owned by another app)."""
    _EXTENSIONS[prefix] = (label, display)


def _extension(key: str):
    for prefix, hooks in _EXTENSIONS.items():
        if key.startswith(prefix):
            return hooks
    return None


OTHER_LABELS = {
    "last_verification": _("Last Verification"),
    "merge_parent": _("Merged into"),
    "merge_child": _("Merged file"),
    "merge_relationship": _("Relationship"),
    "association": _("Association"),
    "vehicle": _("Vehicle"),
    "created": pgettext_lazy("history field", "Created"),
    "possible_duplicate": _("Created anyway beside"),  # New customer: a file the identity check listed
}
VEHICLE_LABELS = {
    "year": pgettext_lazy("vehicle", "Year"),
    "make": pgettext_lazy("vehicle", "Make"),
    "model": pgettext_lazy("vehicle", "Model"),
    "delivery_date": _("Delivery Date"),
    "owns": pgettext_lazy("vehicle", "Owns"),
    "vin_check_digit_ok": _("VIN check digit"),
}


_METHOD_LABELS: dict[str, str] = dict(ContactMethodKind.choices)


def field_label(key: str) -> str:
    """The one label of a field or audit key, for every screen and history entry, in the active language.

    Called at request time (a plain str, ready for joins and f-strings); a module-level table wants
    `field_label_lazy`."""
    field = BY_KEY.get(key)
    if field is not None:
        return str(field.label)
    if (hooks := _extension(key)) is not None:
        return str(hooks[0](key))
    if key in OTHER_LABELS:
        return str(OTHER_LABELS[key])
    if key.startswith(CONTACT_METHOD_PREFIX):
        method = key[len(CONTACT_METHOD_PREFIX) :]
        return str(_METHOD_LABELS.get(method, method))
    if key.startswith(VEHICLE_PREFIX) or key.startswith(VIN_TYPE_PREFIX):
        prefix, vin, *rest = key.split(":", 2)
        name = rest[0] if rest else ""
        labels = VEHICLE_LABELS if f"{prefix}:" == VEHICLE_PREFIX else VIN_TYPE_LABELS
        return f"{vin} {labels.get(name, name)}".strip()
    return key.replace("_", " ").capitalize()


#: `field_label` evaluated when shown: for labels taken at import time (model choices, module-level tables).
field_label_lazy = lazy(field_label, str)


_RELATIONSHIP_LABELS: dict[str, str] = dict(Relationship.choices)


def value_display(key: str, raw, *, references: dict | None = None) -> str:
    """How a raw value recorded under `key` reads on screen."""
    field = BY_KEY.get(key)
    if field is not None:
        return field.display(raw, references=references)
    if (hooks := _extension(key)) is not None:
        return hooks[1](key, raw)
    if (key.startswith(CONTACT_METHOD_PREFIX) or key.startswith(VIN_TYPE_PREFIX)) and isinstance(raw, dict):
        sold = key.startswith(VIN_TYPE_PREFIX) and key.endswith(":owns")
        off_word = gettext("Sold/traded") if sold else pgettext("contact method state", "Off")
        return method_state_display(raw, references=references, off_word=off_word)
    if key in ("merge_parent", "merge_child") and not isinstance(raw, dict):  # the other file's id
        found = (references or {}).get("customer", {}).get(_id(raw))
        return found or gettext("Customer #%(id)s") % {"id": raw}
    if key == "merge_relationship":
        return str(_RELATIONSHIP_LABELS.get(raw, str(raw or "")))
    if isinstance(raw, dict) and "customer" in raw:  # a link to another file: merge_parent/child, association
        relationship = _RELATIONSHIP_LABELS.get(raw.get("relationship", ""), "")
        name = customer_name_display(str(raw.get("name", "")))
        if relationship:
            return gettext("%(relationship)s: %(name)s") % {"relationship": relationship, "name": name}
        return name
    if raw is None or raw == "":
        return ""
    if isinstance(raw, bool):
        return yes_no(raw)
    if isinstance(raw, Decimal | date | datetime):
        return raw.isoformat() if not isinstance(raw, Decimal) else str(raw)
    return str(raw)


def method_state_raw(*, is_on: bool, reason_id: int | None) -> dict:
    """The raw value of a contact method's state as the history records it."""
    return {"on": bool(is_on), "reason": None if is_on else reason_id}


def method_state_display(raw: dict, *, references: dict | None = None, off_word: str = "") -> str:
    """On, or Off with its reason's label (`references["reason"]`, resolved in bulk by the reader)."""
    if raw.get("on"):
        return pgettext("contact method state", "On")
    off_word = off_word or pgettext("contact method state", "Off")
    reason = raw.get("reason")
    label = (references or {}).get("reason", {}).get(reason) if reason is not None else None
    return f"{off_word} ({label})" if label else off_word


#: How the history names another customer file. Stored in English inside the raw value (below: the name as it was
#: then); `customer_name_display` shows it in the reader's language.
NO_NAME = "(no name)"
_NUMBERED = re.compile(r"^(?P<name>.*) \(DealerMine # (?P<number>[^()]*)\)$")


def customer_link_raw(customer, *, relationship: str = "") -> dict:
    """The raw value recording another customer file in the history: its id, and its name as it was then."""
    name = f"{customer.display_name or NO_NAME} (DealerMine # {customer.dealermine_number_display})"
    return {"customer": customer.pk, "name": name, **({"relationship": relationship} if relationship else {})}


def customer_describe(name: str, number: str) -> str:
    """A customer file as the history names it (its name, or "(no name)", and its DealerMine number), shown."""
    return gettext("%(name)s (DealerMine # %(number)s)") % {"name": name or gettext("(no name)"), "number": number}


def customer_name_display(stored: str) -> str:
    """A customer file's name as `customer_link_raw` (or a history note) stored it, in the reader's language."""
    match = _NUMBERED.match(stored)
    if match is None:
        return gettext("(no name)") if stored == NO_NAME else stored
    name = match["name"]
    return customer_describe("" if name == NO_NAME else name, match["number"])
