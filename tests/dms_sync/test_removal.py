"""The remove (X) beside a phone or email: cleared for good, suppressed, a DMS remove request queued, recorded."""

import pytest
from django.core.exceptions import ValidationError

from customers.models import ContactMethodKind, Customer, CustomerHistory
from dms_sync.models import RemoveRequest, Suppression
from dms_sync.services.removal import customer_value_remove
from tests.customers.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor(db):
    return UserFactory(username="actor", first_name="Ann", last_name="Actor")


def test_remove_clears_suppresses_queues_and_records_in_one_go(us_customer, actor):
    us_customer.refresh_from_db()
    value = us_customer.cell_phone
    result = customer_value_remove(customer=us_customer, field="cell_phone", actor=actor)
    stored = Customer.objects.get(pk=us_customer.pk)
    assert stored.cell_phone == "" and stored.version == 2 and "cell_phone" in stored.user_edited_at
    assert (us_customer.cell_phone, us_customer.version) == ("", 2)  # the caller's object follows
    suppression = Suppression.objects.get()
    assert (suppression.dms_number, suppression.field, suppression.value) == (
        us_customer.dms_number,
        "cell_phone",
        value,
    )
    request = RemoveRequest.objects.get()
    assert request == result.remove_request
    assert (request.field, request.value, request.status, request.requested_by) == (
        "cell_phone",
        value,
        "pending",
        actor,
    )
    entry = CustomerHistory.objects.get()
    assert entry.action == "remove" and "DMS" in entry.note
    assert entry.changes == [{"field": "cell_phone", "old": value, "new": ""}]  # raw values (E.164)
    assert result.cleared == ["cell_phone"]


def test_remove_email_suppresses_the_lower_cased_value(us_customer, actor):
    Customer.objects.filter(pk=us_customer.pk).update(email2="Odd.Case@Example.com")
    us_customer.refresh_from_db()
    customer_value_remove(customer=us_customer, field="email2", actor=actor)
    assert Suppression.objects.get().value == "odd.case@example.com"


def test_remove_for_a_local_customer_suppresses_without_a_dms_request(us_store, actor):
    local = CustomerFactory(dealership=us_store, dms_number="")
    customer_value_remove(customer=local, field="email1", actor=actor)
    assert Suppression.objects.filter(customer=local).exists()
    assert not RemoveRequest.objects.exists()


def test_remove_is_all_or_nothing(us_customer, actor, monkeypatch):
    from dms_sync import outbox

    def boom(**kwargs):
        raise RuntimeError("outbox down")

    monkeypatch.setattr(outbox, "remove_request_create", boom)
    us_customer.refresh_from_db()
    with pytest.raises(RuntimeError):
        customer_value_remove(customer=us_customer, field="cell_phone", actor=actor)
    stored = Customer.objects.get(pk=us_customer.pk)
    assert stored.cell_phone and stored.version == 1
    assert not Suppression.objects.exists() and not CustomerHistory.objects.exists()


def test_remove_work_phone_clears_the_extension(us_customer, actor):
    Customer.objects.filter(pk=us_customer.pk).update(work_phone="+13135550101", work_ext="22")
    us_customer.refresh_from_db()
    result = customer_value_remove(customer=us_customer, field="work_phone", actor=actor)
    stored = Customer.objects.get(pk=us_customer.pk)
    assert (stored.work_phone, stored.work_ext) == ("", "")
    assert {"work_phone", "work_ext"} <= set(stored.user_edited_at)
    assert CustomerHistory.objects.get().changes == [
        {"field": "work_phone", "old": "+13135550101", "new": ""},
        {"field": "work_ext", "old": "22", "new": ""},
    ]
    assert result.cleared == ["work_phone", "work_ext"]
    assert Suppression.objects.get().field == "work_phone"  # the extension is not a value the DMS is asked about


def test_removing_the_preferred_cell_clears_the_preference_with_history(us_customer, actor):
    """The star never sits on "no number on file": the preference goes in the same save, recorded."""
    Customer.objects.filter(pk=us_customer.pk).update(preferred_contact_method=ContactMethodKind.CELL_PHONE)
    us_customer.refresh_from_db()
    result = customer_value_remove(customer=us_customer, field="cell_phone", actor=actor)
    stored = Customer.objects.get(pk=us_customer.pk)
    assert (stored.cell_phone, stored.preferred_contact_method, stored.version) == ("", "", 2)
    assert us_customer.preferred_contact_method == ""
    entry = CustomerHistory.objects.get()
    assert entry.action == "remove"
    assert {"field": "preferred_contact_method", "old": "cell_phone", "new": ""} in entry.changes
    assert result.cleared == ["cell_phone", "preferred_contact_method"]


def test_removing_one_of_two_emails_keeps_email_preferred(us_customer, actor):
    Customer.objects.filter(pk=us_customer.pk).update(
        email2="two@mail.example.com", preferred_contact_method=ContactMethodKind.EMAIL
    )
    us_customer.refresh_from_db()
    customer_value_remove(customer=us_customer, field="email1", actor=actor)
    assert Customer.objects.get(pk=us_customer.pk).preferred_contact_method == "email"
    assert [c["field"] for c in CustomerHistory.objects.get().changes] == ["email1"]


def test_removing_another_phone_keeps_the_preference(us_customer, actor):
    Customer.objects.filter(pk=us_customer.pk).update(
        work_phone="+13135550101", preferred_contact_method=ContactMethodKind.CELL_PHONE
    )
    us_customer.refresh_from_db()
    customer_value_remove(customer=us_customer, field="work_phone", actor=actor)
    assert Customer.objects.get(pk=us_customer.pk).preferred_contact_method == "cell_phone"


def test_remove_refuses_a_value_changed_meanwhile(us_customer, actor):
    us_customer.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        customer_value_remove(customer=us_customer, field="cell_phone", actor=actor, expected_value="(313) 555-9999")
    assert "meanwhile" in str(exc.value)
    assert Customer.objects.get(pk=us_customer.pk).cell_phone and not Suppression.objects.exists()


def test_remove_accepts_the_expected_value_in_any_format(us_customer, actor):
    Customer.objects.filter(pk=us_customer.pk).update(cell_phone="+13135550101")
    us_customer.refresh_from_db()
    customer_value_remove(customer=us_customer, field="cell_phone", actor=actor, expected_value="313-555-0101")
    assert Suppression.objects.get().value == "+13135550101"


def test_remove_refuses_empty_or_unknown_fields(us_customer, actor):
    with pytest.raises(ValidationError):
        customer_value_remove(customer=us_customer, field="fax", actor=actor)
    with pytest.raises(ValidationError):
        customer_value_remove(customer=us_customer, field="city", actor=actor)
