import json
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from contacts.models import ContactMethod
from customers.audit import Change
from customers.edits import person_edits_stamp
from customers.fields import BY_KEY, field_label
from customers.models import (
    Customer,
    CustomerHistory,
    Relationship,
    RepairOrder,
    TurnOffEvent,
    TurnOffReason,
    Vehicle,
)
from dms_sync.extract_format import CUSTOMER_COLUMNS, VEHICLE_COLUMNS
from dms_sync.models import QuarantinedRow, SyncRun
from dms_sync.outbox import suppression_add
from dms_sync.sample_extract import extract_generate
from dms_sync.services.pull import SyncAlreadyRunning, dms_pull
from tests.customers.factories import UserFactory

from .extracts import csv_bytes, customer_checksum, customer_row, write_raw_extract


def _pull(store, **kwargs):
    return dms_pull(dealership=store, **kwargs)


@pytest.fixture(params=["small", "big"])
def reader(request, settings):
    """A big extract is read by a second process, given the stored row digests to leave unchanged customer
    rows out; a small one by a thread, the sync looking rows up page by page. Both must load the same way."""
    settings.DMS_SYNC_READER_PROCESS_ROWS = 1 if request.param == "big" else 0
    return request.param


@pytest.mark.django_db
def test_first_import_loads_customers_vehicles_and_repair_orders(write_extract, file_store, reader):
    write_extract(customers=250)  # > COPY threshold: PostgreSQL takes the COPY path
    start_number = file_store.next_dealermine_number
    run = _pull(file_store)
    assert run.status == "succeeded", run.error
    extract = extract_generate_for(file_store, 250)
    assert Customer.objects.filter(dealership=file_store).count() == 250
    assert Vehicle.objects.filter(customer__dealership=file_store).count() == len(extract.vehicles)
    assert RepairOrder.objects.filter(dealership=file_store).count() == len(extract.repair_orders)
    assert run.created == 250 + len(extract.vehicles) + len(extract.repair_orders)
    assert run.quarantined == 0 and run.updated == 0
    numbers = sorted(Customer.objects.values_list("dealermine_number", flat=True))
    assert numbers == list(range(start_number, start_number + 250))
    file_store.refresh_from_db()
    assert file_store.next_dealermine_number == start_number + 250
    # Phones are stored in E.164, emails lower-cased; no history for new customers.
    first = extract.customers[0]
    customer = Customer.objects.get(dms_number=first["customer_number"])
    if customer.cell_phone:
        assert customer.cell_phone.startswith("+1")
    assert CustomerHistory.objects.count() == 0
    assert run.finished_at and run.duration is not None and run.cursor == "2026-11-01"


def extract_generate_for(store, n, **kwargs):
    from dms_sync.sample_extract import ExtractSpec

    return extract_generate(ExtractSpec(dealership_code=store.code, country=store.country, customers=n, **kwargs))


@pytest.mark.django_db
def test_the_same_extract_twice_changes_nothing_and_writes_no_history(write_extract, file_store, reader):
    write_extract(customers=150, messy_share=0.05)
    first = _pull(file_store)
    before = customer_checksum(file_store)
    history = CustomerHistory.objects.count()
    events = TurnOffEvent.objects.count()
    second = _pull(file_store)
    assert second.status == "succeeded"
    assert second.created == 0 and second.updated == 0
    assert second.unchanged == first.seen - first.quarantined
    assert second.quarantined == first.quarantined  # still bad, still visible
    assert customer_checksum(file_store) == before
    assert CustomerHistory.objects.count() == history == 0
    assert TurnOffEvent.objects.count() == events


@pytest.mark.django_db
@pytest.mark.parametrize("changed_first", [False, True])
def test_a_customer_twice_in_a_re_run_the_last_row_wins_whichever_is_unchanged(
    dms_dirs, file_store, reader, changed_first
):
    rows = [customer_row("8001", city="Oldtown"), customer_row("8002")]
    write_raw_extract(dms_dirs[0], file_store.code, customers=csv_bytes(CUSTOMER_COLUMNS, rows), customer_rows=2)
    assert _pull(file_store).status == "succeeded"
    changed = customer_row("8001", city="Newtown", last_change_date="2026-11-02")
    again = [changed, *rows] if changed_first else [*rows, changed]
    write_raw_extract(
        dms_dirs[0], file_store.code, customers=csv_bytes(CUSTOMER_COLUMNS, again), customer_rows=3, day="20261102"
    )
    run = _pull(file_store)
    assert run.status == "succeeded", run.error
    assert Customer.objects.get(dms_number="8001").city == ("Oldtown" if changed_first else "Newtown")
    assert "customer 8001 appears again" in " | ".join(run.warnings)


