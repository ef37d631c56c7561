import pytest

from dms_sync.models import RemoveRequest, Suppression
from dms_sync.outbox import remove_request_create, suppression_add
from tests.customers.factories import CustomerFactory, UserFactory


@pytest.mark.django_db
def test_a_removed_value_is_suppressed_once_per_store_number_field_and_value(us_customer):
    user = UserFactory()
    first = suppression_add(customer=us_customer, field="cell_phone", value="+13135550100", actor=user)
    again = suppression_add(customer=us_customer, field="cell_phone", value="+13135550100", actor=user)
    assert first == again
    assert Suppression.objects.count() == 1


@pytest.mark.django_db
def test_unknown_fields_cannot_be_suppressed(us_customer):
    with pytest.raises(ValueError):
        suppression_add(customer=us_customer, field="last_name", value="x", actor=None)


@pytest.mark.django_db
def test_remove_request_is_queued_only_for_customers_with_a_dms_number(us_store):
    with_dms = CustomerFactory(dealership=us_store, dms_number="4711")
    local = CustomerFactory(dealership=us_store, dms_number="")
    request = remove_request_create(customer=with_dms, field="email1", value="a@example.com", actor=None)
    assert request.status == "pending" and request.dms_number == "4711" and request.next_attempt_at
    assert remove_request_create(customer=local, field="email1", value="b@example.com", actor=None) is None
    assert RemoveRequest.objects.count() == 1
