"""A customer's suppressions (removed values) and lifting one."""

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from customers.fields import ValueFamily
from customers.models import AuditAction, CustomerHistory
from dms_sync.models import Suppression
from dms_sync.selectors import customer_removed_values, customer_suppressions, suppressed_values
from dms_sync.services.suppressions import suppression_lift
from tests.customers.factories import CustomerFactory, UserFactory
from tests.dms_sync.factories import SuppressionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def actor(db):
    return UserFactory(username="actor", first_name="Ann", last_name="Actor")


def test_suppressions_match_the_dms_number_or_the_file_newest_first(us_store, ca_store):
    customer = CustomerFactory(dealership=us_store, dms_number="D1")
    by_number = SuppressionFactory(customer=None, dealership=us_store, dms_number="D1", value="+13135550101")
    by_file = SuppressionFactory(customer=customer, dms_number="", field="email1", value="a@example.com")
    SuppressionFactory(customer=None, dealership=ca_store, dms_number="D1")  # same number, other store
    SuppressionFactory(customer=CustomerFactory(dealership=us_store), value="+13135550102")  # someone else
    assert list(customer_suppressions(customer=customer)) == [by_file, by_number]


def test_a_local_customer_is_matched_by_its_file_only(us_store):
    local = CustomerFactory(dealership=us_store, dms_number="")
    own = SuppressionFactory(customer=local)
    SuppressionFactory(customer=CustomerFactory(dealership=us_store, dms_number=""), value="+13135550109")
    assert list(customer_suppressions(customer=local)) == [own]


def test_suppressed_values_by_family_in_one_query(us_customer, django_assert_num_queries):
    SuppressionFactory(customer=us_customer, field="cell_phone", value="+13135550101")
    SuppressionFactory(customer=us_customer, field="fax", value="+13135550102")
    SuppressionFactory(customer=us_customer, field="email2", value="x@example.com")
    with django_assert_num_queries(1):
        values = suppressed_values(customer=us_customer)
    assert values == {
        ValueFamily.PHONE: {"+13135550101", "+13135550102"},
        ValueFamily.EMAIL: {"x@example.com"},
    }
    with django_assert_num_queries(1):
        rows = customer_removed_values(customer=us_customer)
    assert {(r.label, r.display) for r in rows} == {
        ("Cell", "(313) 555-0101"),
        ("Fax", "(313) 555-0102"),
        ("Email 2", "x@example.com"),
    }


def test_lift_deletes_the_suppression_and_records_who_and_why(us_customer, actor):
    suppression = SuppressionFactory(customer=us_customer, field="cell_phone", value="+13135550101")
    version = us_customer.version
    suppression_lift(customer=us_customer, suppression_id=suppression.pk, reason=" Asked  again ", actor=actor)
    assert not Suppression.objects.exists()
    entry = CustomerHistory.objects.get()
    assert (entry.action, entry.actor, entry.changes) == (AuditAction.SUPPRESSION_LIFT, actor, [])
    assert entry.note == "Removal of Cell (313) 555-0101 lifted: Asked again"
    us_customer.refresh_from_db()
    assert us_customer.version == version  # no field changed: an open form stays valid


def test_lift_needs_a_reason_and_changes_nothing_without_one(us_customer, actor):
    suppression = SuppressionFactory(customer=us_customer)
    with pytest.raises(ValidationError) as exc:
        suppression_lift(customer=us_customer, suppression_id=suppression.pk, reason="  ", actor=actor)
    assert "reason" in exc.value.message_dict
    assert Suppression.objects.exists() and not CustomerHistory.objects.exists()


def test_lift_of_another_customers_suppression_is_404(us_customer, us_store, actor):
    other = SuppressionFactory(customer=CustomerFactory(dealership=us_store))
    with pytest.raises(Http404):
        suppression_lift(customer=us_customer, suppression_id=other.pk, reason="x", actor=actor)
    assert Suppression.objects.filter(pk=other.pk).exists() and not CustomerHistory.objects.exists()
