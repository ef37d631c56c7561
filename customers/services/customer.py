"""Customer Information writes: the edit-screen save, Verified Info and the remove (X) of a phone or email.

Every rule of the screen is checked here (`customer_clean_data`), so a form, an import or a test calling the
service directly get the same answer; the form only maps the errors beside its fields.
"""

import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from contacts.models import TurnOffEvent, TurnOffTarget
from dms_sync import outbox

from ..models import (
    Country,
    Customer,
    CustomerHistory,
    CustomerStatus,
    DayNight,
    Gender,
    Language,
    ServiceAdvisor,
    TurnOffReason,
    VerificationStamp,
)
from ..phones import phone_display, phone_normalize
from ..postal import postal_guess_country, postal_normalize
from .history import history_record

# (field, label) in screen order. The labels are the ones history and conflict messages show.
NAME_FIELDS = [
    ("first_name", "First Name"),
    ("middle_name", "Middle Name"),
    ("last_name", "Last Name"),
    ("contact_name", "Contact Name"),
    ("other_name", "Other Name"),
    ("address_to", "Address To"),
    ("status", "Status"),
    ("inactive_reason", "Inactive Reason"),
]
CONTACT_FIELDS = [
    ("home_phone", "Home"),
    ("work_phone", "Work"),
    ("work_ext", "Work Ext."),
    ("cell_phone", "Cell"),
    ("fax", "Fax"),
    ("email1", "Email 1"),
    ("email2", "Email 2"),
    ("default_email", "Default Email"),
]
ADDRESS_FIELDS = [
    ("address1", "Address 1"),
    ("address2", "Address 2"),
    ("postal_code", "Postal/Zip"),
    ("city", "City"),
    ("state", "State/Province"),
    ("county", "County"),
    ("country", "Country"),
]
OTHER_FIELDS = [
    ("birth_date", "Birth Date"),
    ("is_fleet", "Fleet"),
    ("language", "Language"),
    ("gender", "Gender"),
    ("day_night", "Day/Night"),
    ("preferred_advisor", "Pref Advisor"),
    ("twitter_handle", "Twitter"),
]
EDIT_FIELDS = NAME_FIELDS + CONTACT_FIELDS + ADDRESS_FIELDS + OTHER_FIELDS
FIELD_LABELS = dict(EDIT_FIELDS)
PHONE_FIELDS = ("home_phone", "work_phone", "cell_phone", "fax")
EMAIL_FIELDS = ("email1", "email2")
REMOVABLE_FIELDS = PHONE_FIELDS + EMAIL_FIELDS
FK_FIELDS = ("inactive_reason", "preferred_advisor")
BOOL_FIELDS = ("default_email", "is_fleet")
CHOICE_FIELDS = {
    "status": dict(CustomerStatus.choices),
    "country": dict(Country.choices),
    "language": dict(Language.choices),
    "gender": dict(Gender.choices),
    "day_night": dict(DayNight.choices),
}
TWITTER_RE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
EXT_RE = re.compile(r"^[0-9]{1,10}$")
EARLIEST_BIRTH_DATE = date(1900, 1, 1)


class CustomerConflict(Exception):
    """Someone saved the customer after the form was loaded; nothing was written.

    `changes` lists the fields that differ from what the form loaded: {field, label, new, value} where `new` is
    the display form and `value` the raw current value (for re-filling a form).
    """

    def __init__(self, *, changes, version, changed_by=""):
        self.changes = changes
        self.version = version
        self.changed_by = changed_by
        super().__init__(self.message)

    @property
    def message(self):
        who = f" by {self.changed_by}" if self.changed_by else ""
        if not self.changes:
            return f"This customer was changed{who} after you opened it. Nothing was saved; review and Save again."
        parts = "; ".join(f"{c['label']} is now “{c['new'] or '(blank)'}”" for c in self.changes)
        return f"This customer was changed{who} after you opened it: {parts}. Nothing was saved; review and Save again."


@dataclass
class _Change:
    field: str
    label: str
    old: str
    new: str
    extra: dict = dc_field(default_factory=dict)

    def as_json(self):
        return {"field": self.field, "label": self.label, "old": self.old, "new": self.new}


# --- value helpers -------------------------------------------------------------------------------------------


def field_raw(customer, name):
    """The comparable raw value of an edit field (FKs by id)."""
    if name in FK_FIELDS:
        return getattr(customer, f"{name}_id")
    return getattr(customer, name)


def serialize_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "pk"):
        return str(value.pk)
    return str(value)


def customer_snapshot(customer) -> dict[str, str]:
    """What the form was loaded with, serialized; compared with the database when versions differ."""
    return {name: serialize_value(field_raw(customer, name)) for name, _ in EDIT_FIELDS}


