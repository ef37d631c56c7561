"""The HTTP API adapter against a DMS that misbehaves (tests/support/fake_dms.py): nothing it answers stalls a
store. Each failing run ends failed with a clear message, writes nothing, and releases the store: the next
pull runs and succeeds."""

import time

import pytest
from django.utils import timezone

from customers.models import Customer
from dms_sync.adapters import RemoveOutcome
from dms_sync.adapters.http_api import HttpApiAdapter
from dms_sync.models import RemoveRequest, SyncRun
from dms_sync.services.delivery import remove_request_deliver
from dms_sync.services.pull import dms_pull
from tests.support.fake_dms import HUGE_PAGE_BYTES

from .factories import RemoveRequestFactory

FOREVER = 10**6
CUSTOMERS = 30  # what api_extract serves (conftest): 5 pages of 7


def _list_requests(fake_dms) -> int:
    return sum(1 for method, path in fake_dms.requests if (method, path) == ("GET", "/customers"))


def _failed_cleanly(run, store, error: str) -> None:
    """The run failed with `error`, wrote nothing, and left the store free."""
    assert run.status == "failed"
    assert run.error == error
    assert run.finished_at is not None
    assert not Customer.objects.filter(dealership=store).exists()
    assert not SyncRun.objects.filter(dealership=store, status="running").exists()


def _pulls_again(store, fake_dms) -> None:
    """Once the DMS behaves, the same store pulls again, and gets everything."""
    fake_dms.clear_faults()
    again = dms_pull(dealership=store)
    assert again.status == "succeeded", again.error
    assert Customer.objects.filter(dealership=store).count() == CUSTOMERS


@pytest.mark.django_db
def test_a_page_token_sent_again_fails_the_run_and_the_store_pulls_again(api_store, fake_dms, api_extract):
    # The DMS ignores pageToken: the first page again, with the same next token ("7") every time.
    fake_dms.fault("stuck_token", times=FOREVER)
    run = dms_pull(dealership=api_store)
    _failed_cleanly(
        run,
        api_store,
        "GET /customers: the DMS sent page token '7' again at page 2 (first sent at page 1); its paging does not "
        "advance, the run stopped.",
    )
    assert _list_requests(fake_dms) == 2
    _pulls_again(api_store, fake_dms)


@pytest.mark.django_db
def test_paging_that_never_ends_stops_at_DMS_API_MAX_PAGES(api_store, fake_dms, api_extract, settings):
    settings.DMS_API_MAX_PAGES = 12
    fake_dms.fault("endless_tokens", times=FOREVER)  # a new token every time, also past the end
    run = dms_pull(dealership=api_store)
    _failed_cleanly(
        run,
        api_store,
        "GET /customers: the DMS still sent a next page token after 12 pages (DMS_API_MAX_PAGES); its paging does "
        "not end, the run stopped.",
    )
    assert _list_requests(fake_dms) == 12
    # The sync's keepalive was called while the pages were fetched, before any was written.
    assert run.heartbeat_at > run.started_at
    _pulls_again(api_store, fake_dms)


def _wait_streamed(fake_dms) -> int:
    deadline = time.monotonic() + 10
    while not fake_dms.streamed:
        assert time.monotonic() < deadline, "the fake DMS is still sending the huge page"
        time.sleep(0.02)
    return fake_dms.streamed[0]


@pytest.mark.parametrize("declare_length", [False, True], ids=["chunked", "content-length"])
@pytest.mark.django_db
def test_a_page_over_the_size_limit_is_refused_without_reading_it_all(api_store, fake_dms, api_extract, declare_length):
    fake_dms.fault("huge_page", times=FOREVER, path="/customers", method="GET", declare_length=declare_length)
    run = dms_pull(dealership=api_store)
    size = "is 62,914,560 bytes (Content-Length)" if declare_length else "is over 20,971,520 bytes"
    _failed_cleanly(
        run,
        api_store,
        f"GET /customers: the DMS's answer {size}, more than DMS_API_MAX_PAGE_BYTES (20,971,520); refused without "
        "reading the rest. Ask for smaller pages (dms_settings.page_size) or raise the limit.",
    )
    assert _list_requests(fake_dms) == 1  # permanent: not asked again
    # The adapter hung up: the DMS could not get the whole 60 MB out.
    assert _wait_streamed(fake_dms) < HUGE_PAGE_BYTES
    _pulls_again(api_store, fake_dms)