@pytest.mark.django_db
def test_a_changed_row_updates_the_customer_and_writes_one_dms_history_entry(dms_dirs, file_store, reader):
    rows = [customer_row("1001"), customer_row("1002")]
    write_raw_extract(dms_dirs[0], file_store.code, customers=csv_bytes(CUSTOMER_COLUMNS, rows), customer_rows=2)
    assert _pull(file_store).status == "succeeded"
    customer = Customer.objects.get(dms_number="1001")
    version = customer.version
    rows[0].update(last_name="Smith-Jones", city="Detroit", last_change_date="2026-11-02")
    write_raw_extract(
        dms_dirs[0], file_store.code, customers=csv_bytes(CUSTOMER_COLUMNS, rows), customer_rows=2, day="20261102"
    )
    run = _pull(file_store)
    assert (run.updated, run.unchanged, run.created) == (1, 1, 0)
    customer.refresh_from_db()
    assert customer.last_name == "Smith-Jones" and customer.city == "Detroit"
    assert customer.version == version + 1
    entry = CustomerHistory.objects.get(customer=customer)
    assert entry.source == "dms_sync" and entry.who == "DMS sync"
    assert {c["field"]: (c["old"], c["new"]) for c in entry.changes} == {
        "last_name": ("Smith", "Smith-Jones"),
        "city": ("", "Detroit"),
    }


@pytest.mark.django_db
def test_a_suppressed_value_is_never_re_added(dms_dirs, file_store):
    rows = [customer_row("2001", cell_phone="313-555-0142", email1="ann@example.com")]
    write_raw_extract(dms_dirs[0], file_store.code, customers=csv_bytes(CUSTOMER_COLUMNS, rows), customer_rows=1)
    _pull(file_store)
    customer = Customer.objects.get(dms_number="2001")
    assert customer.cell_phone == "+13135550142"
    # A coordinator removes the cell phone (the Customer Information service clears it and suppresses it).
    user = UserFactory()
    suppression_add(customer=customer, field="cell_phone", value="+13135550142", actor=user)
    Customer.objects.filter(pk=customer.pk).update(cell_phone="")
    # The DMS still sends it, with another change on the same row.
    rows[0].update(cell_phone="(313) 555-0142", first_name="Anne", last_change_date="2026-11-05")
    write_raw_extract(
        dms_dirs[0], file_store.code, customers=csv_bytes(CUSTOMER_COLUMNS, rows), customer_rows=1, day="20261105"
    )
    run = _pull(file_store)
    customer.refresh_from_db()
    assert customer.cell_phone == "" and customer.first_name == "Anne"
    assert any("suppressed" in w for w in run.warnings)
    changes = CustomerHistory.objects.get(customer=customer).changes
    assert [c["field"] for c in changes] == ["first_name"]
    # And again: nothing comes back, nothing is written.
    assert _pull(file_store).updated == 0
    customer.refresh_from_db()
    assert customer.cell_phone == ""


@pytest.mark.django_db
def test_a_users_edit_after_the_rows_last_change_wins_an_older_one_does_not(dms_dirs, file_store):
    rows = [customer_row("3001", last_change_date="2026-10-01"), customer_row("3002", last_change_date="2026-10-01")]
    write_raw_extract(dms_dirs[0], file_store.code, customers=csv_bytes(CUSTOMER_COLUMNS, rows), customer_rows=2)
    _pull(file_store)
    newer = Customer.objects.get(dms_number="3001")
    older = Customer.objects.get(dms_number="3002")
    for customer, edited in ((newer, "2026-11-03T10:00:00+00:00"), (older, "2026-09-01T10:00:00+00:00")):
        # A person's edit as the services record it (customers.edits), at a chosen time.
        person_edits_stamp(
            customer, [Change("email1", customer.email1, "user.typed@example.com")], now=datetime.fromisoformat(edited)
        )
        customer.email1 = "user.typed@example.com"
        customer.save(update_fields=["email1", "user_edited_at", "dms_base"])
    for row in rows:
        row.update(email1="dms.value@example.com", last_change_date="2026-11-02")
    write_raw_extract(
        dms_dirs[0], file_store.code, customers=csv_bytes(CUSTOMER_COLUMNS, rows), customer_rows=2, day="20261102"
    )
    run = _pull(file_store)
    newer.refresh_from_db()
    older.refresh_from_db()
    assert newer.email1 == "user.typed@example.com"
    assert older.email1 == "dms.value@example.com"
    assert any("kept a user's newer edit" in w for w in run.warnings)


