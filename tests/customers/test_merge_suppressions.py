"""A merge carries the children's removed values (Suppressions) to the parent; unmerge leaves them."""

import pytest

from customers.fields import ValueFamily
from customers.models import Customer, CustomerHistory, Relationship
from customers.services.merge import customer_merge, customer_unmerge
from dms_sync.models import Suppression
from dms_sync.selectors import suppressed_values
from dms_sync.services.removal import customer_value_remove
from tests.customers.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(us_store, coordinator):
    parent = CustomerFactory(dealership=us_store, dms_number="P1", home_phone="+13135550177", email2="")
    child = CustomerFactory(
        dealership=us_store, dms_number="C1", cell_phone="+13135550177", email2="kid@mail.example.com"
    )
    customer_value_remove(customer=child, field="cell_phone", actor=coordinator)
    customer_value_remove(customer=child, field="email2", actor=coordinator)
    return parent, child


def test_merge_suppresses_the_childs_removed_values_on_the_parent(family, coordinator, us_store):
    parent, child = family
    customer_merge(parent=parent, children=[child], relationships={child.pk: Relationship.DUPLICATE}, actor=coordinator)

    carried = Suppression.objects.filter(dealership=us_store, dms_number="P1")
    assert sorted(carried.values_list("field", "value", "customer", "created_by")) == [
        ("cell_phone", "+13135550177", parent.pk, coordinator.pk),
        ("email2", "kid@mail.example.com", parent.pk, coordinator.pk),
    ]
    assert suppressed_values(customer=parent) == {
        ValueFamily.PHONE: {"+13135550177"},
        ValueFamily.EMAIL: {"kid@mail.example.com"},
    }
    # The parent's own value is left as it is: the merge screen decides fields.
    assert Customer.objects.get(pk=parent.pk).home_phone == "+13135550177"
    note = CustomerHistory.objects.get(customer=parent, action="merge").note
    assert "Removed values kept removed: " in note
    assert "Cell (313) 555-0177" in note and "Email 2 kid@mail.example.com" in note
    # The child keeps its own.
    assert Suppression.objects.filter(dms_number="C1").count() == 2


def test_unmerge_leaves_the_carried_suppressions(family, coordinator):
    parent, child = family
    customer_merge(parent=parent, children=[child], relationships={child.pk: Relationship.SPOUSE}, actor=coordinator)
    customer_unmerge(child=child, actor=coordinator)
    assert Suppression.objects.filter(dms_number="P1").count() == 2
    assert Suppression.objects.filter(dms_number="C1").count() == 2


def test_a_merge_failing_midway_carries_nothing(family, coordinator, monkeypatch):
    parent, child = family
    from customers.services.merge import merge as merge_module

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(merge_module, "_child_attach", boom)
    with pytest.raises(RuntimeError):
        customer_merge(
            parent=parent, children=[child], relationships={child.pk: Relationship.DUPLICATE}, actor=coordinator
        )
    assert not Suppression.objects.filter(dms_number="P1").exists()
