"""Call Select, the consent panel and the bounce report in the system Chromium (plain forms, no JS needed)."""

from pathlib import Path

import pytest
from django.urls import reverse

from contacts.models import EmailConsent
from customers.models import ContactMethodKind
from tests.contacts.factories import ContactMethodFactory, EmailBounceFactory
from tests.customers.factories import CustomerFactory, MembershipFactory, UserFactory, VehicleFactory
from tests.support.browser import browser_login

SHOTS = Path(__file__).resolve().parents[2] / "var" / "test" / "screenshots"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_call_select_consent_and_bounce_report(live_server, browser_page, ca_store):
    page = browser_page
    user = UserFactory(username="cs_browser", password="pw-browser-6")
    MembershipFactory(user=user, dealership=ca_store)
    top = CustomerFactory(dealership=ca_store, first_name="Top", last_name="Rated", star_rating=9, city="Toronto")
    VehicleFactory(customer=top, year=2022, make="Toyota", model="RAV4")
    low = CustomerFactory(dealership=ca_store, first_name="Low", last_name="Rated", star_rating=2, city="Toronto")
    VehicleFactory(customer=low)
    gone = CustomerFactory(dealership=ca_store, first_name="Never", last_name="Listed", star_rating=10)
    VehicleFactory(customer=gone)
    for method in ContactMethodKind.values:
        ContactMethodFactory(customer=gone, method=method)
    EmailBounceFactory(dealership=ca_store, email=low.email1, campaign="Winter tires")
    SHOTS.mkdir(parents=True, exist_ok=True)

    browser_login(page, live_server.url, username="cs_browser", password="pw-browser-6")

    page.click("text=Call Select")
    page.select_option("select[name=contact_type]", "csi")
    page.fill("input[name=city]", "toronto")
    page.click("button:has-text('Select')")
    rows = page.locator("#call-select-results tbody tr")
    assert rows.count() == 2
    assert "Top Rated" in rows.nth(0).inner_text() and "Low Rated" in rows.nth(1).inner_text()
    assert "2022 Toyota RAV4" in rows.nth(0).inner_text()
    assert "Never Listed" not in page.content()
    assert "2 customers to contact · CA Store · CSI" in page.locator("#call-list-heading").inner_text()
    assert page.get_by_label("Star rating 9 of 10").count() == 1
    page.screenshot(path=str(SHOTS / "call-select.png"), full_page=True)

    rows.nth(1).get_by_role("link", name="Profile").click()
    assert page.url.endswith(reverse("customers:profile", args=[low.pk]))

    page.goto(live_server.url + reverse("customers:edit", args=[low.pk]))
    panel = page.locator("#email-consent")
    panel.locator("summary").click()
    panel.locator("select[name=basis]").select_option("implied_inquiry")
    panel.locator("input[name=source]").fill("Web inquiry")
    panel.locator("input[name=obtained_on]").fill("2026-06-01")
    panel.locator("input[name=opted_out]").check()
    panel.locator("button:has-text('Save consent')").click()
    assert page.url.endswith(reverse("customers:edit", args=[low.pk]) + "#email-consent")
    assert "CASL: opted out" in page.locator("#email-consent").inner_text()
    consent = EmailConsent.objects.get(customer=low)
    assert consent.source == "Web inquiry" and consent.opted_out_at is not None
    page.locator("#email-consent").screenshot(path=str(SHOTS / "consent-panel.png"))

    page.goto(live_server.url + reverse("contacts:bounce_report"))
    page.click("button:has-text('Fetch')")
    report = page.locator("#bounce-report")
    assert "Winter tires" in report.inner_text()
    page.screenshot(path=str(SHOTS / "bounce-report.png"), full_page=True)
