from datetime import timedelta

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from contacts.models import ConsentBasis
from contacts.selectors import call_select_list
from customers.models import ContactMethodKind, CustomerStatus, DayNight, Language, Relationship, VinContactType
from tests.contacts.factories import ContactMethodFactory, EmailBounceFactory, EmailConsentFactory
from tests.customers.factories import (
    CustomerFactory,
    TurnOffReasonFactory,
    VehicleContactTypeFactory,
    VehicleFactory,
)

URL = reverse("contacts:call_select")
ALL_METHODS = list(ContactMethodKind.values)


def qualifying(store, **kwargs):
    """A customer who qualifies for every contact type: active, owns a vehicle, reachable on the cell."""
    customer = CustomerFactory(dealership=store, **kwargs)
    VehicleFactory(customer=customer)
    return customer


def email_only(store, **kwargs):
    """Qualifies through Email 1 alone: no phone, no mailing address."""
    defaults = {"cell_phone": "", "home_phone": "", "work_phone": "", "address1": ""}
    return qualifying(store, **(defaults | kwargs))


def listed(user, store, contact_type=VinContactType.MAINTENANCE, **kwargs):
    kwargs.setdefault("limit", 500)
    rows = call_select_list(user=user, dealership_id=store.pk, contact_type=contact_type, **kwargs)
    return [row.customer.pk for row in rows]


def turn_off_all_methods(customer):
    for method in ALL_METHODS:
        ContactMethodFactory(customer=customer, method=method)


def make_inactive(c):
    c.status = CustomerStatus.INACTIVE
    c.inactive_reason = TurnOffReasonFactory()
    c.save()


def make_duplicate_child(c):
    parent = CustomerFactory(dealership=c.dealership)
    c.merge_parent = parent
    c.merge_relationship = Relationship.DUPLICATE
    c.save()


def owns_off(c):
    c.vehicles.update(owns=False)


def type_off(c):
    VehicleContactTypeFactory(vehicle=c.vehicles.get(), contact_type=VinContactType.MAINTENANCE)


EXCLUSIONS = {
    "inactive": (qualifying, make_inactive),
    "duplicate child": (qualifying, make_duplicate_child),
    "owns off": (qualifying, owns_off),
    "type off for the VIN": (qualifying, type_off),
    "all methods off": (qualifying, turn_off_all_methods),
    "only email, invalid": (
        email_only,
        lambda c: EmailBounceFactory.create_batch(3, dealership=c.dealership, email=c.email1.lower()),
    ),
    "only email, opted out": (
        email_only,
        lambda c: EmailConsentFactory(customer=c, opted_out_at=timezone.now() - timedelta(days=1)),
    ),
    "only email, consent expired": (
        email_only,
        lambda c: EmailConsentFactory(
            customer=c,
            basis=ConsentBasis.IMPLIED_INQUIRY,
            obtained_at=timezone.now() - timedelta(days=200),
            expires_at=timezone.now() - timedelta(days=17),
        ),
    ),
    "only email, email method off": (
        email_only,
        lambda c: ContactMethodFactory(customer=c, method=ContactMethodKind.EMAIL),
    ),
    "no vehicle on file": (qualifying, lambda c: c.vehicles.all().delete()),
    "only a cell number, cell method off": (
        lambda store: qualifying(store, email1="", address1=""),
        lambda c: ContactMethodFactory(customer=c, method=ContactMethodKind.CELL_PHONE),
    ),
}


@pytest.mark.parametrize("reason", list(EXCLUSIONS))
def test_each_exclusion_reason_removes_a_customer_who_would_otherwise_qualify(reason, us_store, us_coordinator):
    build, exclude = EXCLUSIONS[reason]
    control = build(us_store)
    excluded = build(us_store)
    assert set(listed(us_coordinator, us_store)) == {control.pk, excluded.pk}, "both qualify before the change"

    exclude(excluded)

    assert listed(us_coordinator, us_store) == [control.pk]


def test_a_type_turned_off_for_another_type_or_another_vin_does_not_exclude(us_store, us_coordinator):
    customer = qualifying(us_store)
    VehicleContactTypeFactory(vehicle=customer.vehicles.get(), contact_type=VinContactType.CSI)
    assert listed(us_coordinator, us_store, VinContactType.MAINTENANCE) == [customer.pk]
    assert listed(us_coordinator, us_store, VinContactType.CSI) == []

    second = VehicleFactory(customer=customer, year=2018)
    assert listed(us_coordinator, us_store, VinContactType.CSI) == [customer.pk]
    row = call_select_list(user=us_coordinator, dealership_id=us_store.pk, contact_type=VinContactType.CSI, limit=5)[0]
    assert row.vehicle == second, "the vehicle concerned is the one the type is on for"


def test_a_type_turned_back_on_qualifies_again(us_store, us_coordinator):
    customer = qualifying(us_store)
    VehicleContactTypeFactory(vehicle=customer.vehicles.get(), contact_type=VinContactType.MAINTENANCE, is_on=True)
    assert listed(us_coordinator, us_store) == [customer.pk]


