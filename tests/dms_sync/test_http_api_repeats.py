"""An HTTP API pull fetches and spools every page before the sync writes anything, finds the customers the DMS
sends more than once (`Pull.last_lines`), and replays the spool in pages of the sync's batch size."""

import pytest

from customers.models import Customer, RepairOrder, Vehicle
from dms_sync.adapters.http_api import HttpApiAdapter
from dms_sync.models import SyncRun
from dms_sync.sample_extract import ExtractSpec, extract_generate
from dms_sync.services.pull import dms_pull

CUSTOMERS = 30  # 5 pages of 7; the repeat makes 31 items, the last on page 5
LATER_VIN = "1HGCM82633A004352"
LATER = {
    "last_name": "Later",
    "last_change_date": "2025-07-01",
    "vehicles": [
        {
            "vin": LATER_VIN,
            "year": 2003,
            "make": "Honda",
            "model": "Accord",
            "delivery_date": "2023-01-05",
            "owns": True,
        }
    ],
    "repair_orders": [
        {"ro_number": "RO999001", "vin": LATER_VIN, "closed_date": "2025-06-01", "labour_sale": 100, "parts_sale": 20}
    ],
}


@pytest.fixture
def repeated(api_store, fake_dms):
    """30 customers, and the first one (line 1, page 1; with vehicles and repair orders) listed again last (line
    31, page 5) with another name, vehicle and repair order. Returns its number."""
    extract = extract_generate(ExtractSpec(dealership_code=api_store.code, customers=CUSTOMERS, seed=3))
    fake_dms.load_extract(extract)
    number = min(fake_dms.customers)
    assert fake_dms.customers[number]["vehicles"] and fake_dms.customers[number]["repair_orders"]
    fake_dms.repeat_customer(number, **LATER)
    return number


@pytest.mark.django_db
def test_a_customer_on_two_pages_has_its_last_line_and_its_earlier_item_loses_its_nested_rows(
    api_store, fake_dms, repeated
):
    adapter = HttpApiAdapter(api_store)
    pull = adapter.changes_since("")
    calls = []
    pull.validate(keepalive=lambda: calls.append(len(fake_dms.requests)))
    # Every page was fetched by validate(), with a keepalive after each.
    assert pull.pages_fetched == 5 and pull.items == CUSTOMERS + 1
    assert len(calls) == 5
    assert pull.last_lines == {repeated: CUSTOMERS + 1}
    requests = len(fake_dms.requests)

    pages = list(pull.pages(batch_size=4))
    assert len(fake_dms.requests) == requests  # replayed from the spool, not fetched again
    assert [len(p.customers) for p in pages] == [4] * 7 + [3]  # the sync's batch size, not the DMS's 7
    customers = [row for p in pages for row in p.customers]
    assert [row.line for row in customers] == list(range(1, CUSTOMERS + 2))
    assert {row.file for row in customers} == {"api:/customers"}
    earlier, later = customers[0], customers[-1]
    # The superseded item still gives its customer row (the sync counts and skips it)...
    assert earlier.value("customer_number") == later.value("customer_number") == repeated
    assert earlier.value("last_name") != "Later" and later.value("last_name") == "Later"
    # ...but its vehicles and repair orders are left out: the later item carries the current ones.
    vehicles = [row for p in pages for row in p.vehicles if row.value("customer_number") == repeated]
    orders = [row for p in pages for row in p.repair_orders if row.value("customer_number") == repeated]
    assert [(row.line, row.value("vin")) for row in vehicles] == [(CUSTOMERS + 1, LATER_VIN)]
    assert [(row.line, row.value("ro_number")) for row in orders] == [(CUSTOMERS + 1, "RO999001")]
    # Everyone else keeps theirs.
    others = {row.value("customer_number") for p in pages for row in p.vehicles} - {repeated}
    assert len(others) > 10

    # A second replay gives the same pages; closing the adapter deletes the spool.
    assert [len(p.customers) for p in pull.pages(batch_size=40)] == [CUSTOMERS + 1]
    spool = pull._spool
    adapter.close()
    assert spool.closed and pull._spool is None


@pytest.mark.django_db
def test_no_repeats_no_last_lines(api_store, fake_dms):
    fake_dms.load_extract(extract_generate(ExtractSpec(dealership_code=api_store.code, customers=12, seed=5)))
    adapter = HttpApiAdapter(api_store)
    pull = adapter.changes_since("")
    pull.validate()
    assert pull.last_lines == {} and pull.items == 12 and pull.pages_fetched == 2
    rows = list(pull.pages(batch_size=5))
    assert [len(p.customers) for p in rows] == [5, 5, 2]
    assert sum(len(p.vehicles) for p in rows) == sum(len(c["vehicles"]) for c in fake_dms.customers.values())
    adapter.close()


@pytest.mark.parametrize("batch_size", [4, 2000])
@pytest.mark.django_db
def test_a_pull_with_a_repeated_customer_loads_its_later_item_whatever_the_batch_size(
    api_store, fake_dms, repeated, batch_size
):
    run = dms_pull(dealership=api_store, batch_size=batch_size)
    assert run.status == "succeeded", run.error
    assert run.error == ""
    assert Customer.objects.filter(dealership=api_store).count() == CUSTOMERS
    customer = Customer.objects.get(dealership=api_store, dms_number=repeated)
    assert customer.last_name == "Later"
    assert list(Vehicle.objects.filter(customer=customer).values_list("vin", flat=True)) == [LATER_VIN]
    assert list(RepairOrder.objects.filter(customer=customer).values_list("ro_number", flat=True)) == ["RO999001"]
    assert not SyncRun.objects.filter(dealership=api_store, status="running").exists()
    # The same data again changes nothing: the earlier item is not applied over the later one.
    SyncRun.objects.update(cursor="")
    again = dms_pull(dealership=api_store, batch_size=batch_size)
    assert again.status == "succeeded", again.error
    assert again.created == 0 and again.updated == 0
    assert Customer.objects.get(pk=customer.pk).last_name == "Later"
