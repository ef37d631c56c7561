from datetime import UTC, datetime, timedelta

import pytest

from contacts.models import ConsentBasis
from contacts.rules import consent_expiry, consent_is_expired, email_is_invalid, email_is_red

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "days_ago,red",
    [(0, True), (89, True), (90, True), (91, False), (None, False)],
)
def test_email_is_red_for_a_bounce_in_the_last_90_days(days_ago, red):
    bounced = None if days_ago is None else NOW - timedelta(days=days_ago)
    assert email_is_red(last_bounced_at=bounced, last_verified_at=None, now=NOW) is red


def test_email_is_red_exactly_at_the_90_day_boundary_but_not_a_second_before():
    assert email_is_red(last_bounced_at=NOW - timedelta(days=90), last_verified_at=None, now=NOW)
    assert not email_is_red(last_bounced_at=NOW - timedelta(days=90, seconds=1), last_verified_at=None, now=NOW)


def test_a_verification_after_the_bounce_clears_red_one_before_does_not():
    bounced = NOW - timedelta(days=10)
    assert not email_is_red(last_bounced_at=bounced, last_verified_at=bounced + timedelta(minutes=1), now=NOW)
    assert email_is_red(last_bounced_at=bounced, last_verified_at=bounced - timedelta(minutes=1), now=NOW)


@pytest.mark.parametrize(
    "count,limit,invalid", [(0, 3, False), (2, 3, False), (3, 3, True), (3, 4, False), (9, 9, True)]
)
def test_email_is_invalid_when_the_count_reaches_the_limit(count, limit, invalid):
    assert email_is_invalid(bounce_count=count, bounce_limit=limit) is invalid


def test_consent_expiry_by_basis():
    obtained = datetime(2026, 2, 28, 9, 0, tzinfo=UTC)
    assert consent_expiry(basis=ConsentBasis.EXPRESS, obtained_at=obtained) is None
    assert consent_expiry(basis=ConsentBasis.IMPLIED_PURCHASE, obtained_at=obtained) == obtained.replace(year=2028)
    assert consent_expiry(basis=ConsentBasis.IMPLIED_INQUIRY, obtained_at=obtained) == obtained.replace(month=8)


def test_implied_purchase_consent_from_a_leap_day_ends_on_the_last_day_of_february():
    leap = datetime(2024, 2, 29, tzinfo=UTC)
    assert consent_expiry(basis=ConsentBasis.IMPLIED_PURCHASE, obtained_at=leap) == datetime(2026, 2, 28, tzinfo=UTC)


def test_consent_is_expired_at_its_expiry_instant_not_before():
    expires = NOW
    assert consent_is_expired(expires_at=expires, now=NOW)
    assert not consent_is_expired(expires_at=expires, now=NOW - timedelta(seconds=1))
    assert not consent_is_expired(expires_at=None, now=NOW)