def test_a_duplicate_child_leaves_but_a_spouse_child_stays(us_store, us_coordinator):
    parent = qualifying(us_store)
    spouse = qualifying(us_store, merge_parent=parent, merge_relationship=Relationship.SPOUSE)
    assert set(listed(us_coordinator, us_store)) == {parent.pk, spouse.pk}


def test_email_methods_off_but_a_phone_on_still_qualifies(us_store, us_coordinator):
    customer = qualifying(us_store)
    for method in ALL_METHODS:
        if method != ContactMethodKind.HOME_PHONE:
            ContactMethodFactory(customer=customer, method=method)
    assert listed(us_coordinator, us_store) == []
    customer.home_phone = "+13135550188"
    customer.save()
    assert listed(us_coordinator, us_store) == [customer.pk]


def test_a_method_turned_back_on_counts_as_on(us_store, us_coordinator):
    customer = qualifying(us_store)
    turn_off_all_methods(customer)
    customer.contact_methods.filter(method=ContactMethodKind.CELL_PHONE).update(is_on=True, reason=None)
    assert listed(us_coordinator, us_store) == [customer.pk]


def test_an_invalid_email_1_with_a_usable_email_2_qualifies(us_store, us_coordinator):
    customer = email_only(us_store, email2="second@mail.example.com")
    EmailBounceFactory.create_batch(3, dealership=us_store, email=customer.email1.lower())
    rows = call_select_list(user=us_coordinator, dealership_id=us_store.pk, contact_type="maintenance", limit=10)
    assert [r.customer.pk for r in rows] == [customer.pk]
    assert rows[0].email == "second@mail.example.com"
    assert rows[0].phone == ""


def test_email_validity_follows_the_store_limit_and_case(us_store, us_coordinator):
    customer = email_only(us_store, email1="Mixed.Case@Mail.Example.com")
    EmailBounceFactory.create_batch(2, dealership=us_store, email="mixed.case@mail.example.com")
    EmailBounceFactory.create_batch(5, email="mixed.case@mail.example.com")  # another store's bounces do not count
    assert listed(us_coordinator, us_store) == [customer.pk], "2 bounces, limit 3: still valid"

    EmailBounceFactory(dealership=us_store, email="mixed.case@mail.example.com")
    assert listed(us_coordinator, us_store) == [], "3 bounces reach the limit"

    us_store.email_bounce_limit = 4
    us_store.save()
    assert listed(us_coordinator, us_store) == [customer.pk], "raising the limit makes it valid again"

    us_store.email_bounce_limit = 1
    us_store.save()
    assert listed(us_coordinator, us_store) == []


def test_consent_expiry_is_honoured_at_its_instant_even_before_the_daily_task(us_store, us_coordinator):
    now = timezone.now()
    customer = email_only(us_store)
    EmailConsentFactory(
        customer=customer,
        email=customer.email1.lower(),
        basis=ConsentBasis.IMPLIED_INQUIRY,
        obtained_at=now - timedelta(days=183),
        expires_at=now,
    )
    assert listed(us_coordinator, us_store, now=now - timedelta(seconds=1)) == [customer.pk]
    assert listed(us_coordinator, us_store, now=now) == []


def test_express_consent_and_unrelated_ledger_rows_do_not_exclude(us_store, us_coordinator):
    customer = email_only(us_store)
    EmailConsentFactory(customer=customer, basis=ConsentBasis.EXPRESS)
    EmailConsentFactory(customer=customer, email="old@mail.example.com", opted_out_at=timezone.now())
    assert listed(us_coordinator, us_store) == [customer.pk]


def test_mailing_address_alone_is_a_usable_method(us_store, us_coordinator):
    customer = qualifying(us_store, cell_phone="", email1="")
    assert listed(us_coordinator, us_store) == [customer.pk]
    ContactMethodFactory(customer=customer, method=ContactMethodKind.MAIL)
    assert listed(us_coordinator, us_store) == []


def test_filters(us_store, us_coordinator):
    french_fleet_night = qualifying(
        us_store, language=Language.FRENCH, is_fleet=True, day_night=DayNight.NIGHT, city="Windsor"
    )
    english_day = qualifying(us_store, language=Language.ENGLISH, is_fleet=False, day_night=DayNight.DAY, city="Troy")
    plain = qualifying(us_store, city="Detroit")

    assert listed(us_coordinator, us_store, filters={"language": "fr"}) == [french_fleet_night.pk]
    assert listed(us_coordinator, us_store, filters={"fleet": True}) == [french_fleet_night.pk]
    assert set(listed(us_coordinator, us_store, filters={"fleet": False})) == {english_day.pk, plain.pk}
    assert listed(us_coordinator, us_store, filters={"day_night": "day"}) == [english_day.pk]
    assert listed(us_coordinator, us_store, filters={"city": "  windsor "}) == [french_fleet_night.pk]
    assert listed(us_coordinator, us_store, filters={"city": "wind"}) == [], "city matches whole names only"
    assert set(listed(us_coordinator, us_store, filters={"language": "", "fleet": None})) == {
        french_fleet_night.pk,
        english_day.pk,
        plain.pk,
    }


