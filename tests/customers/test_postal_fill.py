"""Postal/Zip on save: a new code the offline postal data knows fills City, State/Province, County and Country
(those not typed with it), so Enter gives what Tab gives; a province/state typed with it that the code
contradicts is refused beside Postal/Zip and nothing is saved.

Codes used (known offline): V6B 1A1 Vancouver BC, K1A 0B1 Ottawa ON, K0A 0A1 rural ON (province only),
48226 Detroit MI Wayne County, 10001 New York NY New York County; M5V 9Z9 and 00000 are unknown.
"""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from customers.models import Customer, CustomerHistory
from customers.postal import postal_place_fill, postal_same, state_code
from customers.services.customer import customer_update
from tests.customers.factories import CustomerFactory, MembershipFactory, UserFactory
from tests.support.edit_form import edit_url, form_data
from tests.support.history import shown

PLACE = ("postal_code", "city", "state", "county", "country")


def place(customer):
    customer.refresh_from_db()
    return tuple(getattr(customer, name) for name in PLACE)


@pytest.fixture
def actor(db):
    return UserFactory(username="postal_actor")


@pytest.fixture
def wayne_customer(us_store):
    return CustomerFactory(dealership=us_store, county="Wayne County")


def update(customer, actor, **data):
    return customer_update(customer=customer, data=data, actor=actor, expected_version=customer.version)


# --- the pure rule ------------------------------------------------------------------------------------------------


def test_place_fill_fills_what_was_not_typed_and_keeps_what_was():
    assert postal_place_fill("v6b1a1", "CA", {}) == {"city": "Vancouver", "state": "BC", "county": "", "country": "CA"}
    assert postal_place_fill("V6B 1A1", "CA", {"city": "Gastown"}) == {"state": "BC", "county": "", "country": "CA"}
    assert postal_place_fill("10001", "US", {"state": "ny"}) == {
        "city": "New York",
        "county": "New York County",
        "country": "US",
    }
    assert postal_place_fill("K0A 0A1", "CA", {}) == {"state": "ON", "county": "", "country": "CA"}  # rural: no city
    assert postal_place_fill("M5V 9Z9", "CA", {}) == {}


@pytest.mark.parametrize("typed", ["Ontario", "ON", "on", "Québec"])
def test_place_fill_refuses_a_contradicting_province(typed):
    with pytest.raises(ValidationError) as exc:
        postal_place_fill("V6B 1A1", "CA", {"state": typed})
    assert re.fullmatch(r"V6B 1A1 is in British Columbia, not (Ontario|Quebec)\.", exc.value.messages[0])


def test_place_fill_accepts_the_right_province_however_typed_and_an_unknown_state():
    for typed in ("British Columbia", "bc", "Colombie-Britannique", "B.C."):
        assert postal_place_fill("V6B 1A1", "CA", {"state": typed})["city"] == "Vancouver"
    assert state_code("Colombie-Britannique") == "BC" and state_code("mi") == "MI" and state_code("Mich.") == ""


def test_postal_same_ignores_spacing_and_case():
    assert postal_same("v6b-1a1", "V6B 1A1") and postal_same("", None) and not postal_same("48226", "48226-1234")


# --- through the service ------------------------------------------------------------------------------------------


def test_service_new_code_alone_fills_the_place_and_history_records_it(ca_customer, actor):
    update(ca_customer, actor, postal_code="v6b 1a1", city="Toronto", state="ON")  # Enter: the old city/state sent
    assert place(ca_customer) == ("V6B 1A1", "Vancouver", "BC", "", "CA")
    entry = CustomerHistory.objects.get(customer=ca_customer)
    changes = shown(entry)
    assert set(changes) == {"postal_code", "city", "state"}
    assert (changes["city"]["old"], changes["city"]["new"]) == ("Toronto", "Vancouver")
    assert (changes["state"]["old"], changes["state"]["new"]) == ("ON", "BC")


def test_service_a_city_typed_with_the_code_is_kept(ca_customer, actor):
    update(ca_customer, actor, postal_code="V6B 1A1", city="North Vancouver", state="ON")
    assert place(ca_customer) == ("V6B 1A1", "North Vancouver", "BC", "", "CA")


def test_service_a_contradicting_province_is_refused_and_nothing_saved(ca_customer, actor):
    before = place(ca_customer)
    with pytest.raises(ValidationError) as exc:
        update(ca_customer, actor, postal_code="K1A 0B1", state="BC")
    assert exc.value.message_dict == {"postal_code": ["K1A 0B1 is in Ontario, not British Columbia."]}
    assert place(ca_customer) == before
    assert not CustomerHistory.objects.filter(customer=ca_customer).exists()


def test_service_the_same_code_retyped_fills_nothing(ca_customer, actor):
    update(ca_customer, actor, postal_code="m5v-3l9", city="Downtown")
    assert place(ca_customer) == ("M5V 3L9", "Downtown", "ON", "", "CA")


def test_service_unknown_code_is_only_normalized(ca_customer, actor):
    update(ca_customer, actor, postal_code="m5v9z9", city="Toronto", state="BC")
    assert place(ca_customer) == ("M5V 9Z9", "Toronto", "BC", "", "CA")


