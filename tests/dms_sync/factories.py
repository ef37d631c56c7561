import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from dms_sync.models import QuarantinedRow, RemoveRequest, SuppressedField, Suppression, SyncRun
from tests.customers.factories import CustomerFactory, DealershipFactory


class SyncRunFactory(DjangoModelFactory):
    class Meta:
        model = SyncRun

    dealership = factory.SubFactory(DealershipFactory)
    adapter = "file_drop"
    started_at = factory.LazyFunction(timezone.now)


class QuarantinedRowFactory(DjangoModelFactory):
    class Meta:
        model = QuarantinedRow

    run = factory.SubFactory(SyncRunFactory)
    source_file = "customers.csv"
    line_number = factory.Sequence(lambda n: n + 2)
    raw = "x,y,z"
    reason = "bad date in last_sold_date"


class SuppressionFactory(DjangoModelFactory):
    class Meta:
        model = Suppression

    customer = factory.SubFactory(CustomerFactory)
    dealership = factory.SelfAttribute("customer.dealership")
    dms_number = factory.SelfAttribute("customer.dms_number")
    field = SuppressedField.CELL_PHONE
    value = "+13135550100"


class RemoveRequestFactory(DjangoModelFactory):
    class Meta:
        model = RemoveRequest

    customer = factory.SubFactory(CustomerFactory)
    dealership = factory.SelfAttribute("customer.dealership")
    dms_number = factory.SelfAttribute("customer.dms_number")
    field = SuppressedField.CELL_PHONE
    value = "+13135550100"
    requested_at = factory.LazyFunction(timezone.now)
