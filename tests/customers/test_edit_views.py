"""Customer Information screen through HTTP: rendering, validation beside the field, actions, no-JS and JS."""

import json
import re

import pytest
from django.urls import reverse

from contacts.models import ContactMethod
from customers.models import Association, Customer, CustomerHistory, CustomerStatus, TurnOffEvent, VehicleContactType
from dms_sync.models import RemoveRequest, Suppression
from tests.contacts.factories import ContactMethodFactory
from tests.customers.factories import (
    AssociationFactory,
    CustomerFactory,
    CustomerHistoryFactory,
    ServiceAdvisorFactory,
    TurnOffReasonFactory,
    VehicleFactory,
    VerificationStampFactory,
)
from tests.dms_sync.factories import SuppressionFactory
from tests.support.edit_form import edit_url, form_data
from tests.support.history import shown

JSON = {"HTTP_X_REQUESTED_WITH": "fetch", "HTTP_ACCEPT": "application/json"}


@pytest.mark.django_db
def test_edit_page_shows_sections_in_the_product_order(client_for, coordinator, us_customer):
    response = client_for(coordinator).get(edit_url(us_customer))
    html = response.content.decode()
    headings = [
        "Associations Summary",
        "Name Information",
        "Contact Information",
        "Customer Information History",
        "Address Information",
        "Other Information",
        "Last Verification:",
        "Verified Info",
        ">Save<",
    ]
    positions = [html.index(h) for h in headings]
    assert positions == sorted(positions)
    assert "Last Verification: never" in html
    # Phones are shown formatted, not as E.164.
    assert 'value="(313) 555-' in html


@pytest.mark.django_db
def test_saving_changes_writes_one_history_entry_and_redirects(client_for, coordinator, us_customer):
    client = client_for(coordinator)
    data = form_data(client, us_customer, first_name="Robert", city="Dearborn", home_phone="313 555 0188")
    response = client.post(edit_url(us_customer), data)
    assert response.status_code == 302
    us_customer.refresh_from_db()
    assert (us_customer.first_name, us_customer.city, us_customer.home_phone) == ("Robert", "Dearborn", "+13135550188")
    entries = CustomerHistory.objects.filter(customer=us_customer)
    assert entries.count() == 1
    labels = {c["label"] for c in shown(entries[0]).values()}
    assert labels == {"First Name", "City", "Home"}
    page = client.get(edit_url(us_customer)).content.decode()
    assert "(313) 555-0188" in page and "Dearborn" in page


@pytest.mark.django_db
def test_saving_unchanged_form_writes_no_history(client_for, coordinator, us_customer):
    client = client_for(coordinator)
    response = client.post(edit_url(us_customer), form_data(client, us_customer))
    assert response.status_code == 302
    assert not CustomerHistory.objects.filter(customer=us_customer).exists()
    us_customer.refresh_from_db()
    assert us_customer.version == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"home_phone": "555"}, "home_phone", "Enter a valid phone number"),
        ({"cell_phone": "not a phone"}, "cell_phone", "Enter a valid phone number"),
        ({"email1": "nobody@"}, "email1", "valid email"),
        ({"email2": "two@@example.com"}, "email2", "valid email"),
        ({"default_email": "on", "email1": ""}, "email1", "Email 1 is required when Default Email is checked"),
        ({"postal_code": "ABC"}, "postal_code", "valid ZIP code"),
        # A code the lookup does not know keeps the mismatch check (a known one moves the country with it).
        ({"postal_code": "M5V 9Z9"}, "postal_code", "looks like a Canadian postal code but the country is"),
        ({"birth_date": "2999-01-01"}, "birth_date", "cannot be in the future"),
        ({"birth_date": "1899-12-31"}, "birth_date", "cannot be before 1900"),
        ({"twitter_handle": "@has space"}, "twitter_handle", "Twitter handle is 1-15"),
        ({"twitter_handle": "a_very_long_handle_x"}, "twitter_handle", "Twitter handle is 1-15"),
        ({"status": "inactive"}, "inactive_reason", "Choose the reason code"),
        ({"work_ext": "12a"}, "work_ext", "digits only"),
    ],
)
def test_each_validation_error_shows_beside_the_field_and_saves_nothing(
    client_for, coordinator, us_customer, changes, field, message
):
    client = client_for(coordinator)
    before = Customer.objects.values().get(pk=us_customer.pk)
    response = client.post(edit_url(us_customer), form_data(client, us_customer, first_name="Changed", **changes))
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    html = response.content.decode()
    # The message is rendered right after the field's widget, in its error element.
    assert f'id="id_{field}_error"' in html
    assert Customer.objects.values().get(pk=us_customer.pk) == before
    assert not CustomerHistory.objects.filter(customer=us_customer).exists()