@pytest.mark.django_db
def test_allow_flags_become_contact_method_turn_offs_and_a_users_turn_off_is_kept(dms_dirs, file_store):
    rows = [customer_row("4001", allow_email="N", allow_phone="N"), customer_row("4002")]
    write_raw_extract(dms_dirs[0], file_store.code, customers=csv_bytes(CUSTOMER_COLUMNS, rows), customer_rows=2)
    _pull(file_store)
    a = Customer.objects.get(dms_number="4001")
    b = Customer.objects.get(dms_number="4002")
    off = set(ContactMethod.objects.filter(customer=a, is_on=False).values_list("method", flat=True))
    assert off == {"email", "home_phone", "work_phone", "cell_phone"}
    assert not ContactMethod.objects.filter(customer=b).exists()  # absent row = on
    assert TurnOffEvent.objects.filter(customer=a, actor_label="DMS sync", is_on=False).count() == 4
    # A coordinator turns B's email off; the DMS then says Y for everything and turns A's email back on.
    user = UserFactory()
    ContactMethod.objects.create(customer=b, method="email", is_on=False, changed_by=user, changed_at=timezone.now())
    rows[0].update(allow_email="Y", allow_phone="N", last_change_date="2026-11-02")
    rows[1].update(allow_email="Y", first_name="Bea", last_change_date="2026-11-02")
    write_raw_extract(
        dms_dirs[0], file_store.code, customers=csv_bytes(CUSTOMER_COLUMNS, rows), customer_rows=2, day="20261102"
    )
    _pull(file_store)
    assert ContactMethod.objects.get(customer=a, method="email").is_on is True
    assert ContactMethod.objects.get(customer=b, method="email").is_on is False
    entry = CustomerHistory.objects.get(customer=a)
    dms_reason = TurnOffReason.objects.get(dealership=None, code="DMS")
    # Raw states, as every writer records them; the label comes from the field registry when shown.
    assert {
        "field": "contact_method:email",
        "old": {"on": False, "reason": dms_reason.pk},
        "new": {"on": True, "reason": None},
    } in entry.changes


