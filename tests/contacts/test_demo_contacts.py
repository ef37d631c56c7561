"""The demo's contact history (contacts.demo): enough of everything for the profile and Call Select to show it."""

import pytest
from django.contrib.auth import get_user_model

from contacts.models import ContactLog, ContactResult, DoNotCallNumber, LastContact
from contacts.selectors import call_select_list
from customers.demo import demo_load
from customers.models import Customer, Dealership


@pytest.mark.django_db
def test_the_demo_has_a_contact_history_with_every_consequence():
    counts = demo_load(customers_per_store=300)
    assert counts["contact_logs"] > 100 and counts["do_not_call"] >= 2
    results = set(ContactLog.objects.values_list("result", flat=True))
    assert {
        ContactResult.BOOKED,
        ContactResult.CALL_BACK,
        ContactResult.DO_NOT_CALL,
        ContactResult.WRONG_NUMBER,
    } <= results
    assert ContactLog.objects.filter(channel="phone_in").exists()
    entry = DoNotCallNumber.objects.select_related("contact_log").first()
    assert entry.added_by is not None and entry.contact_log.result == ContactResult.DO_NOT_CALL
    assert Customer.objects.filter(last_contact_date__isnull=False).exists(), "the extract's DMS last-contact dates"

    coordinator = get_user_model().objects.get(username="coordinator")
    for store in Dealership.objects.all():
        rows = call_select_list(user=coordinator, dealership_id=store.pk, contact_type="maintenance", limit=500)
        assert rows and rows[0].is_call_back, store.code
        listed = {r.customer.pk for r in rows}
        recycling = LastContact.objects.filter(
            customer__dealership=store, contact_type="maintenance", result=ContactResult.NO_ANSWER
        ).order_by("-contacted_at")[0]
        assert recycling.customer_id not in listed, "contacted lately: not offered again yet"
