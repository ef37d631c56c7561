import json
import random
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from dms_sync.adapters import RemoveOutcome, RemoveResult
from dms_sync.models import RemoveRequest
from dms_sync.outbox import remove_request_create
from dms_sync.services.delivery import (
    backoff_delay,
    remove_request_deliver,
    remove_request_retry,
    remove_requests_due,
    remove_requests_sweep,
)
from tests.customers.factories import CustomerFactory, UserFactory

from .factories import RemoveRequestFactory


class ScriptedAdapter:
    """Answers remove requests from a script of outcomes; records what it was sent."""

    name = "scripted"

    def __init__(self, *outcomes):
        self.outcomes = list(outcomes)
        self.sent = []

    def remove_request_send(self, request):
        self.sent.append(str(request.uuid))
        return self.outcomes.pop(0)

    def close(self):
        pass


@pytest.fixture
def customer(file_store):
    return CustomerFactory(dealership=file_store, dms_number="501234")


@pytest.mark.django_db
def test_a_remove_request_is_delivered_after_commit_as_an_atomically_written_json_file(
    customer, dms_dirs, django_capture_on_commit_callbacks
):
    user = UserFactory(username="casey")
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        request = remove_request_create(customer=customer, field="cell_phone", value="+13135550142", actor=user)
        assert not (dms_dirs[1] / customer.dealership.code).exists()  # nothing leaves before commit
    assert len(callbacks) == 1
    request.refresh_from_db()
    assert request.status == "acknowledged" and request.outcome == "applied" and request.attempts == 1
    folder = dms_dirs[1] / customer.dealership.code
    files = list(folder.iterdir())
    assert [f.name for f in files] == [f"{request.uuid}.json"]  # no temp file left behind
    payload = json.loads(files[0].read_text())
    assert payload == {
        "uuid": str(request.uuid),
        "idempotency_key": str(request.uuid),
        "dealership": customer.dealership.code,
        "customer_number": "501234",
        "field": "cell_phone",
        "value": "+13135550142",
        "requested_at": request.requested_at.isoformat(),
        "requested_by": "casey",
    }


