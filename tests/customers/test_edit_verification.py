"""The "Last Verification: N months and M days" label."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from customers.verification import verification_age_label

TZ = ZoneInfo("America/Toronto")
NOW = datetime(2026, 11, 22, 15, 0, tzinfo=TZ)


@pytest.mark.parametrize(
    ("verified_at", "label"),
    [
        (None, "never"),
        (NOW, "today"),
        (NOW - timedelta(hours=3), "today"),
        (NOW + timedelta(minutes=5), "today"),
        (NOW - timedelta(days=1), "1 day"),
        (NOW - timedelta(days=2), "2 days"),
        (datetime(2026, 10, 22, 9, 0, tzinfo=TZ), "1 month"),
        (datetime(2026, 10, 21, 9, 0, tzinfo=TZ), "1 month and 1 day"),
        (datetime(2026, 9, 10, 9, 0, tzinfo=TZ), "2 months and 12 days"),
        (datetime(2025, 9, 19, 9, 0, tzinfo=TZ), "14 months and 3 days"),
    ],
)
def test_verification_age_label(verified_at, label, settings):
    settings.TIME_ZONE = "America/Toronto"
    assert verification_age_label(verified_at=verified_at, now=NOW) == label


def test_calendar_days_count_in_local_time(settings):
    settings.TIME_ZONE = "America/Toronto"
    late_last_night = datetime(2026, 11, 21, 23, 30, tzinfo=TZ)
    early_today = datetime(2026, 11, 22, 0, 30, tzinfo=TZ)
    assert verification_age_label(verified_at=late_last_night, now=early_today) == "1 day"
