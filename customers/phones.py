"""Phone numbers: validated and stored as E.164, shown in the familiar national form."""

import re
from functools import lru_cache

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

MAX_PHONE_INPUT = 40


INVALID_MESSAGE = _("Enter a valid phone number, e.g. (416) 555-0123.")
NANP_REGIONS = frozenset({"US", "CA"})
# (734) 305-2957, 734-305-2957, 734.305.2957, 7343052957, +1 734 305 2957, 1-734-305-2957 ([0-9], not \d:
# \d would also match other scripts' digits, which phonenumbers reads differently).
_NANP_PLAIN = re.compile(r"^(?:\+?1[ .-]?)?(?:\(([2-9][0-9]{2})\) ?|([2-9][0-9]{2})[ .-]?)([0-9]{3})[ .-]?([0-9]{4})$")
_CHECK_LINES = ("0000", "5555", "9999")


@lru_cache(maxsize=100_000)
def _nanp_prefix_verdict(prefix: str) -> bool | None:
    """phonenumbers' verdict on a North American area code + exchange: True (valid) or False (invalid) when
    three different line numbers agree, None when they do not (the caller then parses the number itself).

    Why: parsing and validating with phonenumbers costs ~60-100 us a number, most of a DMS import's time; for
    North American numbers validity depends on these six digits only (libphonenumber's NANP patterns end in
    a free four-digit line number), so a store's numbers need one check per exchange, not per customer.
    """
    verdicts = set()
    for line in _CHECK_LINES:
        number = phonenumbers.PhoneNumber(country_code=1, national_number=int(prefix + line))
        verdicts.add(phonenumbers.is_valid_number(number))
    return verdicts.pop() if len(verdicts) == 1 else None


def phone_normalize(value: str, *, region: str = "US") -> str:
    """Return E.164 for a valid number, "" for blank input; raise ValidationError otherwise."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) > MAX_PHONE_INPUT:
        raise ValidationError(_("Phone number is too long."), code="phone_too_long")
    if region in NANP_REGIONS and (plain := _NANP_PLAIN.match(value)):
        digits = (plain.group(1) or plain.group(2)) + plain.group(3) + plain.group(4)
        verdict = _nanp_prefix_verdict(digits[:6])
        if verdict is True:
            return "+1" + digits
        if verdict is False:
            raise ValidationError(INVALID_MESSAGE, code="phone_invalid")
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(INVALID_MESSAGE, code="phone_invalid") from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(INVALID_MESSAGE, code="phone_invalid")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_display(e164: str) -> str:
    """(416) 555-0123 for North American numbers in English, 416 555-0123 in French (as the Office québécois de
    la langue française writes them), the international form otherwise."""
    return _phone_display(e164, (translation.get_language() or "").startswith("fr"))


@lru_cache(maxsize=4096)
def _phone_display(e164: str, french: bool) -> str:
    """Cached: parsing with phonenumbers costs tens of microseconds, and the profile formats each of its phones
    more than once (phone rows, contact methods, remove requests)."""
    if not e164:
        return ""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    if parsed.country_code == 1:
        national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
        return national.replace("(", "").replace(") ", " ") if french else national
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_digits(value: str) -> str:
    return "".join(ch for ch in value or "" if ch.isdigit())