@pytest.mark.django_db
def test_default_email_unchecked_does_not_require_an_email(client_for, coordinator, us_customer):
    client = client_for(coordinator)
    response = client.post(edit_url(us_customer), form_data(client, us_customer, email1="", default_email=None))
    assert response.status_code == 302
    us_customer.refresh_from_db()
    assert us_customer.email1 == ""


@pytest.mark.django_db
def test_postal_code_and_email_are_normalized_on_save(client_for, coordinator, ca_customer):
    client = client_for(coordinator)
    data = form_data(
        client, ca_customer, postal_code="m5v-3l9", email1="Jane.Doe@Example.COM", twitter_handle="@jane_d"
    )
    data["postal_code"] = "m4w1a5"
    assert client.post(edit_url(ca_customer), data).status_code == 302
    ca_customer.refresh_from_db()
    assert ca_customer.postal_code == "M4W 1A5"
    assert ca_customer.email1 == "jane.doe@example.com"
    assert ca_customer.twitter_handle == "jane_d"


@pytest.mark.django_db
def test_inactivating_needs_an_active_status_reason_and_is_recorded(client_for, coordinator, us_customer, us_store):
    client = client_for(coordinator)
    inactive_code = TurnOffReasonFactory(dealership=us_store, label="Deceased", is_active=False)
    method_only = TurnOffReasonFactory(dealership=us_store, label="Bad number", applies_to_status=False)
    good = TurnOffReasonFactory(dealership=None, label="Moved away")
    for bad in (inactive_code, method_only):
        data = form_data(client, us_customer, status="inactive", inactive_reason=str(bad.pk))
        assert client.post(edit_url(us_customer), data).status_code == 400
    data = form_data(client, us_customer, status="inactive", inactive_reason=str(good.pk))
    assert client.post(edit_url(us_customer), data).status_code == 302
    us_customer.refresh_from_db()
    assert us_customer.status == CustomerStatus.INACTIVE and us_customer.inactive_reason == good
    assert us_customer.inactivated_by == coordinator and us_customer.inactivated_at is not None
    assert TurnOffEvent.objects.filter(customer=us_customer, target="status", is_on=False, reason=good).exists()


@pytest.mark.django_db
def test_preferred_advisor_offers_only_the_stores_active_advisors(client_for, coordinator, us_customer, ca_store):
    mine = ServiceAdvisorFactory(dealership=us_customer.dealership, name="Pat Mine")
    ServiceAdvisorFactory(dealership=us_customer.dealership, name="Gone Retired", is_active=False)
    theirs = ServiceAdvisorFactory(dealership=ca_store, name="Other Store")
    client = client_for(coordinator)
    page = client.get(edit_url(us_customer)).content.decode()
    assert "Pat Mine" in page and "Gone Retired" not in page and "Other Store" not in page
    response = client.post(edit_url(us_customer), form_data(client, us_customer, preferred_advisor=str(theirs.pk)))
    assert response.status_code == 400
    assert "preferred_advisor" in response.context["form"].errors
    assert (
        client.post(edit_url(us_customer), form_data(client, us_customer, preferred_advisor=str(mine.pk))).status_code
        == 302
    )
    us_customer.refresh_from_db()
    assert us_customer.preferred_advisor == mine


# --- Edit conflicts: two people, two browsers ---------------------------------------------------------------


