"""How long ago a customer's contact information was verified ("Last Verification: N months and M days").

Shared by the Profile (under the Twitter symbol) and Customer Information (above Verified Info). Pure: the
caller passes the stamp time and "now", so every screen and test computes the same label.
"""

from datetime import datetime

from dateutil.relativedelta import relativedelta
from django.utils import timezone

NEVER = "never"
TODAY = "today"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def verification_age_label(*, verified_at: datetime | None, now: datetime) -> str:
    """The age of a verification: "today", "5 days", "1 month", "2 months and 1 day", or "never" (no stamp).

    Counted in calendar months and days between the two local dates (the project time zone), so a stamp
    at 23:50 is "1 day" old ten minutes later. Month arithmetic is dateutil's relativedelta, which clamps
    to the month's end: Jan 31 -> Feb 28 is "1 month", Jan 31 -> Mar 1 is "1 month and 1 day". Months are
    not folded into years (coordinators read "14 months"). A stamp in the future (clock skew) is "today".
    """
    if verified_at is None:
        return NEVER
    start = timezone.localtime(verified_at).date() if timezone.is_aware(verified_at) else verified_at.date()
    end = timezone.localtime(now).date() if timezone.is_aware(now) else now.date()
    if start >= end:
        return TODAY
    delta = relativedelta(end, start)
    months = delta.years * 12 + delta.months
    days = delta.days
    parts = []
    if months:
        parts.append(_plural(months, "month"))
    if days:
        parts.append(_plural(days, "day"))
    return " and ".join(parts)
