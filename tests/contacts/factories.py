import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from contacts.models import (
    ConsentBasis,
    ContactChannel,
    ContactLog,
    ContactMethod,
    ContactResult,
    ContactSettings,
    DoNotCallNumber,
    EmailBounce,
    EmailConsent,
    LastContact,
    RecycleDays,
)
from customers.models import ContactMethodKind, TurnOffEvent, TurnOffTarget, VinContactType
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


class ContactLogFactory(DjangoModelFactory):
    """A contact-history row as stored (the service, contacts.services.contact_log, is what screens use)."""

    class Meta:
        model = ContactLog

    customer = factory.SubFactory(CustomerFactory)
    dealership = factory.SelfAttribute("customer.dealership")
    contact_type = VinContactType.MAINTENANCE
    channel = ContactChannel.PHONE_OUT
    result = ContactResult.NO_ANSWER
    contacted_at = factory.LazyFunction(timezone.now)


class LastContactFactory(DjangoModelFactory):
    class Meta:
        model = LastContact

    contact_log = factory.SubFactory(ContactLogFactory)
    customer = factory.SelfAttribute("contact_log.customer")
    contact_type = factory.SelfAttribute("contact_log.contact_type")
    contacted_at = factory.SelfAttribute("contact_log.contacted_at")
    result = factory.SelfAttribute("contact_log.result")


class DoNotCallNumberFactory(DjangoModelFactory):
    class Meta:
        model = DoNotCallNumber

    dealership = factory.SubFactory(DealershipFactory)
    number = factory.Sequence(lambda n: f"+1248555{n % 10000:04d}")
    reason = "Asked not to be called"
    added_at = factory.LazyFunction(timezone.now)


class ContactSettingsFactory(DjangoModelFactory):
    class Meta:
        model = ContactSettings

    dealership = factory.SubFactory(DealershipFactory)


class RecycleDaysFactory(DjangoModelFactory):
    class Meta:
        model = RecycleDays

    store_settings = factory.SubFactory(ContactSettingsFactory)
    contact_type = VinContactType.MAINTENANCE
    days = 14