@pytest.mark.django_db
def test_two_clients_editing_the_same_customer_get_a_conflict_naming_fields_and_values(
    client, django_user_model, coordinator, us_customer
):
    from django.test import Client

    from tests.customers.factories import MembershipFactory, UserFactory

    other_user = UserFactory(username="second")
    MembershipFactory(user=other_user, dealership=us_customer.dealership)
    alice = client
    alice.force_login(coordinator)
    bob = Client()
    bob.force_login(other_user)

    alice_form = form_data(alice, us_customer, cell_phone="(313) 555-0111", first_name="Alicia")
    bob_form = form_data(bob, us_customer, city="Ann Arbor", first_name="Roberta")
    assert bob.post(edit_url(us_customer), bob_form).status_code == 302

    response = alice.post(edit_url(us_customer), alice_form)
    assert response.status_code == 409
    html = response.content.decode()
    assert f"changed by {other_user.get_full_name()}" in html
    assert "City is now “Ann Arbor”" in html
    assert "First Name is now “Roberta”" in html
    us_customer.refresh_from_db()
    # Nothing of Alice's form was written.
    assert (us_customer.city, us_customer.first_name) == ("Ann Arbor", "Roberta")
    assert us_customer.cell_phone != "+13135550111"
    assert CustomerHistory.objects.filter(customer=us_customer).count() == 1

    # The re-offered form keeps Alice's own edits, takes Bob's city, and flags the field both changed.
    form = response.context["form"]
    assert form["city"].value() == "Ann Arbor"
    assert form["cell_phone"].value() == "(313) 555-0111"
    assert "Changed meanwhile to “Roberta”" in " ".join(form.errors["first_name"])
    # Saving that form now is a conscious decision and goes through.
    data = form_data(alice, us_customer)
    data.update({k: v for k, v in form.data.items() if k != "csrfmiddlewaretoken"})
    assert alice.post(edit_url(us_customer), data).status_code == 302
    us_customer.refresh_from_db()
    assert (us_customer.first_name, us_customer.city, us_customer.cell_phone) == ("Alicia", "Ann Arbor", "+13135550111")


# --- Remove (X) -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_remove_without_js_confirms_then_clears_suppresses_and_queues(client_for, coordinator, us_customer):
    client = client_for(coordinator)
    url = reverse("customers:remove", args=[us_customer.pk, "cell_phone"])
    page = client.get(edit_url(us_customer)).content.decode()
    assert f'href="{url}"' in page
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert b"Remove Cell permanently?" in confirm.content
    assert Customer.objects.get(pk=us_customer.pk).cell_phone  # GET changed nothing
    value = us_customer.cell_phone
    response = client.post(url, {"value": value})
    assert response.status_code == 302
    us_customer.refresh_from_db()
    assert us_customer.cell_phone == ""
    assert us_customer.version == 2
    assert Suppression.objects.filter(dms_number=us_customer.dms_number, field="cell_phone", value=value).exists()
    assert RemoveRequest.objects.get(customer=us_customer).status == "pending"
    entry = CustomerHistory.objects.get(customer=us_customer)
    assert entry.action == "remove" and shown(entry)["cell_phone"]["label"] == "Cell"
    assert b"Pending" in client.get(edit_url(us_customer)).content


@pytest.mark.django_db
def test_remove_with_js_returns_json_with_the_new_version_and_history(client_for, coordinator, us_customer):
    client = client_for(coordinator)
    url = reverse("customers:remove", args=[us_customer.pk, "email1"])
    response = client.post(url, {"value": us_customer.email1}, **JSON)
    assert response.status_code == 200
    data = response.json()
    assert data["ok"] and data["field"] == "email1" and data["cleared"] == ["email1"]
    assert data["version"] == 2 and data["original"]
    assert "Email 1" in data["history_html"]
    again = client.post(url, {"value": us_customer.email1}, **JSON)
    assert again.status_code == 409
    assert "already empty" in again.json()["message"]


@pytest.mark.django_db
def test_removing_email_1_unticks_default_email_in_the_same_entry_and_saves_work_after(
    client_for, coordinator, us_customer
):
    Customer.objects.filter(pk=us_customer.pk).update(default_email=True)
    client = client_for(coordinator)
    url = reverse("customers:remove", args=[us_customer.pk, "email1"])
    response = client.post(url, {"value": us_customer.email1}, **JSON)
    assert response.status_code == 200
    data = response.json()
    assert data["cleared"] == ["email1"] and data["unticked"] == ["default_email"]
    assert "Default Email was unticked: it needs an Email 1." in data["message"]
    us_customer.refresh_from_db()
    assert (us_customer.email1, us_customer.default_email, us_customer.version) == ("", False, 2)
    entry = CustomerHistory.objects.get(customer=us_customer)
    assert entry.action == "remove" and {"email1", "default_email"} <= set(shown(entry))
    # The next Save of the screen is not refused for the missing Email 1.
    save = client.post(edit_url(us_customer), form_data(client, us_customer, first_name="Robert"))
    assert save.status_code == 302
    assert Customer.objects.get(pk=us_customer.pk).first_name == "Robert"