def test_service_us_zip_fills_city_state_county(wayne_customer, actor):
    update(wayne_customer, actor, postal_code="10001")
    assert place(wayne_customer) == ("10001", "New York", "NY", "New York County", "US")


def test_service_us_zip_contradicting_the_state_typed_is_refused(wayne_customer, actor):
    with pytest.raises(ValidationError) as exc:
        update(wayne_customer, actor, postal_code="10001", state="OH")
    assert exc.value.message_dict["postal_code"] == ["10001 is in NY, not OH."]
    assert place(wayne_customer) == ("48226", "Detroit", "MI", "Wayne County", "US")


def test_service_a_canadian_code_on_a_us_file_moves_it_to_canada(wayne_customer, actor):
    update(wayne_customer, actor, postal_code="V6B 1A1")
    assert place(wayne_customer) == ("V6B 1A1", "Vancouver", "BC", "", "CA")


def test_service_a_canadian_code_with_the_country_typed_as_us_is_still_refused(ca_customer, actor):
    with pytest.raises(ValidationError) as exc:
        update(ca_customer, actor, postal_code="V6B 1A1", country="US")
    assert "looks like a Canadian postal code" in exc.value.message_dict["postal_code"][0]


# --- through HTTP -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_enter_like_post_with_only_the_new_code_fills_the_place(client_for, coordinator, ca_customer):
    client = client_for(coordinator)
    response = client.post(edit_url(ca_customer), form_data(client, ca_customer, postal_code="v6b1a1"))
    assert response.status_code == 302
    assert place(ca_customer) == ("V6B 1A1", "Vancouver", "BC", "", "CA")
    assert set(shown(CustomerHistory.objects.get(customer=ca_customer))) == {"postal_code", "city", "state"}


@pytest.mark.django_db
def test_post_keeps_a_city_typed_with_the_code(client_for, coordinator, ca_customer):
    client = client_for(coordinator)
    data = form_data(client, ca_customer, postal_code="V6B 1A1", city="Gastown")
    assert client.post(edit_url(ca_customer), data).status_code == 302
    assert place(ca_customer) == ("V6B 1A1", "Gastown", "BC", "", "CA")


@pytest.mark.django_db
def test_post_with_a_contradicting_province_shows_the_error_beside_postal_zip(client_for, coordinator, ca_customer):
    client = client_for(coordinator)
    before = Customer.objects.values().get(pk=ca_customer.pk)
    data = form_data(client, ca_customer, postal_code="V6B 1A1", state="QC", first_name="Changed")
    response = client.post(edit_url(ca_customer), data)
    assert response.status_code == 400
    assert response.context["form"].errors["postal_code"] == ["V6B 1A1 is in British Columbia, not Quebec."]
    assert re.search(r'id="id_postal_code_error">[^<]*V6B 1A1 is in British Columbia, not Quebec\.', response.text)
    assert Customer.objects.values().get(pk=ca_customer.pk) == before
    assert not CustomerHistory.objects.filter(customer=ca_customer).exists()


@pytest.mark.django_db
def test_post_unknown_code_is_only_normalized(client_for, coordinator, ca_customer):
    client = client_for(coordinator)
    assert client.post(edit_url(ca_customer), form_data(client, ca_customer, postal_code="m5v 9z9")).status_code == 302
    assert place(ca_customer) == ("M5V 9Z9", "Toronto", "ON", "", "CA")


@pytest.mark.django_db
def test_post_unknown_canadian_code_on_a_us_file_is_still_refused(client_for, coordinator, us_customer):
    client = client_for(coordinator)
    response = client.post(edit_url(us_customer), form_data(client, us_customer, postal_code="M5V 9Z9"))
    assert response.status_code == 400
    assert "looks like a Canadian postal code" in response.context["form"].errors["postal_code"][0]


@pytest.mark.django_db
def test_post_us_zip_fills_city_state_county(client_for, coordinator, wayne_customer):
    client = client_for(coordinator)
    response = client.post(edit_url(wayne_customer), form_data(client, wayne_customer, postal_code="10001-0001"))
    assert response.status_code == 302
    assert place(wayne_customer) == ("10001-0001", "New York", "NY", "New York County", "US")


@pytest.mark.django_db
def test_new_customer_gets_the_same_fill_and_refusal(client_for, ca_store):
    user = UserFactory()
    MembershipFactory(user=user, dealership=ca_store)
    client = client_for(user)
    body = client.get(reverse("customers:new")).content.decode()

    def hidden(name):
        return re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', body).group(1)

    data = {
        "token": hidden("token"),
        "dealership": hidden("dealership"),
        "kind": "person",
        "status": "active",
        "last_name": "Fillmore",
        "address1": "1 Water St",
        "postal_code": "V6B 1A1",
        "state": "ON",
    }
    response = client.post(reverse("customers:new"), data)
    assert response.status_code == 400
    assert "V6B 1A1 is in British Columbia, not Ontario." in response.context["form"].errors["postal_code"]
    assert not Customer.objects.filter(last_name="Fillmore").exists()

    data["state"] = ""
    assert client.post(reverse("customers:new"), data).status_code == 302
    customer = Customer.objects.get(last_name="Fillmore")
    assert place(customer) == ("V6B 1A1", "Vancouver", "BC", "", "CA")
