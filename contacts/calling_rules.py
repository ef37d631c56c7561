"""The store's calling rules, pure: recycle days per contact type, calling hours and the called person's local
time (DESIGN §4 "Store settings added"; REFERENCE.md, Canadian and US telemarketing rules).

- Recycle: a customer contacted for a contact type is not offered again for it by Call Select until the store's
  recycle days for that type have passed (`DEFAULT_RECYCLE_DAYS` where the store set none). A "call back" result
  overrides it: the customer comes back on the date asked for, at the top of the list.
- Calling hours are in the called person's local time. Defaults from the rules: Canada (National Do Not Call
  List rules) 9:00-21:00 on weekdays (the rules' text allows 21:30; the default keeps the stricter half hour) and
  10:00-18:00 on Saturdays and Sundays; the US (TCPA) 8:00-21:00 every day. A store may narrow or change them
  in admin. Statutory holidays are not modelled.
- The local time comes from the customer's province or state (`customer_time_zone`); where a state or province
  spans zones and the store's own zone is one of them, the store's zone is taken (the customers of a store mostly
  live near it), else the zone most of its people live in. Without a known province/state: the store's zone.

contacts.selectors.call_select applies these to the rows of a page; contacts.selectors.contact_settings loads a
store's values. Nothing here queries the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils.formats import time_format

from customers.models import Country, VinContactType

#: Days a customer stays off Call Select for a contact type after a contact for it (store setting in admin).
DEFAULT_RECYCLE_DAYS: dict[str, int] = {
    VinContactType.MAINTENANCE: 30,
    VinContactType.CSI: 30,
    VinContactType.CONFIRM_APPT: 1,
    VinContactType.NO_SHOW: 7,
    VinContactType.SPORD: 2,
    VinContactType.RECALLS: 30,
    VinContactType.MVI: 30,
    VinContactType.MARKETING: 60,
    VinContactType.SALES: 30,
}


@dataclass(frozen=True)
class CallingHours:
    """When a call may be placed, in the called person's local time: [start, end) on weekdays and on weekends."""

    weekday_start: time
    weekday_end: time
    weekend_start: time
    weekend_end: time

    def window(self, day: date) -> tuple[time, time]:
        return (self.weekend_start, self.weekend_end) if day.weekday() >= 5 else (self.weekday_start, self.weekday_end)

    def allows(self, local: datetime) -> bool:
        """Whether a call at the local (wall-clock) time `local` is within the hours; the end is excluded."""
        start, end = self.window(local.date())
        return start <= local.time().replace(tzinfo=None) < end

    def describe(self, day: date) -> str:
        """The day's window in the reader's conventions: 8:00 AM-9:00 PM, 08 h 00-21 h 00."""
        start, end = self.window(day)
        return f"{time_format(start)}\u2013{time_format(end)}"


DEFAULT_CALLING_HOURS: dict[str, CallingHours] = {
    Country.CA: CallingHours(time(9), time(21), time(10), time(18)),
    Country.US: CallingHours(time(8), time(21), time(8), time(21)),
}


def default_calling_hours(country: str) -> CallingHours:
    return DEFAULT_CALLING_HOURS.get(country, DEFAULT_CALLING_HOURS[Country.US])


def calling_hours_of(*, country: str, weekday_start=None, weekday_end=None, weekend_start=None, weekend_end=None):
    """A store's hours: each value it set, the country's default for each it left blank."""
    default = default_calling_hours(country)
    return CallingHours(
        weekday_start=weekday_start or default.weekday_start,
        weekday_end=weekday_end or default.weekday_end,
        weekend_start=weekend_start or default.weekend_start,
        weekend_end=weekend_end or default.weekend_end,
    )


# --- the called person's time zone ------------------------------------------------------------------------------

#: Province / state code -> its zones, the one most of its people live in first.
REGION_ZONES: dict[str, tuple[str, ...]] = {
    # Canada
    "AB": ("America/Edmonton",),
    "BC": ("America/Vancouver", "America/Dawson_Creek", "America/Edmonton"),
    "MB": ("America/Winnipeg",),
    "NB": ("America/Moncton",),
    "NL": ("America/St_Johns", "America/Goose_Bay"),
    "NS": ("America/Halifax",),
    "NT": ("America/Yellowknife",),
    "NU": ("America/Iqaluit", "America/Rankin_Inlet", "America/Cambridge_Bay"),
    "ON": ("America/Toronto", "America/Winnipeg"),
    "PE": ("America/Halifax",),
    "QC": ("America/Toronto", "America/Halifax"),
    "SK": ("America/Regina", "America/Edmonton"),
    "YT": ("America/Whitehorse",),
    # United States
    "AL": ("America/Chicago",),
    "AK": ("America/Anchorage", "America/Adak"),
    "AZ": ("America/Phoenix", "America/Denver"),
    "AR": ("America/Chicago",),
    "CA": ("America/Los_Angeles",),
    "CO": ("America/Denver",),
    "CT": ("America/New_York",),
    "DC": ("America/New_York",),
    "DE": ("America/New_York",),
    "FL": ("America/New_York", "America/Chicago"),
    "GA": ("America/New_York",),
    "HI": ("Pacific/Honolulu",),
    "IA": ("America/Chicago",),
    "ID": ("America/Boise", "America/Los_Angeles"),
    "IL": ("America/Chicago",),
    "IN": ("America/Indiana/Indianapolis", "America/Chicago"),
    "KS": ("America/Chicago", "America/Denver"),
    "KY": ("America/New_York", "America/Chicago"),
    "LA": ("America/Chicago",),
    "MA": ("America/New_York",),
    "MD": ("America/New_York",),
    "ME": ("America/New_York",),
    "MI": ("America/Detroit", "America/Menominee"),
    "MN": ("America/Chicago",),
    "MO": ("America/Chicago",),
    "MS": ("America/Chicago",),
    "MT": ("America/Denver",),
    "NC": ("America/New_York",),
    "ND": ("America/Chicago", "America/Denver"),
    "NE": ("America/Chicago", "America/Denver"),
    "NH": ("America/New_York",),
    "NJ": ("America/New_York",),
    "NM": ("America/Denver",),
    "NV": ("America/Los_Angeles",),
    "NY": ("America/New_York",),
    "OH": ("America/New_York",),
    "OK": ("America/Chicago",),
    "OR": ("America/Los_Angeles", "America/Boise"),
    "PA": ("America/New_York",),
    "PR": ("America/Puerto_Rico",),
    "RI": ("America/New_York",),
    "SC": ("America/New_York",),
    "SD": ("America/Chicago", "America/Denver"),
    "TN": ("America/Chicago", "America/New_York"),
    "TX": ("America/Chicago", "America/Denver"),
    "UT": ("America/Denver",),
    "VA": ("America/New_York",),
    "VT": ("America/New_York",),
    "WA": ("America/Los_Angeles",),
    "WI": ("America/Chicago",),
    "WV": ("America/New_York",),
    "WY": ("America/Denver",),
}