@pytest.mark.django_db
def test_removing_email_1_without_js_says_default_email_was_unticked(client_for, coordinator, us_customer):
    Customer.objects.filter(pk=us_customer.pk).update(default_email=True)
    client = client_for(coordinator)
    url = reverse("customers:remove", args=[us_customer.pk, "email1"])
    response = client.post(url, {"value": us_customer.email1}, follow=True)
    assert response.status_code == 200
    assert "Default Email was unticked" in response.content.decode()
    assert not Customer.objects.get(pk=us_customer.pk).default_email


@pytest.mark.django_db
def test_removing_email_2_leaves_default_email_alone(client_for, coordinator, us_customer):
    Customer.objects.filter(pk=us_customer.pk).update(default_email=True, email2="b@example.com")
    client = client_for(coordinator)
    url = reverse("customers:remove", args=[us_customer.pk, "email2"])
    data = client.post(url, {"value": "b@example.com"}, **JSON).json()
    assert data["ok"] and data["unticked"] == []
    assert Customer.objects.get(pk=us_customer.pk).default_email


@pytest.mark.django_db
def test_plain_posts_of_the_other_actions_still_work_without_js(client_for, coordinator, us_customer):
    """The script blocks actions while the form has unsaved edits; the server keeps one plain POST each."""
    client = client_for(coordinator)
    page = client.get(edit_url(us_customer)).content.decode()
    assert "Saves Name, Contact, Address and Other information" in page
    assert 'id="verify-status"' in page and "dm-save-bar" in page
    assert "use the X to remove it for good" in page
    response = client.post(
        reverse("customers:preferred_method", args=[us_customer.pk]), {"preferred_contact_method": ""}
    )
    assert response.status_code == 302
    response = client.post(reverse("customers:verify", args=[us_customer.pk]))
    assert response.status_code == 302 and response["Location"].endswith("#verified-info")
    response = client.post(edit_url(us_customer), form_data(client, us_customer, first_name="Robert"))
    assert response.status_code == 302
    assert Customer.objects.get(pk=us_customer.pk).first_name == "Robert"


@pytest.mark.django_db
def test_remove_refuses_a_value_changed_meanwhile(client_for, coordinator, us_customer):
    client = client_for(coordinator)
    url = reverse("customers:remove", args=[us_customer.pk, "cell_phone"])
    Customer.objects.filter(pk=us_customer.pk).update(cell_phone="+13135550177")
    response = client.post(url, {"value": us_customer.cell_phone})
    assert response.status_code == 409
    assert "changed to (313) 555-0177 meanwhile" in response.content.decode()
    assert Customer.objects.get(pk=us_customer.pk).cell_phone == "+13135550177"
    assert not Suppression.objects.exists()


@pytest.mark.django_db
def test_remove_of_an_unknown_field_is_404(client_for, coordinator, us_customer):
    client = client_for(coordinator)
    assert client.post(reverse("customers:remove", args=[us_customer.pk, "first_name"])).status_code == 404


# --- Verified Info ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_verified_info_without_js_stamps_and_redirects(client_for, coordinator, us_customer):
    client = client_for(coordinator)
    response = client.post(reverse("customers:verify", args=[us_customer.pk]))
    assert response.status_code == 302
    stamp = us_customer.verifications.get()
    assert stamp.verified_by == coordinator
    assert "Last Verification: today" in client.get(edit_url(us_customer)).content.decode()


