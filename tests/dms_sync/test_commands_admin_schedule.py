import json
from datetime import UTC, datetime, time, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer, DmsAdapter
from dealermine.celery import app as celery_app
from dealermine.schedule import beat_schedule
from dms_sync.models import RemoveRequest, SyncRun
from dms_sync.tasks import dms_pull_fan_out_task, stores_due_for_pull
from tests.customers.factories import CanadianDealershipFactory, DealershipFactory, UserFactory

from .factories import QuarantinedRowFactory, RemoveRequestFactory, SyncRunFactory


@pytest.mark.django_db
def test_make_sample_extract_then_dms_pull_by_hand(tmp_path, file_store):
    out = StringIO()
    call_command(
        "make_sample_extract",
        "--dealership",
        file_store.code,
        "--customers",
        "40",
        "--out",
        str(tmp_path),
        "--messy-share",
        "0.2",
        "--seed",
        "5",
        stdout=out,
    )
    folder = tmp_path / file_store.code / "20261101"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["files"]["customers.csv"]["rows"] == 40
    out = StringIO()
    call_command("dms_pull", "--dealership", file_store.code, "--path", str(folder), "--no-progress", stdout=out)
    text = out.getvalue()
    assert "succeeded" in text and "quarantined" in text
    run = SyncRun.objects.get()
    assert (
        run.quarantined > 0
        and Customer.objects.count() == 40 - run.quarantined_rows.filter(source_file="customers.csv").count()
    )
    # The same extract found through the drop root: a second run, nothing to do.
    call_command("dms_pull", "--dealership", file_store.code, "--path", str(tmp_path), "--no-progress", stdout=out)
    assert SyncRun.objects.first().updated == 0


@pytest.mark.django_db
def test_make_sample_extract_is_deterministic(tmp_path):
    for name in ("a", "b"):
        call_command(
            "make_sample_extract",
            "--dealership",
            "x",
            "--customers",
            "25",
            "--out",
            str(tmp_path / name),
            stdout=StringIO(),
        )
    a = (tmp_path / "a" / "x" / "20261101" / "manifest.json").read_text()
    b = (tmp_path / "b" / "x" / "20261101" / "manifest.json").read_text()
    assert a == b


@pytest.mark.django_db
def test_dms_pull_exits_non_zero_when_the_run_fails(file_store):
    with pytest.raises(CommandError, match="DMS pull failed: No extract folder"):
        call_command("dms_pull", "--dealership", file_store.code, "--no-progress", stdout=StringIO())
    assert SyncRun.objects.get().status == "failed"


@pytest.mark.django_db
def test_dms_pull_refuses_a_second_concurrent_run(file_store):
    SyncRunFactory(dealership=file_store, status="running", heartbeat_at=timezone.now())
    with pytest.raises(CommandError, match="already running"):
        call_command("dms_pull", "--dealership", file_store.code, "--no-progress", stdout=StringIO())


@pytest.mark.django_db
def test_dms_pull_unknown_store():
    with pytest.raises(CommandError, match="No store"):
        call_command("dms_pull", "--dealership", "nope", stdout=StringIO())


@pytest.fixture
def staff(db):
    return UserFactory(username="boss", is_staff=True, is_superuser=True)


@pytest.mark.django_db
def test_sync_runs_and_quarantined_rows_are_read_only_in_admin(client_for, staff, file_store):
    run = SyncRunFactory(dealership=file_store, status="succeeded", seen=10, created=7, quarantined=1)
    SyncRun.objects.filter(pk=run.pk).update(finished_at=run.started_at + timedelta(seconds=12.5))
    row = QuarantinedRowFactory(run=run, reason="cell_phone: 'x' is not a valid phone number")
    client = client_for(staff)
    listing = client.get(reverse("admin:dms_sync_syncrun_changelist")).content.decode()
    assert "12.5 s" in listing
    detail = client.get(reverse("admin:dms_sync_syncrun_change", args=[run.pk])).content.decode()
    assert "is not a valid phone number" in detail
    assert client.get(reverse("admin:dms_sync_syncrun_add")).status_code == 403
    assert client.get(reverse("admin:dms_sync_quarantinedrow_change", args=[row.pk])).status_code == 200
    response = client.post(reverse("admin:dms_sync_quarantinedrow_change", args=[row.pk]), {"reason": "edited"})
    assert response.status_code == 403


