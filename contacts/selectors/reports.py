"""The bounce report ("Fetch ROI"): bounces per campaign for one store and a date range."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from customers.selectors import dealerships_for_user

from ..models import EmailBounce

NO_CAMPAIGN = _("(no campaign)")


@dataclass(frozen=True)
class BounceReportRow:
    campaign: str
    bounces: int
    addresses: int
    invalid_addresses: int


@dataclass
class BounceReport:
    dealership: object
    date_from: date
    date_to: date
    rows: list[BounceReportRow] = field(default_factory=list)
    total_bounces: int = 0
    total_addresses: int = 0
    total_invalid: int = 0


def bounce_report(*, user, dealership_id: int, date_from: date, date_to: date) -> BounceReport:
    """Bounces in [date_from, date_to] (whole days in the store's time zone), per campaign.

    "Addresses now invalid" counts the campaign's bounced addresses whose bounce count at the store (all time, as
    of now) reaches the store's limit. 404 when the store is not one of the user's. Five queries.
    """
    dealership = get_object_or_404(dealerships_for_user(user=user), pk=dealership_id)
    tz = ZoneInfo(dealership.time_zone)
    start = datetime.combine(date_from, time.min, tzinfo=tz)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz)
    in_range = EmailBounce.objects.filter(dealership=dealership, bounced_at__gte=start, bounced_at__lt=end)
    invalid_emails = (
        EmailBounce.objects.filter(dealership=dealership, email__in=in_range.values("email"))
        .values("email")
        .annotate(n=Count("id"))
        .filter(n__gte=dealership.email_bounce_limit)
        .values("email")
    )
    per_campaign = in_range.values("campaign").annotate(n=Count("id"), addresses=Count("email", distinct=True))
    invalid_per_campaign = {
        row["campaign"]: row["invalid"]
        for row in in_range.filter(email__in=invalid_emails)
        .values("campaign")
        .annotate(invalid=Count("email", distinct=True))
        .order_by()
    }
    no_campaign = str(NO_CAMPAIGN)  # in the language of the request
    rows = [
        BounceReportRow(
            campaign=row["campaign"] or no_campaign,
            bounces=row["n"],
            addresses=row["addresses"],
            invalid_addresses=invalid_per_campaign.get(row["campaign"], 0),
        )
        for row in per_campaign.order_by()
    ]
    rows.sort(key=lambda r: (-r.bounces, r.campaign.lower()))
    totals = in_range.aggregate(n=Count("id"), addresses=Count("email", distinct=True))
    total_invalid = in_range.filter(email__in=invalid_emails).aggregate(n=Count("email", distinct=True))["n"]
    return BounceReport(
        dealership=dealership,
        date_from=date_from,
        date_to=date_to,
        rows=rows,
        total_bounces=totals["n"],
        total_addresses=totals["addresses"],
        total_invalid=total_invalid,
    )
