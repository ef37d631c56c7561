"""The store's calling rules (contacts.calling_rules): the called person's time zone from the province/state, local
time across zones and DST changes, and the calling-hours boundaries for Canadian and US stores."""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from contacts.calling_rules import (
    DEFAULT_RECYCLE_DAYS,
    calling_hours_of,
    customer_local_time,
    customer_time_zone,
    default_calling_hours,
    region_code,
)
from customers.models import VinContactType

CA = default_calling_hours("CA")
US = default_calling_hours("US")


@pytest.mark.parametrize(
    "state, expected",
    [("ON", "ON"), (" on ", "ON"), ("Ontario", "ON"), ("Québec", "QC"), ("mi", "MI"), ("New York", "NY"), ("", ""),
     ("Narnia", ""), ("ZZ", "")],
)  # fmt: skip
def test_region_codes_as_typed(state, expected):
    assert region_code(state) == expected


@pytest.mark.parametrize(
    "state, store_zone, expected",
    [
        ("BC", "America/Toronto", "America/Vancouver"),
        ("SK", "America/Toronto", "America/Regina"),
        ("NL", "America/Toronto", "America/St_Johns"),
        ("ON", "America/Toronto", "America/Toronto"),
        ("ON", "America/Winnipeg", "America/Winnipeg"),  # a store in north-western Ontario: its own zone
        ("AZ", "America/Detroit", "America/Phoenix"),
        ("HI", "America/Detroit", "Pacific/Honolulu"),
        ("TX", "America/Denver", "America/Denver"),  # El Paso's store: Mountain
        ("TX", "America/Detroit", "America/Chicago"),
        ("", "America/Detroit", "America/Detroit"),  # no province/state: the store's zone
        ("Atlantis", "America/Toronto", "America/Toronto"),
    ],
)
def test_the_customers_zone_comes_from_the_province_or_state_with_the_store_as_fallback(state, store_zone, expected):
    assert customer_time_zone(state=state, store_zone=store_zone) == expected


def local(state, at, *, hours=US, store_zone="America/Detroit"):
    return customer_local_time(state=state, store_zone=store_zone, hours=hours, now=at)


def test_local_time_across_zones_at_one_instant():
    now = datetime(2026, 3, 4, 20, 30, tzinfo=UTC)  # Wednesday: 15:30 in Detroit, 12:30 in Los Angeles
    assert local("CA", now).at.strftime("%H:%M %Z") == "12:30 PST"
    assert local("MI", now).at.strftime("%H:%M %Z") == "15:30 EST"
    assert local("", now).from_store_zone and not local("MI", now).from_store_zone
    # 01:30 UTC on Thursday: 20:30 Wednesday in Detroit (in hours), 21:30 in Halifax (past 21:00).
    late = datetime(2026, 3, 5, 1, 30, tzinfo=UTC)
    assert local("MI", late).within_hours
    assert not local("NS", late, hours=CA, store_zone="America/Toronto").within_hours


@pytest.mark.parametrize(
    "wall, within",
    [(time(7, 59, 59), False), (time(8, 0), True), (time(20, 59, 59), True), (time(21, 0), False)],
)
def test_us_calling_hours_boundaries_every_day(wall, within):
    for day in (2, 7, 8):  # Monday, Saturday, Sunday (March 2026)
        at = datetime(2026, 3, day, wall.hour, wall.minute, wall.second, tzinfo=ZoneInfo("America/Chicago"))
        assert local("IL", at).within_hours is within, (day, wall)


@pytest.mark.parametrize(
    "day, wall, within",
    [
        (6, time(8, 59), False),  # Friday
        (6, time(9, 0), True),
        (6, time(20, 59), True),
        (6, time(21, 0), False),
        (7, time(9, 30), False),  # Saturday: 10:00-18:00
        (7, time(10, 0), True),
        (7, time(17, 59), True),
        (7, time(18, 0), False),
        (8, time(18, 30), False),  # Sunday
    ],
)
def test_canadian_calling_hours_boundaries_weekday_and_weekend(day, wall, within):
    at = datetime(2026, 3, day, wall.hour, wall.minute, tzinfo=ZoneInfo("America/Vancouver"))
    result = local("BC", at, hours=CA, store_zone="America/Toronto")
    assert result.within_hours is within
    assert result.hours == ("10:00 AM\u20136:00 PM" if day in (7, 8) else "9:00 AM\u20139:00 PM")


def test_dst_changes_move_the_local_time_not_the_rule():
    # US DST starts Sunday March 8, 2026 at 02:00: 12:30 UTC is 07:30 EST the day before and 08:30 EDT that day.
    before = datetime(2026, 3, 7, 12, 30, tzinfo=UTC)
    after = datetime(2026, 3, 8, 12, 30, tzinfo=UTC)
    assert local("NY", before).at.strftime("%H:%M %Z") == "07:30 EST" and not local("NY", before).within_hours
    assert local("NY", after).at.strftime("%H:%M %Z") == "08:30 EDT" and local("NY", after).within_hours
    # Arizona keeps standard time: the same instants are 05:30 and 05:30 MST.
    assert local("AZ", before).at.strftime("%H:%M") == local("AZ", after).at.strftime("%H:%M") == "05:30"
    # DST ends Sunday November 1, 2026: 01:30 UTC is 21:30 EDT on Oct 31 (out), 01:30 UTC Nov 2 is 20:30 EST (in).
    assert not local("MI", datetime(2026, 11, 1, 1, 30, tzinfo=UTC)).within_hours
    assert local("MI", datetime(2026, 11, 2, 1, 30, tzinfo=UTC)).within_hours
    # Saskatchewan has no DST while Manitoba does: the same instant differs by an hour in summer only.
    summer = datetime(2026, 7, 1, 15, 0, tzinfo=UTC)
    winter = datetime(2026, 1, 7, 15, 0, tzinfo=UTC)
    assert local("SK", summer, hours=CA).at.hour == 9 and local("MB", summer, hours=CA).at.hour == 10
    assert local("SK", winter, hours=CA).at.hour == local("MB", winter, hours=CA).at.hour == 9


def test_a_store_setting_replaces_only_the_values_it_sets():
    hours = calling_hours_of(country="CA", weekday_end=time(20, 0))
    assert (hours.weekday_start, hours.weekday_end, hours.weekend_start, hours.weekend_end) == (
        time(9),
        time(20),
        time(10),
        time(18),
    )


def test_every_contact_type_has_a_default_recycle():
    assert set(DEFAULT_RECYCLE_DAYS) == set(VinContactType.values)
    assert all(0 < days <= 366 for days in DEFAULT_RECYCLE_DAYS.values())
