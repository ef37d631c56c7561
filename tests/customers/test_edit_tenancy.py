"""Tenancy of the Customer Information screen: a foreign customer is a 404 for every GET and POST."""

import pytest
from django.urls import reverse

from contacts.models import ContactMethod
from customers.models import Association, Customer, CustomerHistory, TurnOffEvent, VehicleContactType, VerificationStamp
from dms_sync.models import RemoveRequest, Suppression
from tests.customers.factories import AssociationFactory, CustomerFactory, TurnOffReasonFactory, VehicleFactory
from tests.dms_sync.factories import SuppressionFactory


def _state():
    return (
        list(Customer.objects.order_by("pk").values()),
        CustomerHistory.objects.count(),
        VerificationStamp.objects.count(),
        Suppression.objects.count(),
        RemoveRequest.objects.count(),
        ContactMethod.objects.count(),
        TurnOffEvent.objects.count(),
        VehicleContactType.objects.count(),
        Association.objects.count(),
    )


@pytest.fixture
def foreign(ca_customer, ca_store):
    vehicle = VehicleFactory(customer=ca_customer)
    association = AssociationFactory(from_customer=ca_customer, to_customer=CustomerFactory(dealership=ca_store))
    reason = TurnOffReasonFactory(dealership=None)
    suppression = SuppressionFactory(customer=ca_customer)
    return {
        "customer": ca_customer,
        "vehicle": vehicle,
        "association": association,
        "reason": reason,
        "suppression": suppression,
    }


def _requests(foreign):
    c = foreign["customer"]
    v = foreign["vehicle"]
    a = foreign["association"]
    r = foreign["reason"].pk
    s = foreign["suppression"]
    return [
        ("get", reverse("customers:edit", args=[c.pk]), {}),
        ("post", reverse("customers:edit", args=[c.pk]), {"first_name": "Hacked", "status": "active", "version": 1}),
        ("post", reverse("customers:verify", args=[c.pk]), {}),
        ("get", reverse("customers:remove", args=[c.pk, "cell_phone"]), {}),
        ("post", reverse("customers:remove", args=[c.pk, "cell_phone"]), {}),
        ("post", reverse("customers:contact_method", args=[c.pk]), {"method": "email", "is_on": "off", "reason": r}),
        ("post", reverse("customers:preferred_method", args=[c.pk]), {"preferred_contact_method": "email"}),
        ("get", reverse("customers:vin_type", args=[c.pk, v.pk, "csi"]), {}),
        ("post", reverse("customers:vin_type", args=[c.pk, v.pk, "csi"]), {"is_on": "off", "reason": r}),
        (
            "post",
            reverse("customers:association_add", args=[c.pk]),
            {"other": a.to_customer_id, "relationship": "friend"},
        ),
        ("post", reverse("customers:association_remove", args=[c.pk, a.pk]), {}),
        ("get", reverse("customers:suppression_lift", args=[c.pk, s.pk]), {}),
        ("post", reverse("customers:suppression_lift", args=[c.pk, s.pk]), {"reason": "x"}),
    ]


@pytest.mark.django_db
def test_every_edit_action_on_a_foreign_customer_is_404_and_changes_nothing(client_for, us_coordinator, foreign):
    client = client_for(us_coordinator)
    before = _state()
    for method, url, data in _requests(foreign):
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, (method, url)
        json_response = getattr(client, method)(url, data, HTTP_X_REQUESTED_WITH="fetch")
        assert json_response.status_code == 404, (method, url, "json")
    assert _state() == before


@pytest.mark.django_db
def test_own_customer_cannot_reach_a_foreign_vehicle_or_association(client_for, us_coordinator, us_customer, foreign):
    client = client_for(us_coordinator)
    before = _state()
    vin_url = reverse("customers:vin_type", args=[us_customer.pk, foreign["vehicle"].pk, "csi"])
    assert client.post(vin_url, {"is_on": "on"}).status_code == 404
    remove_url = reverse("customers:association_remove", args=[us_customer.pk, foreign["association"].pk])
    assert client.post(remove_url).status_code == 404
    add = client.post(
        reverse("customers:association_add", args=[us_customer.pk]),
        {"other": foreign["customer"].pk, "relationship": "friend"},
    )
    assert add.status_code == 400
    assert _state()[1:] == before[1:]


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_login_everywhere(client, foreign):
    before = _state()
    for method, url, data in _requests(foreign):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url
    lookup = client.get(reverse("postal:lookup"), {"code": "M5V 3L9"})
    assert lookup.status_code == 302 and lookup["Location"].startswith(reverse("login"))
    assert _state() == before