def field_display(name, value) -> str:
    """Human form of a field value for history and messages: phones formatted, choices by label, Yes/No."""
    if value is None or value == "":
        return ""
    if name in PHONE_FIELDS:
        return phone_display(value)
    if name in BOOL_FIELDS:
        return "Yes" if value else "No"
    if name in CHOICE_FIELDS:
        return str(CHOICE_FIELDS[name].get(value, value))
    if name == "inactive_reason":
        reason = value if isinstance(value, TurnOffReason) else TurnOffReason.objects.filter(pk=value).first()
        return reason.label if reason else str(value)
    if name == "preferred_advisor":
        advisor = value if isinstance(value, ServiceAdvisor) else ServiceAdvisor.objects.filter(pk=value).first()
        return advisor.name if advisor else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def status_reasons(*, dealership, include=None):
    """Active reason codes for inactivating a customer: the store's own and the global ones."""
    qs = TurnOffReason.objects.filter(Q(dealership=dealership) | Q(dealership__isnull=True), applies_to_status=True)
    cond = Q(is_active=True)
    if include is not None:
        cond |= Q(pk=include.pk if hasattr(include, "pk") else include)
    return qs.filter(cond)


def store_advisors(*, dealership, include=None):
    cond = Q(is_active=True)
    if include is not None:
        cond |= Q(pk=include.pk if hasattr(include, "pk") else include)
    return ServiceAdvisor.objects.filter(cond, dealership=dealership)


def twitter_normalize(value: str) -> str:
    value = (value or "").strip()
    if value.startswith("@"):
        value = value[1:]
    if not value:
        return ""
    if not TWITTER_RE.match(value):
        raise ValidationError(
            "A Twitter handle is 1-15 letters, digits or underscores (the @ is optional).", code="twitter_invalid"
        )
    return value


def email_normalize(value: str) -> str:
    value = (value or "").strip().lower()
    if value:
        validate_email(value)
    return value


# --- validation ----------------------------------------------------------------------------------------------


def customer_clean_data(*, customer, data) -> dict:
    """Validate and normalize edit-screen data for `customer`; return the cleaned values.

    `data` may hold any subset of EDIT_FIELDS (FKs as instances or ids). Raises ValidationError with a dict of
    field -> messages, so callers can show each error beside its field.
    """
    errors: dict[str, list] = {}
    cleaned: dict = {}
    store = customer.dealership
    region = store.country or "US"

    def err(name, message):
        errors.setdefault(name, []).append(message)

    unknown = set(data) - set(FIELD_LABELS)
    if unknown:
        raise ValueError(f"Not editable here: {sorted(unknown)}")

    for name, value in data.items():
        if name in FK_FIELDS or name in BOOL_FIELDS or name == "birth_date":
            continue
        value = "" if value is None else str(value).strip()
        max_length = Customer._meta.get_field(name).max_length
        try:
            if name in PHONE_FIELDS:
                value = phone_normalize(value, region=region)
            elif name in EMAIL_FIELDS:
                value = email_normalize(value)
            elif name == "work_ext":
                value = value.lstrip("xX#").strip()
                if value and not EXT_RE.match(value):
                    raise ValidationError("Enter the extension as digits only (up to 10).")
            elif name == "twitter_handle":
                value = twitter_normalize(value)
            elif name in CHOICE_FIELDS:
                if value and value not in CHOICE_FIELDS[name]:
                    raise ValidationError("Select a valid choice.")
                if name == "status" and not value:
                    raise ValidationError("Select a status.")
        except ValidationError as exc:
            err(name, exc.messages[0])
            continue
        if name != "postal_code" and max_length and len(value) > max_length:
            err(name, f"Use at most {max_length} characters.")
            continue
        cleaned[name] = value

    for name in BOOL_FIELDS:
        if name in data:
            cleaned[name] = bool(data[name])

    if "birth_date" in data:
        birth_date = data["birth_date"] or None
        if birth_date is not None:
            if not isinstance(birth_date, date):
                err("birth_date", "Enter a valid date.")
            elif birth_date > timezone.localdate():
                err("birth_date", "The birth date cannot be in the future.")
            elif birth_date < EARLIEST_BIRTH_DATE:
                err("birth_date", "The birth date cannot be before 1900.")
        cleaned["birth_date"] = birth_date

    # Postal code: normalized for the customer's country (or the code's own shape, or the store's country).
    if "postal_code" in data and "postal_code" not in errors:
        country = cleaned.get("country", customer.country) if "country" not in errors else ""
        guessed = postal_guess_country(cleaned["postal_code"])
        if country and guessed and guessed != country:
            err(
                "postal_code",
                f"This looks like a {'Canadian postal' if guessed == 'CA' else 'US ZIP'} code but the country is "
                f"{CHOICE_FIELDS['country'][country]}.",
            )
        else:
            try:
                cleaned["postal_code"] = postal_normalize(cleaned["postal_code"], country or guessed or region)
            except ValidationError as exc:
                err("postal_code", exc.messages[0])

    if "preferred_advisor" in data:
        advisor = data["preferred_advisor"] or None
        if advisor is not None:
            advisor_id = advisor.pk if hasattr(advisor, "pk") else advisor
            advisor = store_advisors(dealership=store, include=customer.preferred_advisor_id).filter(pk=advisor_id)
            advisor = advisor.first()
            if advisor is None:
                err("preferred_advisor", "Choose one of this store's service advisors.")
        cleaned["preferred_advisor"] = advisor

    # Status and its reason are judged together, on the resulting state.
    status = cleaned.get("status", customer.status)
    if "status" in data or "inactive_reason" in data:
        if status == CustomerStatus.INACTIVE:
            reason = data.get("inactive_reason", customer.inactive_reason)
            if not reason:
                err("inactive_reason", "Choose the reason code for making this customer inactive.")
            else:
                reason_id = reason.pk if hasattr(reason, "pk") else reason
                # A reason deactivated since the customer was made inactive may stay; a new choice must be active.
                keep = customer.inactive_reason_id if customer.status == CustomerStatus.INACTIVE else None
                reason = status_reasons(dealership=store, include=keep).filter(pk=reason_id).first()
                if reason is None:
                    err("inactive_reason", "Choose an active reason code for inactivating customers.")
            cleaned["inactive_reason"] = reason
        else:
            cleaned["inactive_reason"] = None

    # "Default Email" checked: Email 1 is required to save.
    default_email = cleaned.get("default_email", customer.default_email)
    email1 = cleaned.get("email1", customer.email1)
    if default_email and not email1 and "email1" not in errors:
        err("email1", "Email 1 is required when Default Email is checked (or uncheck Default Email).")

    if errors:
        raise ValidationError(errors)
    return cleaned


