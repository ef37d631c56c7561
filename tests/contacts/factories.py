import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from contacts.models import ConsentBasis, ContactMethod, EmailBounce, EmailConsent
from customers.models import ContactMethodKind, TurnOffEvent, TurnOffTarget
from tests.customers.factories import CustomerFactory, DealershipFactory, TurnOffReasonFactory


class ContactMethodFactory(DjangoModelFactory):
    class Meta:
        model = ContactMethod

    customer = factory.SubFactory(CustomerFactory)
    method = ContactMethodKind.EMAIL
    is_on = False
    reason = factory.SubFactory(TurnOffReasonFactory)
    changed_at = factory.LazyFunction(timezone.now)


class TurnOffEventFactory(DjangoModelFactory):
    class Meta:
        model = TurnOffEvent

    customer = factory.SubFactory(CustomerFactory)
    target = TurnOffTarget.CONTACT_METHOD
    code = ContactMethodKind.EMAIL
    is_on = False
    reason = factory.SubFactory(TurnOffReasonFactory)
    created_at = factory.LazyFunction(timezone.now)


class EmailConsentFactory(DjangoModelFactory):
    class Meta:
        model = EmailConsent

    customer = factory.SubFactory(CustomerFactory)
    email = factory.SelfAttribute("customer.email1")
    basis = ConsentBasis.EXPRESS
    source = "Service drive"
    obtained_at = factory.LazyFunction(timezone.now)


class EmailBounceFactory(DjangoModelFactory):
    class Meta:
        model = EmailBounce

    dealership = factory.SubFactory(DealershipFactory)
    email = factory.Sequence(lambda n: f"bounced{n}@mail.example.com")
    bounced_at = factory.LazyFunction(timezone.now)
    campaign = "Oil change reminder"
    provider_event_id = factory.Sequence(lambda n: f"evt-{n}")
