"""How the HTTP API adapter reads and classifies one answer (dms_sync.adapters.http_api_transport), against an
in-process httpx transport: content types, the size limit at its edge, error bodies, redirects."""

import json
from types import SimpleNamespace

import httpx
import pytest

from dms_sync.adapters import AdapterError
from dms_sync.adapters.http_api import HttpApiAdapter, Permanent, Retryable
from dms_sync.adapters.http_api_transport import is_json_type

STORE = SimpleNamespace(
    code="mock", dms_settings={"base_url": "http://dms.test", "client_id": "c", "client_secret": "s"}
)
TOKEN = {"access_token": "t0k", "expires_in": 3600}


def _adapter(answer) -> HttpApiAdapter:
    """An adapter whose DMS answers the token endpoint, and everything else with `answer(request)`."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json=TOKEN)
        return answer(request)

    store = SimpleNamespace(code=STORE.code, dms_settings={**STORE.dms_settings, "pull_attempts": 1})
    return HttpApiAdapter(store, client=httpx.Client(transport=httpx.MockTransport(handler)))


@pytest.mark.parametrize(
    ("content_type", "is_json"),
    [
        ("application/json", True),
        ("application/json; charset=utf-8", True),
        ("Application/JSON", True),
        ("application/vnd.dms.v2+json", True),
        ("application/problem+json; charset=utf-8", True),
        ("text/html", False),
        ("text/plain", False),
        ("text/json", False),
        ("application/xml", False),
        ("application/jsonp", False),
        ("", False),
    ],
)
def test_only_json_content_types_are_json(content_type, is_json):
    media = content_type.split(";")[0].strip().lower()
    assert is_json_type(media) is is_json
    adapter = _adapter(lambda r: httpx.Response(200, headers={"Content-Type": content_type}, content=b'{"items": []}'))
    if is_json:
        assert adapter.get_json("/customers") == {"items": []}
    else:
        with pytest.raises(AdapterError, match=f"content type '{media or 'none'}' .HTTP 200., not JSON"):
            adapter.get_json("/customers")
        with pytest.raises(Retryable):  # retryable, like unreadable JSON
            adapter.customer_fetch("1")


def _body(size: int) -> bytes:
    head, tail = b'{"items": ["', b'"]}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


@pytest.mark.parametrize("announced", [True, False], ids=["content-length", "chunked"])
def test_the_size_limit_is_exact(settings, announced):
    settings.DMS_API_MAX_PAGE_BYTES = 1000

    def answer(size):
        body = _body(size)
        content = body if announced else iter([body[:300], body[300:]])
        return lambda r: httpx.Response(200, headers={"Content-Type": "application/json"}, content=content)

    assert _adapter(answer(1000)).get_json("/customers") == json.loads(_body(1000))
    with pytest.raises(AdapterError, match="more than DMS_API_MAX_PAGE_BYTES .1,000.; refused") as failed:
        _adapter(answer(1001)).get_json("/customers")
    assert ("(Content-Length)" in str(failed.value)) is announced


def test_a_big_page_is_not_read_past_the_limit(settings):
    settings.DMS_API_MAX_PAGE_BYTES = 100_000
    pulled = []

    def blocks():
        for _ in range(1000):  # 64 MB if read to the end
            pulled.append(1)
            yield b"x" * 65536

    adapter = _adapter(lambda r: httpx.Response(200, headers={"Content-Type": "application/json"}, content=blocks()))
    with pytest.raises(AdapterError, match=r"over 100,000 bytes"):
        adapter.get_json("/customers")
    assert len(pulled) == 2


def test_an_error_answer_is_classified_by_its_status_whatever_its_size(settings):
    settings.DMS_API_MAX_PAGE_BYTES = 1000
    pulled = []

    def blocks():
        for _ in range(1000):
            pulled.append(1)
            yield b"<html>" + b"busy " * 1000

    adapter = _adapter(lambda r: httpx.Response(503, headers={"Content-Type": "text/html"}, content=blocks()))
    with pytest.raises(AdapterError, match=r"GET /customers: HTTP 503 <html>busy busy") as failed:
        adapter.get_json("/customers")
    assert "gave up after 1 attempts" in str(failed.value)
    assert len(pulled) == 1  # only the start was read (ERROR_DETAIL_BYTES), not 5 MB


def test_a_redirect_from_the_token_endpoint_points_at_token_url():
    def handler(request):
        return httpx.Response(302, headers={"Location": "https://sso.example/"}, json=TOKEN)

    adapter = HttpApiAdapter(STORE, client=httpx.Client(transport=httpx.MockTransport(handler)))
    with pytest.raises(
        Permanent, match=r"POST token: HTTP 302: the DMS redirected to https://sso.example/\. .*token_url"
    ):
        adapter.token()


def test_a_redirect_without_location_says_so():
    adapter = _adapter(lambda r: httpx.Response(303, json={"status": "applied"}))
    with pytest.raises(AdapterError, match=r"HTTP 303: the DMS redirected to nowhere \(no Location header\)"):
        adapter.get_json("/customers")
