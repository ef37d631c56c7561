"""What the nightly pull records and how its contact-method changes are made: through the one writer of
contact-method state (so a method turned off is never left as the preferred one) and the one audit writer
(raw values, declared actions, labels only from the field registry)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contacts.models import ContactMethod
from customers.fields import VEHICLE_LABELS, field_label
from customers.models import AuditAction, Customer, CustomerHistory, TurnOffEvent, TurnOffReason
from dealermine.bulk import UPDATE_SET_BASED_FROM
from dms_sync.extract_format import CUSTOMER_COLUMNS, VEHICLE_COLUMNS
from dms_sync.services.pull import dms_pull

from .extracts import csv_bytes, customer_row, write_raw_extract


def _write(dms_dirs, store, rows, *, day="20261101", vehicles=None):
    return write_raw_extract(
        dms_dirs[0],
        store.code,
        customers=csv_bytes(CUSTOMER_COLUMNS, rows),
        customer_rows=len(rows),
        vehicles=csv_bytes(VEHICLE_COLUMNS, vehicles) if vehicles else None,
        vehicle_rows=len(vehicles or []),
        day=day,
    )


def _changes(entry) -> dict:
    return {c["field"]: (c["old"], c["new"]) for c in entry.changes}


@pytest.mark.django_db
@pytest.mark.parametrize("with_other_change", [True, False])
def test_a_method_the_pull_turns_off_stops_being_the_preferred_one(dms_dirs, file_store, with_other_change):
    rows = [customer_row("5001", home_phone="313-555-0100")]
    _write(dms_dirs, file_store, rows)
    assert dms_pull(dealership=file_store).status == "succeeded"
    customer = Customer.objects.get(dms_number="5001")
    Customer.objects.filter(pk=customer.pk).update(preferred_contact_method="cell_phone")  # the yellow star

    rows[0].update(allow_phone="N", last_change_date="2026-11-02")
    if with_other_change:
        rows[0].update(city="Detroit")
    _write(dms_dirs, file_store, rows, day="20261102")
    run = dms_pull(dealership=file_store)
    assert run.status == "succeeded", run.error
    assert (run.updated, run.unchanged) == (1, 0)

    customer.refresh_from_db()
    assert customer.preferred_contact_method == ""  # not left on the red X
    dms = TurnOffReason.objects.get(dealership=None, code="DMS")
    off = ContactMethod.objects.filter(customer=customer, is_on=False)
    assert {(m.method, m.reason_id) for m in off} == {(m, dms.pk) for m in ("home_phone", "work_phone", "cell_phone")}
    assert TurnOffEvent.objects.filter(customer=customer, is_on=False, actor_label="DMS sync").count() == 3
    # One history entry for the row: its field changes, the methods and the preference, all raw.
    entry = CustomerHistory.objects.get(customer=customer)
    assert entry.action == AuditAction.DMS_UPDATE and entry.who == "DMS sync"
    changes = _changes(entry)
    assert changes["preferred_contact_method"] == ("cell_phone", "")
    assert changes["contact_method:cell_phone"] == ({"on": True, "reason": None}, {"on": False, "reason": dms.pk})
    assert ("city" in changes) is with_other_change

    # Unchanged next night: nothing is switched or written again.
    run = dms_pull(dealership=file_store)
    assert (run.updated, run.unchanged) == (0, 1)
    assert CustomerHistory.objects.filter(customer=customer).count() == 1


@pytest.mark.django_db
def test_customer_history_keeps_raw_values_and_registry_keys(dms_dirs, file_store):
    rows = [customer_row("6001")]
    _write(dms_dirs, file_store, rows)
    dms_pull(dealership=file_store)
    rows[0].update(
        cell_phone="(313) 555-0199",
        birth_date="1980-02-03",
        language="French",
        eservice="Y",
        labour_sales_total="12.50",
        company_name="Acme",
        last_change_date="2026-11-02",
    )
    _write(dms_dirs, file_store, rows, day="20261102")
    dms_pull(dealership=file_store)
    changes = _changes(CustomerHistory.objects.get())
    assert changes["cell_phone"] == ("+13135550142", "+13135550199")  # E.164, not the national display form
    assert changes["birth_date"] == (None, "1980-02-03")  # ISO date
    assert changes["language"][1] == "fr"  # the choice code, not "French"
    assert changes["eservice_registered"] == (False, True)
    assert changes["labour_sales_total"][1] == "12.50"
    assert changes["other_name"] == ("", "Acme")  # the registry's key (company_name in the extract)


@pytest.mark.django_db
def test_vehicle_history_uses_vehicle_keys_and_raw_values(dms_dirs, file_store):
    first_vin, second_vin = "2HGFC2F59MH000001", "1HGCM82633A004352"
    rows = [customer_row("7001")]
    vehicles = [{"customer_number": "7001", "vin": first_vin, "year": "2021", "make": "Honda", "owns": "Y"}]
    _write(dms_dirs, file_store, rows, vehicles=vehicles)
    assert dms_pull(dealership=file_store).status == "succeeded"
    vehicles[0].update(year="2022", delivery_date="2026-10-15")
    vehicles.append({"customer_number": "7001", "vin": second_vin, "year": "2003", "make": "Honda", "owns": "Y"})
    _write(dms_dirs, file_store, rows, vehicles=vehicles, day="20261102")
    run = dms_pull(dealership=file_store)
    assert run.status == "succeeded", run.error
    entry = CustomerHistory.objects.get()
    assert entry.action == AuditAction.DMS_VEHICLES
    assert _changes(entry) == {
        f"vehicle:{first_vin}:year": (2021, 2022),
        f"vehicle:{first_vin}:delivery_date": (None, "2026-10-15"),
        "vehicle": (None, second_vin),
    }
    assert field_label(f"vehicle:{first_vin}:year") == f"{first_vin} {VEHICLE_LABELS['year']}"


@pytest.mark.django_db
def test_contact_method_switches_take_the_same_number_of_queries_for_any_number_of_customers(dms_dirs, file_store):
    def queries_to_turn_phones_off(count: int, prefix: str) -> int:
        rows = [customer_row(f"{prefix}{i:03}") for i in range(count)]
        folder = _write(dms_dirs, file_store, rows, day=f"2026110{len(prefix)}")
        assert dms_pull(dealership=file_store, path=folder).status == "succeeded"
        for row in rows:
            row.update(allow_phone="N", city="Detroit", last_change_date="2026-11-05")
        folder = _write(dms_dirs, file_store, rows, day=f"2026111{len(prefix)}")
        with CaptureQueriesContext(connection) as queries:
            run = dms_pull(dealership=file_store, path=folder)
        assert run.updated == count and run.status == "succeeded", run.error
        return len(queries)

    # 25 customers: 75 turn-offs stay within one batch of SQLite's bound-parameter limit. Both counts are past
    # dealermine.bulk.UPDATE_SET_BASED_FROM, where PostgreSQL's updates switch to their set-based statements.
    assert UPDATE_SET_BASED_FROM <= 12
    assert queries_to_turn_phones_off(12, "A") == queries_to_turn_phones_off(25, "BB")


@pytest.mark.django_db
def test_a_preferred_method_the_dms_blanks_stops_being_preferred(dms_dirs, file_store):
    rows = [customer_row("5101")]
    _write(dms_dirs, file_store, rows)
    dms_pull(dealership=file_store)
    customer = Customer.objects.get(dms_number="5101")
    Customer.objects.filter(pk=customer.pk).update(preferred_contact_method="cell_phone")
    rows[0].update(cell_phone="", last_change_date="2026-11-02")
    _write(dms_dirs, file_store, rows, day="20261102")
    assert dms_pull(dealership=file_store).status == "succeeded"
    customer.refresh_from_db()
    assert (customer.cell_phone, customer.preferred_contact_method) == ("", "")
    changes = _changes(CustomerHistory.objects.get(customer=customer))
    assert changes == {"cell_phone": ("+13135550142", ""), "preferred_contact_method": ("cell_phone", "")}
