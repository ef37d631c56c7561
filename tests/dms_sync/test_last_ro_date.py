"""The nightly pull keeps each customer's stored last RO date in step with the repair orders it writes: new ones,
a changed closed date, an order moved to another customer (both refreshed), an unchanged re-run writing nothing."""

from datetime import date

import pytest
from django.db.models import Max

from customers.models import Customer, RepairOrder
from dms_sync.extract_format import CUSTOMER_COLUMNS, REPAIR_ORDER_COLUMNS
from dms_sync.services.pull import dms_pull

from .extracts import csv_bytes, customer_row, write_raw_extract


def ro_row(customer, number, closed):
    return {
        "customer_number": customer,
        "ro_number": number,
        "vin": "",
        "closed_date": closed,
        "labour_sale": "100.00",
        "parts_sale": "20.00",
    }


def pull(store, root, day, ros):
    customers = [customer_row("C1", last_name="One"), customer_row("C2", last_name="Two")]
    write_raw_extract(
        root,
        store.code,
        day=day,
        customers=csv_bytes(CUSTOMER_COLUMNS, customers),
        customer_rows=len(customers),
        repair_orders=csv_bytes(REPAIR_ORDER_COLUMNS, ros),
        repair_order_rows=len(ros),
    )
    run = dms_pull(dealership=store)
    assert run.status == "succeeded", run.error
    assert run.quarantined == 0
    return run


def dates(store):
    return dict(Customer.objects.filter(dealership=store).values_list("dms_number", "last_ro_date"))


def dates_from_repair_orders(store):
    newest = dict(
        RepairOrder.objects.filter(dealership=store)
        .values("customer__dms_number")
        .annotate(d=Max("closed_date"))
        .values_list("customer__dms_number", "d")
    )
    return {number: newest.get(number) for number in dates(store)}


@pytest.mark.django_db
def test_new_changed_and_moved_repair_orders_refresh_their_customers(file_store, dms_dirs):
    root = dms_dirs[0]
    pull(
        file_store,
        root,
        "20261101",
        [ro_row("C1", "R1", "2025-05-01"), ro_row("C1", "R2", "2026-01-10"), ro_row("C2", "R3", "")],
    )
    assert dates(file_store) == {"C1": date(2026, 1, 10), "C2": None}
    # R2 moves to C2 and R1's date changes: both customers follow.
    pull(
        file_store,
        root,
        "20261102",
        [ro_row("C1", "R1", "2025-07-01"), ro_row("C2", "R2", "2026-01-10"), ro_row("C2", "R3", "")],
    )
    assert dates(file_store) == {"C1": date(2025, 7, 1), "C2": date(2026, 1, 10)}
    assert dates(file_store) == dates_from_repair_orders(file_store)
    stored = list(Customer.objects.order_by("pk").values_list("pk", "updated_at", "version"))
    again = pull(
        file_store,
        root,
        "20261103",
        [ro_row("C1", "R1", "2025-07-01"), ro_row("C2", "R2", "2026-01-10"), ro_row("C2", "R3", "")],
    )
    assert again.created == again.updated == 0
    assert list(Customer.objects.order_by("pk").values_list("pk", "updated_at", "version")) == stored


@pytest.mark.django_db
def test_a_first_import_stores_every_customers_newest_closed_date(write_extract, file_store):
    write_extract(customers=250)  # > COPY threshold: PostgreSQL takes the COPY path
    assert dms_pull(dealership=file_store).status == "succeeded"
    stored = dates(file_store)
    assert any(stored.values()) and not all(stored.values())
    assert stored == dates_from_repair_orders(file_store)