@pytest.mark.django_db
def test_a_page_that_is_not_json_is_retried_then_fails_the_run(api_store, fake_dms, api_extract):
    fake_dms.fault("html", times=FOREVER, path="/customers", method="GET")
    run = dms_pull(dealership=api_store)
    _failed_cleanly(
        run,
        api_store,
        "GET /customers: the DMS answered with content type 'text/html' (HTTP 200), not JSON (gave up after 4 "
        "attempts)",
    )
    assert _list_requests(fake_dms) == 4
    # Retryable: one maintenance page on the way does not fail a run.
    fake_dms.clear_faults()
    fake_dms.fault("html", times=1, path="/customers", method="GET")
    again = dms_pull(dealership=api_store)
    assert again.status == "succeeded", again.error
    assert Customer.objects.filter(dealership=api_store).count() == CUSTOMERS


@pytest.mark.django_db
def test_a_redirect_on_the_customer_list_fails_the_run(api_store, fake_dms, api_extract):
    fake_dms.fault("redirect", times=FOREVER, path="/customers", method="GET")
    run = dms_pull(dealership=api_store)
    _failed_cleanly(
        run,
        api_store,
        f"GET /customers: HTTP 302: the DMS redirected to {fake_dms.url}/login. A redirect is never taken as "
        "success, whatever its body says; check the store's dms_settings.base_url.",
    )
    assert _list_requests(fake_dms) == 1  # permanent: not asked again
    _pulls_again(api_store, fake_dms)


@pytest.mark.django_db
def test_an_answer_that_trickles_in_is_abandoned_then_the_run_fails(api_store, fake_dms, api_extract, settings):
    settings.DMS_API_MAX_RESPONSE_SECONDS = 0.3
    # Each piece arrives well within the 0.5 s timeout, but the page would take 2 s.
    fake_dms.fault("trickle", times=FOREVER, path="/customers", method="GET", delay=0.1, chunks=20)
    started = time.monotonic()
    run = dms_pull(dealership=api_store)
    _failed_cleanly(
        run,
        api_store,
        "GET /customers: the DMS's answer was still arriving after 0.3 s (DMS_API_MAX_RESPONSE_SECONDS); "
        "abandoned (gave up after 4 attempts)",
    )
    assert time.monotonic() - started < 4
    assert _list_requests(fake_dms) == 4
    _pulls_again(api_store, fake_dms)


# --- remove requests answered with a redirect --------------------------------------------------------------
@pytest.fixture
def api_customer(api_store, fake_dms):
    fake_dms.put_customer({"customer_number": "77001", "cell_phone": "(313) 555-0142", "last_change_date": ""})
    return Customer.objects.create(
        dealership=api_store, dealermine_number=1, dms_number="77001", cell_phone="+13135550142"
    )


def _request(customer):
    return RemoveRequestFactory(
        customer=customer, field="cell_phone", value="+13135550142", next_attempt_at=timezone.now()
    )


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.django_db
def test_a_redirect_on_a_remove_request_is_permanent_whatever_its_body_says(api_customer, fake_dms, status):
    path = "/customers/77001/remove-requests"
    fake_dms.fault("redirect", status=status, path=path, method="POST", location="https://portal.example/login")
    adapter = HttpApiAdapter(api_customer.dealership)
    result = adapter.remove_request_send(_request(api_customer))
    adapter.close()
    assert result.outcome == RemoveOutcome.PERMANENT  # not "applied", though the body says {"status": "applied"}
    assert result.detail == (
        f"POST {path}: HTTP {status}: the DMS redirected to https://portal.example/login. A redirect is never taken "
        "as success, whatever its body says; check the store's dms_settings.base_url."
    )
    assert fake_dms.customers["77001"]["cell_phone"] == "(313) 555-0142"


@pytest.mark.django_db
def test_a_redirected_remove_request_is_dead_and_a_later_one_is_delivered(api_customer, fake_dms):
    fake_dms.fault("redirect", times=1, path="/customers/77001/remove-requests", method="POST")
    request = _request(api_customer)
    remove_request_deliver(request_id=request.pk)
    request.refresh_from_db()
    assert request.status == "dead" and request.outcome == "permanent"
    assert request.last_error.startswith("permanent failure after 1 attempt(s): POST /customers/77001/remove-requests")
    assert f"redirected to {fake_dms.url}/login" in request.last_error and "base_url" in request.last_error
    assert not fake_dms.applied_by_key
    # The DMS behaves again: the next request goes through.
    other = _request(api_customer)
    remove_request_deliver(request_id=other.pk)
    other.refresh_from_db()
    assert other.status == "acknowledged" and other.outcome == "applied"
    assert RemoveRequest.objects.filter(status="dead").count() == 1