@pytest.mark.django_db
def test_verified_info_with_js_returns_the_new_label(client_for, coordinator, us_customer):
    from datetime import timedelta

    from django.utils import timezone

    VerificationStampFactory(customer=us_customer, verified_at=timezone.now() - timedelta(days=70))
    client = client_for(coordinator)
    assert "Last Verification: 2 months" in client.get(edit_url(us_customer)).content.decode()
    data = client.post(reverse("customers:verify", args=[us_customer.pk]), **JSON).json()
    assert data["ok"] and data["label"] == "Last Verification: today"
    assert "Last Verification" in data["history_html"]


# --- History pagination -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_history_is_newest_first_and_paginated_past_50(client_for, coordinator, us_customer):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    for i in range(55):
        CustomerHistoryFactory(
            customer=us_customer,
            created_at=now - timedelta(minutes=i),
            changes=[{"field": "city", "old": f"old{i}", "new": f"new{i}"}],
        )
    client = client_for(coordinator)
    html = client.get(edit_url(us_customer)).content.decode()
    assert html.index("new0<") < html.index("new1<") < html.index("new49<")
    assert "new50<" not in html
    assert "Page 1 of 2" in html
    html2 = client.get(edit_url(us_customer) + "?history_page=2").content.decode()
    assert "new50<" in html2 and "new54<" in html2 and "new0<" not in html2


@pytest.mark.django_db
def test_edit_page_query_count_is_bounded(client_for, coordinator, us_customer, django_assert_max_num_queries):
    for _ in range(3):
        VehicleFactory(customer=us_customer)
    for _ in range(5):
        CustomerHistoryFactory(customer=us_customer)
    AssociationFactory(from_customer=us_customer)
    for i in range(3):  # the "Removed permanently" list: one query whatever its length
        SuppressionFactory(customer=us_customer, value=f"+1313555019{i}")
    client = client_for(coordinator)
    client.get(edit_url(us_customer))
    with django_assert_max_num_queries(12):  # the budget of tests/customers/test_edit_queries.py
        assert client.get(edit_url(us_customer)).status_code == 200


# --- Contact methods ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_contact_method_off_needs_a_reason_beside_the_method(client_for, coordinator, us_customer):
    client = client_for(coordinator)
    url = reverse("customers:contact_method", args=[us_customer.pk])
    response = client.post(url, {"method": "email", "is_on": "off", "reason": ""})
    assert response.status_code == 400
    assert "Choose the reason" in response.content.decode()
    assert not ContactMethod.objects.exists()
    reason = TurnOffReasonFactory(dealership=us_customer.dealership, applies_to_contact_method=True)
    assert client.post(url, {"method": "email", "is_on": "off", "reason": reason.pk}).status_code == 302
    row = ContactMethod.objects.get(customer=us_customer, method="email")
    assert not row.is_on and row.reason == reason
    assert TurnOffEvent.objects.filter(customer=us_customer, code="email", is_on=False).exists()
    assert CustomerHistory.objects.filter(customer=us_customer, action="contact_method").exists()
    assert client.post(url, {"method": "email", "is_on": "on"}).status_code == 302
    assert ContactMethod.objects.get(customer=us_customer, method="email").is_on


@pytest.mark.django_db
def test_preferred_method_is_set_and_shown_with_the_star(client_for, coordinator, us_customer):
    client = client_for(coordinator)
    url = reverse("customers:preferred_method", args=[us_customer.pk])
    assert client.post(url, {"preferred_contact_method": "cell_phone"}).status_code == 302
    us_customer.refresh_from_db()
    assert us_customer.preferred_contact_method == "cell_phone"
    assert 'aria-label="Preferred Method of Contact"' in client.get(edit_url(us_customer)).content.decode()