def test_sort_by_star_rating_both_ways_unrated_last_and_limit(us_store, us_coordinator):
    seven = qualifying(us_store, star_rating=7, last_name="Seven")
    ten = qualifying(us_store, star_rating=10, last_name="Ten")
    zero = qualifying(us_store, star_rating=0, last_name="Zero")
    unrated = qualifying(us_store, star_rating=None, last_name="Unrated")

    assert listed(us_coordinator, us_store, sort="star_desc") == [ten.pk, seven.pk, zero.pk, unrated.pk]
    assert listed(us_coordinator, us_store, sort="star_asc") == [zero.pk, seven.pk, ten.pk, unrated.pk]
    assert listed(us_coordinator, us_store, sort="star_desc", limit=2) == [ten.pk, seven.pk]


def test_best_phone_is_the_preferred_method_first_then_cell_home_work(us_store, us_coordinator):
    customer = qualifying(
        us_store,
        home_phone="+13135550101",
        work_phone="+13135550102",
        work_ext="12",
        cell_phone="+13135550103",
        preferred_contact_method=ContactMethodKind.WORK_PHONE,
    )

    def best():
        row = call_select_list(user=us_coordinator, dealership_id=us_store.pk, contact_type="csi", limit=1)[0]
        return row.phone_method, row.phone, row.phone_ext, row.is_preferred

    assert best() == ("work_phone", "+13135550102", "12", True)
    ContactMethodFactory(customer=customer, method=ContactMethodKind.WORK_PHONE)
    assert best() == ("cell_phone", "+13135550103", "", False), "a method turned off is never the best phone"
    customer.preferred_contact_method = ContactMethodKind.EMAIL
    customer.cell_phone = ""
    customer.save()
    assert best() == ("home_phone", "+13135550101", "", False)


def test_a_foreign_store_is_404_in_the_selector(us_coordinator, ca_store):
    qualifying(ca_store)
    with pytest.raises(Http404):
        call_select_list(user=us_coordinator, dealership_id=ca_store.pk, contact_type="csi", limit=10)


def test_page_lists_rows_in_at_most_ten_queries(client_for, coordinator, us_store, django_assert_max_num_queries):
    for i in range(60):
        customer = qualifying(us_store, star_rating=i % 11, preferred_contact_method=ContactMethodKind.CELL_PHONE)
        VehicleFactory(customer=customer, year=2015)
        ContactMethodFactory(customer=customer, method=ContactMethodKind.HOME_PHONE)
    client = client_for(coordinator)
    params = {"dealership": us_store.pk, "contact_type": "maintenance", "limit": 50, "sort": "star_desc"}
    with django_assert_max_num_queries(10):
        response = client.get(URL, params)
    assert response.status_code == 200
    rows = response.context["rows"]
    assert len(rows) == 50
    assert [r.customer.star_rating for r in rows] == sorted((r.customer.star_rating for r in rows), reverse=True)
    body = response.content.decode()
    first = rows[0]
    assert reverse("customers:profile", args=[first.customer.pk]) in body
    assert first.vehicle.vin in body and first.vehicle.year == 2021
    assert f"Star rating {first.customer.star_rating} of 10" in body
    assert "Preferred Method of Contact" in body


def test_page_shows_the_form_first_and_scopes_the_store_choices(client_for, us_coordinator, us_store, ca_store):
    client = client_for(us_coordinator)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["rows"] is None
    choices = [value for value, _ in response.context["form"].fields["dealership"].choices]
    assert [int(str(v)) for v in choices] == [us_store.pk]


def test_a_foreign_store_in_the_form_is_an_error_and_shows_no_data(client_for, us_coordinator, ca_store):
    foreign = qualifying(ca_store, last_name="Foreigner")
    client = client_for(us_coordinator)
    response = client.get(URL, {"dealership": ca_store.pk, "contact_type": "csi", "limit": 10, "sort": "star_desc"})
    assert response.status_code == 200
    assert "dealership" in response.context["form"].errors
    assert response.context["rows"] is None
    assert foreign.last_name not in response.content.decode()


@pytest.mark.parametrize(
    "params,field",
    [
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"contact_type": "owns"}, "contact_type"),
        ({"sort": "ro_date"}, "sort"),
        ({"language": "xx"}, "language"),
    ],
)
def test_form_validation(client_for, us_coordinator, us_store, params, field):
    client = client_for(us_coordinator)
    data = {"dealership": us_store.pk, "contact_type": "csi", "limit": 10, "sort": "star_desc"} | params
    response = client.get(URL, data)
    assert field in response.context["form"].errors
    assert response.context["rows"] is None


def test_login_required(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_vehicle_concerned_is_the_newest_eligible_one_unknown_years_last(us_store, us_coordinator):
    customer = CustomerFactory(dealership=us_store)
    VehicleFactory(customer=customer, year=None)
    newest = VehicleFactory(customer=customer, year=2019)
    VehicleFactory(customer=customer, year=2023, owns=False)
    row = call_select_list(user=us_coordinator, dealership_id=us_store.pk, contact_type="recalls", limit=5)[0]
    assert row.vehicle == newest