@pytest.mark.django_db
def test_a_truncated_extract_fails_the_run_and_changes_nothing(write_extract, file_store):
    folder = write_extract(customers=60)
    assert _pull(file_store).status == "succeeded"
    before = customer_checksum(file_store)
    # Next night's extract differs, but customers.csv was cut short in transfer.
    folder = write_extract(customers=80, seed=7, extract_date=__import__("datetime").date(2026, 11, 2))
    data = (folder / "customers.csv").read_bytes()
    (folder / "customers.csv").write_bytes(data[: len(data) // 2])
    run = _pull(file_store)
    assert run.status == "failed"
    assert "sha256" in run.error and "customers.csv" in run.error
    assert customer_checksum(file_store) == before
    assert not QuarantinedRow.objects.filter(run=run).exists()


@pytest.mark.django_db
def test_a_row_count_mismatch_fails_the_run(dms_dirs, file_store):
    data = csv_bytes(CUSTOMER_COLUMNS, [customer_row("5001"), customer_row("5002")])
    write_raw_extract(dms_dirs[0], file_store.code, customers=data, customer_rows=3)
    run = _pull(file_store)
    assert run.status == "failed" and "2 rows, the manifest says 3" in run.error
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_a_missing_required_column_fails_the_run_with_a_clear_message(dms_dirs, file_store):
    columns = [c for c in CUSTOMER_COLUMNS if c != "customer_type"]
    data = csv_bytes(columns, [customer_row("5101")])
    write_raw_extract(dms_dirs[0], file_store.code, customers=data, customer_rows=1)
    run = _pull(file_store)
    assert run.status == "failed"
    assert run.error == "customers.csv is missing required column(s): customer_type."
    assert not Customer.objects.exists()


class Crash(BaseException):
    """Stands in for kill -9: not an Exception, so the run cannot tidy up."""


@pytest.mark.django_db
def test_a_run_killed_midway_converges_when_run_again(write_extract, file_store):
    write_extract(customers=90, messy_share=0.1)

    def crash_after_two_pages(run, page):
        if page == 2:
            raise Crash

    with pytest.raises(Crash):
        _pull(file_store, batch_size=25, after_page=crash_after_two_pages)
    killed = SyncRun.objects.get()
    assert killed.status == "running"
    assert 0 < Customer.objects.count() < 90
    # The process is gone: its heartbeat stops. The next run takes over and finishes the job.
    SyncRun.objects.filter(pk=killed.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    rerun = _pull(file_store, batch_size=25)
    assert rerun.status == "succeeded", rerun.error
    killed.refresh_from_db()
    assert killed.status == "failed" and "Abandoned" in killed.error
    converged = customer_checksum(file_store)

    # The same extract loaded in one go from scratch reaches the very same rows.
    Customer.objects.filter(dealership=file_store).delete()
    SyncRun.objects.all().delete()
    type(file_store).objects.filter(pk=file_store.pk).update(next_dealermine_number=100001)
    assert _pull(file_store, batch_size=25).status == "succeeded"
    assert customer_checksum(file_store) == converged


@pytest.mark.django_db
def test_one_run_per_store_at_a_time(write_extract, file_store):
    write_extract(customers=5)
    SyncRun.objects.create(
        dealership=file_store, adapter="file_drop", started_at=timezone.now(), heartbeat_at=timezone.now()
    )
    with pytest.raises(SyncAlreadyRunning, match="already running"):
        _pull(file_store)
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_a_run_whose_process_died_is_taken_over(write_extract, file_store):
    import socket

    write_extract(customers=5)
    dead = SyncRun.objects.create(
        dealership=file_store,
        adapter="file_drop",
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
        owner=f"{socket.gethostname()}:999999",
    )
    assert _pull(file_store).status == "succeeded"
    dead.refresh_from_db()
    assert dead.status == "failed" and "Abandoned" in dead.error


@pytest.mark.django_db
def test_bad_rows_are_quarantined_with_file_line_and_reason_while_good_rows_load(dms_dirs, file_store, reader):
    rows = [
        customer_row("6001"),
        customer_row("6002", last_sold_date="2026-13-45"),
        customer_row("6003", cell_phone="555-CALL-NOW"),
        customer_row("6004", email1="not-an-email@"),
        customer_row("6005", star_rating="12"),
        customer_row(""),
        customer_row("6007", customer_type="Z"),
        customer_row("6008", first_name="x" * 61),
    ]
    vehicles = [
        {"customer_number": "6001", "vin": "2HGFC2F59MH000001", "year": "2021", "owns": "Y"},
        {"customer_number": "6003", "vin": "2HGFC2F59MH000002", "year": "2021", "owns": "Y"},
        {"customer_number": "6001", "vin": "SHORTVIN", "year": "2021", "owns": "Y"},
    ]
    write_raw_extract(
        dms_dirs[0],
        file_store.code,
        customers=csv_bytes(CUSTOMER_COLUMNS, rows),
        customer_rows=8,
        vehicles=csv_bytes(VEHICLE_COLUMNS, vehicles),
        vehicle_rows=3,
    )
    run = _pull(file_store)
    assert run.status == "succeeded"
    assert list(Customer.objects.values_list("dms_number", flat=True)) == ["6001"]
    reasons = {(q.source_file, q.line_number): q.reason for q in run.quarantined_rows.all()}
    assert reasons == {
        ("customers.csv", 3): "last_sold_date: '2026-13-45' is not a date (YYYY-MM-DD)",
        ("customers.csv", 4): "cell_phone: '555-CALL-NOW' is not a valid phone number",
        ("customers.csv", 5): "email1: 'not-an-email@' is not a valid email address",
        ("customers.csv", 6): "star_rating: 12 is outside 0-10",
        ("customers.csv", 7): "customer_number is empty",
        ("customers.csv", 8): "customer_type: 'Z' is not P, B or R",
        ("customers.csv", 9): "first_name: longer than 60 characters",
        ("vehicles.csv", 3): "customer 6003 is not on file (its customer row is missing or was quarantined)",
        ("vehicles.csv", 4): "vin: 'SHORTVIN' is not a 17-character VIN",
    }
    assert run.quarantined == 9
    raw = run.quarantined_rows.get(line_number=4, source_file="customers.csv").raw
    assert "555-CALL-NOW" in raw and "6003" in raw
    vehicle = Vehicle.objects.get()
    assert vehicle.vin == "2HGFC2F59MH000001"


@pytest.mark.django_db
def test_extract_robustness_bom_crlf_quotes_latin1_blank_lines_duplicates_unknown_columns(dms_dirs, file_store, reader):
    columns = [*CUSTOMER_COLUMNS, "loyalty_tier"]
    rows = [
        customer_row("7001", address1="12 King St, Unit 4"),
        customer_row("7002", address2="Line one\nLine two", company_name='The "Best" Co'),
        customer_row("7003", first_name="Zoë", last_name="O'Brien", address1="1 Bay St, Suite 200"),
        customer_row("7001", address1="99 Queen St", last_change_date="2026-10-05"),  # same customer again
    ]
    for row in rows:
        row["loyalty_tier"] = "gold"
    text = csv_bytes(columns, rows, bom=True).decode("utf-8")
    # A blank line in the middle, and one record saved by a Windows tool in Latin-1.
    lines = text.split("\r\n")
    lines.insert(2, "")
    body = "\r\n".join(lines).encode("utf-8")
    body = body.replace("Zoë".encode(), "Zoë".encode("latin-1"))
    write_raw_extract(dms_dirs[0], file_store.code, customers=body, customer_rows=4)
    run = _pull(file_store)
    assert run.status == "succeeded", run.error
    assert run.quarantined == 0
    by_number = {c.dms_number: c for c in Customer.objects.all()}
    assert set(by_number) == {"7001", "7002", "7003"}
    assert by_number["7001"].address1 == "99 Queen St"  # last wins
    assert by_number["7003"].last_name == "O'Brien"
    assert by_number["7003"].address1 == "1 Bay St, Suite 200"
    assert by_number["7002"].address2 == "Line one\nLine two"
    assert by_number["7002"].other_name == 'The "Best" Co'
    assert by_number["7003"].first_name == "Zoë"
    warnings = " | ".join(run.warnings)
    assert "unknown column(s) ignored: loyalty_tier" in warnings
    assert "customer 7001 appears again" in warnings and "last row wins" in warnings
    assert "decoded as Windows-1252/Latin-1" in warnings


@pytest.mark.django_db
def test_a_duplicate_child_is_still_updated_by_its_own_dms_number(dms_dirs, file_store):
    rows = [customer_row("8001"), customer_row("8002", first_name="Annie")]
    write_raw_extract(dms_dirs[0], file_store.code, customers=csv_bytes(CUSTOMER_COLUMNS, rows), customer_rows=2)
    _pull(file_store)
    parent = Customer.objects.get(dms_number="8001")
    child = Customer.objects.get(dms_number="8002")
    child.merge_parent = parent
    child.merge_relationship = Relationship.DUPLICATE
    child.save(update_fields=["merge_parent", "merge_relationship"])
    rows[1].update(city="Ann Arbor", last_change_date="2026-11-03")
    write_raw_extract(
        dms_dirs[0], file_store.code, customers=csv_bytes(CUSTOMER_COLUMNS, rows), customer_rows=2, day="20261103"
    )
    _pull(file_store)
    child.refresh_from_db()
    parent.refresh_from_db()
    assert child.city == "Ann Arbor" and parent.city == ""
    assert child.merge_parent_id == parent.pk


@pytest.mark.django_db
def test_a_vin_with_a_bad_check_digit_loads_flagged_with_a_warning(dms_dirs, file_store):
    vehicles = [{"customer_number": "9001", "vin": "2HGFC2F50MH000001", "year": "2021", "owns": "N"}]
    write_raw_extract(
        dms_dirs[0],
        file_store.code,
        customers=csv_bytes(CUSTOMER_COLUMNS, [customer_row("9001")]),
        customer_rows=1,
        vehicles=csv_bytes(VEHICLE_COLUMNS, vehicles),
        vehicle_rows=1,
    )
    run = _pull(file_store)
    vehicle = Vehicle.objects.get()
    assert vehicle.vin_check_digit_ok is False and vehicle.owns is False
    assert any("check digit" in w for w in run.warnings)


@pytest.mark.django_db
def test_manifest_for_another_store_is_refused(dms_dirs, file_store):
    write_raw_extract(
        dms_dirs[0],
        file_store.code,
        customers=csv_bytes(CUSTOMER_COLUMNS, [customer_row("1")]),
        customer_rows=1,
        manifest_overrides={"dealership": "someone-else"},
    )
    run = _pull(file_store)
    assert run.status == "failed" and "someone-else" in run.error


@pytest.mark.django_db
def test_no_extract_folder_fails_clearly(file_store):
    run = _pull(file_store)
    assert run.status == "failed" and "No extract folder" in run.error


@pytest.mark.django_db
def test_new_vehicle_for_an_existing_customer_is_in_its_history(dms_dirs, file_store):
    write_raw_extract(
        dms_dirs[0], file_store.code, customers=csv_bytes(CUSTOMER_COLUMNS, [customer_row("9101")]), customer_rows=1
    )
    _pull(file_store)
    vehicles = [{"customer_number": "9101", "vin": "2HGFC2F59MH000001", "year": "2021", "make": "Honda", "owns": "Y"}]
    write_raw_extract(
        dms_dirs[0],
        file_store.code,
        customers=csv_bytes(CUSTOMER_COLUMNS, [customer_row("9101")]),
        customer_rows=1,
        vehicles=csv_bytes(VEHICLE_COLUMNS, vehicles),
        vehicle_rows=1,
        day="20261102",
    )
    run = _pull(file_store)
    assert run.created == 1 and run.unchanged == 1
    entry = CustomerHistory.objects.get()
    assert entry.action == "dms_vehicles" and "2HGFC2F59MH000001" in json.dumps(entry.changes)


@pytest.mark.django_db
def test_file_drop_customer_fetch_reads_one_customer_from_the_newest_extract(write_extract, file_store):
    from dms_sync.adapters import adapter_for

    write_extract(customers=20)
    extract = extract_generate_for(file_store, 20)
    number = extract.vehicles[0]["customer_number"]
    page = adapter_for(file_store).customer_fetch(number)
    assert [r.data["customer_number"] for r in page.customers] == [number]
    assert {r.data["vin"] for r in page.vehicles} == {
        v["vin"] for v in extract.vehicles if v["customer_number"] == number
    }
    assert adapter_for(file_store).customer_fetch("no-such-number") is None


@pytest.mark.django_db
def test_history_labels_read_like_the_screen(dms_dirs, file_store):
    """The history keeps registry keys and raw values; labels come from the field registry when shown, the same
    as for a coordinator's edit of the field."""
    rows = [customer_row("9201")]
    write_raw_extract(dms_dirs[0], file_store.code, customers=csv_bytes(CUSTOMER_COLUMNS, rows), customer_rows=1)
    _pull(file_store)
    rows[0].update(postal_code="48201", company_name="Acme", last_change_date="2026-11-02")
    write_raw_extract(
        dms_dirs[0], file_store.code, customers=csv_bytes(CUSTOMER_COLUMNS, rows), customer_rows=1, day="20261102"
    )
    _pull(file_store)
    changes = CustomerHistory.objects.get().changes
    assert all(set(c) == {"field", "old", "new"} for c in changes)  # no label stored
    assert {c["field"]: field_label(c["field"]) for c in changes} == {
        "postal_code": BY_KEY["postal_code"].label,
        "other_name": BY_KEY["other_name"].label,
    }


@pytest.mark.django_db
def test_a_nul_byte_quarantines_the_row_and_an_unreadable_csv_fails_the_run(dms_dirs, file_store, reader):
    rows = [customer_row("9301"), customer_row("9302", first_name="Bad\x00Name")]
    write_raw_extract(dms_dirs[0], file_store.code, customers=csv_bytes(CUSTOMER_COLUMNS, rows), customer_rows=2)
    run = _pull(file_store)
    assert run.status == "succeeded"
    assert list(Customer.objects.values_list("dms_number", flat=True)) == ["9301"]
    assert run.quarantined_rows.get().reason == "row contains a NUL byte"

    huge = csv_bytes(CUSTOMER_COLUMNS, [customer_row("9303", address1="x" * 200_000)])
    write_raw_extract(dms_dirs[0], file_store.code, customers=huge, customer_rows=1, day="20261102")
    run = _pull(file_store)
    assert run.status == "failed" and "customers.csv line 2: not readable as CSV" in run.error


@pytest.mark.django_db
def test_a_row_with_the_wrong_number_of_fields_is_quarantined(dms_dirs, file_store):
    good = csv_bytes(CUSTOMER_COLUMNS, [customer_row("9401")])
    body = good + b"9402,P,Too,Short\r\n"
    write_raw_extract(dms_dirs[0], file_store.code, customers=body, customer_rows=2)
    run = _pull(file_store)
    assert run.status == "succeeded"
    row = run.quarantined_rows.get()
    assert (row.line_number, row.reason) == (3, f"row has 4 fields, the header has {len(CUSTOMER_COLUMNS)}")
    assert row.raw == "9402,P,Too,Short"
