"""Customer Information in the system Chromium: postal autofill, remove X, Verified Info, Save, history."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from customers.models import Customer, VerificationStamp
from dms_sync.models import RemoveRequest, Suppression
from tests.customers.factories import CustomerFactory, MembershipFactory, UserFactory
from tests.support.browser import browser_login


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_postal_autofill_remove_verify_save_and_history(live_server, browser_page, ca_store):
    user = UserFactory(username="browser_coord", password="pw-browser-1")
    MembershipFactory(user=user, dealership=ca_store)
    customer = CustomerFactory(
        dealership=ca_store,
        dms_number="CA000777",
        first_name="Chloe",
        last_name="Tremblay",
        address1="1 Blue Jays Way",
        city="Ottawa",
        state="QC",
        postal_code="",
        county="Carleton",
        country="CA",
        cell_phone="+14165550123",
    )
    page = browser_page
    browser_login(page, live_server.url, username="browser_coord", password="pw-browser-1")

    page.goto(live_server.url + reverse("customers:edit", args=[customer.pk]))
    # 1. Remove the cell phone: confirm dialog, no reload, the field empties and history shows it.
    dialogs = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.click("a[data-remove=cell_phone]")
    expect(page.locator("#id_cell_phone")).to_have_value("", timeout=15_000)
    page.wait_for_selector("#history-panel tr[data-history-action=remove]")
    assert dialogs and "Remove Cell (416) 555-0123 permanently?" in dialogs[0]
    expect(page.locator("[data-remove-status=cell_phone]")).to_contain_text("was removed permanently")

    # 2. Verified Info without a reload; its message shows beside the button.
    page.click("#verify-button")
    expect(page.locator("#last-verification")).to_have_text("Last Verification: today", timeout=15_000)
    expect(page.locator("#verify-status")).to_have_text("Verified Info stamped.")
    page.wait_for_selector("#history-panel tr[data-history-action=verify]")

    # 3. Postal code with a dash; leaving the field fills city and province (county blank for Canada).
    page.fill("#id_postal_code", "m5v-3l9")
    page.press("#id_postal_code", "Tab")
    # Web-first assertions, not wait_for_function: the Content-Security-Policy forbids the eval it polls with.
    expect(page.locator("#id_city")).to_have_value("Toronto", timeout=15_000)
    assert page.input_value("#id_postal_code") == "M5V 3L9"
    assert page.input_value("#id_state") == "ON"
    assert page.input_value("#id_county") == ""
    assert page.input_value("#id_country") == "CA"
    assert "Filled from postal data" in page.text_content("#postal-status")

    # 4. Save: the address lands, and the history lists newest first.
    page.click("#save-button")
    page.wait_for_selector("text=Customer information saved.")
    actions = page.eval_on_selector_all("#history-table tbody tr", "rows => rows.map(r => r.dataset.historyAction)")
    assert actions == ["update", "verify", "remove"]
    first_row = page.text_content("#history-table tbody tr")
    assert "Postal/Zip" in first_row and "M5V 3L9" in first_row and "Toronto" in first_row

    customer = Customer.objects.get(pk=customer.pk)
    assert (customer.postal_code, customer.city, customer.state, customer.county) == ("M5V 3L9", "Toronto", "ON", "")
    assert customer.cell_phone == ""
    assert Suppression.objects.filter(customer=customer, field="cell_phone", value="+14165550123").exists()
    assert RemoveRequest.objects.filter(customer=customer, field="cell_phone").exists()
    assert VerificationStamp.objects.filter(customer=customer, verified_by=user).exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_inactive_reason_appears_with_inactive_status_and_errors_show_beside_fields(
    live_server, browser_page, us_store
):
    from tests.customers.factories import TurnOffReasonFactory

    user = UserFactory(username="browser_us", password="pw-browser-2")
    MembershipFactory(user=user, dealership=us_store)
    customer = CustomerFactory(dealership=us_store)
    reason = TurnOffReasonFactory(dealership=us_store, code="DEC", label="Deceased")
    page = browser_page
    browser_login(page, live_server.url, username="browser_us", password="pw-browser-2")
    page.goto(live_server.url + reverse("customers:edit", args=[customer.pk]))

    assert not page.is_visible("#id_inactive_reason")
    page.select_option("#id_status", "inactive")
    assert page.is_visible("#id_inactive_reason")
    page.fill("#id_home_phone", "555")
    page.click("#save-button")
    page.wait_for_selector("#id_home_phone_error")
    assert "Enter a valid phone number" in page.text_content("#id_home_phone_error")
    assert "Choose the reason code" in page.text_content("#id_inactive_reason_error")
    assert page.is_visible("#id_inactive_reason")
    assert Customer.objects.get(pk=customer.pk).status == "active"

    page.fill("#id_home_phone", "313.555.0142")
    page.select_option("#id_inactive_reason", label="DEC - Deceased")
    page.click("#save-button")
    page.wait_for_selector("text=Customer information saved.")
    assert page.input_value("#id_home_phone") == "(313) 555-0142"
    stored = Customer.objects.get(pk=customer.pk)
    assert (stored.status, stored.inactive_reason, stored.home_phone) == ("inactive", reason, "+13135550142")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_unsaved_edits_block_other_actions_enter_in_postal_looks_up_and_blank_phone_warns(
    live_server, browser_page, ca_store
):
    user = UserFactory(username="browser_dirty", password="pw-browser-3")
    MembershipFactory(user=user, dealership=ca_store)
    customer = CustomerFactory(
        dealership=ca_store,
        first_name="Chloe",
        last_name="Tremblay",
        city="Ottawa",
        state="QC",
        postal_code="",
        country="CA",
        home_phone="+14165550199",
        cell_phone="+14165550123",
    )
    page = browser_page
    page.on("dialog", lambda dialog: dialog.accept())
    browser_login(page, live_server.url, username="browser_dirty", password="pw-browser-3")
    page.goto(live_server.url + reverse("customers:edit", args=[customer.pk]))

    preferred = page.locator("#contact-methods form button", has_text="Set preferred")
    verify = page.locator("#verify-button")
    notes = page.locator("[data-dirty-note]", has_text="Save or undo your changes first")
    expect(preferred).to_be_enabled()
    expect(verify).to_be_enabled()
    expect(notes.first).to_be_hidden()

    # (1) A typed edit disables the other actions with a visible note; undoing it re-enables them.
    page.fill("#id_first_name", "Chlo")
    expect(preferred).to_be_disabled()
    expect(verify).to_be_disabled()
    expect(page.locator("#contact-methods [data-dirty-note]")).to_be_visible()
    expect(page.locator("#verified-info [data-dirty-note]")).to_be_visible()
    expect(page.locator("a[data-remove=cell_phone]")).to_have_attribute("aria-disabled", "true")
    page.fill("#id_first_name", "Chloe")
    expect(preferred).to_be_enabled()
    expect(verify).to_be_enabled()
    expect(page.locator("#contact-methods [data-dirty-note]")).to_be_hidden()

    # (5) A phone blanked by hand says what blanking does, before saving.
    blank_note = page.locator("#home_phone-blank-note")
    expect(blank_note).to_be_hidden()
    page.fill("#id_home_phone", "")
    expect(blank_note).to_be_visible()
    expect(blank_note).to_have_text(
        "Blanking keeps the number out of this file until the DMS sends it again; use the X to remove it for good."
    )
    page.fill("#id_home_phone", "(416) 555-0199")
    expect(blank_note).to_be_hidden()

    # (3) Enter in Postal/Zip fills the city instead of saving; Save then keeps the looked-up values.
    page.fill("#id_postal_code", "m5v 3l9")
    page.press("#id_postal_code", "Enter")
    expect(page.locator("#id_city")).to_have_value("Toronto", timeout=15_000)
    expect(page.locator("#id_state")).to_have_value("ON")
    assert Customer.objects.get(pk=customer.pk).postal_code == ""  # nothing was submitted
    expect(preferred).to_be_disabled()
    page.click("#save-button")
    page.wait_for_selector("text=Customer information saved.")
    expect(preferred).to_be_enabled()
    stored = Customer.objects.get(pk=customer.pk)
    assert (stored.postal_code, stored.city, stored.state) == ("M5V 3L9", "Toronto", "ON")
