"""Phone numbers: validated and stored as E.164, shown in the familiar national form."""

import phonenumbers
from django.core.exceptions import ValidationError

MAX_PHONE_INPUT = 40


def phone_normalize(value: str, *, region: str = "US") -> str:
    """Return E.164 for a valid number, "" for blank input; raise ValidationError otherwise."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) > MAX_PHONE_INPUT:
        raise ValidationError("Phone number is too long.", code="phone_too_long")
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValidationError("Enter a valid phone number, e.g. (416) 555-0123.", code="phone_invalid") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError("Enter a valid phone number, e.g. (416) 555-0123.", code="phone_invalid")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_display(e164: str) -> str:
    """(416) 555-0123 for North American numbers, the international form otherwise."""
    if not e164:
        return ""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if parsed.country_code == 1:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_digits(value: str) -> str:
    return "".join(ch for ch in value or "" if ch.isdigit())
