"""New customer under concurrency, on PostgreSQL: threads with their own database sessions create at once.

Skipped on SQLite (one writer at a time, no row locks); CI runs the suite on PostgreSQL too.
"""

import uuid

import pytest

from customers.models import Customer, CustomerKind, Dealership, DmsAdapter
from customers.services.create import PossibleDuplicates, customer_create
from dms_sync.extract_format import CUSTOMER_COLUMNS
from dms_sync.models import SyncStatus
from dms_sync.services.pull import dms_pull
from tests.customers.factories import MembershipFactory, UserFactory
from tests.dms_sync.extracts import csv_bytes, customer_row, write_raw_extract
from tests.reliability.conftest import require_postgresql, run_threads, summary

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8


@pytest.fixture(autouse=True)
def _postgresql_only():
    require_postgresql("parallel creates take the store row's lock")


def _coordinators(store, n):
    users = [UserFactory() for _ in range(n)]
    for user in users:
        MembershipFactory(user=user, dealership=store)
    return users


def _data(i, **values):
    data = {
        "kind": CustomerKind.PROSPECT,
        "first_name": f"Walk{i}",
        "last_name": f"In{i}",
        "cell_phone": f"(313) 555-{1000 + i:04d}",
        "status": "active",
    }
    data.update(values)
    return data


def test_parallel_creates_get_distinct_numbers_in_order(us_store):
    users = _coordinators(us_store, THREADS)
    results = run_threads(
        [
            lambda i=i: customer_create(dealership=us_store, data=_data(i), actor=users[i], token=uuid.uuid4())
            for i in range(THREADS)
        ]
    )
    assert all(kind == "ok" for kind, _ in results), results
    numbers = sorted(result.customer.dealermine_number for _, result in results)
    assert numbers == list(range(100001, 100001 + THREADS))
    assert Dealership.objects.get(pk=us_store.pk).next_dealermine_number == 100001 + THREADS
    summary("parallel new customers", threads=THREADS, distinct_numbers=len(set(numbers)))


def test_the_same_form_sent_in_parallel_creates_one_file(us_store):
    [user] = _coordinators(us_store, 1)
    token = uuid.uuid4()
    results = run_threads(
        [lambda: customer_create(dealership=us_store, data=_data(0), actor=user, token=token) for _ in range(THREADS)]
    )
    assert all(kind == "ok" for kind, _ in results), results
    assert sum(result.created for _, result in results) == 1
    assert len({result.customer.pk for _, result in results}) == 1
    assert Customer.objects.filter(dealership=us_store).count() == 1


def test_the_same_walk_in_created_by_two_coordinators_at_once_is_stopped_by_the_identity_check(us_store):
    users = _coordinators(us_store, THREADS)
    same = _data(0)
    results = run_threads(
        [
            lambda i=i: customer_create(dealership=us_store, data=same, actor=users[i], token=uuid.uuid4())
            for i in range(THREADS)
        ]
    )
    made = [r for kind, r in results if kind == "ok"]
    stopped = [r for kind, r in results if kind == "error"]
    assert len(made) == 1 and all(isinstance(e, PossibleDuplicates) for e in stopped), results
    assert all([m.customer.pk for m in e.matches] == [made[0].customer.pk] for e in stopped)
    assert Customer.objects.filter(dealership=us_store).count() == 1


def test_creates_during_a_pull_wait_for_its_page_and_numbers_never_collide(us_store, tmp_path, settings):
    settings.DMS_DROP_ROOT = tmp_path / "drop"
    settings.DMS_OUTBOX_ROOT = tmp_path / "outbox"
    us_store.dms_adapter = DmsAdapter.FILE_DROP
    us_store.save(update_fields=["dms_adapter"])
    rows = [customer_row(f"P{i:04d}", cell_phone=f"(313) 555-{2000 + i:04d}", last_name=f"Pull{i}") for i in range(60)]
    folder = write_raw_extract(
        tmp_path / "drop", us_store.code, customers=csv_bytes(CUSTOMER_COLUMNS, rows), customer_rows=len(rows)
    )
    users = _coordinators(us_store, 4)
    targets = [lambda: dms_pull(dealership=us_store, path=folder, batch_size=5)]
    targets += [
        lambda i=i: customer_create(dealership=us_store, data=_data(i), actor=users[i], token=uuid.uuid4())
        for i in range(4)
    ]
    results = run_threads(targets)
    assert all(kind == "ok" for kind, _ in results), results
    assert results[0][1].status == SyncStatus.SUCCEEDED
    numbers = list(Customer.objects.filter(dealership=us_store).values_list("dealermine_number", flat=True))
    assert len(numbers) == 64 and len(set(numbers)) == 64
    assert Dealership.objects.get(pk=us_store.pk).next_dealermine_number == max(numbers) + 1
