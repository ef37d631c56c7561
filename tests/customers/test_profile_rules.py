"""The Customer Profile's rules, at their boundaries. Pure functions: no database."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from customers.models import Customer, CustomerKind, Dealership, DmsVendor
from customers.selectors.profile import (
    age_in_years,
    casl_opted_out,
    email_status_build,
    has_purchase_history,
    likely_to_buy_level,
    sales_visible,
    salesperson_for,
    salesperson_pick,
)

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
TORONTO = ZoneInfo("America/Toronto")


# --- Salesperson ---------------------------------------------------------------------------------------------

D1, D2, D3 = date(2025, 1, 10), date(2025, 6, 1), date(2026, 2, 3)


@pytest.mark.parametrize(
    ("sold", "reassigned", "activity", "expected"),
    [
        (("Ann", D3), ("Bob", D2), ("Cy", D1), ("Ann", "sold")),
        (("Ann", D1), ("Bob", D3), ("Cy", D2), ("Bob", "reassigned")),
        (("Ann", D1), ("Bob", D2), ("Cy", D3), ("Cy", "activity")),
        # Ties: reassignment beats the sold deal beats activity.
        (("Ann", D2), ("Bob", D2), ("Cy", D2), ("Bob", "reassigned")),
        (("Ann", D2), ("", None), ("Cy", D2), ("Ann", "sold")),
        (("", None), ("Bob", D2), ("Cy", D2), ("Bob", "reassigned")),
        # Missing dates: a dated candidate beats an undated one, whatever its tie rank.
        (("Ann", None), ("Bob", None), ("Cy", D1), ("Cy", "activity")),
        (("Ann", D1), ("Bob", None), ("", None), ("Ann", "sold")),
        # All undated: the tie order still names someone.
        (("Ann", None), ("", None), ("Cy", None), ("Ann", "sold")),
        (("Ann", None), ("Bob", None), ("Cy", None), ("Bob", "reassigned")),
        # A date without a name identifies nobody.
        (("", D3), ("", None), ("Cy", D1), ("Cy", "activity")),
        (("  ", D3), ("", None), ("", None), None),
        (("", None), ("", None), ("", None), None),
    ],
)
def test_salesperson_for_a_sold_customer(sold, reassigned, activity, expected):
    picked = salesperson_pick(is_prospect=False, sold=sold, reassigned=reassigned, activity=activity)
    assert (picked.name, picked.source) == expected if expected else picked is None


def test_a_prospect_goes_by_the_last_activity_only():
    picked = salesperson_pick(is_prospect=True, sold=("Ann", D3), reassigned=("Bob", D3), activity=("Cy", D1))
    assert (picked.name, picked.on, picked.source_label) == ("Cy", D1, "Last sales activity")
    assert salesperson_pick(is_prospect=True, sold=("Ann", D3), reassigned=("Bob", D3)) is None


def test_salesperson_for_reads_the_customer_fields():
    customer = Customer(
        kind=CustomerKind.PERSON,
        sold_salesperson="Ann",
        last_sold_date=D1,
        reassigned_salesperson="Bob",
        reassigned_date=D2,
        activity_salesperson="Cy",
        last_activity_date=D2,
    )
    assert salesperson_for(customer).name == "Bob"
    customer.kind = CustomerKind.PROSPECT
    assert salesperson_for(customer).name == "Cy"


@pytest.mark.parametrize(
    ("kind", "sold_date", "sold_by", "expected"),
    [
        (CustomerKind.PERSON, D1, "Ann", True),
        (CustomerKind.BUSINESS, D1, "", True),
        (CustomerKind.PERSON, None, "Ann", True),
        (CustomerKind.PERSON, None, "", False),
        (CustomerKind.PROSPECT, D1, "Ann", False),
    ],
)
def test_purchase_history_prospect_vs_sold(kind, sold_date, sold_by, expected):
    assert has_purchase_history(Customer(kind=kind, last_sold_date=sold_date, sold_salesperson=sold_by)) is expected


# --- Store-dependent markers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("vendor", "visible"),
    [(DmsVendor.REYNOLDS, True), (DmsVendor.CDK, False), (DmsVendor.DEALERTRACK, False), (DmsVendor.OTHER, False)],
)
def test_sales_are_for_reynolds_stores_only(vendor, visible):
    assert sales_visible(Dealership(dms_vendor=vendor)) is visible


@pytest.mark.parametrize(
    ("showroom", "level", "shown"),
    [(True, 2, 2), (True, 1, 1), (True, 3, 3), (True, None, None), (False, 2, None), (False, None, None)],
)
def test_thermometer_needs_showroom_equity_and_a_level(showroom, level, shown):
    assert likely_to_buy_level(has_showroom_equity=showroom, likely_to_buy=level) == shown


@pytest.mark.parametrize(
    ("canadian", "opted_out_at", "shown"),
    [(True, NOW, True), (False, NOW, False), (True, None, False), (False, None, False)],
)
def test_casl_icon_is_for_canadian_stores(canadian, opted_out_at, shown):
    assert casl_opted_out(is_canadian=canadian, opted_out_at=opted_out_at) is shown


@pytest.mark.parametrize(
    ("born", "age"),
    [(date(1980, 11, 20), 46), (date(1980, 11, 21), 45), (date(2030, 1, 1), None), (None, None)],
)
def test_age_turns_on_the_birthday(born, age):
    assert age_in_years(born=born, today=date(2026, 11, 20)) == age


# --- Email status (contacts.rules applied to one address) -----------------------------------------------------


def _email(**overrides):
    values = {
        "field": "email1",
        "address": "a@example.com",
        "bounce_count": 1,
        "last_bounced_at": NOW - timedelta(days=10),
        "last_verified_at": None,
        "bounce_limit": 3,
        "is_canadian": True,
        "now": NOW,
    } | overrides
    return email_status_build(**values)


@pytest.mark.parametrize(("days_ago", "red"), [(0, True), (89, True), (90, True), (91, False), (365, False)])
def test_email_is_red_for_bounces_within_90_days(days_ago, red):
    assert _email(last_bounced_at=NOW - timedelta(days=days_ago)).is_red is red


def test_a_verification_after_the_bounce_clears_red_and_one_before_does_not():
    bounced = NOW - timedelta(days=5)
    assert _email(last_bounced_at=bounced, last_verified_at=bounced + timedelta(minutes=1)).is_red is False
    assert _email(last_bounced_at=bounced, last_verified_at=bounced - timedelta(days=1)).is_red is True
    assert _email(last_bounced_at=None).is_red is False


@pytest.mark.parametrize(
    ("count", "limit", "invalid"), [(2, 3, False), (3, 3, True), (4, 3, True), (3, 4, False), (1, 1, True)]
)
def test_email_is_invalid_from_the_store_limit(count, limit, invalid):
    status = _email(bounce_count=count, bounce_limit=limit)
    assert status.is_invalid is invalid
    assert (status.bounce_count, status.bounce_limit) == (count, limit)


@pytest.mark.parametrize(
    ("expires_at", "expired"),
    [(None, False), (NOW + timedelta(seconds=1), False), (NOW, True), (NOW - timedelta(days=1), True)],
)
def test_consent_expired_marker(expires_at, expired):
    assert _email(consent_expires_at=expires_at).consent_expired is expired


def test_casl_marker_on_the_email_follows_the_store_country():
    assert _email(opted_out_at=NOW, is_canadian=True).casl_opted_out is True
    us = _email(opted_out_at=NOW, is_canadian=False)
    assert us.casl_opted_out is False
    assert us.opted_out is True
