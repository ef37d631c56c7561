import pytest
from django.db import IntegrityError, transaction

from customers.models import CustomerStatus
from tests.customers.factories import CustomerFactory, DealershipFactory


@pytest.mark.django_db
@pytest.mark.parametrize("limit", [0, 10])
def test_bounce_limit_outside_1_to_9_is_rejected_by_the_database(limit):
    with pytest.raises(IntegrityError), transaction.atomic():
        DealershipFactory(email_bounce_limit=limit)


@pytest.mark.django_db
@pytest.mark.parametrize("limit", [1, 9])
def test_bounce_limit_boundaries_are_accepted(limit):
    assert DealershipFactory(email_bounce_limit=limit).email_bounce_limit == limit


@pytest.mark.django_db
@pytest.mark.parametrize("rating,ok", [(0, True), (10, True), (11, False)])
def test_star_rating_must_be_0_to_10(us_store, rating, ok):
    if ok:
        assert CustomerFactory(dealership=us_store, star_rating=rating).star_rating == rating
    else:
        with pytest.raises(IntegrityError), transaction.atomic():
            CustomerFactory(dealership=us_store, star_rating=rating)


@pytest.mark.django_db
@pytest.mark.parametrize("level,ok", [(0, False), (1, True), (3, True), (4, False)])
def test_likely_to_buy_must_be_1_to_3(us_store, level, ok):
    if ok:
        CustomerFactory(dealership=us_store, likely_to_buy=level)
    else:
        with pytest.raises(IntegrityError), transaction.atomic():
            CustomerFactory(dealership=us_store, likely_to_buy=level)


@pytest.mark.django_db
def test_dms_number_is_unique_per_store_but_may_repeat_across_stores(us_store, ca_store):
    CustomerFactory(dealership=us_store, dms_number="1001")
    CustomerFactory(dealership=ca_store, dms_number="1001")
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerFactory(dealership=us_store, dms_number="1001")


@pytest.mark.django_db
def test_locally_created_customers_may_all_have_a_blank_dms_number(us_store):
    CustomerFactory(dealership=us_store, dms_number="")
    CustomerFactory(dealership=us_store, dms_number="")


@pytest.mark.django_db
def test_an_inactive_customer_needs_a_reason(us_store):
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerFactory(dealership=us_store, status=CustomerStatus.INACTIVE, inactive_reason=None)


@pytest.mark.django_db
def test_prospects_show_the_minus_4_suffix(us_store):
    assert CustomerFactory(dealership=us_store, kind="prospect", dealermine_number=123).dealermine_number_display == (
        "123-4"
    )
