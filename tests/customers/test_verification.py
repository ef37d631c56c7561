"""customers.verification.verification_age_label: "Last Verification: N months and M days" on the profile and
the Customer Information screen. Pure function: no database."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from customers.verification import verification_age_label

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
TORONTO = ZoneInfo("America/Toronto")
TORONTO_NOW = datetime(2026, 11, 22, 15, 0, tzinfo=TORONTO)


@pytest.mark.parametrize(
    ("verified_at", "label"),
    [
        (None, "never"),
        (NOW, "today"),
        (NOW - timedelta(hours=9), "today"),  # same local day (Toronto)
        (NOW + timedelta(hours=2), "today"),  # clock skew: never negative
        (NOW - timedelta(days=1), "1 day"),
        (NOW - timedelta(days=2), "2 days"),
        (datetime(2026, 10, 20, 15, 0, tzinfo=UTC), "1 month"),
        (datetime(2026, 10, 19, 15, 0, tzinfo=UTC), "1 month and 1 day"),
        (datetime(2026, 9, 18, 15, 0, tzinfo=UTC), "2 months and 2 days"),
        (datetime(2026, 9, 19, 15, 0, tzinfo=UTC), "2 months and 1 day"),
        (datetime(2025, 9, 20, 15, 0, tzinfo=UTC), "14 months"),
    ],
)
def test_verification_age_label(verified_at, label, settings):
    settings.TIME_ZONE = "America/Toronto"
    assert verification_age_label(verified_at=verified_at, now=NOW) == label


def test_verification_age_counts_local_calendar_days(settings):
    settings.TIME_ZONE = "America/Toronto"
    stamped = datetime(2026, 11, 19, 23, 50, tzinfo=TORONTO)
    assert verification_age_label(verified_at=stamped, now=stamped + timedelta(minutes=9)) == "today"
    assert verification_age_label(verified_at=stamped, now=stamped + timedelta(minutes=15)) == "1 day"


def test_verification_age_month_ends(settings):
    settings.TIME_ZONE = "UTC"
    jan31 = datetime(2026, 1, 31, 12, tzinfo=UTC)
    # Month arithmetic clamps to the month's end (dateutil.relativedelta): Jan 31 + 1 month = Feb 28.
    assert verification_age_label(verified_at=jan31, now=datetime(2026, 2, 27, 12, tzinfo=UTC)) == "27 days"
    assert verification_age_label(verified_at=jan31, now=datetime(2026, 2, 28, 12, tzinfo=UTC)) == "1 month"
    assert verification_age_label(verified_at=jan31, now=datetime(2026, 3, 1, 12, tzinfo=UTC)) == "1 month and 1 day"


@pytest.mark.parametrize(
    ("verified_at", "label"),
    [
        (None, "never"),
        (TORONTO_NOW, "today"),
        (TORONTO_NOW - timedelta(hours=3), "today"),
        (TORONTO_NOW + timedelta(minutes=5), "today"),
        (TORONTO_NOW - timedelta(days=1), "1 day"),
        (TORONTO_NOW - timedelta(days=2), "2 days"),
        (datetime(2026, 10, 22, 9, 0, tzinfo=TORONTO), "1 month"),
        (datetime(2026, 10, 21, 9, 0, tzinfo=TORONTO), "1 month and 1 day"),
        (datetime(2026, 9, 10, 9, 0, tzinfo=TORONTO), "2 months and 12 days"),
        (datetime(2025, 9, 19, 9, 0, tzinfo=TORONTO), "14 months and 3 days"),
    ],
)
def test_verification_age_label_in_toronto_local_time(verified_at, label, settings):
    settings.TIME_ZONE = "America/Toronto"
    assert verification_age_label(verified_at=verified_at, now=TORONTO_NOW) == label


def test_calendar_days_count_in_local_time_across_midnight(settings):
    settings.TIME_ZONE = "America/Toronto"
    late_last_night = datetime(2026, 11, 21, 23, 30, tzinfo=TORONTO)
    early_today = datetime(2026, 11, 22, 0, 30, tzinfo=TORONTO)
    assert verification_age_label(verified_at=late_last_night, now=early_today) == "1 day"
