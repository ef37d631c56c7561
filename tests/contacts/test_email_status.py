from datetime import timedelta

from django.utils import timezone

from contacts.models import ConsentBasis
from contacts.selectors import customer_email_statuses, email_is_invalid_for_store
from customers.models import ContactMethodKind
from tests.contacts.factories import ContactMethodFactory, EmailBounceFactory, EmailConsentFactory
from tests.customers.factories import CustomerFactory, VerificationStampFactory


def test_statuses_show_count_and_limit_and_follow_the_limit(us_store, django_assert_max_num_queries):
    customer = CustomerFactory(dealership=us_store, email1="Ann@Mail.Example.com", email2="ann2@mail.example.com")
    EmailBounceFactory.create_batch(3, dealership=us_store, email="ann@mail.example.com")
    customer.dealership = us_store
    with django_assert_max_num_queries(4):
        first, second = customer_email_statuses(customer=customer)
    assert (first.label, first.bounce_count, first.bounce_limit, first.is_invalid, first.usable) == (
        "Email 1",
        3,
        3,
        True,
        False,
    )
    assert (second.bounce_count, second.is_invalid, second.usable) == (0, False, True)
    assert email_is_invalid_for_store(dealership=us_store, email="ANN@mail.example.com")

    us_store.email_bounce_limit = 4
    us_store.save()
    assert not customer_email_statuses(customer=customer)[0].is_invalid
    assert not email_is_invalid_for_store(dealership=us_store, email="ann@mail.example.com")


def test_red_flag_is_cleared_by_a_later_verification_not_the_count(us_store):
    customer = CustomerFactory(dealership=us_store)
    EmailBounceFactory(dealership=us_store, email=customer.email1, bounced_at=timezone.now() - timedelta(days=3))
    assert customer_email_statuses(customer=customer)[0].is_red
    VerificationStampFactory(customer=customer)
    status = customer_email_statuses(customer=customer)[0]
    assert not status.is_red
    assert status.bounce_count == 1


def test_opted_out_expired_and_method_off(us_store):
    now = timezone.now()
    customer = CustomerFactory(dealership=us_store, email2="two@mail.example.com")
    EmailConsentFactory(customer=customer, email=customer.email1, opted_out_at=now)
    EmailConsentFactory(
        customer=customer,
        email="two@mail.example.com",
        basis=ConsentBasis.IMPLIED_INQUIRY,
        obtained_at=now - timedelta(days=190),
        expires_at=now - timedelta(days=6),
    )
    one, two = customer_email_statuses(customer=customer)
    assert (one.opted_out, one.consent_expired, one.usable) == (True, False, False)
    assert (two.opted_out, two.consent_expired, two.usable) == (False, True, False)
    ContactMethodFactory(customer=customer, method=ContactMethodKind.EMAIL)
    assert not any(s.method_on for s in customer_email_statuses(customer=customer))


def test_no_address_no_status(us_store):
    assert customer_email_statuses(customer=CustomerFactory(dealership=us_store, email1="")) == []
