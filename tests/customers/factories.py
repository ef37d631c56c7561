import factory
from django.contrib.auth import get_user_model
from django.utils import timezone
from factory.django import DjangoModelFactory

from customers.models import (
    Association,
    Country,
    Customer,
    CustomerCreation,
    CustomerHistory,
    CustomerKind,
    Dealership,
    DmsVendor,
    Inquiry,
    Membership,
    Relationship,
    RepairOrder,
    ServiceAdvisor,
    TurnOffReason,
    UserLanguage,
    Vehicle,
    VehicleContactType,
    VerificationStamp,
    VinContactType,
)
from customers.services.repair_orders import customer_last_ro_dates_refresh
from dms_sync.extract_format import vin_check_digit


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or "pw")
        if create:
            self.save(update_fields=["password"])


class DealershipFactory(DjangoModelFactory):
    class Meta:
        model = Dealership
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"store{n}")
    name = factory.Sequence(lambda n: f"Store {n}")
    country = Country.US
    time_zone = "America/Detroit"
    dms_vendor = DmsVendor.CDK


class CanadianDealershipFactory(DealershipFactory):
    country = Country.CA
    time_zone = "America/Toronto"
    dms_vendor = DmsVendor.REYNOLDS
    has_showroom_equity = True


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    dealership = factory.SubFactory(DealershipFactory)


class ServiceAdvisorFactory(DjangoModelFactory):
    class Meta:
        model = ServiceAdvisor

    dealership = factory.SubFactory(DealershipFactory)
    name = factory.Faker("name")


class TurnOffReasonFactory(DjangoModelFactory):
    class Meta:
        model = TurnOffReason

    code = factory.Sequence(lambda n: f"R{n}")
    label = factory.Sequence(lambda n: f"Reason {n}")
    applies_to_status = True
    applies_to_contact_method = True
    applies_to_vin_contact_type = True


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = Customer

    dealership = factory.SubFactory(DealershipFactory)
    dealermine_number = factory.Sequence(lambda n: 100001 + n)
    dms_number = factory.Sequence(lambda n: f"D{n:06d}")
    kind = CustomerKind.PERSON
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    address1 = factory.Faker("street_address")
    city = "Detroit"
    state = "MI"
    postal_code = "48226"
    country = "US"
    cell_phone = factory.Sequence(lambda n: f"+1313555{n % 10000:04d}")
    email1 = factory.Sequence(lambda n: f"customer{n}@mail.example.com")


class VehicleFactory(DjangoModelFactory):
    class Meta:
        model = Vehicle

    customer = factory.SubFactory(CustomerFactory)
    year = 2021
    make = "Honda"
    model = "Civic"

    @factory.sequence
    def vin(n):
        partial = f"2HGFC2F5{0}M{n:07d}"[:17]
        return partial[:8] + vin_check_digit(partial) + partial[9:]


class VehicleContactTypeFactory(DjangoModelFactory):
    class Meta:
        model = VehicleContactType

    vehicle = factory.SubFactory(VehicleFactory)
    contact_type = VinContactType.CSI
    is_on = False
    reason = factory.SubFactory(TurnOffReasonFactory)


class CustomerHistoryFactory(DjangoModelFactory):
    class Meta:
        model = CustomerHistory

    customer = factory.SubFactory(CustomerFactory)
    created_at = factory.LazyFunction(timezone.now)
    changes = factory.LazyFunction(lambda: [{"field": "city", "label": "City", "old": "A", "new": "B"}])


class VerificationStampFactory(DjangoModelFactory):
    class Meta:
        model = VerificationStamp

    customer = factory.SubFactory(CustomerFactory)
    verified_by = factory.SubFactory(UserFactory)
    verified_at = factory.LazyFunction(timezone.now)


class AssociationFactory(DjangoModelFactory):
    class Meta:
        model = Association

    from_customer = factory.SubFactory(CustomerFactory)
    to_customer = factory.SubFactory(CustomerFactory, dealership=factory.SelfAttribute("..from_customer.dealership"))
    relationship = Relationship.FAMILY


class InquiryFactory(DjangoModelFactory):
    class Meta:
        model = Inquiry

    customer = factory.SubFactory(CustomerFactory)
    user = factory.SubFactory(UserFactory)
    created_at = factory.LazyFunction(timezone.now)


class RepairOrderFactory(DjangoModelFactory):
    """A repair order as a writer of them stores it: with its customer's last RO date refreshed (in the
    database; an already loaded customer object needs refresh_from_db)."""

    class Meta:
        model = RepairOrder
        skip_postgeneration_save = True

    customer = factory.SubFactory(CustomerFactory)
    dealership = factory.SelfAttribute("customer.dealership")
    ro_number = factory.Sequence(lambda n: f"RO{n:07d}")
    labour_sale = "120.00"
    parts_sale = "80.00"

    @factory.post_generation
    def customer_last_ro_date(obj, create, extracted, **kwargs):
        if create:
            customer_last_ro_dates_refresh(customer_ids=[obj.customer_id])


class CustomerCreationFactory(DjangoModelFactory):
    """A file created on the New customer screen (its form's one-time token)."""

    class Meta:
        model = CustomerCreation

    customer = factory.SubFactory(CustomerFactory)
    token = factory.Faker("uuid4", cast_to=None)
    created_by = factory.SubFactory(UserFactory)
    created_at = factory.LazyFunction(timezone.now)


class UserLanguageFactory(DjangoModelFactory):
    """A person's language choice (the nav's switch)."""

    class Meta:
        model = UserLanguage

    user = factory.SubFactory(UserFactory)
    language = "fr-ca"