#: Full names a DMS or a person may have typed instead of the code (lower-case).
REGION_NAMES: dict[str, str] = {
    "alberta": "AB", "british columbia": "BC", "manitoba": "MB", "new brunswick": "NB",
    "newfoundland and labrador": "NL", "newfoundland": "NL", "nova scotia": "NS", "northwest territories": "NT",
    "nunavut": "NU", "ontario": "ON", "prince edward island": "PE", "quebec": "QC", "québec": "QC",
    "saskatchewan": "SK", "yukon": "YT",
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA", "colorado": "CO",
    "connecticut": "CT", "district of columbia": "DC", "delaware": "DE", "florida": "FL", "georgia": "GA",
    "hawaii": "HI", "iowa": "IA", "idaho": "ID", "illinois": "IL", "indiana": "IN", "kansas": "KS",
    "kentucky": "KY", "louisiana": "LA", "massachusetts": "MA", "maryland": "MD", "maine": "ME", "michigan": "MI",
    "minnesota": "MN", "missouri": "MO", "mississippi": "MS", "montana": "MT", "north carolina": "NC",
    "north dakota": "ND", "nebraska": "NE", "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM",
    "nevada": "NV", "new york": "NY", "ohio": "OH", "oklahoma": "OK", "oregon": "OR", "pennsylvania": "PA",
    "puerto rico": "PR", "rhode island": "RI", "south carolina": "SC", "south dakota": "SD", "tennessee": "TN",
    "texas": "TX", "utah": "UT", "virginia": "VA", "vermont": "VT", "washington": "WA", "wisconsin": "WI",
    "west virginia": "WV", "wyoming": "WY",
}  # fmt: skip

#: "CA" is California as a state and Canada as a country: a state field holds the former.
_CANADIAN = frozenset({"AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT"})


def region_code(state: str) -> str:
    """The two-letter code of a province or state as typed ("ON", "Ontario", " mi "), or ""."""
    text = " ".join((state or "").split()).strip(". ").lower()
    if not text:
        return ""
    if len(text) == 2 and text.upper() in REGION_ZONES:
        return text.upper()
    return REGION_NAMES.get(text, "")


@cache
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@cache
def customer_time_zone(*, state: str, store_zone: str) -> str:
    """The IANA zone of a customer living in `state` (province/state as typed), for a store in `store_zone`."""
    zones = REGION_ZONES.get(region_code(state), ())
    if not zones:
        return store_zone
    return store_zone if store_zone in zones else zones[0]


@dataclass(frozen=True)
class LocalTime:
    """A customer's wall-clock time now, and whether a call now is within the store's calling hours."""

    at: datetime
    zone: str
    within_hours: bool
    hours: str  # today's calling hours there, e.g. "09:00-21:00"
    from_store_zone: bool  # no province/state known: the store's zone was assumed

    @property
    def abbreviation(self) -> str:
        return self.at.tzname() or ""

    @property
    def label(self) -> str:
        """ "9:30 PM EDT": the wall-clock time there (a template's time filter would convert it to the server's), in
        the active language's TIME_FORMAT (dealermine/formats: "21 h 30 EDT" in French)."""
        clock = time_format(self.at, "TIME_FORMAT")
        return f"{clock} {self.abbreviation}".strip()


def customer_local_time(*, state: str, store_zone: str, hours: CallingHours, now: datetime) -> LocalTime:
    zone_name = customer_time_zone(state=state, store_zone=store_zone)
    zone = _zone(zone_name) or _zone(store_zone) or _zone("UTC")
    local = now.astimezone(zone)
    return LocalTime(
        at=local,
        zone=zone_name,
        within_hours=hours.allows(local),
        hours=hours.describe(local.date()),
        from_store_zone=not REGION_ZONES.get(region_code(state)),
    )


def recycle_cutoff(*, days: int, now: datetime) -> datetime:
    """A contact at or after this moment keeps the customer off Call Select for its type (0 days: none does)."""
    return now - timedelta(days=days)
