"""Row validation: DMS text (extract CSV or API JSON) -> model field values, or a quarantine reason.

Decisions (see docs/DMS_SYNC.md):
- An invalid phone or email quarantines the whole row (nothing of that customer is half-applied; once the
  DMS fixes the record, the next pull loads it). Postal codes are normalized when they have a valid shape
  and otherwise kept as sent.
- A VIN must have 17 characters (letters I, O, Q never appear); a failing North American check digit is
  loaded with `vin_check_digit_ok=False` and counted as a warning, never rejected.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from customers.fields import BY_KEY, DMS_COLUMNS, PHONE_METHOD_FIELDS, ValueType
from customers.models import ContactMethodKind, Customer, CustomerKind, Language
from customers.phones import phone_normalize
from customers.postal import postal_normalize

from .extract_format import vin_is_valid


class RowError(ValueError):
    """The row cannot be loaded; the message is the quarantine reason."""


# Plain values, not the choices members: members cost an enum lookup per use and a conversion when written.
KINDS = {"P": CustomerKind.PERSON.value, "B": CustomerKind.BUSINESS.value, "R": CustomerKind.PROSPECT.value}
LANGUAGES = frozenset(Language.values)
COUNTRIES = {"US": "US", "USA": "US", "UNITED STATES": "US", "CA": "CA", "CAN": "CA", "CANADA": "CA"}
LANGUAGE_NAMES = {
    "english": "en",
    "french": "fr",
    "francais": "fr",
    "français": "fr",
    "spanish": "es",
    "espanol": "es",
    "chinese": "zh",
    "punjabi": "pa",
    "italian": "it",
    "portuguese": "pt",
}
GENDERS = {"F": "F", "M": "M", "X": "X", "U": "", "": ""}


# Which extract column fills which customer field, and how it is read, come from the field registry
# (customers.fields: DMS columns and value types) and the model (max lengths); the columns with rules of their
# own (choices, flags, numbers, money, postal codes) are read one by one in customer_values.
def _columns(value_type: ValueType) -> dict[str, str]:
    """Extract column -> customer field, for the registry's fields of this type that the extract carries."""
    return {column: key for column, key in DMS_COLUMNS.items() if BY_KEY[key].type is value_type}


def _max_length(field: str) -> int:
    return Customer._meta.get_field(field).max_length


#: Text columns normalized by their own rule rather than taken as sent.
NORMALIZED_TEXT_COLUMNS = frozenset({"postal_code"})
#: column -> (model field, max length) for plain text columns.
TEXT_COLUMNS = {
    column: (field, _max_length(field))
    for column, field in _columns(ValueType.TEXT).items()
    if column not in NORMALIZED_TEXT_COLUMNS
}
PHONE_COLUMNS = tuple(_columns(ValueType.PHONE))
EMAIL_COLUMNS = tuple(_columns(ValueType.EMAIL))
EMAIL_MAX_LENGTHS = {column: _max_length(DMS_COLUMNS[column]) for column in EMAIL_COLUMNS}
POSTAL_CODE_MAX_LENGTH = _max_length(DMS_COLUMNS["postal_code"])
#: column -> model field; last_change_date is the sync's own bookkeeping (BOOKKEEPING_FIELDS), not a field to show.
DATE_COLUMNS = {**_columns(ValueType.DATE), "last_change_date": "dms_last_change_date"}
FLAG_METHODS = {
    "allow_mail": (ContactMethodKind.MAIL.value,),
    "allow_phone": tuple(PHONE_METHOD_FIELDS),  # the phone fields that are contact methods (fax is not)
    "allow_email": (ContactMethodKind.EMAIL.value,),
}
#: Customer fields the sync maintains for its own bookkeeping (not shown as changes in history).
BOOKKEEPING_FIELDS = {"dms_last_change_date"}


def row_hash(data: dict[str, str]) -> str:
    """Hash of the DMS row exactly as sent; equal hash = nothing to do."""
    text = "\x1e".join(f"{k}\x1f{data[k]}" for k in sorted(data))
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20).hexdigest()


