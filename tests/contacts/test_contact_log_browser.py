"""A coordinator works three customers from Call Select in the system Chromium (the script's in-list logging):
booked, wrong number -> remove, do not call; the list, the profile's Contact History and "Last contact" follow."""

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from contacts.models import ContactLog, DoNotCallNumber, LastContact
from customers.models import Customer
from tests.customers.factories import CustomerFactory, MembershipFactory, UserFactory, VehicleFactory
from tests.support.browser import browser_login

SHOTS = Path(__file__).resolve().parents[2] / "var" / "test" / "screenshots"


def _customer(store, first, last, cell, stars):
    customer = CustomerFactory(
        dealership=store, first_name=first, last_name=last, cell_phone=cell, star_rating=stars, home_phone=""
    )
    VehicleFactory(customer=customer, year=2022, make="Honda", model="Civic")
    return customer


def _row(page, name):
    return page.locator("#call-select-results tbody tr", has_text=name).first


def _log(page, name, result):
    row = _row(page, name)
    row.get_by_role("link", name=f"Log a contact with {name}").click()
    form = page.get_by_role("form", name=f"Log a contact with {name}")
    form.locator("select[name=result]").select_option(result)
    form.get_by_role("button", name="Save").click()
    return row


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_work_three_customers_from_call_select(live_server, browser_page, us_store):
    page = browser_page
    user = UserFactory(username="cs_worker", password="pw-worker-7", first_name="Casey", last_name="Morgan")
    MembershipFactory(user=user, dealership=us_store)
    booked = _customer(us_store, "Bea", "Booked", "+13135550171", 9)
    wrong = _customer(us_store, "Walt", "Wrong", "+13135550172", 8)
    dnc = _customer(us_store, "Dora", "Donot", "+13135550173", 7)
    control = _customer(us_store, "Carl", "Control", "+13135550174", 1)
    SHOTS.mkdir(parents=True, exist_ok=True)

    browser_login(page, live_server.url, username="cs_worker", password="pw-worker-7")
    page.click("text=Call Select")
    page.select_option("select[name=contact_type]", "maintenance")
    page.click("button:has-text('Select')")
    rows = page.locator("#call-select-results tbody tr")
    assert rows.count() == 4
    assert "Not contacted for Maintenance yet" in _row(page, "Bea Booked").inner_text()
    list_url = page.url

    # 1. Booked: the row says so, the coordinator stays in the list.
    row = _log(page, "Bea Booked", "booked")
    page.wait_for_selector("text=Logged: Appointment booked")
    assert "Logged: Appointment booked" in row.inner_text() and page.url == list_url

    # 2. Wrong number: the remove (X) of that number is offered right there, with its own confirm.
    _log(page, "Walt Wrong", "wrong_number")
    offer = page.locator(".dm-remove-offer")
    offer.wait_for()
    assert "Remove Cell (313) 555-0172 for good?" in offer.inner_text()
    offer.get_by_role("button", name="Remove (313) 555-0172").click()
    page.wait_for_selector("text=was removed permanently")

    # 3. Do not call: on the store's list, the cell method turned off.
    _log(page, "Dora Donot", "do_not_call")
    page.wait_for_selector("text=is on the store's do-not-call list")
    page.screenshot(path=str(SHOTS / "call-select-worked.png"), full_page=True)

    wrong.refresh_from_db()
    assert wrong.cell_phone == ""
    assert DoNotCallNumber.objects.get().number == "+13135550173"
    assert ContactLog.objects.filter(user=user).count() == 3
    assert LastContact.objects.filter(contact_type="maintenance").count() == 3

    # The list again: only the customer nobody called is left.
    page.goto(list_url)
    assert rows.count() == 1 and "Carl Control" in rows.nth(0).inner_text()

    # The profile: Contact History and Last contact.
    page.goto(live_server.url + reverse("customers:profile", args=[booked.pk]))
    history = page.locator("#contact-history")
    assert "Appointment booked" in history.inner_text() and "Casey Morgan" in history.inner_text()
    assert "Maintenance" in history.inner_text() and booked.vehicles.get().vin in history.inner_text()
    last = page.locator("[data-dm=last-contact]").inner_text()
    today = timezone.localtime(timezone.now(), timezone=ZoneInfo(us_store.time_zone)).date()
    assert f"{today:%b} {today.day}, {today.year}" in last and "Appointment booked" in last
    page.locator("#contact-history").screenshot(path=str(SHOTS / "profile-contact-history.png"))

    page.goto(live_server.url + reverse("customers:profile", args=[dnc.pk]))
    assert "do-not-call" in page.locator("body").inner_text()
    assert Customer.objects.get(pk=control.pk).cell_phone == "+13135550174"
