"""`field__any_of`: the same rows as `field__in`, as one array parameter on PostgreSQL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.models import Customer, Vehicle
from tests.customers.factories import CustomerFactory, VehicleFactory

pytestmark = pytest.mark.django_db


def test_any_of_finds_what_in_finds(us_store, ca_store):
    customers = [CustomerFactory(dealership=us_store, dms_number=f"D{i}") for i in range(5)]
    CustomerFactory(dealership=ca_store, dms_number="D1")
    for c in customers[:3]:
        VehicleFactory(customer=c)
    numbers = ["D1", "D3", "nobody"]
    ids = [customers[0].pk, customers[2].pk, 10**12]

    def same(model, **lookup):
        ((name, values),) = lookup.items()
        got = set(model.objects.filter(**{f"{name}__any_of": values}).values_list("pk", flat=True))
        want = set(model.objects.filter(**{f"{name}__in": values}).values_list("pk", flat=True))
        assert got == want and got
        return got

    same(Customer, dms_number=numbers)
    same(Customer, pk=ids)
    same(Vehicle, customer_id=ids)  # a foreign key by its column
    same(Vehicle, customer=ids)  # and by the relation
    assert not Customer.objects.filter(dms_number__any_of=[]).exists()


def test_postgresql_sends_the_list_as_one_parameter(us_store):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL-only: arrays")
    CustomerFactory(dealership=us_store, dms_number="D1")
    numbers = [f"D{i}" for i in range(2000)]
    with CaptureQueriesContext(connection) as ctx:
        assert Customer.objects.filter(dms_number__any_of=numbers).count() == 1
    assert "= ANY(" in ctx.captured_queries[0]["sql"]
    assert ctx.captured_queries[0]["sql"].count("D1999") == 1