# --- writes --------------------------------------------------------------------------------------------------


def _history(*, customer, actor, action, changes, note="", now=None):
    return history_record(customer=customer, actor=actor, action=action, changes=changes, note=note, now=now)


def _lock(customer) -> Customer:
    return (
        Customer.objects.select_for_update(of=("self",))
        .select_related("dealership", "inactive_reason", "preferred_advisor")
        .get(pk=customer.pk)
    )


def _copy_back(target, source, names):
    for name in names:
        setattr(target, name, getattr(source, name))


def _last_changed_by(customer) -> str:
    entry = CustomerHistory.objects.filter(customer=customer).select_related("actor").first()
    return entry.who if entry else ""


@transaction.atomic
def customer_update(*, customer, data, actor, expected_version, original=None) -> Customer:
    """Save the Customer Information screen.

    Refuses with CustomerConflict when the row's version is not the one the form loaded, naming the fields
    that changed meanwhile (compared with `original`, the snapshot the form carried, or else with the
    `customer` instance as the caller loaded it). Otherwise applies the changes, bumps the version, records
    `user_edited_at` per changed field and writes one history entry (none when nothing changed).
    """
    current = _lock(customer)
    if current.version != expected_version:
        baseline = original if original is not None else customer_snapshot(customer)
        now_values = customer_snapshot(current)
        changes = [
            {
                "field": name,
                "label": label,
                "new": field_display(name, getattr(current, name)),
                "value": now_values[name],
            }
            for name, label in EDIT_FIELDS
            if name in baseline and baseline[name] != now_values[name]
        ]
        raise CustomerConflict(changes=changes, version=current.version, changed_by=_last_changed_by(current))

    cleaned = customer_clean_data(customer=current, data=data)
    now = timezone.now()
    changes: list[_Change] = []
    update_fields = set()
    for name, label in EDIT_FIELDS:
        if name not in cleaned:
            continue
        new = cleaned[name]
        new_raw = new.pk if name in FK_FIELDS and new is not None else new
        old = getattr(current, name)
        if field_raw(current, name) == new_raw:
            continue
        changes.append(_Change(name, label, field_display(name, old), field_display(name, new)))
        setattr(current, name, new)
        update_fields.add(name)
    if not changes:
        return current

    changed = {c.field for c in changes}
    if "status" in changed or "inactive_reason" in changed:
        _status_changed(
            customer=current, actor=actor, now=now, update_fields=update_fields, status_changed="status" in changed
        )
    current.user_edited_at = {**(current.user_edited_at or {}), **{name: now.isoformat() for name in changed}}
    current.version += 1
    update_fields |= {"user_edited_at", "version", "updated_at"}
    current.save(update_fields=sorted(update_fields))
    _history(customer=current, actor=actor, action="update", changes=changes, now=now)
    _copy_back(customer, current, sorted(update_fields))
    return current


