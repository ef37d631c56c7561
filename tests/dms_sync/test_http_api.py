import time

import httpx
import pytest
from django.utils import timezone

from customers.models import Customer, RepairOrder, Vehicle
from dms_sync.adapters import RemoveOutcome
from dms_sync.adapters.http_api import HttpApiAdapter
from dms_sync.models import SyncRun
from dms_sync.services.delivery import remove_request_deliver
from dms_sync.services.pull import dms_pull

from .factories import RemoveRequestFactory


@pytest.mark.django_db
def test_pull_pages_through_the_api_and_the_next_run_asks_for_changes_since(api_store, fake_dms, api_extract):
    run = dms_pull(dealership=api_store)
    assert run.status == "succeeded", run.error
    assert Customer.objects.filter(dealership=api_store).count() == 30
    assert Vehicle.objects.count() == len(api_extract.vehicles)
    assert RepairOrder.objects.count() == len(api_extract.repair_orders)
    assert run.adapter == "http_api" and run.source == fake_dms.url and run.cursor.endswith("Z")
    pages = [p for m, p in fake_dms.requests if p == "/customers"]
    assert len(pages) == 5  # 30 customers, 7 a page
    # Nothing changed since: the next run asks with changedSince and gets nothing.
    fake_dms.requests.clear()
    second = dms_pull(dealership=api_store)
    assert second.status == "succeeded" and second.seen == 0


@pytest.mark.django_db
def test_same_data_twice_through_the_api_changes_nothing(api_store, fake_dms, api_extract):
    dms_pull(dealership=api_store)
    SyncRun.objects.update(cursor="")  # ask for everything again
    again = dms_pull(dealership=api_store)
    assert again.created == 0 and again.updated == 0 and again.unchanged == again.seen > 30


@pytest.mark.django_db
def test_pull_rides_out_500s_429s_timeouts_slow_pages_and_garbage(api_store, fake_dms, api_extract):
    api_store.dms_settings = {**api_store.dms_settings, "pull_attempts": 8}
    api_store.save(update_fields=["dms_settings"])
    fake_dms.fault("status", status=500, times=2, path="/customers", method="GET")
    fake_dms.fault("rate_limit", retry_after=1, times=1, path="/customers", method="GET")
    fake_dms.fault("garbage", times=1, path="/customers", method="GET")
    fake_dms.fault("timeout", delay=1.2, times=1, path="/customers", method="GET")
    fake_dms.fault("slow", delay=0.2, times=3, path="/customers", method="GET")
    started = time.monotonic()
    run = dms_pull(dealership=api_store)
    assert run.status == "succeeded", run.error
    assert Customer.objects.filter(dealership=api_store).count() == 30
    assert time.monotonic() - started >= 1.0  # Retry-After was honoured


@pytest.mark.django_db
def test_a_dms_that_keeps_failing_fails_the_run_with_a_clear_message(api_store, fake_dms, api_extract):
    fake_dms.fault("status", status=503, times=100, path="/customers", method="GET")
    run = dms_pull(dealership=api_store)
    assert run.status == "failed"
    assert "HTTP 503" in run.error and "gave up after 4 attempts" in run.error
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_wrong_credentials_fail_the_run_before_anything_is_touched(api_store, fake_dms, api_extract):
    api_store.dms_settings = {**api_store.dms_settings, "client_secret": "wrong"}
    api_store.save(update_fields=["dms_settings"])
    run = dms_pull(dealership=api_store)
    assert run.status == "failed" and "HTTP 401" in run.error
    assert not Customer.objects.exists()


@pytest.mark.django_db
def test_customer_fetch(api_store, fake_dms, api_extract):
    adapter = HttpApiAdapter(api_store)
    number = api_extract.customers[0]["customer_number"]
    page = adapter.customer_fetch(number)
    assert page.customers[0].data["customer_number"] == number
    assert len(page.vehicles) == sum(1 for v in api_extract.vehicles if v["customer_number"] == number)
    assert adapter.customer_fetch("nope") is None
    adapter.close()


@pytest.fixture
def api_customer(api_store, fake_dms):
    fake_dms.put_customer(
        {"customer_number": "77001", "cell_phone": "(313) 555-0142", "email1": "a@example.com", "last_change_date": ""}
    )
    return Customer.objects.create(
        dealership=api_store, dealermine_number=1, dms_number="77001", cell_phone="+13135550142"
    )


def _request(customer, **kwargs):
    values = {"field": "cell_phone", "value": "+13135550142", "next_attempt_at": timezone.now()} | kwargs
    return RemoveRequestFactory(customer=customer, **values)


