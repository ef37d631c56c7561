import pytest

from customers.demo import DemoRefused, demo_load
from customers.models import Customer, Dealership


def _fingerprint():
    return list(
        Customer.objects.order_by("dealership__code", "dms_number").values_list(
            "dms_number", "last_name", "cell_phone", "email1", "status", "preferred_contact_method"
        )
    )


@pytest.mark.django_db(transaction=True)
def test_demo_loader_is_deterministic():
    first_counts = demo_load(customers_per_store=150)
    first = _fingerprint()
    Customer.objects.all().delete()
    Dealership.objects.all().delete()
    second_counts = demo_load(customers_per_store=150)
    assert first_counts == second_counts
    assert first == _fingerprint()


@pytest.mark.django_db
def test_demo_has_what_the_screens_need():
    counts = demo_load(customers_per_store=300)
    assert counts["dealerships"] == 2
    assert counts["customers"] == 600
    for key in (
        "inactive",
        "prospects",
        "businesses",
        "bounces",
        "opted_out",
        "contact_methods_off",
        "vin_types_off",
        "associations",
        "vehicles",
        "repair_orders",
    ):
        assert counts[key] > 0, key
    ca = Dealership.objects.get(code="maple-ridge")
    us = Dealership.objects.get(code="lakeside")
    assert (ca.country, ca.dms_vendor, ca.has_showroom_equity) == ("CA", "reynolds", True)
    assert (us.country, us.dms_vendor, us.has_showroom_equity) == ("US", "cdk", False)
    assert set(ca.memberships.values_list("user__username", flat=True)) == {"coordinator"}
    assert set(us.memberships.values_list("user__username", flat=True)) == {"coordinator", "coordinator_us"}


@pytest.mark.django_db
def test_demo_never_prefers_a_contact_method_that_is_off():
    from django.db.models import Exists, OuterRef

    from contacts.models import ContactMethod

    demo_load(customers_per_store=300)
    off_and_preferred = ContactMethod.objects.filter(
        customer=OuterRef("pk"), method=OuterRef("preferred_contact_method"), is_on=False
    )
    assert Customer.objects.exclude(preferred_contact_method="").count() > 0
    assert not Customer.objects.filter(Exists(off_and_preferred)).exists()


@pytest.mark.django_db
def test_demo_refuses_when_customers_exist():
    demo_load(customers_per_store=20)
    with pytest.raises(DemoRefused):
        demo_load(customers_per_store=20)


@pytest.mark.django_db
def test_demo_refuses_when_settings_forbid_it(settings):
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(DemoRefused):
        demo_load(customers_per_store=5)