def _status_changed(*, customer, actor, now, update_fields, status_changed):
    """Inactivation stamps when/who; a new reason for an already inactive customer keeps the original date.
    Either way the Turn Off history gets an event; reactivation clears the reason."""
    if customer.status == CustomerStatus.INACTIVE:
        if status_changed or customer.inactivated_at is None:
            customer.inactivated_at = now
            customer.inactivated_by = actor
        is_on, reason = False, customer.inactive_reason
    else:
        customer.inactive_reason = None
        customer.inactivated_at = None
        customer.inactivated_by = None
        is_on, reason = True, None
    update_fields |= {"inactive_reason", "inactivated_at", "inactivated_by"}
    TurnOffEvent.objects.create(
        customer=customer,
        target=TurnOffTarget.STATUS,
        code="status",
        is_on=is_on,
        reason=reason,
        comment="Reactivated" if is_on else "",
        actor=actor,
        created_at=now,
    )


@transaction.atomic
def customer_verify(*, customer, actor) -> VerificationStamp:
    """Verified Info: stamp who and when. Clears the red email flag (a bounce older than the stamp)."""
    now = timezone.now()
    previous = VerificationStamp.objects.filter(customer=customer).first()
    stamp = VerificationStamp.objects.create(customer=customer, verified_by=actor, verified_at=now)
    old = timezone.localtime(previous.verified_at).strftime("%Y-%m-%d %H:%M") if previous else ""
    new = timezone.localtime(now).strftime("%Y-%m-%d %H:%M")
    _history(
        customer=customer,
        actor=actor,
        action="verify",
        changes=[_Change("last_verification", "Last Verification", old, new)],
        now=now,
    )
    return stamp


@dataclass
class RemoveResult:
    customer: Customer
    field: str
    value: str
    remove_request: object | None


def removable_value_normalize(*, customer, field, value) -> str:
    """The normalized form a Suppression keys on: E.164 phone or lower-cased email."""
    if field in EMAIL_FIELDS:
        return (value or "").strip().lower()
    try:
        return phone_normalize(value, region=customer.dealership.country or "US") or value
    except ValidationError:
        return value


@transaction.atomic
def customer_value_remove(*, customer, field, actor, expected_value=None) -> RemoveResult:
    """The X beside a phone or email: clear it permanently, suppress it and ask the DMS to remove it too.

    One transaction: the cleared field, the history entry, the Suppression and (with a DMS number) the
    RemoveRequest outbox row. `expected_value` (what the confirm step showed) guards against removing a
    number someone changed meanwhile.
    """
    if field not in REMOVABLE_FIELDS:
        raise ValidationError({"field": [f"{field!r} cannot be removed here."]})
    label = FIELD_LABELS[field]
    current = _lock(customer)
    value = getattr(current, field)
    if not value:
        raise ValidationError({field: [f"{label} is already empty: there is nothing to remove."]})
    if expected_value is not None:
        same = removable_value_normalize(customer=current, field=field, value=expected_value)
        if same != removable_value_normalize(customer=current, field=field, value=value):
            raise ValidationError(
                {field: [f"{label} changed to {field_display(field, value)} meanwhile; nothing was removed."]}
            )
    now = timezone.now()
    normalized = removable_value_normalize(customer=current, field=field, value=value)
    changes = [_Change(field, label, field_display(field, value), "")]
    update_fields = {field, "user_edited_at", "version", "updated_at"}
    setattr(current, field, "")
    edited = {field: now.isoformat()}
    if field == "work_phone" and current.work_ext:
        changes.append(_Change("work_ext", FIELD_LABELS["work_ext"], current.work_ext, ""))
        current.work_ext = ""
        update_fields.add("work_ext")
        edited["work_ext"] = now.isoformat()
    current.user_edited_at = {**(current.user_edited_at or {}), **edited}
    current.version += 1
    current.save(update_fields=sorted(update_fields))

    outbox.suppression_add(customer=current, field=field, value=normalized, actor=actor)
    request = outbox.remove_request_create(customer=current, field=field, value=normalized, actor=actor)
    note = "Removed permanently; remove request queued for the DMS." if request else "Removed permanently."
    _history(customer=current, actor=actor, action="remove", changes=changes, note=note, now=now)
    _copy_back(customer, current, sorted(update_fields))
    return RemoveResult(customer=current, field=field, value=normalized, remove_request=request)
