"""The Customer Profile in the system Chromium: log in, hover the preferred-method star, see the red email."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import ContactMethodKind
from tests.contacts.factories import EmailBounceFactory
from tests.customers.factories import CustomerFactory, MembershipFactory, UserFactory
from tests.support.browser import browser_login


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_hover_the_star_and_see_the_red_email(live_server, browser_page, ca_store, tmp_path):
    user = UserFactory(username="profile_browser", password="pw-profile-1")
    MembershipFactory(user=user, dealership=ca_store)
    customer = CustomerFactory(
        dealership=ca_store,
        first_name="Wei",
        last_name="Gauthier",
        cell_phone="+16477129403",
        email1="wei.gauthier@example.net",
        preferred_contact_method=ContactMethodKind.CELL_PHONE,
        star_rating=8,
    )
    EmailBounceFactory(dealership=ca_store, email=customer.email1, bounced_at=timezone.now() - timedelta(days=3))
    page = browser_page

    browser_login(page, live_server.url, username="profile_browser", password="pw-profile-1")

    page.goto(live_server.url + reverse("customers:profile", args=[customer.pk]))
    assert page.get_by_role("heading", name="Wei Gauthier").is_visible()

    star = page.get_by_role("img", name="Preferred Method of Contact")
    assert star.count() == 1
    star.hover()
    tooltip = page.locator(".tooltip.show")
    tooltip.wait_for(state="visible")
    assert tooltip.inner_text().strip() == "Preferred Method of Contact"

    email = page.locator(".dm-email", has_text="wei.gauthier@example.net")
    assert "dm-email-bounced" in email.get_attribute("class")
    color = email.evaluate("el => getComputedStyle(el).color")
    assert color == "rgb(220, 53, 69)"  # Bootstrap's danger red

    shot = tmp_path / "profile.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