@pytest.mark.django_db
def test_a_retryable_failure_backs_off_on_the_row_and_the_sweeper_resends_when_due(customer, settings):
    settings.DMS_REMOVE_BACKOFF_BASE_SECONDS = 60
    request = RemoveRequestFactory(customer=customer, next_attempt_at=timezone.now())
    adapter = ScriptedAdapter(RemoveResult(RemoveOutcome.RETRY_LATER, "HTTP 503"))
    before = timezone.now()
    remove_request_deliver(request_id=request.pk, adapter=adapter)
    request.refresh_from_db()
    assert request.status == "pending" and request.attempts == 1 and request.last_error == "HTTP 503"
    wait = (request.next_attempt_at - before).total_seconds()
    assert 30 <= wait <= 61
    # Not due yet: neither the sweeper nor a redelivered message sends it.
    assert remove_requests_sweep() == []
    assert remove_request_deliver(request_id=request.pk, adapter=ScriptedAdapter()) is None
    # Once due, the sweeper sends it again (eager Celery here) with the same idempotency key.
    RemoveRequest.objects.filter(pk=request.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    second = ScriptedAdapter(RemoveResult(RemoveOutcome.ALREADY_ABSENT))
    remove_request_deliver(request_id=request.pk, adapter=second)
    request.refresh_from_db()
    assert request.status == "acknowledged" and request.outcome == "already_absent" and request.attempts == 2
    assert second.sent == [str(request.uuid)]


@pytest.mark.django_db
def test_retry_after_from_the_dms_is_honoured(customer, settings):
    settings.DMS_REMOVE_BACKOFF_BASE_SECONDS = 1
    request = RemoveRequestFactory(customer=customer, next_attempt_at=timezone.now())
    remove_request_deliver(
        request_id=request.pk, adapter=ScriptedAdapter(RemoveResult(RemoveOutcome.RETRY_LATER, "429", 120))
    )
    request.refresh_from_db()
    assert (request.next_attempt_at - timezone.now()).total_seconds() > 110


def test_backoff_is_exponential_with_jitter_and_capped(settings):
    settings.DMS_REMOVE_BACKOFF_BASE_SECONDS = 10
    settings.DMS_REMOVE_BACKOFF_MAX_SECONDS = 300
    rng = random.Random(1)
    for attempts, ceiling in ((1, 10), (2, 20), (3, 40), (6, 300), (20, 300)):
        delays = {backoff_delay(attempts, rng=rng) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jitter


@pytest.mark.django_db
def test_a_permanent_failure_is_dead_and_an_admin_retry_delivers_it(customer, django_capture_on_commit_callbacks):
    request = RemoveRequestFactory(customer=customer, next_attempt_at=timezone.now())
    remove_request_deliver(
        request_id=request.pk, adapter=ScriptedAdapter(RemoveResult(RemoveOutcome.PERMANENT, "HTTP 422 unknown field"))
    )
    request.refresh_from_db()
    assert request.status == "dead" and request.next_attempt_at is None
    assert "permanent failure after 1 attempt(s): HTTP 422 unknown field" in request.last_error
    assert not remove_requests_due().exists()
    with django_capture_on_commit_callbacks(execute=True):
        remove_request_retry(request=request, actor=UserFactory())
    request.refresh_from_db()
    # The file-drop store's real adapter delivered it after commit.
    assert request.status == "acknowledged" and request.attempts == 1


@pytest.mark.django_db
def test_out_of_attempts_is_dead(customer, settings):
    settings.DMS_REMOVE_MAX_ATTEMPTS = 2
    request = RemoveRequestFactory(customer=customer, next_attempt_at=timezone.now())
    for _ in range(2):
        RemoveRequest.objects.filter(pk=request.pk).update(next_attempt_at=timezone.now())
        remove_request_deliver(
            request_id=request.pk, adapter=ScriptedAdapter(RemoveResult(RemoveOutcome.RETRY_LATER, "timeout"))
        )
    request.refresh_from_db()
    assert request.status == "dead" and request.attempts == 2
    assert request.last_error.startswith("out of attempts after 2 attempt(s)")


@pytest.mark.django_db
def test_a_request_left_sent_by_a_killed_worker_is_resent_after_its_lease(
    customer, settings, django_capture_on_commit_callbacks
):
    settings.DMS_REMOVE_LEASE_SECONDS = 300
    request = RemoveRequestFactory(customer=customer, next_attempt_at=timezone.now())
    # The worker claimed it and died before recording the answer.
    from dms_sync.services.delivery import _claim

    _claim(request.pk, timezone.now())
    request.refresh_from_db()
    assert request.status == "sent" and request.attempts == 1
    assert remove_requests_sweep() == []  # lease still running: a delivery may be in flight
    RemoveRequest.objects.filter(pk=request.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert remove_requests_sweep() == [request.pk]  # eager: delivered by the file-drop adapter
    request.refresh_from_db()
    assert request.status == "acknowledged" and request.attempts == 2


@pytest.mark.django_db
def test_acknowledged_and_dead_requests_are_never_sent_again(customer):
    done = RemoveRequestFactory(customer=customer, status="acknowledged", next_attempt_at=None)
    dead = RemoveRequestFactory(customer=customer, status="dead", next_attempt_at=None)
    adapter = ScriptedAdapter()
    assert remove_request_deliver(request_id=done.pk, adapter=adapter) is None
    assert remove_request_deliver(request_id=dead.pk, adapter=adapter) is None
    assert adapter.sent == []


@pytest.mark.django_db
def test_an_unwritable_outbox_is_retryable(customer, dms_dirs, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    customer.dealership.dms_settings = {"outbox_dir": str(blocker)}
    customer.dealership.save(update_fields=["dms_settings"])
    request = RemoveRequestFactory(customer=customer, next_attempt_at=timezone.now())
    remove_request_deliver(request_id=request.pk)
    request.refresh_from_db()
    assert request.status == "pending" and "cannot write" in request.last_error


@pytest.mark.django_db
def test_a_store_without_a_dms_connection_keeps_its_requests_pending_until_connected(
    us_store, dms_dirs, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(dealership=us_store, dms_number="777")
    assert us_store.dms_adapter == "none"
    with django_capture_on_commit_callbacks(execute=True):
        request = remove_request_create(customer=customer, field="email1", value="a@example.com", actor=None)
    request.refresh_from_db()
    assert request.status == "pending" and request.attempts == 0
    assert remove_requests_sweep() == []
    us_store.dms_adapter = "file_drop"
    us_store.save(update_fields=["dms_adapter"])
    with django_capture_on_commit_callbacks(execute=True):
        assert remove_requests_sweep() == [request.pk]
    request.refresh_from_db()
    assert request.status == "acknowledged"


@pytest.fixture
def broker_down(monkeypatch):
    import socket

    from dealermine.celery import app as celery_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    old = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    url = f"redis://127.0.0.1:{port}/0"
    # Celery prefers the CELERY_BROKER_URL environment variable (set in CI) over its configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    celery_app.conf.broker_url = url
    celery_app.conf.task_always_eager = False
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    yield
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = old
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.mark.django_db
def test_a_dead_broker_never_fails_the_removal_and_the_sweeper_delivers_later(
    customer, broker_down, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=True):
        request = remove_request_create(customer=customer, field="email1", value="a@example.com", actor=None)
    request.refresh_from_db()
    assert request.status == "pending" and request.attempts == 0
    assert "the sweeper will deliver it" in caplog.text


@pytest.mark.django_db
def test_the_sweeper_delivers_what_could_not_be_enqueued(customer, django_capture_on_commit_callbacks):
    request = RemoveRequestFactory(customer=customer, next_attempt_at=timezone.now())  # never enqueued
    with django_capture_on_commit_callbacks(execute=True):
        assert remove_requests_sweep() == [request.pk]
    request.refresh_from_db()
    assert request.status == "acknowledged"