@pytest.mark.django_db
def test_admin_retry_action_requeues_dead_requests(client_for, staff, file_store, django_capture_on_commit_callbacks):
    customer = Customer.objects.create(dealership=file_store, dealermine_number=1, dms_number="42")
    dead = RemoveRequestFactory(customer=customer, status="dead", attempts=10, last_error="HTTP 422")
    done = RemoveRequestFactory(customer=customer, status="acknowledged")
    client = client_for(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:dms_sync_removerequest_changelist"),
            {"action": "retry_delivery", "_selected_action": [dead.pk, done.pk]},
            follow=True,
        )
    assert "1 request(s) queued for delivery again." in response.content.decode()
    dead.refresh_from_db()
    assert dead.status == "acknowledged" and dead.attempts == 1  # delivered to the file drop after commit
    assert RemoveRequest.objects.get(pk=done.pk).status == "acknowledged"


def test_all_periodic_tasks_are_declared_in_one_schedule():
    schedule = beat_schedule()
    assert {"dms-pull-fan-out", "dms-remove-requests-sweep"} <= set(schedule)
    celery_app.loader.import_default_modules()
    for entry in schedule.values():
        assert entry["task"] in celery_app.tasks, entry["task"]


@pytest.mark.django_db
def test_the_fan_out_pulls_each_store_at_its_nightly_time_in_its_time_zone():
    toronto = CanadianDealershipFactory(
        code="tor", time_zone="America/Toronto", nightly_pull_time=time(2, 0), dms_adapter=DmsAdapter.FILE_DROP
    )
    vancouver = DealershipFactory(
        code="van", time_zone="America/Vancouver", nightly_pull_time=time(2, 0), dms_adapter=DmsAdapter.HTTP_API
    )
    DealershipFactory(code="none", time_zone="America/Toronto", dms_adapter=DmsAdapter.NONE)
    # 07:30 UTC = 02:30 in Toronto (EST), 23:30 the day before in Vancouver.
    now = datetime(2026, 11, 20, 7, 30, tzinfo=UTC)
    assert [s.code for s in stores_due_for_pull(now=now)] == ["tor"]
    # 10:05 UTC = 02:05 in Vancouver: its turn; Toronto ran already tonight.
    SyncRunFactory(dealership=toronto, started_at=now, status="succeeded")
    later = datetime(2026, 11, 20, 10, 5, tzinfo=UTC)
    assert [s.code for s in stores_due_for_pull(now=later)] == ["van"]
    SyncRunFactory(dealership=vancouver, started_at=later, status="failed")
    assert stores_due_for_pull(now=later + timedelta(minutes=5)) == []


@pytest.mark.django_db
def test_the_fan_out_task_enqueues_one_pull_per_due_store(monkeypatch):
    store = DealershipFactory(code="due", time_zone="UTC", nightly_pull_time=time(0, 0), dms_adapter="file_drop")
    sent = []
    monkeypatch.setattr("dms_sync.tasks.dms_pull_store_task.delay", lambda pk: sent.append(pk))
    monkeypatch.setattr("dms_sync.tasks.timezone.now", lambda: datetime(2026, 11, 20, 1, 0, tzinfo=UTC))
    assert dms_pull_fan_out_task() == [store.pk]
    assert sent == [store.pk]


@pytest.mark.django_db
def test_the_pull_task_takes_a_store_id_and_runs_the_pull(write_extract, file_store):
    from dms_sync.tasks import dms_pull_store_task

    write_extract(customers=10)
    assert dms_pull_store_task.delay(file_store.pk).get() == "succeeded"
    assert Customer.objects.filter(dealership=file_store).count() == 10
    SyncRunFactory(dealership=file_store, status="running", heartbeat_at=timezone.now())
    assert dms_pull_store_task.delay(file_store.pk).get() == "already running"
