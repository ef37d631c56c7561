"""How long ago a customer's contact information was verified ("Last Verification: N months and M days").

Shared by the Profile (under the Twitter symbol) and Customer Information (above Verified Info). Pure: the
caller passes the stamp time and "now", so every screen and test computes the same label.
"""

from datetime import datetime

from dateutil.relativedelta import relativedelta
from django.utils import timezone
from django.utils.translation import gettext, ngettext, pgettext


def verification_age_label(*, verified_at: datetime | None, now: datetime) -> str:
    """The age of a verification: "today", "5 days", "1 month", "2 months and 1 day", or "never" (no stamp).

    Counted in calendar months and days between the two local dates (the project time zone), so a stamp
    at 23:50 is "1 day" old ten minutes later. Month arithmetic is dateutil's relativedelta, which clamps
    to the month's end: Jan 31 -> Feb 28 is "1 month", Jan 31 -> Mar 1 is "1 month and 1 day". Months are
    not folded into years (coordinators read "14 months"). A stamp in the future (clock skew) is "today".
    """
    if verified_at is None:
        return pgettext("verification age", "never")
    start = timezone.localtime(verified_at).date() if timezone.is_aware(verified_at) else verified_at.date()
    end = timezone.localtime(now).date() if timezone.is_aware(now) else now.date()
    if start >= end:
        return pgettext("verification age", "today")
    delta = relativedelta(end, start)
    months = delta.years * 12 + delta.months
    days = delta.days
    month_part = ngettext("%(count)d month", "%(count)d months", months) % {"count": months} if months else ""
    day_part = ngettext("%(count)d day", "%(count)d days", days) % {"count": days} if days else ""
    if month_part and day_part:
        return gettext("%(months)s and %(days)s") % {"months": month_part, "days": day_part}
    return month_part or day_part
