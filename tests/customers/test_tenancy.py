import pytest
from django.http import Http404
from django.urls import reverse

from customers.selectors import customer_get_for_user, customers_for_user
from tests.customers.factories import CustomerFactory


@pytest.mark.django_db
def test_us_coordinator_gets_404_for_a_canadian_customer_profile(client_for, us_coordinator, ca_customer):
    response = client_for(us_coordinator).get(reverse("customers:profile", args=[ca_customer.pk]))
    assert response.status_code == 404


@pytest.mark.django_db
def test_us_coordinator_never_sees_canadian_customers_in_the_list(client_for, us_coordinator, us_store, ca_store):
    CustomerFactory.create_batch(3, dealership=ca_store, last_name="Tremblay")
    mine = CustomerFactory(dealership=us_store, last_name="Garcia")
    response = client_for(us_coordinator).get(reverse("customers:list"))
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [mine]
    assert b"Tremblay" not in response.content


@pytest.mark.django_db
def test_a_coordinator_of_both_stores_sees_both(client_for, coordinator, us_customer, ca_customer):
    client = client_for(coordinator)
    assert client.get(reverse("customers:profile", args=[ca_customer.pk])).status_code == 200
    assert client.get(reverse("customers:profile", args=[us_customer.pk])).status_code == 200
    assert set(customers_for_user(user=coordinator)) == {us_customer, ca_customer}


@pytest.mark.django_db
def test_customer_get_for_user_raises_404_outside_the_users_stores(us_coordinator, ca_customer, us_customer):
    assert customer_get_for_user(user=us_coordinator, pk=us_customer.pk) == us_customer
    with pytest.raises(Http404):
        customer_get_for_user(user=us_coordinator, pk=ca_customer.pk)
    with pytest.raises(Http404):
        customer_get_for_user(user=us_coordinator, pk=999_999)


@pytest.mark.django_db
def test_a_user_without_a_store_sees_no_customers_even_when_staff(client_for, us_customer):
    from tests.customers.factories import UserFactory

    staff = UserFactory(username="staffer", is_staff=True)
    client = client_for(staff)
    assert client.get(reverse("customers:profile", args=[us_customer.pk])).status_code == 404
    assert list(client.get(reverse("customers:list")).context["page"].object_list) == []


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["customers:list", "customers:profile", "customers:switch_store"])
def test_anonymous_users_are_redirected_to_login(client, us_customer, name):
    url = reverse(name, args=[us_customer.pk]) if name == "customers:profile" else reverse(name)
    response = client.post(url) if name == "customers:switch_store" else client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_store_switcher_narrows_the_list_to_one_of_the_users_stores(client_for, coordinator, us_customer, ca_customer):
    client = client_for(coordinator)
    response = client.post(reverse("customers:switch_store"), {"dealership": ca_customer.dealership_id, "next": "/"})
    assert response.status_code == 302
    listed = list(client.get(reverse("customers:list")).context["page"].object_list)
    assert listed == [ca_customer]
    client.post(reverse("customers:switch_store"), {"dealership": ""})
    assert set(client.get(reverse("customers:list")).context["page"].object_list) == {us_customer, ca_customer}


@pytest.mark.django_db
def test_store_switcher_ignores_a_foreign_store(client_for, us_coordinator, us_customer, ca_store):
    client = client_for(us_coordinator)
    client.post(reverse("customers:switch_store"), {"dealership": ca_store.pk})
    assert list(client.get(reverse("customers:list")).context["page"].object_list) == [us_customer]


@pytest.mark.django_db
def test_store_switcher_refuses_an_offsite_next_url(client_for, coordinator):
    response = client_for(coordinator).post(
        reverse("customers:switch_store"), {"dealership": "", "next": "https://evil.example.com/"}
    )
    assert response["Location"] == reverse("customers:list")


@pytest.mark.django_db
def test_profile_shows_numbers_phones_email_and_address(client_for, coordinator, us_customer):
    response = client_for(coordinator).get(reverse("customers:profile", args=[us_customer.pk]))
    body = response.content.decode()
    assert us_customer.last_name in body
    assert us_customer.dms_number in body
    assert str(us_customer.dealermine_number) in body
    assert us_customer.email1 in body
    assert us_customer.address1 in body


def test_sessions_end_after_60_idle_minutes(settings):
    assert settings.SESSION_COOKIE_AGE == 3600
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


@pytest.mark.django_db
def test_login_page_logs_a_user_in(client):
    from tests.customers.factories import UserFactory

    UserFactory(username="casey")
    response = client.post(reverse("login"), {"username": "casey", "password": "pw"})
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:list")
    response = client.post(reverse("login"), {"username": "casey", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
