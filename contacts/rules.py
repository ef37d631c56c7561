"""Pure contact rules shared by the profile, Customer Information, Call Select and the sync.

Kept free of queries so every screen applies the same rule to data it already loaded.
"""

from datetime import datetime, timedelta

from dateutil.relativedelta import relativedelta

from .models import ConsentBasis

RED_EMAIL_WINDOW = timedelta(days=90)
IMPLIED_PURCHASE_TERM = relativedelta(years=2)
IMPLIED_INQUIRY_TERM = relativedelta(months=6)


def email_is_red(*, last_bounced_at: datetime | None, last_verified_at: datetime | None, now: datetime) -> bool:
    """Red on the profile: bounced within the last 90 days and not verified since that bounce."""
    if last_bounced_at is None or last_bounced_at < now - RED_EMAIL_WINDOW:
        return False
    return last_verified_at is None or last_verified_at < last_bounced_at


def email_is_invalid(*, bounce_count: int, bounce_limit: int) -> bool:
    """Invalid once its bounce count reaches the store's limit; raising the limit makes it valid again."""
    return bounce_count >= bounce_limit


def consent_expiry(*, basis: str, obtained_at: datetime) -> datetime | None:
    """CASL: implied by purchase lasts 2 years, implied by inquiry 6 months, express consent does not expire."""
    if basis == ConsentBasis.IMPLIED_PURCHASE:
        return obtained_at + IMPLIED_PURCHASE_TERM
    if basis == ConsentBasis.IMPLIED_INQUIRY:
        return obtained_at + IMPLIED_INQUIRY_TERM
    return None


def consent_is_expired(*, expires_at: datetime | None, now: datetime) -> bool:
    return expires_at is not None and expires_at <= now