@pytest.mark.django_db
def test_each_contact_method_shows_its_contactability_beside_it(client_for, coordinator, us_store):
    """The same answer as the profile (contacts.contactability): an empty phone is "no number on file", an
    opted-out email is not contactable with the reason, and the star is not on the unusable preferred method."""
    from django.utils import timezone

    from tests.contacts.factories import EmailConsentFactory

    customer = CustomerFactory(
        dealership=us_store, home_phone="", work_phone="", email1="out@example.net", preferred_contact_method="email"
    )
    EmailConsentFactory(customer=customer, email="out@example.net", opted_out_at=timezone.now())
    html = client_for(coordinator).get(edit_url(customer)).content.decode()
    panel = html.split('id="contact-methods"')[1].split("</section>")[0]
    home = panel.split('data-method="home_phone"')[1].split("</tr>")[0]
    assert 'data-method="home_phone" data-contactable="no_value"' in panel
    assert "no number on file" in home and 'aria-label="Home Phone: contactable"' not in home
    email = panel.split('data-method="email"')[1].split("</tr>")[0]
    assert 'aria-label="Email: not contactable: Email 1 opted out of email"' in email
    assert "Not contactable: Email 1 opted out of email" in email
    assert 'aria-label="Preferred Method of Contact"' not in panel
    assert "Preferred method Email is not usable: Email 1 opted out of email." in panel
    cell = panel.split('data-method="cell_phone"')[1].split("</tr>")[0]
    assert 'aria-label="Cell Phone: contactable"' in cell


@pytest.mark.django_db
def test_duplicate_child_shows_parent_methods_read_only(client_for, coordinator, us_customer):
    parent = CustomerFactory(dealership=us_customer.dealership)
    ContactMethodFactory(customer=parent, method="email", is_on=False)
    Customer.objects.filter(pk=us_customer.pk).update(merge_parent=parent, merge_relationship="duplicate")
    client = client_for(coordinator)
    html = client.get(edit_url(us_customer)).content.decode()
    assert "follows the contact methods of" in html
    assert "Turn off" not in html.split('id="contact-methods"')[1].split("</section>")[0]
    response = client.post(
        reverse("customers:contact_method", args=[us_customer.pk]), {"method": "mail", "is_on": "on"}
    )
    assert response.status_code == 400
    assert "duplicate" in response.content.decode()


# --- VIN contact types --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_vin_contact_type_off_needs_reason_then_shows_red_x(client_for, coordinator, us_customer):
    vehicle = VehicleFactory(customer=us_customer)
    client = client_for(coordinator)
    url = reverse("customers:vin_type", args=[us_customer.pk, vehicle.pk, "csi"])
    assert client.get(url).status_code == 200
    response = client.post(url, {"is_on": "off", "reason": "", "comment": "asked"})
    assert response.status_code == 400
    assert "Choose the reason" in response.content.decode()
    reason = TurnOffReasonFactory(dealership=None, applies_to_vin_contact_type=True, label="Customer request")
    assert client.post(url, {"is_on": "off", "reason": reason.pk, "comment": "asked"}).status_code == 302
    row = VehicleContactType.objects.get(vehicle=vehicle, contact_type="csi")
    assert not row.is_on and row.comment == "asked"
    html = client.get(edit_url(us_customer)).content.decode()
    assert f"CSI off for {vehicle.vin} (Customer request): turn on" in html
    assert client.post(url, {"is_on": "on"}).status_code == 302
    assert VehicleContactType.objects.get(vehicle=vehicle, contact_type="csi").is_on


@pytest.mark.django_db
def test_owns_off_marks_the_vehicle_sold(client_for, coordinator, us_customer):
    vehicle = VehicleFactory(customer=us_customer)
    reason = TurnOffReasonFactory(dealership=None, applies_to_vin_contact_type=True, label="Traded in")
    client = client_for(coordinator)
    url = reverse("customers:vin_type", args=[us_customer.pk, vehicle.pk, "owns"])
    assert client.post(url, {"is_on": "off", "reason": reason.pk}).status_code == 302
    vehicle.refresh_from_db()
    assert vehicle.owns is False and vehicle.owns_reason == reason
    entry = CustomerHistory.objects.get(customer=us_customer, action="vin_contact_type")
    assert shown(entry)[f"vin:{vehicle.vin}:owns"]["new"] == "Sold/traded (Traded in)"


@pytest.mark.django_db
def test_vin_type_of_another_customers_vehicle_is_404(client_for, coordinator, us_customer):
    other_vehicle = VehicleFactory(customer=CustomerFactory(dealership=us_customer.dealership))
    url = reverse("customers:vin_type", args=[us_customer.pk, other_vehicle.pk, "csi"])
    assert client_for(coordinator).post(url, {"is_on": "on"}).status_code == 404


