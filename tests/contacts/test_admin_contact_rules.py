"""Django admin: the store's calling rules (recycle days, calling hours), the do-not-call list, the read-only
contact history, and the opt-out / bounce-report uploads (result page; a bad file changes nothing)."""

from datetime import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from contacts.models import ContactMethod, ContactSettings, DoNotCallNumber, EmailBounce, RecycleDays
from customers.models import TurnOffEvent
from tests.customers.factories import CustomerFactory, UserFactory


@pytest.fixture
def staff(db, client_for):
    return client_for(UserFactory(username="boss", is_staff=True, is_superuser=True))


def upload(name, text, encoding="utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding) if isinstance(text, str) else text, "text/csv")


def method_on(customer, method="cell_phone"):
    row = ContactMethod.objects.filter(customer=customer, method=method).first()
    return row is None or row.is_on


# --- calling rules ---------------------------------------------------------------------------------------------


def test_a_store_sets_recycle_days_and_calling_hours_in_admin(staff, us_store):
    url = reverse("admin:contacts_contactsettings_add")
    page = staff.get(url)
    assert page.status_code == 200 and "Defaults where a store sets nothing" in page.content.decode()
    data = {
        "dealership": us_store.pk,
        "weekday_start": "09:00",
        "weekday_end": "20:00",
        "weekend_start": "",
        "weekend_end": "",
        "recycle_days-TOTAL_FORMS": "1",
        "recycle_days-INITIAL_FORMS": "0",
        "recycle_days-0-contact_type": "maintenance",
        "recycle_days-0-days": "14",
    }
    response = staff.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    settings = ContactSettings.objects.get(dealership=us_store)
    assert (settings.weekday_start, settings.weekday_end, settings.weekend_start) == (time(9), time(20), None)
    assert RecycleDays.objects.get(store_settings=settings).days == 14
    listing = staff.get(reverse("admin:contacts_contactsettings_changelist")).content.decode()
    assert "weekdays 09:00-20:00, weekends 08:00-21:00" in listing and "Maintenance: 14 days" in listing


def test_calling_hours_that_end_before_they_start_are_refused(staff, us_store):
    data = {
        "dealership": us_store.pk,
        "weekday_start": "21:00",
        "weekday_end": "09:00",
        "recycle_days-TOTAL_FORMS": "1",
        "recycle_days-INITIAL_FORMS": "0",
        "recycle_days-0-contact_type": "csi",
        "recycle_days-0-days": "900",
    }
    response = staff.post(reverse("admin:contacts_contactsettings_add"), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "The end comes after the start." in body and "less than or equal to 366" in body
    assert not ContactSettings.objects.exists()


# --- the do-not-call list --------------------------------------------------------------------------------------


def test_an_admin_adds_a_number_with_who_when_and_why_and_removes_it(staff, us_store, ca_store):
    url = reverse("admin:contacts_donotcallnumber_add")
    response = staff.post(url, {"dealership": us_store.pk, "number": "(313) 555-0190", "reason": "Called the GM"})
    assert response.status_code == 302
    entry = DoNotCallNumber.objects.get()
    assert (entry.number, entry.reason, entry.source, entry.added_by.username) == (
        "+13135550190",
        "Called the GM",
        "admin",
        "boss",
    )
    again = staff.post(url, {"dealership": us_store.pk, "number": "313-555-0190", "reason": "twice"})
    assert "already on the store&#x27;s do-not-call list" in again.content.decode()
    bad = staff.post(url, {"dealership": us_store.pk, "number": "12", "reason": ""})
    assert "Enter a valid phone number" in bad.content.decode()
    assert staff.post(url, {"dealership": ca_store.pk, "number": "313 555 0190"}).status_code == 302
    assert DoNotCallNumber.objects.count() == 2, "each store keeps its own list"

    listing = staff.get(reverse("admin:contacts_donotcallnumber_changelist")).content.decode()
    assert "(313) 555-0190" in listing and "Called the GM" in listing
    staff.post(reverse("admin:contacts_donotcallnumber_delete", args=[entry.pk]), {"post": "yes"})
    assert not DoNotCallNumber.objects.filter(pk=entry.pk).exists()


def test_the_contact_history_is_read_only_in_admin(staff):
    assert staff.get(reverse("admin:contacts_contactlog_changelist")).status_code == 200
    assert staff.get(reverse("admin:contacts_contactlog_add")).status_code == 403


# --- uploads ---------------------------------------------------------------------------------------------------


OPT_OUTS = reverse("admin:contacts_contactmethod_upload")
BOUNCES = reverse("admin:contacts_emailbounce_upload")


def test_the_changelists_link_to_their_upload(staff):
    assert OPT_OUTS in staff.get(reverse("admin:contacts_contactmethod_changelist")).content.decode()
    assert BOUNCES in staff.get(reverse("admin:contacts_emailbounce_changelist")).content.decode()


def test_opt_out_upload_applies_and_lists_unknown_keys_and_errors_by_line(staff, us_store):
    ann = CustomerFactory(dealership=us_store, cell_phone="+13135550142")
    assert staff.get(OPT_OUTS).status_code == 200
    text = "cell_phone,email\n(313) 555-0142,\n313-555-0100,\n12,\n"
    response = staff.post(OPT_OUTS, {"dealership": us_store.pk, "file": upload("optouts.csv", text)})
    assert response.status_code == 200
    result = response.context["result"]
    assert (result.rows, result.applied, result.unchanged) == (3, 1, 0)
    assert result.unknown == [(3, "+13135550100")] and result.errors == [(4, "'12' is not a valid phone number")]
    body = response.content.decode()
    assert "line 3: +13135550100" in body and "line 4: &#x27;12&#x27; is not a valid phone number" in body
    assert not method_on(ann)
    event = TurnOffEvent.objects.get(customer=ann)
    assert event.actor_label == "import: optouts.csv (uploaded by boss)" and event.reason.code == "OPTOUT"


@pytest.mark.parametrize(
    "content, message",
    [
        ("name,city\nAnn,Troy\n", "No key column"),
        ("", "The submitted file is empty."),  # Django's own check, before ours
        ("  \n\n", "The file is empty."),
        ("cell_phone\n(313) 555-0142\n".encode("utf-16"), "not a text CSV"),
        ("cell_phone\n(313) 555-0142\ncaf\xe9\n".encode("latin-1"), "not UTF-8"),
        ("cell_phone\n(313) 555-0142\n" + "9" * 200_000 + "\n", "not a readable CSV"),
    ],
    ids=["no key column", "empty", "blank", "utf-16", "latin-1", "malformed line after a good one"],
)
def test_a_bad_opt_out_file_is_refused_clearly_and_nothing_is_applied(staff, us_store, content, message):
    ann = CustomerFactory(dealership=us_store, cell_phone="+13135550142")
    response = staff.post(OPT_OUTS, {"dealership": us_store.pk, "file": upload("bad.csv", content)})
    assert response.status_code == 400 and message in response.content.decode()
    assert method_on(ann) and not TurnOffEvent.objects.exists()


def test_opt_out_upload_refuses_another_stores_reason(staff, us_store, ca_store):
    from tests.customers.factories import TurnOffReasonFactory

    theirs = TurnOffReasonFactory(dealership=ca_store)
    response = staff.post(
        OPT_OUTS, {"dealership": us_store.pk, "reason": theirs.pk, "file": upload("o.csv", "cell\n3135550142\n")}
    )
    assert response.status_code == 400 and "That reason belongs to another store." in response.content.decode()


def test_bounce_upload_stores_skips_duplicates_and_reports_bad_lines(staff, us_store):
    text = (
        "email,bounced_at,campaign,reason\n"
        "a@mail.example.com,2026-03-01T10:00:00Z,Spring,550\n"
        "not-an-email,2026-03-01,Spring,\n"
        "b@mail.example.com,yesterday,Spring,\n"
    )
    first = staff.post(BOUNCES, {"dealership": us_store.pk, "file": upload("report.csv", text)}).context["result"]
    assert (first.rows, first.applied, first.unchanged) == (3, 1, 0)
    assert [line for line, _ in first.errors] == [3, 4] and "email:" in first.errors[0][1]
    second = staff.post(BOUNCES, {"dealership": us_store.pk, "file": upload("report.csv", text)}).context["result"]
    assert (second.applied, second.unchanged) == (0, 1)
    assert EmailBounce.objects.filter(dealership=us_store).count() == 1


def test_a_bounce_file_without_its_columns_is_refused_and_nothing_stored(staff, us_store):
    response = staff.post(
        BOUNCES, {"dealership": us_store.pk, "file": upload("r.csv", "address,when\na@x.com,2026-01-01\n")}
    )
    assert response.status_code == 400 and "Missing column(s): email, bounced_at." in response.context["error"]
    assert not EmailBounce.objects.exists()


def test_coordinators_cannot_upload(client_for, us_coordinator):
    response = client_for(us_coordinator).get(OPT_OUTS)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