def _date(column: str, value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RowError(f"{column}: {value!r} is not a date (YYYY-MM-DD)") from None


def _flag(column: str, value: str) -> bool | None:
    value = value.upper()
    if value in ("Y", "YES", "1", "TRUE"):
        return True
    if value in ("N", "NO", "0", "FALSE"):
        return False
    if value == "":
        return None
    raise RowError(f"{column}: {value!r} is not a Y/N flag")


def _int(column: str, value: str, low: int, high: int) -> int | None:
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise RowError(f"{column}: {value!r} is not a whole number") from None
    if not low <= number <= high:
        raise RowError(f"{column}: {number} is outside {low}-{high}")
    return number


def _money(column: str, value: str) -> Decimal:
    if not value:
        return Decimal("0.00")
    try:
        amount = Decimal(value.replace(",", "").replace("$", ""))
    except InvalidOperation:
        raise RowError(f"{column}: {value!r} is not an amount") from None
    if not amount.is_finite() or abs(amount) >= Decimal("1e10"):
        raise RowError(f"{column}: {value!r} is out of range")
    return amount.quantize(Decimal("0.01"))


def _text(column: str, value: str, max_length: int) -> str:
    if len(value) > max_length:
        raise RowError(f"{column}: longer than {max_length} characters")
    return value


def customer_number(data: dict[str, str]) -> str:
    return customer_number_check(data.get("customer_number", "").strip())


def customer_number_check(number: str) -> str:
    """The stripped customer number, or RowError."""
    if not number:
        raise RowError("customer_number is empty")
    if len(number) > 32:
        raise RowError("customer_number: longer than 32 characters")
    return number


def customer_values(data: dict[str, str], *, store_country: str) -> tuple[dict, dict[str, bool]]:
    """(model field values, {allow_* flag: bool}) for the columns present in the row. Raises RowError."""
    if "__error__" in data:
        raise RowError(data["__error__"])
    values: dict = {}
    kind = data.get("customer_type", "").strip().upper()
    if kind not in KINDS:
        raise RowError(f"customer_type: {kind!r} is not P, B or R")
    values["kind"] = KINDS[kind]
    for column, (field, max_length) in TEXT_COLUMNS.items():
        if column in data:
            values[field] = _text(column, data[column], max_length)
    if "country" in data:
        country = data["country"].upper()
        if country and country not in COUNTRIES:
            raise RowError(f"country: {data['country']!r} is not US or CA")
        values["country"] = COUNTRIES.get(country, "")
    region = values.get("country") or store_country
    if "state" in values:
        values["state"] = values["state"].upper() if len(values["state"]) <= 3 else values["state"]
    if "postal_code" in data:
        raw = data["postal_code"]
        try:
            values["postal_code"] = postal_normalize(raw, values.get("country") or None)
        except ValidationError:
            values["postal_code"] = _text("postal_code", raw.upper(), POSTAL_CODE_MAX_LENGTH)
    for column in PHONE_COLUMNS:
        if column in data:
            try:
                values[DMS_COLUMNS[column]] = phone_normalize(data[column], region=region)
            except ValidationError:
                raise RowError(f"{column}: {data[column]!r} is not a valid phone number") from None
    for column in EMAIL_COLUMNS:
        if column in data:
            email = data[column].lower()
            if email:
                _text(column, email, EMAIL_MAX_LENGTHS[column])
                try:
                    validate_email(email)
                except ValidationError:
                    raise RowError(f"{column}: {data[column]!r} is not a valid email address") from None
            values[DMS_COLUMNS[column]] = email
    for column, field in DATE_COLUMNS.items():
        if column in data:
            values[field] = _date(column, data[column])
    if "language" in data:
        language = data["language"].lower()
        if language and language not in LANGUAGES:
            language = LANGUAGE_NAMES.get(language, Language.OTHER.value)
        values["language"] = language
    if "gender" in data:
        gender = data["gender"].upper()[:1] if data["gender"] else ""
        if gender not in GENDERS:
            raise RowError(f"gender: {data['gender']!r} is not F, M, X or U")
        values["gender"] = GENDERS[gender]
    if "eservice" in data:
        values["eservice_registered"] = bool(_flag("eservice", data["eservice"]))
    if "star_rating" in data:
        values["star_rating"] = _int("star_rating", data["star_rating"], 0, 10)
    if "likely_to_buy" in data:
        values["likely_to_buy"] = _int("likely_to_buy", data["likely_to_buy"], 1, 3)
    if "labour_sales_total" in data:
        values["labour_sales_total"] = _money("labour_sales_total", data["labour_sales_total"])
    flags = {}
    for column in FLAG_METHODS:
        if column in data:
            flag = _flag(column, data[column])
            if flag is not None:
                flags[column] = flag
    return values, flags


def vehicle_values(data: dict[str, str]) -> dict:
    if "__error__" in data:
        raise RowError(data["__error__"])
    vin = data.get("vin", "").replace(" ", "").upper()
    if len(vin) != 17 or not vin.isalnum() or any(ch in vin for ch in "IOQ"):
        raise RowError(f"vin: {data.get('vin', '')!r} is not a 17-character VIN")
    values = {"vin": vin, "vin_check_digit_ok": vin_is_valid(vin)}
    if "year" in data:
        values["year"] = _int("year", data["year"], 1900, 2100)
    if "make" in data:
        values["make"] = _text("make", data["make"], 40)
    if "model" in data:
        values["model"] = _text("model", data["model"], 60)
    if "delivery_date" in data:
        values["delivery_date"] = _date("delivery_date", data["delivery_date"])
    if "owns" in data:
        owns = _flag("owns", data["owns"])
        values["owns"] = True if owns is None else owns
    return values


def repair_order_values(data: dict[str, str]) -> dict:
    if "__error__" in data:
        raise RowError(data["__error__"])
    ro_number = data.get("ro_number", "").strip()
    if not ro_number:
        raise RowError("ro_number is empty")
    values = {"ro_number": _text("ro_number", ro_number, 32)}
    if "vin" in data:
        values["vin"] = _text("vin", data["vin"].replace(" ", "").upper(), 17)
    if "closed_date" in data:
        values["closed_date"] = _date("closed_date", data["closed_date"])
    if "labour_sale" in data:
        values["labour_sale"] = _money("labour_sale", data["labour_sale"])
    if "parts_sale" in data:
        values["parts_sale"] = _money("parts_sale", data["parts_sale"])
    return values