# --- Associations ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_associations_find_add_show_from_both_sides_and_remove(client_for, coordinator, us_customer, ca_store):
    spouse = CustomerFactory(dealership=us_customer.dealership, first_name="Maria", last_name="Zamora")
    CustomerFactory(dealership=ca_store, first_name="Maria", last_name="Zamora")  # other store: never offered
    client = client_for(coordinator)
    found = client.get(edit_url(us_customer) + "?assoc_q=zamora")
    assert list(found.context["assoc_candidates"]) == [spouse]
    response = client.post(
        reverse("customers:association_add", args=[us_customer.pk]),
        {"other": spouse.pk, "relationship": "spouse", "note": "Married 2010"},
    )
    assert response.status_code == 302
    assert "Maria Zamora" in client.get(edit_url(us_customer)).content.decode()
    assert us_customer.display_name in client.get(edit_url(spouse)).content.decode()
    assert CustomerHistory.objects.filter(customer=spouse, action="association_add").exists()
    association = Association.objects.get()
    remove = reverse("customers:association_remove", args=[spouse.pk, association.pk])
    assert client.post(remove).status_code == 302
    assert not Association.objects.exists()
    assert CustomerHistory.objects.filter(customer=us_customer, action="association_remove").exists()


@pytest.mark.django_db
def test_association_with_a_customer_of_another_store_is_refused(client_for, coordinator, us_customer, ca_customer):
    response = client_for(coordinator).post(
        reverse("customers:association_add", args=[us_customer.pk]), {"other": ca_customer.pk, "relationship": "friend"}
    )
    assert response.status_code == 400
    assert not Association.objects.exists()


# --- Postal lookup ------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "country", "expected"),
    [
        ("m5v-3l9", "CA", {"found": True, "postal_code": "M5V 3L9", "city": "Toronto", "state": "ON", "county": ""}),
        ("M5V3L9", "", {"found": True, "postal_code": "M5V 3L9", "city": "Toronto", "country": "CA"}),
        ("48226-1234", "US", {"found": True, "postal_code": "48226-1234", "city": "Detroit", "county": "Wayne County"}),
        ("K0A 0A1", "CA", {"found": True, "city": "", "state": "ON", "county": ""}),
        ("M5V 9Z9", "CA", {"found": False, "postal_code": "M5V 9Z9"}),
        ("hello", "", {"found": False, "postal_code": ""}),
    ],
)
def test_postal_lookup_view(client_for, coordinator, code, country, expected):
    response = client_for(coordinator).get(reverse("postal:lookup"), {"code": code, "country": country})
    assert response.status_code == 200
    data = response.json()
    for key, value in expected.items():
        assert data[key] == value
    if not data["found"]:
        assert data["message"]


@pytest.mark.django_db
def test_postal_lookup_url_is_the_documented_one(client_for, coordinator):
    assert reverse("postal:lookup") == "/postal-codes/lookup"
    data = json.loads(client_for(coordinator).get("/postal-codes/lookup?code=10001&country=US").content)
    assert data["city"] == "New York" and data["state"] == "NY"


@pytest.mark.django_db
def test_edit_page_wires_the_script_and_lookup(client_for, coordinator, us_customer):
    html = client_for(coordinator).get(edit_url(us_customer)).content.decode()
    assert re.search(r'data-postal-url="/postal-codes/lookup"', html)
    assert "js/edit.js" in html
    assert 'form="verify-form"' in html


@pytest.mark.django_db
def test_a_value_blanked_by_hand_is_said_to_be_cleared_not_removed_for_good(client_for, coordinator, us_customer):
    us_customer.cell_phone, us_customer.email2 = "+13135550177", "second@example.com"
    us_customer.save()
    client = client_for(coordinator)
    page = client.get(edit_url(us_customer)).content.decode()
    assert 'data-blank-note="cell_phone"' in page and 'data-blank-note="email2"' in page
    response = client.post(edit_url(us_customer), form_data(client, us_customer, cell_phone="", email2=""), follow=True)
    shown_messages = [str(m) for m in response.context["messages"]]
    assert any(m.startswith("Cleared, not removed for good: Cell, Email 2.") for m in shown_messages), shown_messages
    us_customer.refresh_from_db()
    assert us_customer.cell_phone == "" and us_customer.email2 == ""
    assert not Suppression.objects.filter(customer=us_customer).exists()  # only the X removes for good
