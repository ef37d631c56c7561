"""The extract's optional last_contact_date column: loaded into the customer's DMS last-contact date when the
DMS sends it, no warning and nothing changed when it does not, a bad date quarantines the row like any date."""

from datetime import date

import pytest

from customers.models import Customer
from dms_sync.extract_format import CUSTOMER_COLUMNS, OPTIONAL_COLUMNS
from dms_sync.rows import RowError, customer_values
from dms_sync.services.pull import dms_pull

from .extracts import csv_bytes, customer_row, write_raw_extract

WITHOUT = [c for c in CUSTOMER_COLUMNS if c != "last_contact_date"]


def test_the_row_parser_reads_the_column_when_present():
    values, _ = customer_values({"customer_type": "P", "last_contact_date": "2026-02-01"}, store_country="US")
    assert values["last_contact_date"] == date(2026, 2, 1)
    values, _ = customer_values({"customer_type": "P"}, store_country="US")
    assert "last_contact_date" not in values, "absent: the field is left as it is"
    with pytest.raises(RowError, match="last_contact_date"):
        customer_values({"customer_type": "P", "last_contact_date": "02/01/2026"}, store_country="US")


@pytest.mark.django_db
def test_an_extract_with_the_column_loads_it(dms_dirs, file_store):
    rows = [
        customer_row("9001", last_contact_date="2026-09-30"),
        customer_row("9002", last_contact_date=""),
        customer_row("9003", last_contact_date="yesterday"),
    ]
    write_raw_extract(dms_dirs[0], file_store.code, customers=csv_bytes(CUSTOMER_COLUMNS, rows), customer_rows=3)
    run = dms_pull(dealership=file_store)
    assert run.status == "succeeded", run.error
    by_number = {c.dms_number: c for c in Customer.objects.all()}
    assert by_number["9001"].last_contact_date == date(2026, 9, 30)
    assert by_number["9002"].last_contact_date is None
    assert "9003" not in by_number and run.quarantined == 1


@pytest.mark.django_db
def test_an_extract_without_the_column_warns_nothing_and_keeps_the_date(dms_dirs, file_store):
    assert "last_contact_date" in OPTIONAL_COLUMNS["customers.csv"]
    write_raw_extract(
        dms_dirs[0], file_store.code, customers=csv_bytes(CUSTOMER_COLUMNS, [customer_row("9101")]), customer_rows=1
    )
    assert dms_pull(dealership=file_store).status == "succeeded"
    Customer.objects.filter(dms_number="9101").update(last_contact_date=date(2026, 5, 5))
    write_raw_extract(
        dms_dirs[0],
        file_store.code,
        customers=csv_bytes(WITHOUT, [customer_row("9101", first_name="Anne", last_change_date="2026-10-02")]),
        customer_rows=1,
        day="20261102",
    )
    run = dms_pull(dealership=file_store)
    assert run.status == "succeeded", run.error
    assert not any("last_contact_date" in w for w in run.warnings), run.warnings
    customer = Customer.objects.get(dms_number="9101")
    assert customer.first_name == "Anne" and customer.last_contact_date == date(2026, 5, 5)
