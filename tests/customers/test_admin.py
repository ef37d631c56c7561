import pytest
from django.contrib import admin
from django.urls import reverse

from tests.customers.factories import UserFactory

ADMIN_MODELS = [
    "customers_dealership",
    "customers_membership",
    "customers_turnoffreason",
    "customers_customer",
    "customers_vehicle",
    "dms_sync_syncrun",
    "dms_sync_quarantinedrow",
    "dms_sync_removerequest",
    "contacts_emailbounce",
]


@pytest.fixture
def staff(db):
    return UserFactory(username="boss", is_staff=True, is_superuser=True)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ADMIN_MODELS)
def test_admin_changelists_and_add_pages_load_for_staff(client_for, staff, us_customer, name):
    client = client_for(staff)
    assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200


@pytest.mark.django_db
def test_every_registered_admin_changelist_loads_with_data(client_for, staff, us_customer):
    client = client_for(staff)
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_customer_admin_search_and_change_page(client_for, staff, us_customer):
    client = client_for(staff)
    response = client.get(reverse("admin:customers_customer_changelist"), {"q": us_customer.last_name})
    assert us_customer.last_name in response.content.decode()
    assert client.get(reverse("admin:customers_customer_change", args=[us_customer.pk])).status_code == 200


@pytest.mark.django_db
def test_turn_off_management_is_labelled_and_editable(client_for, staff):
    client = client_for(staff)
    response = client.post(
        reverse("admin:customers_turnoffreason_add"),
        {"code": "DECEASED", "label": "Deceased", "applies_to_status": "on", "is_active": "on"},
    )
    assert response.status_code == 302
    from customers.models import TurnOffReason

    assert TurnOffReason.objects.get(code="DECEASED").applies_to_status


@pytest.mark.django_db
def test_admin_refuses_coordinators(client_for, coordinator):
    response = client_for(coordinator).get(reverse("admin:customers_customer_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
