"""Validation and normalization of Customer Information values: every rule of the screen is checked here, so a
form, an import or a test calling a service directly get the same answer; the form only maps the errors beside
its fields. Which fields exist, their kinds and labels come from the field registry (customers.fields).
"""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from ..fields import BOOL_FIELDS, BY_KEY, EDIT_FIELDS, EMAIL_FIELDS, PHONE_FIELDS, REFERENCE_FIELDS, ValueType
from ..models import Customer, CustomerStatus
from ..phones import phone_normalize
from ..postal import PLACE_FIELDS, postal_guess_country, postal_normalize, postal_place_fill, postal_same
from ..selectors.reasons import status_reasons, store_advisors

TWITTER_RE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
EXT_RE = re.compile(r"^[0-9]{1,10}$")
EARLIEST_BIRTH_DATE = date(1900, 1, 1)
#: Choice fields of the screen: key -> {code: label}.
CHOICE_FIELDS = {key: dict(BY_KEY[key].choices) for key in EDIT_FIELDS if BY_KEY[key].type is ValueType.CHOICE}


def max_length_message(limit: int) -> str:
    """ "Use at most N characters.": the length error of every free-text value of a customer file."""
    return ngettext("Use at most %(limit)d character.", "Use at most %(limit)d characters.", limit) % {"limit": limit}


def twitter_normalize(value: str) -> str:
    value = (value or "").strip()
    if value.startswith("@"):
        value = value[1:]
    if not value:
        return ""
    if not TWITTER_RE.match(value):
        raise ValidationError(
            gettext("A Twitter handle is 1-15 letters, digits or underscores (the @ is optional)."),
            code="twitter_invalid",
        )
    return value


def email_normalize(value: str) -> str:
    value = (value or "").strip().lower()
    if value:
        validate_email(value)
    return value


def customer_clean_data(*, customer, data) -> dict:
    """Validate and normalize edit-screen data for `customer`; return the cleaned values.

    `data` may hold any subset of the registry's EDIT_FIELDS (references as instances or ids). Raises
    ValidationError with a dict of field -> messages, so callers can show each error beside its field.
    """
    errors: dict[str, list] = {}
    cleaned: dict = {}
    store = customer.dealership
    region = store.country or "US"

    def err(name, message):
        errors.setdefault(name, []).append(message)

    unknown = set(data) - set(EDIT_FIELDS)
    if unknown:
        raise ValueError(f"Not editable here: {sorted(unknown)}")

    for name, value in data.items():
        if name in REFERENCE_FIELDS or name in BOOL_FIELDS or name == "birth_date":
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
                    raise ValidationError(gettext("Enter the extension as digits only (up to 10)."))
            elif name == "twitter_handle":
                value = twitter_normalize(value)
            elif name in CHOICE_FIELDS:
                if value and value not in CHOICE_FIELDS[name]:
                    raise ValidationError(gettext("Select a valid choice."))
                if name == "status" and not value:
                    raise ValidationError(gettext("Select a status."))
        except ValidationError as exc:
            err(name, exc.messages[0])
            continue
        if name != "postal_code" and max_length and len(value) > max_length:
            err(name, max_length_message(max_length))
            continue
        cleaned[name] = value

    for name in BOOL_FIELDS:
        if name in data:
            cleaned[name] = bool(data[name])

    if "birth_date" in data:
        birth_date = data["birth_date"] or None
        if birth_date is not None:
            if not isinstance(birth_date, date):
                err("birth_date", gettext("Enter a valid date."))
            elif birth_date > timezone.localdate():
                err("birth_date", gettext("The birth date cannot be in the future."))
            elif birth_date < EARLIEST_BIRTH_DATE:
                err("birth_date", gettext("The birth date cannot be before 1900."))
        cleaned["birth_date"] = birth_date

    # Postal code: normalized for the customer's country (or the code's own shape, or the store's country).
    # A new code the postal data knows fills City, State/Province, County and Country, except those typed with
    # it (changed from the file and not blank): Save gives what the screen's lookup gives on leaving the field.
    if "postal_code" in data and "postal_code" not in errors:
        country = cleaned.get("country", customer.country) if "country" not in errors else ""
        guessed = postal_guess_country(cleaned["postal_code"])
        place: dict = {}
        if "country" not in errors and not postal_same(cleaned["postal_code"], customer.postal_code):
            typed = {
                name: cleaned[name]
                for name in PLACE_FIELDS
                if name in cleaned and cleaned[name] and cleaned[name] != (getattr(customer, name) or "")
            }
            # A country typed with a code of the other country is refused below, not overwritten.
            if not ("country" in typed and guessed and guessed != country):
                try:
                    place = postal_place_fill(cleaned["postal_code"], country or region, typed)
                except ValidationError as exc:
                    err("postal_code", exc.messages[0])
                country = place.get("country", country)
        if "postal_code" in errors:
            pass
        elif country and guessed and guessed != country:
            if guessed == "CA":
                message = gettext("This looks like a Canadian postal code but the country is %(country)s.")
            else:
                message = gettext("This looks like a US ZIP code but the country is %(country)s.")
            err("postal_code", message % {"country": CHOICE_FIELDS["country"][country]})
        else:
            try:
                cleaned["postal_code"] = postal_normalize(cleaned["postal_code"], country or guessed or region)
            except ValidationError as exc:
                err("postal_code", exc.messages[0])
            else:
                cleaned.update(place)

    if "preferred_advisor" in data:
        advisor = data["preferred_advisor"] or None
        if advisor is not None:
            advisor_id = advisor.pk if hasattr(advisor, "pk") else advisor
            advisor = store_advisors(dealership=store, include=customer.preferred_advisor_id).filter(pk=advisor_id)
            advisor = advisor.first()
            if advisor is None:
                err("preferred_advisor", gettext("Choose one of this store's service advisors."))
        cleaned["preferred_advisor"] = advisor

    # Status and its reason are judged together, on the resulting state.
    status = cleaned.get("status", customer.status)
    if "status" in data or "inactive_reason" in data:
        if status == CustomerStatus.INACTIVE:
            reason = data.get("inactive_reason", customer.inactive_reason)
            if not reason:
                err("inactive_reason", gettext("Choose the reason code for making this customer inactive."))
            else:
                reason_id = reason.pk if hasattr(reason, "pk") else reason
                # A reason deactivated since the customer was made inactive may stay; a new choice must be active.
                keep = customer.inactive_reason_id if customer.status == CustomerStatus.INACTIVE else None
                reason = status_reasons(dealership=store, include=keep).filter(pk=reason_id).first()
                if reason is None:
                    err("inactive_reason", gettext("Choose an active reason code for inactivating customers."))
            cleaned["inactive_reason"] = reason
        else:
            cleaned["inactive_reason"] = None

    # "Default Email" checked: Email 1 is required to save.
    default_email = cleaned.get("default_email", customer.default_email)
    email1 = cleaned.get("email1", customer.email1)
    if default_email and not email1 and "email1" not in errors:
        err("email1", gettext("Email 1 is required when Default Email is checked (or uncheck Default Email)."))

    if errors:
        raise ValidationError(errors)
    return cleaned
