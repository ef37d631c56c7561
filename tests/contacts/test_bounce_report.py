import csv
from datetime import date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.http import Http404
from django.urls import reverse

from contacts.selectors import bounce_report
from tests.contacts.factories import EmailBounceFactory

URL = reverse("contacts:bounce_report")
DETROIT = ZoneInfo("America/Detroit")


def at(day, hour=12, minute=0):
    return datetime(2026, 10, day, hour, minute, tzinfo=DETROIT)


@pytest.fixture
def fixture(us_store, ca_store):
    """Limit 2. In range (Oct 5-20): Oil change: x twice, y once; Recall: x once, z once. Before the range: y once
    (so y has 2 bounces in all and is invalid). After the range: w twice. Another store: x three times."""
    us_store.email_bounce_limit = 2
    us_store.save()
    x, y, z, w = (f"{n}@mail.example.com" for n in "xyzw")
    for email, campaign, when in [
        (x, "Oil change", at(5, 0, 0)),  # first instant of the range (store time)
        (x, "Oil change", at(10)),
        (y, "Oil change", at(12)),
        (x, "Recall", at(15)),
        (z, "Recall", at(20, 23, 59)),  # last minute of the range
        (y, "Oil change", at(1)),
        (w, "Oil change", at(21, 0, 0)),
        (w, "Oil change", at(22)),
    ]:
        EmailBounceFactory(dealership=us_store, email=email, campaign=campaign, bounced_at=when)
    EmailBounceFactory.create_batch(3, dealership=ca_store, email=x, campaign="Oil change", bounced_at=at(10))
    return us_store


def test_figures_per_campaign_and_totals(fixture, coordinator, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        report = bounce_report(
            user=coordinator, dealership_id=fixture.pk, date_from=date(2026, 10, 5), date_to=date(2026, 10, 20)
        )
    rows = [(r.campaign, r.bounces, r.addresses, r.invalid_addresses) for r in report.rows]
    assert rows == [("Oil change", 3, 2, 2), ("Recall", 2, 2, 1)]
    assert (report.total_bounces, report.total_addresses, report.total_invalid) == (5, 3, 2)


def test_raising_the_limit_changes_the_invalid_figures(fixture, coordinator):
    fixture.email_bounce_limit = 3
    fixture.save()
    report = bounce_report(
        user=coordinator, dealership_id=fixture.pk, date_from=date(2026, 10, 5), date_to=date(2026, 10, 20)
    )
    assert [(r.campaign, r.invalid_addresses) for r in report.rows] == [("Oil change", 1), ("Recall", 1)]
    assert report.total_invalid == 1


def test_a_single_day_and_an_empty_range(fixture, coordinator):
    one_day = bounce_report(
        user=coordinator, dealership_id=fixture.pk, date_from=date(2026, 10, 20), date_to=date(2026, 10, 20)
    )
    assert [(r.campaign, r.bounces) for r in one_day.rows] == [("Recall", 1)]
    empty = bounce_report(
        user=coordinator, dealership_id=fixture.pk, date_from=date(2025, 1, 1), date_to=date(2025, 1, 31)
    )
    assert (empty.rows, empty.total_bounces, empty.total_addresses, empty.total_invalid) == ([], 0, 0, 0)


def test_a_bounce_without_campaign_is_grouped_and_labelled(us_store, us_coordinator):
    EmailBounceFactory(dealership=us_store, campaign="", bounced_at=at(10))
    report = bounce_report(
        user=us_coordinator, dealership_id=us_store.pk, date_from=date(2026, 10, 1), date_to=date(2026, 10, 31)
    )
    assert [(r.campaign, r.bounces) for r in report.rows] == [("(no campaign)", 1)]


def test_the_page_and_the_csv_show_the_same_figures(fixture, client_for, coordinator):
    client = client_for(coordinator)
    params = {"dealership": fixture.pk, "date_from": "2026-10-05", "date_to": "2026-10-20"}
    page = client.get(URL, params)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Oil change" in html and "Recall" in html

    download = client.get(URL, params | {"export": "csv"})
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    assert 'filename="bounces-us-store-20261005-20261020.csv"' in download["Content-Disposition"]
    rows = list(csv.reader(StringIO(download.content.decode())))
    assert rows == [
        ["Campaign", "Bounces", "Unique addresses", "Addresses now invalid"],
        ["Oil change", "3", "2", "2"],
        ["Recall", "2", "2", "1"],
        ["Total", "5", "3", "2"],
    ]


def test_csv_neutralises_formulas_in_campaign_names(us_store, client_for, us_coordinator):
    EmailBounceFactory(dealership=us_store, campaign="=HYPERLINK(1)", bounced_at=at(10))
    client = client_for(us_coordinator)
    response = client.get(
        URL, {"dealership": us_store.pk, "date_from": "2026-10-01", "date_to": "2026-10-31", "export": "csv"}
    )
    assert "'=HYPERLINK(1)" in response.content.decode()


def test_the_report_is_scoped_to_the_users_stores(fixture, ca_store, client_for, us_coordinator):
    with pytest.raises(Http404):
        bounce_report(
            user=us_coordinator, dealership_id=ca_store.pk, date_from=date(2026, 10, 1), date_to=date(2026, 10, 31)
        )
    client = client_for(us_coordinator)
    params = {"dealership": ca_store.pk, "date_from": "2026-10-01", "date_to": "2026-10-31"}
    response = client.get(URL, params)
    assert response.status_code == 200
    assert "dealership" in response.context["form"].errors
    assert response.context["report"] is None
    csv_response = client.get(URL, params | {"export": "csv"})
    assert csv_response["Content-Type"].startswith("text/html"), "no CSV for a foreign store"


def test_form_rejects_a_reversed_range_and_shows_defaults(us_store, client_for, us_coordinator):
    client = client_for(us_coordinator)
    first = client.get(URL)
    assert first.status_code == 200 and first.context["report"] is None
    assert first.context["form"].initial["date_from"] < first.context["form"].initial["date_to"]
    response = client.get(URL, {"dealership": us_store.pk, "date_from": "2026-10-20", "date_to": "2026-10-01"})
    assert "date_to" in response.context["form"].errors
