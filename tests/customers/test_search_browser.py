"""Search, INQ, merge and unmerge in the system Chromium: the coordinator's one-step lookup and the merge flow."""

import pytest
from django.urls import reverse

from customers.models import Customer, Inquiry
from tests.customers.factories import CustomerFactory, MembershipFactory, UserFactory
from tests.support.browser import browser_login


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_search_opens_profile_then_merge_and_unmerge(live_server, browser_page, us_store):
    user = UserFactory(username="search_browser", password="pw-search-1")
    MembershipFactory(user=user, dealership=us_store)
    parent = CustomerFactory(
        dealership=us_store, first_name="Dana", last_name="Whitfield", cell_phone="+13135550142", email2=""
    )
    dup = CustomerFactory(
        dealership=us_store,
        first_name="Dana",
        last_name="Whitfield",
        cell_phone="+13135550142",
        email2="dana.w@mail.example.com",
    )
    page = browser_page

    browser_login(page, live_server.url, username="search_browser", password="pw-search-1")

    # A name with two files lists both; the nav search box is on every page.
    box = page.get_by_role("searchbox", name="Search customers")
    box.fill("whitfield dana")
    box.press("Enter")
    page.wait_for_url(lambda url: "/customers/search/" in url)
    assert page.locator("button[data-result-id]").count() == 2
    assert not Inquiry.objects.exists(), "listing results records nothing"

    # Open the parent from the results (a small POST form): INQ recorded, profile shown with the merge candidate.
    page.locator(f"button[data-result-id='{parent.pk}']").click()
    page.wait_for_url(live_server.url + reverse("customers:profile", args=[parent.pk]))
    assert Inquiry.objects.filter(customer=parent, user=user).count() == 1
    panel = page.locator("#merge-panel")
    assert "Customers available to be merged" in panel.inner_text()
    assert "Same phone (313) 555-0142 (cell)" in panel.inner_text()

    # Merge: pick the candidate as Duplicate, fill the parent's empty Email 2 from it.
    panel.get_by_role("link", name="Merge customers…").click()
    page.check(f"#child-{dup.pk}")
    page.select_option(f"#rel-{dup.pk}", "duplicate")
    page.get_by_role("button", name="Review merge").click()
    page.check(f"#fill-email2-{dup.pk}")
    page.get_by_role("button", name="Merge", exact=True).click()
    page.wait_for_url(live_server.url + reverse("customers:profile", args=[parent.pk]))
    assert Customer.objects.get(pk=dup.pk).merge_parent_id == parent.pk
    assert Customer.objects.get(pk=parent.pk).email2 == "dana.w@mail.example.com"

    # Searching by the duplicate's phone now opens the parent directly (single exact hit).
    box = page.get_by_role("searchbox", name="Search customers")
    box.fill("313.555.0142")
    box.press("Enter")
    page.wait_for_url(live_server.url + reverse("customers:profile", args=[parent.pk]))

    # Unmerge from the parent's panel, taking the copied email back.
    page.locator("#merge-panel").get_by_role("link", name=f"Unmerge… {dup.display_name}").click()
    page.check("#take-email2")
    page.get_by_role("button", name="Unmerge").click()
    page.wait_for_url(live_server.url + reverse("customers:profile", args=[dup.pk]))
    assert Customer.objects.get(pk=dup.pk).merge_parent_id is None
    assert Customer.objects.get(pk=parent.pk).email2 == ""
