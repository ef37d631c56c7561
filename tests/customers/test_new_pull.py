"""A prospect created here and a later DMS pull bringing the same customer: never merged silently; the two show
each other as merge candidates ("Customers available to be merged") with the reasons."""

import uuid

import pytest
from django.urls import reverse

from customers.models import Customer, CustomerKind, DmsAdapter
from customers.selectors.duplicates import duplicate_candidates
from customers.services.create import customer_create
from dms_sync.extract_format import CUSTOMER_COLUMNS
from dms_sync.models import SyncStatus
from dms_sync.services.pull import dms_pull
from tests.dms_sync.extracts import csv_bytes, customer_row, write_raw_extract

pytestmark = pytest.mark.django_db


@pytest.fixture
def file_store(us_store, tmp_path, settings):
    settings.DMS_DROP_ROOT = tmp_path / "drop"
    settings.DMS_OUTBOX_ROOT = tmp_path / "outbox"
    us_store.dms_adapter = DmsAdapter.FILE_DROP
    us_store.save(update_fields=["dms_adapter"])
    return us_store


def test_a_pulled_customer_matching_a_prospect_created_here_becomes_a_merge_candidate(
    file_store, us_coordinator, client_for, tmp_path
):
    prospect = customer_create(
        dealership=file_store,
        data={
            "kind": CustomerKind.PROSPECT,
            "first_name": "Annie",
            "last_name": "Smith",
            "cell_phone": "313.555.0142",
            "email1": "ann.smith@mail.example.com",
            "postal_code": "48226",
            "status": "active",
        },
        actor=us_coordinator,
        token=uuid.uuid4(),
    ).customer
    row = customer_row("D900", email1="", email2="ANN.SMITH@mail.example.com")
    folder = write_raw_extract(
        tmp_path / "drop", file_store.code, customers=csv_bytes(CUSTOMER_COLUMNS, [row]), customer_rows=1
    )
    assert dms_pull(dealership=file_store, path=folder).status == SyncStatus.SUCCEEDED

    pulled = Customer.objects.get(dealership=file_store, dms_number="D900")
    prospect = Customer.objects.get(pk=prospect.pk)
    # Nothing merged, nothing overwritten: two files, the prospect as it was, numbers in order.
    assert pulled.pk != prospect.pk and pulled.merge_parent_id is None and prospect.merge_parent_id is None
    assert (prospect.dms_number, prospect.kind, prospect.first_name) == ("", CustomerKind.PROSPECT, "Annie")
    assert pulled.dealermine_number == prospect.dealermine_number + 1
    reasons = [
        "Same phone (313) 555-0142 (cell)",
        "Same email (ann.smith@mail.example.com)",
        "Same last name, first initial and postal code",
    ]
    [seen_from_prospect] = duplicate_candidates(user=us_coordinator, customer=prospect)
    [seen_from_pulled] = duplicate_candidates(user=us_coordinator, customer=pulled)
    assert seen_from_prospect.customer.pk == pulled.pk and seen_from_prospect.reasons == reasons
    assert seen_from_pulled.customer.pk == prospect.pk and seen_from_pulled.reasons == reasons
    # The merge panel of each profile lists the other with the reasons.
    client = client_for(us_coordinator)
    body = client.get(reverse("customers:profile", args=[prospect.pk])).content.decode()
    assert reverse("customers:profile", args=[pulled.pk]) in body and "Same phone (313) 555-0142 (cell)" in body
    body = client.get(reverse("customers:profile", args=[pulled.pk])).content.decode()
    assert f"DealerMine # {prospect.dealermine_number}-4" in body
