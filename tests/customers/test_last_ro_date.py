"""The customer's stored last RO date (customers.services.repair_orders): always the newest closed date of its
repair orders, whoever wrote them - the service itself, Django admin (change, move to another customer, delete)."""

from datetime import date

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from customers.models import Customer, RepairOrder
from customers.services.repair_orders import customer_last_ro_dates_refresh
from tests.customers.factories import CustomerFactory, RepairOrderFactory, UserFactory


def last_ro_date(customer):
    return Customer.objects.values_list("last_ro_date", flat=True).get(pk=customer.pk)


@pytest.mark.django_db
def test_the_newest_closed_date_open_orders_ignored_and_none_without_one(us_store):
    customer, other = CustomerFactory(dealership=us_store), CustomerFactory(dealership=us_store)
    RepairOrderFactory(customer=customer, closed_date=date(2025, 3, 1))
    RepairOrderFactory(customer=customer, closed_date=date(2026, 1, 15))
    RepairOrderFactory(customer=customer, closed_date=None)  # still open
    RepairOrderFactory(customer=other, closed_date=None)
    assert last_ro_date(customer) == date(2026, 1, 15)
    assert last_ro_date(other) is None


@pytest.mark.django_db
def test_a_customer_already_right_is_not_rewritten_and_a_stale_one_is(us_store):
    customer = CustomerFactory(dealership=us_store)
    ro = RepairOrderFactory(customer=customer, closed_date=date(2026, 2, 1))
    assert customer_last_ro_dates_refresh(customer_ids=[customer.pk, customer.pk, None]) == 0
    RepairOrder.objects.filter(pk=ro.pk).delete()  # a writer that forgot the refresh...
    assert customer_last_ro_dates_refresh(customer_ids=[customer.pk]) == 1  # ...is caught up with
    assert last_ro_date(customer) is None


class RefreshAgreesWithTheRepairOrders(TestCase):
    """Whatever the repair orders on file, the refresh of every customer gives each the newest closed date."""

    @settings(max_examples=25, deadline=None)
    @given(st.lists(st.tuples(st.integers(0, 3), st.one_of(st.none(), st.dates(date(2020, 1, 1), date(2026, 12, 31))))))
    def test_the_stored_date_is_the_max_of_the_closed_dates(self, orders):
        store = CustomerFactory().dealership
        customers = [CustomerFactory(dealership=store) for _ in range(4)]
        RepairOrder.objects.bulk_create(  # written behind the service's back: the refresh must catch up
            RepairOrder(dealership=store, customer=customers[owner], ro_number=f"R{n}", closed_date=closed)
            for n, (owner, closed) in enumerate(orders)
        )
        customer_last_ro_dates_refresh(customer_ids=[c.pk for c in customers])
        for i, customer in enumerate(customers):
            dates = [closed for owner, closed in orders if owner == i and closed is not None]
            assert last_ro_date(customer) == (max(dates) if dates else None)


@pytest.fixture
def staff(db):
    return UserFactory(username="boss", is_staff=True, is_superuser=True)


@pytest.mark.django_db
def test_admin_change_move_and_delete_keep_both_customers_in_step(client_for, staff, us_store):
    client = client_for(staff)
    first, second = CustomerFactory(dealership=us_store), CustomerFactory(dealership=us_store)
    RepairOrderFactory(customer=first, closed_date=date(2025, 1, 1))
    ro = RepairOrderFactory(customer=first, closed_date=date(2025, 6, 1))
    url = reverse("admin:customers_repairorder_change", args=[ro.pk])
    form = {
        "dealership": us_store.pk,
        "customer": second.pk,  # moved to another customer, with a later date
        "ro_number": ro.ro_number,
        "vin": "",
        "closed_date": "2026-04-02",
        "labour_sale": "10.00",
        "parts_sale": "5.00",
        "dms_row_hash": "",
    }
    assert client.post(url, form).status_code == 302
    assert last_ro_date(first) == date(2025, 1, 1)
    assert last_ro_date(second) == date(2026, 4, 2)
    delete = reverse("admin:customers_repairorder_delete", args=[ro.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert last_ro_date(second) is None
    changelist = reverse("admin:customers_repairorder_changelist")
    rest = list(RepairOrder.objects.filter(customer=first).values_list("pk", flat=True))
    response = client.post(changelist, {"action": "delete_selected", "_selected_action": rest, "post": "yes"})
    assert response.status_code == 302
    assert last_ro_date(first) is None
