"""Logging a contact from the screens (plain POST and the script's JSON), the profile's Contact History panel and
"Last contact", the Contact History page, the one-click inbound log, and the remove (X) a wrong number offers."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from contacts.models import ContactLog, ContactResult, DoNotCallNumber
from contacts.services import contact_log_record
from customers.models import Inquiry
from tests.customers.factories import CustomerFactory, VehicleFactory

AS_SCRIPT = {"HTTP_X_REQUESTED_WITH": "fetch", "HTTP_ACCEPT": "application/json"}
CALL_SELECT = reverse("contacts:call_select") + "?dealership=1&contact_type=maintenance"


def log_url(customer):
    return reverse("contacts:contact_log", args=[customer.pk])


def profile_url(customer):
    return reverse("customers:profile", args=[customer.pk])


@pytest.fixture
def customer(us_store):
    c = CustomerFactory(dealership=us_store, first_name="Dana", last_name="Caller", cell_phone="+13135550131")
    VehicleFactory(customer=c)
    return c


def test_the_log_page_is_prefilled_from_a_call_select_row_and_get_changes_nothing(client_for, us_coordinator, customer):
    vehicle = customer.vehicles.get()
    response = client_for(us_coordinator).get(
        log_url(customer),
        {"contact_type": "csi", "vehicle": vehicle.pk, "phone": customer.cell_phone, "next": CALL_SELECT},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form["contact_type"].value() == "csi" and str(form["vehicle"].value()) == str(vehicle.pk)
    assert form["phone"].value() == customer.cell_phone and form["next"].value() == CALL_SELECT
    assert not ContactLog.objects.exists()


def test_a_plain_post_logs_and_goes_back_to_the_list(client_for, us_coordinator, customer):
    client = client_for(us_coordinator)
    data = {
        "channel": "phone_out",
        "contact_type": "maintenance",
        "result": "booked",
        "note": "Tue 9am",
        "next": CALL_SELECT,
    }
    response = client.post(log_url(customer), data)
    assert response.status_code == 302 and response["Location"] == CALL_SELECT
    entry = ContactLog.objects.get()
    assert (entry.user, entry.result, entry.note, entry.contact_type) == (
        us_coordinator,
        "booked",
        "Tue 9am",
        "maintenance",
    )


def test_next_must_be_a_path_of_this_site(client_for, us_coordinator, customer):
    data = {"channel": "phone_out", "result": "no_answer", "next": "https://evil.example.com/"}
    response = client_for(us_coordinator).post(log_url(customer), data)
    assert response["Location"] == profile_url(customer) + "#contact-history"


def test_an_invalid_post_shows_the_errors_and_writes_nothing(client_for, us_coordinator, customer):
    client = client_for(us_coordinator)
    response = client.post(log_url(customer), {"channel": "phone_out", "result": "call_back"})
    assert response.status_code == 400
    assert "Enter the date to call back." in response.content.decode()
    response = client.post(log_url(customer), {"channel": "phone_out", "result": "do_not_call"}, **AS_SCRIPT)
    assert response.status_code == 400 and response.json()["ok"] is False
    assert "phone" in response.json()["errors"]
    assert not ContactLog.objects.exists()


def test_the_script_gets_json_with_the_outcome(client_for, us_coordinator, customer):
    tomorrow = timezone.localdate() + timedelta(days=2)
    data = {"channel": "phone_out", "contact_type": "maintenance", "result": "call_back", "call_back_on": tomorrow}
    response = client_for(us_coordinator).post(log_url(customer), data, **AS_SCRIPT)
    body = response.json()
    assert body["ok"] and body["result"] == "call_back" and body["call_back_on"] == tomorrow.isoformat()
    assert "Back on Call Select on" in body["message"] and body["remove"] is None


def test_do_not_call_from_a_row_lists_the_number_and_says_so(client_for, us_coordinator, customer):
    data = {
        "channel": "phone_out",
        "contact_type": "maintenance",
        "result": "do_not_call",
        "phone": customer.cell_phone,
    }
    body = client_for(us_coordinator).post(log_url(customer), data, **AS_SCRIPT).json()
    assert body["do_not_call"] and body["methods_turned_off"] == ["cell_phone"]
    assert "(313) 555-0131 is on the store's do-not-call list; Cell Phone turned off." in body["message"]
    assert DoNotCallNumber.objects.get().added_by == us_coordinator


def test_a_wrong_number_leads_to_the_remove_confirm_step_and_back(client_for, us_coordinator, customer):
    client = client_for(us_coordinator)
    data = {"channel": "phone_out", "result": "wrong_number", "phone": customer.cell_phone, "next": CALL_SELECT}
    response = client.post(log_url(customer), data)
    remove_url = reverse("customers:remove", args=[customer.pk, "cell_phone"])
    assert response.status_code == 302 and response["Location"].startswith(remove_url + "?next=")
    confirm = client.get(response["Location"])
    assert confirm.status_code == 200 and confirm.context["next"] == CALL_SELECT
    customer.refresh_from_db()
    assert customer.cell_phone == "+13135550131", "the confirm step (GET) removes nothing"
    done = client.post(remove_url, {"value": "+13135550131", "next": CALL_SELECT})
    assert done["Location"] == CALL_SELECT
    customer.refresh_from_db()
    assert customer.cell_phone == ""

    json_body = client.post(log_url(customer), {"channel": "walk_in", "result": "other"}, **AS_SCRIPT).json()
    assert json_body["remove"] is None


def test_the_script_gets_the_remove_offer_for_a_wrong_number(client_for, us_coordinator, customer):
    data = {"channel": "phone_out", "result": "wrong_number", "phone": customer.cell_phone, "next": CALL_SELECT}
    body = client_for(us_coordinator).post(log_url(customer), data, **AS_SCRIPT).json()
    remove = body["remove"]
    assert remove["action"] == reverse("customers:remove", args=[customer.pk, "cell_phone"])
    assert (remove["label"], remove["value"], remove["display"]) == ("Cell", "+13135550131", "(313) 555-0131")


# --- the profile -------------------------------------------------------------------------------------------------


def test_the_profile_shows_the_contact_history_newest_first_and_last_contact(client_for, us_coordinator, customer):
    now = timezone.now()
    vehicle = customer.vehicles.get()
    for days, result in ((30, ContactResult.NO_ANSWER), (2, ContactResult.BOOKED)):
        contact_log_record(
            customer=customer,
            channel="phone_out",
            result=result,
            contact_type="maintenance",
            vehicle=vehicle,
            note=f"note {days}",
            actor=us_coordinator,
            now=now - timedelta(days=days),
        )
    response = client_for(us_coordinator).get(profile_url(customer))
    profile = response.context["profile"]
    assert [r.result for r in profile.contact_history] == ["booked", "no_answer"]
    assert profile.contact_count == 2
    assert profile.last_contact.row.result == "booked" and not profile.last_contact.from_dms
    body = response.content.decode()
    assert 'id="contact-history"' in body and vehicle.vin in body and "note 30" in body
    assert "Appointment booked" in body and us_coordinator.get_full_name() in body


def test_last_contact_comes_from_the_dms_when_its_date_is_later(client_for, us_coordinator, customer):
    contact_log_record(customer=customer, channel="letter", result="other", now=timezone.now() - timedelta(days=10))
    customer.last_contact_date = timezone.localdate()
    customer.save()
    profile = client_for(us_coordinator).get(profile_url(customer)).context["profile"]
    assert profile.last_contact.from_dms and profile.last_contact.on == customer.last_contact_date
    customer.last_contact_date = date(2001, 1, 1)
    customer.save()
    profile = client_for(us_coordinator).get(profile_url(customer)).context["profile"]
    assert not profile.last_contact.from_dms


def test_a_file_never_contacted_shows_a_dash(client_for, us_coordinator, customer):
    response = client_for(us_coordinator).get(profile_url(customer))
    assert response.context["profile"].last_contact is None
    assert "No contact logged yet." in response.content.decode()


@pytest.mark.parametrize("n", [1, 40])
def test_the_profile_budget_holds_whatever_the_contact_history(
    client_for, us_coordinator, customer, django_assert_max_num_queries, n
):
    now = timezone.now()
    for i in range(n):
        contact_log_record(customer=customer, channel="phone_out", result="busy", now=now - timedelta(hours=i))
    client = client_for(us_coordinator)
    client.get(profile_url(customer))
    with django_assert_max_num_queries(10):
        response = client.get(profile_url(customer))
    assert len(response.context["profile"].contact_history) == min(n, 10)
    assert ("Older contacts" in response.content.decode()) == (n > 10)


def test_the_contact_history_page_is_paginated_newest_first(client_for, us_coordinator, customer):
    now = timezone.now()
    for i in range(30):
        contact_log_record(
            customer=customer, channel="phone_out", result="busy", note=f"n{i}", now=now - timedelta(hours=i)
        )
    client = client_for(us_coordinator)
    url = reverse("contacts:contact_history", args=[customer.pk])
    first = client.get(url).context["page"]
    assert [r.note for r in first.object_list][:2] == ["n0", "n1"] and len(first.object_list) == 25
    second = client.get(url, {"page": 2}).context["page"]
    assert [r.note for r in second.object_list] == [f"n{i}" for i in range(25, 30)]


def test_opening_the_file_from_a_search_offers_the_inbound_log_in_one_click(client_for, us_coordinator, customer):
    client = client_for(us_coordinator)
    assert 'id="inbound-offer"' not in client.get(profile_url(customer)).content.decode()
    opened = client.post(reverse("customers:search_open", args=[customer.pk]))  # records the INQ
    assert opened.status_code == 302 and Inquiry.objects.filter(customer=customer, user=us_coordinator).exists()
    body = client.get(profile_url(customer)).content.decode()
    assert 'id="inbound-offer"' in body

    response = client.post(log_url(customer), {"channel": "phone_in", "result": "other", "note": "Customer called in"})
    assert response.status_code == 302
    entry = ContactLog.objects.get()
    assert entry.is_inbound and entry.user == us_coordinator
    assert 'id="inbound-offer"' not in client.get(profile_url(customer)).content.decode(), "logged: offered no more"


def test_a_number_on_another_stores_list_never_shows_on_a_profile(client_for, coordinator, us_store, ca_store):
    ours = CustomerFactory(dealership=us_store, cell_phone="+13135550181")
    theirs = CustomerFactory(dealership=ca_store, cell_phone="+13135550181")
    contact_log_record(customer=ours, channel="phone_out", result="do_not_call", phone="+13135550181")
    client = client_for(coordinator)
    mine = client.get(profile_url(ours)).context["profile"].methods_by_kind["cell_phone"]
    other = client.get(profile_url(theirs)).context["profile"].methods_by_kind["cell_phone"]
    assert not mine.usable and "do-not-call" in mine.why
    assert other.usable, "the Canadian store keeps its own list"
    edit = client.get(reverse("customers:edit", args=[theirs.pk])).context["contact_methods"]["methods"]
    assert next(m for m in edit if m.kind == "cell_phone").usable
