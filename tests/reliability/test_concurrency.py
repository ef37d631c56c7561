"""Concurrency on PostgreSQL: threads with their own database sessions hit the same rows at once.

Skipped on SQLite (one writer at a time, no row locks); CI runs the suite on PostgreSQL too. Every thread sets
a lock_timeout, so a deadlock or a lock held forever fails the test quickly instead of hanging it.
"""

import time
from pathlib import Path

import pytest
from django.db import transaction

from customers.models import Customer, CustomerHistory, HistorySource, Relationship
from customers.services.customer import CustomerConflict, customer_update
from customers.services.merge import customer_merge
from dms_sync.extract_format import CUSTOMER_COLUMNS
from dms_sync.models import SyncRun, SyncStatus
from dms_sync.services.pull import SyncAlreadyRunning, dms_pull, sync_run_start
from tests.customers.factories import CustomerFactory, MembershipFactory, UserFactory
from tests.dms_sync.extracts import csv_bytes, customer_row, write_raw_extract

from .conftest import require_postgresql, run_threads, summary

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8


@pytest.fixture(autouse=True)
def _postgresql_only():
    require_postgresql()


def _editor(store):
    user = UserFactory()
    MembershipFactory(user=user, dealership=store)
    return user


def test_n_threads_saving_one_customer_one_success_per_version(file_store):
    customer = CustomerFactory(dealership=file_store, city="Detroit")
    first_version = Customer.objects.get(pk=customer.pk).version
    users = [_editor(file_store) for _ in range(THREADS)]
    rounds = 3
    for round_no in range(rounds):
        version = Customer.objects.get(pk=customer.pk).version

        def save(i, version=version, round_no=round_no):
            loaded = Customer.objects.select_related("dealership").get(pk=customer.pk)
            return customer_update(
                customer=loaded,
                data={"city": f"City {round_no}-{i}"},
                actor=users[i],
                expected_version=version,
            )

        results = run_threads([lambda i=i: save(i) for i in range(THREADS)])
        wins = [r for kind, r in results if kind == "ok"]
        errors = [r for kind, r in results if kind == "error"]
        assert len(wins) == 1, results
        assert len(errors) == THREADS - 1 and all(isinstance(e, CustomerConflict) for e in errors), errors
        fresh = Customer.objects.get(pk=customer.pk)
        assert fresh.version == version + 1
        assert fresh.city == wins[0].city
        summary(f"concurrent saves round {round_no + 1}", threads=THREADS, succeeded=1, conflicts=len(errors))
    history = CustomerHistory.objects.filter(customer=customer, source=HistorySource.USER, action="update")
    assert history.count() == rounds  # exactly one entry per successful save, none for the conflicts
    cities = [h.changes[0]["new"] for h in history.order_by("created_at", "pk")]
    assert cities[-1] == Customer.objects.get(pk=customer.pk).city
    assert Customer.objects.get(pk=customer.pk).version == first_version + rounds


def _extract(store, tmp: Path, numbers: dict[str, dict], day="20261101") -> Path:
    rows = [customer_row(number, **values) for number, values in numbers.items()]
    return write_raw_extract(
        tmp, store.code, customers=csv_bytes(CUSTOMER_COLUMNS, rows), customer_rows=len(rows), day=day
    )


def test_a_merge_and_a_sync_on_the_same_customers_do_not_deadlock_and_both_land(file_store, tmp_path):
    user = _editor(file_store)
    results_seen = []
    waits = []
    # Rounds 0-1 race freely (both orders); in rounds 2-3 the merge keeps its locks for a while before it
    # commits, so the sync must wait for it (and not fail, deadlock or overwrite the merge).
    for attempt in range(4):
        parent = CustomerFactory(dealership=file_store, dms_number=f"P{attempt}", city="Detroit", email2="")
        kid = CustomerFactory(dealership=file_store, dms_number=f"K{attempt}", city="Detroit")
        # The sync changes both customers (in the order the extract lists them: kid first, then parent).
        folder = _extract(
            file_store,
            tmp_path / str(attempt),
            {
                kid.dms_number: {"city": "Windsor", "first_name": kid.first_name, "last_name": kid.last_name},
                parent.dms_number: {"city": "Lansing", "first_name": parent.first_name, "last_name": parent.last_name},
            },
        )
        SyncRun.objects.filter(dealership=file_store).delete()

        def merge(parent=parent, kid=kid, hold=attempt >= 2):
            with transaction.atomic():
                result = customer_merge(
                    parent=parent, children=[kid], relationships={kid.pk: Relationship.SPOUSE}, actor=user
                )
                if hold:
                    time.sleep(0.5)
            return result

        def sync(folder=folder):
            started = time.monotonic()
            run = dms_pull(dealership=file_store, path=folder, batch_size=1)
            waits.append(time.monotonic() - started)
            return run

        results = run_threads([merge, sync] if attempt % 2 == 0 else [sync, merge])
        merge_result = results[0] if attempt % 2 == 0 else results[1]
        sync_result = results[1] if attempt % 2 == 0 else results[0]
        assert merge_result[0] == "ok", merge_result
        assert sync_result[0] == "ok", sync_result
        run = sync_result[1]
        assert run.status == SyncStatus.SUCCEEDED, run.error
        parent.refresh_from_db()
        kid.refresh_from_db()
        # Both writers landed: the merge link and the DMS values, and each wrote its own history.
        assert kid.merge_parent_id == parent.pk
        assert (parent.city, kid.city) == ("Lansing", "Windsor")
        assert CustomerHistory.objects.filter(customer=kid, source=HistorySource.MERGE).exists()
        assert CustomerHistory.objects.filter(customer=parent, source=HistorySource.DMS_SYNC).exists()
        assert CustomerHistory.objects.filter(customer=kid, source=HistorySource.DMS_SYNC).exists()
        results_seen.append(run.updated)
    summary(
        "merge vs sync",
        rounds=len(results_seen),
        deadlocks=0,
        lock_timeouts=0,
        sync_updates=sum(results_seen),
        longest_sync_s=f"{max(waits):.2f}",
    )


def test_two_syncs_for_one_store_the_second_is_refused(file_store, tmp_path):
    folder = _extract(file_store, tmp_path, {f"S{i}": {} for i in range(3)})
    attempts = THREADS

    def start():
        return sync_run_start(dealership=file_store, adapter="file_drop")

    results = run_threads([start] * attempts)
    started = [r for kind, r in results if kind == "ok"]
    refused = [r for kind, r in results if kind == "error"]
    assert len(started) == 1, results
    assert len(refused) == attempts - 1 and all(isinstance(e, SyncAlreadyRunning) for e in refused), refused
    assert SyncRun.objects.filter(dealership=file_store, status=SyncStatus.RUNNING).count() == 1
    # While it runs, a whole pull is refused too, before touching anything.
    with pytest.raises(SyncAlreadyRunning, match="already running"):
        dms_pull(dealership=file_store, path=folder)
    assert not Customer.objects.filter(dealership=file_store).exists()
    # Once it is finished, the next pull runs.
    SyncRun.objects.filter(pk=started[0].pk).update(status=SyncStatus.SUCCEEDED)
    assert dms_pull(dealership=file_store, path=folder).status == SyncStatus.SUCCEEDED
    summary("two syncs for one store", attempts=attempts, started=1, refused=len(refused))