@pytest.mark.django_db
def test_remove_request_is_applied_once_per_idempotency_key(api_customer, fake_dms):
    request = _request(api_customer)
    remove_request_deliver(request_id=request.pk)
    request.refresh_from_db()
    assert request.status == "acknowledged" and request.outcome == "applied"
    assert fake_dms.customers["77001"]["cell_phone"] == ""
    # The same request again (a redelivered message after a lost acknowledgement) is answered, not re-applied.
    adapter = HttpApiAdapter(api_customer.dealership)
    assert adapter.remove_request_send(request).outcome == RemoveOutcome.APPLIED
    adapter.close()
    assert fake_dms.applied_by_key[str(request.uuid)] == 1
    assert fake_dms.requests_by_key[str(request.uuid)] == 2
    # A different request for a value that is no longer there: already absent, acknowledged.
    other = _request(api_customer)
    remove_request_deliver(request_id=other.pk)
    other.refresh_from_db()
    assert other.status == "acknowledged" and other.outcome == "already_absent"


@pytest.mark.parametrize(
    ("fault", "params", "outcome", "needle"),
    [
        ("status", {"status": 500}, RemoveOutcome.RETRY_LATER, "HTTP 500"),
        ("status", {"status": 503}, RemoveOutcome.RETRY_LATER, "HTTP 503"),
        ("rate_limit", {"retry_after": 7}, RemoveOutcome.RETRY_LATER, "HTTP 429"),
        ("timeout", {"delay": 1.0}, RemoveOutcome.RETRY_LATER, "timed out"),
        ("garbage", {}, RemoveOutcome.RETRY_LATER, "unreadable JSON"),
        ("status", {"status": 422}, RemoveOutcome.PERMANENT, "HTTP 422"),
        ("status", {"status": 404}, RemoveOutcome.PERMANENT, "HTTP 404"),
        ("status", {"status": 403}, RemoveOutcome.PERMANENT, "HTTP 403"),
    ],
)
@pytest.mark.django_db
def test_remove_request_answers_are_classified(api_customer, fake_dms, fault, params, outcome, needle):
    fake_dms.fault(fault, path="/customers/77001/remove-requests", **params)
    adapter = HttpApiAdapter(api_customer.dealership)
    result = adapter.remove_request_send(_request(api_customer))
    adapter.close()
    assert result.outcome == outcome and needle in result.detail
    if fault == "rate_limit":
        assert result.retry_after == 7


@pytest.mark.django_db
def test_dms_unreachable_is_retryable(api_customer):
    store = api_customer.dealership
    store.dms_settings = {**store.dms_settings, "base_url": "http://127.0.0.1:9", "token_url": ""}
    adapter = HttpApiAdapter(store, client=httpx.Client(timeout=0.5))
    result = adapter.remove_request_send(_request(api_customer))
    assert result.outcome == RemoveOutcome.RETRY_LATER


@pytest.mark.django_db
def test_the_dms_answering_500_for_a_while_then_recovering_delivers_everything(api_customer, fake_dms, settings):
    settings.DMS_REMOVE_BACKOFF_BASE_SECONDS = 0.01
    settings.DMS_REMOVE_MAX_ATTEMPTS = 10
    from dms_sync.models import RemoveRequest

    fake_dms.fault("status", status=500, times=6, path="/customers/77001/remove-requests")
    requests = [_request(api_customer, value=f"+1313555{i:04d}") for i in range(3)]
    for _ in range(4):
        RemoveRequest.objects.filter(status="pending").update(next_attempt_at=timezone.now())
        for r in requests:
            remove_request_deliver(request_id=r.pk)
    statuses = set(RemoveRequest.objects.values_list("status", flat=True))
    assert statuses == {"acknowledged"}
    assert max(RemoveRequest.objects.values_list("attempts", flat=True)) >= 2


@pytest.mark.django_db
def test_odd_api_items_are_quarantined_not_fatal(api_store, fake_dms):
    fake_dms.put_customer({"customer_number": "A1", "customer_type": "P", "last_name": "Fine", "last_change_date": ""})
    fake_dms.put_customer({"customer_number": "A2", "customer_type": "Q", "last_change_date": "2026-11-01"})
    fake_dms.customers["A3"] = {"customer_number": "A3", "customer_type": "P", "star_rating": 99, "vehicles": "nope"}
    run = dms_pull(dealership=api_store)
    assert run.status == "succeeded", run.error
    assert list(Customer.objects.values_list("dms_number", flat=True)) == ["A1"]
    reasons = sorted(run.quarantined_rows.values_list("reason", flat=True))
    assert reasons == ["customer_type: 'Q' is not P, B or R", "star_rating: 99 is outside 0-10"]
    assert run.quarantined_rows.first().source_file == "api:/customers"


@pytest.mark.django_db
def test_a_token_endpoint_hiccup_is_retried(api_store, fake_dms, api_extract):
    fake_dms.fault("status", status=503, times=2, path="/oauth/token")
    run = dms_pull(dealership=api_store)
    assert run.status == "succeeded", run.error
    assert [p for _m, p in fake_dms.requests].count("/oauth/token") == 3
