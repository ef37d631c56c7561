import hashlib
import hmac
import json
import time
from unittest.mock import patch

import pytest
from django.test import Client
from django.urls import reverse

from contacts.models import BounceSource, EmailBounce
from contacts.webhook_signature import signature_for
from tests.customers.factories import DealershipFactory

URL = reverse("contacts:bounce_webhook")
SECRET = "s3cret-for-tests"
WINDOW = 300  # BOUNCE_WEBHOOK_TOLERANCE_SECONDS' default
FIXED = 1_700_000_000  # a fixed time for signatures in test ids (xdist workers must collect the same ids)


@pytest.fixture
def store(db):
    return DealershipFactory(code="lakeside", bounce_webhook_secret=SECRET)


def sign(body: bytes, secret: str = SECRET, timestamp: int | None = None) -> str:
    return signature_for(secret, int(time.time()) if timestamp is None else timestamp, body)


def signed_headers(body: bytes, *, store="lakeside", secret=SECRET, timestamp=None, signature=None) -> dict:
    """The three headers the provider sends: the store, the time, and the signature of `<time>.<body>`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "HTTP_X_DEALERMINE_STORE": store,
        "HTTP_X_DEALERMINE_TIMESTAMP": str(timestamp),
        "HTTP_X_DEALERMINE_SIGNATURE": signature_for(secret, timestamp, body) if signature is None else signature,
    }


def event(n, **kwargs):
    return {
        "id": f"evt-{n}",
        "email": f"Person{n}@Mail.Example.com",
        "bounced_at": "2026-11-02T14:03:00Z",
        "campaign": "Oil change reminder",
        "type": "hard",
        "reason": "550 mailbox unavailable",
    } | kwargs


def post(client, payload, *, signature=None, secret=SECRET, raw=None, store=None, timestamp=None):
    """Post `payload` (or `raw` bytes) signed for `store` (default: the store the payload names, else lakeside);
    signature=False sends no signature headers at all, a string sends that signature instead."""
    body = raw if raw is not None else json.dumps(payload).encode()
    if store is None:
        named = payload.get("dealership") if isinstance(payload, dict) else None
        store = named if isinstance(named, str) else "lakeside"
    headers = {}
    if signature is not False:
        headers = signed_headers(body, store=store, secret=secret, timestamp=timestamp, signature=signature)
    return client.post(URL, data=body, content_type="application/json", **headers)


def test_a_signed_batch_is_stored_without_login_or_csrf(store):
    client = Client(enforce_csrf_checks=True)
    response = post(client, {"dealership": "lakeside", "events": [event(1), event(2, type="soft", campaign="")]})
    assert response.status_code == 200
    assert response.json() == {"received": 2, "stored": 2, "duplicates": 0, "rejected": []}
    first = EmailBounce.objects.get(provider_event_id="evt-1")
    assert first.dealership == store
    assert first.email == "person1@mail.example.com"
    assert first.bounced_at.isoformat() == "2026-11-02T14:03:00+00:00"
    assert (first.campaign, first.kind, first.reason, first.source) == (
        "Oil change reminder",
        "hard",
        "550 mailbox unavailable",
        BounceSource.WEBHOOK,
    )
    assert EmailBounce.objects.get(provider_event_id="evt-2").kind == "soft"


@pytest.mark.parametrize(
    "signature",
    [
        False,
        "",
        "sha256=",
        "md5=abc",
        "sha256=" + "0" * 64,
        sign(b"another body", timestamp=FIXED),
        sign(b"x", "wrong-secret", FIXED),
    ],
)
def test_a_missing_or_bad_signature_is_401_and_stores_nothing(store, client, signature):
    response = post(client, {"dealership": "lakeside", "events": [event(1)]}, signature=signature)
    assert response.status_code == 401
    assert EmailBounce.objects.count() == 0


def test_the_signature_must_use_the_stores_own_secret(store, client):
    DealershipFactory(code="other", bounce_webhook_secret="other-secret")
    payload = {"dealership": "lakeside", "events": [event(1)]}
    assert post(client, payload, secret="other-secret").status_code == 401
    assert post(client, {"dealership": "nowhere", "events": [event(1)]}).status_code == 401
    assert EmailBounce.objects.count() == 0


def test_a_store_without_a_secret_accepts_nothing(client, db):
    DealershipFactory(code="nosecret", bounce_webhook_secret="")
    assert post(client, {"dealership": "nosecret", "events": [event(1)]}, secret="").status_code == 401
    assert EmailBounce.objects.count() == 0


def test_replaying_a_batch_stores_nothing_new(store, client):
    payload = {"dealership": "lakeside", "events": [event(1), event(2)]}
    assert post(client, payload).json()["stored"] == 2
    again = post(client, payload)
    assert again.status_code == 200
    assert again.json() == {"received": 2, "stored": 0, "duplicates": 2, "rejected": []}
    within = post(client, {"dealership": "lakeside", "events": [event(3), event(3), event(1)]})
    assert within.json() == {"received": 3, "stored": 1, "duplicates": 2, "rejected": []}
    assert EmailBounce.objects.count() == 3


def test_the_same_event_id_at_another_store_is_another_event(store, client):
    DealershipFactory(code="other", bounce_webhook_secret="other-secret")
    post(client, {"dealership": "lakeside", "events": [event(1)]})
    response = post(client, {"dealership": "other", "events": [event(1)]}, secret="other-secret")
    assert response.json()["stored"] == 1
    assert EmailBounce.objects.count() == 2


def test_bad_events_are_reported_back_and_good_ones_stored(store, client):
    events = [
        event(1),
        event(2, email="not-an-email"),
        event(3, bounced_at="yesterday"),
        {"email": "a@b.example.com", "bounced_at": "2026-11-02T10:00:00Z"},
        "just a string",
        event(6, bounced_at="2099-01-01T00:00:00Z"),
        event(7, campaign="x" * 121),
        event(8, bounced_at="2026-11-02T09:00:00-05:00", email={"nested": True}),
        event(9, bounced_at="2026-11-02 09:00:00"),
    ]
    response = post(client, {"dealership": "lakeside", "events": events})
    assert response.status_code == 200
    body = response.json()
    assert (body["received"], body["stored"]) == (9, 2)
    rejected = {r["index"]: r for r in body["rejected"]}
    assert set(rejected) == {1, 2, 3, 4, 5, 6, 7}
    assert "email" in rejected[1]["errors"] and rejected[1]["id"] == "evt-2"
    assert "bounced_at" in rejected[2]["errors"]
    assert "id" in rejected[3]["errors"]
    assert "__all__" in rejected[4]["errors"]
    assert "bounced_at" in rejected[5]["errors"]
    assert "campaign" in rejected[6]["errors"]
    assert "email" in rejected[7]["errors"]
    assert set(EmailBounce.objects.values_list("provider_event_id", flat=True)) == {"evt-1", "evt-9"}
    naive = EmailBounce.objects.get(provider_event_id="evt-9")
    assert naive.bounced_at.isoformat() == "2026-11-02T09:00:00+00:00", "a naive time is UTC"


def test_body_size_limit(store, client):
    filler = "x" * 500
    events = [event(n, reason=filler) for n in range(2000)]
    body = json.dumps({"dealership": "lakeside", "events": events}).encode()
    assert len(body) > 1024 * 1024
    response = post(client, None, raw=body)
    assert response.status_code == 413
    assert EmailBounce.objects.count() == 0


def test_malformed_json_is_400_with_a_message(store, client):
    response = post(client, None, raw=b'{"dealership": "lakeside", "events": [')
    assert response.status_code == 400
    assert response.json()["error"].startswith("Malformed JSON")
    assert post(client, None, raw=b"\xff\xfe").status_code == 400
    assert post(client, ["not", "an", "object"]).status_code == 400
    assert post(client, {"dealership": "lakeside", "events": {"id": 1}}).status_code == 400
    assert EmailBounce.objects.count() == 0


def test_only_post(client, store):
    assert client.get(URL).status_code == 405


# --- the signed timestamp and the store header: replay and wrong-store protection ----------------------------


def test_the_store_may_be_named_in_the_header_alone(store, client):
    response = post(client, {"events": [event(1)]}, store="lakeside")
    assert response.status_code == 200 and response.json()["stored"] == 1


def test_a_captured_request_replayed_after_the_window_is_refused(store, client):
    body = json.dumps({"dealership": "lakeside", "events": [event(1)]}).encode()
    headers = signed_headers(body)
    assert client.post(URL, data=body, content_type="application/json", **headers).status_code == 200
    EmailBounce.objects.all().delete()  # so only the timestamp can stop the replay below
    later = time.time() + WINDOW + 1
    with patch("contacts.views.hooks.time.time", return_value=later):
        replay = client.post(URL, data=body, content_type="application/json", **headers)
    assert replay.status_code == 401
    assert "outside the 300-second window" in replay.json()["error"]
    assert EmailBounce.objects.count() == 0


# A few seconds' margin either side of the limit: the request takes time to reach the check on a busy machine.
@pytest.mark.parametrize("offset", [-(WINDOW + 5), WINDOW + 5, -86_400, 10**9, -(10**9)])
def test_a_timestamp_outside_the_window_either_way_is_refused(store, client, offset):
    response = post(client, {"events": [event(1)]}, timestamp=int(time.time()) + offset)
    assert response.status_code == 401
    assert EmailBounce.objects.count() == 0


@pytest.mark.parametrize("offset", [-(WINDOW - 5), -60, 0, 60, WINDOW - 5])
def test_clock_skew_inside_the_window_is_accepted(store, client, offset):
    """The provider's clock may be minutes off either way; inside the window its requests are accepted."""
    response = post(client, {"events": [event(1)]}, timestamp=int(time.time()) + offset)
    assert response.status_code == 200, response.content
    assert EmailBounce.objects.count() == 1


def test_the_window_is_a_setting(store, client, settings):
    settings.BOUNCE_WEBHOOK_TOLERANCE_SECONDS = 30
    assert post(client, {"events": [event(1)]}, timestamp=int(time.time()) - 60).status_code == 401
    assert post(client, {"events": [event(1)]}, timestamp=int(time.time()) - 10).status_code == 200


def test_a_changed_timestamp_breaks_the_signature(store, client):
    """The timestamp is signed: moving a captured request's timestamp forward does not make it fresh."""
    body = json.dumps({"events": [event(1)]}).encode()
    old = int(time.time()) - WINDOW - 60
    headers = signed_headers(body, timestamp=old)
    headers["HTTP_X_DEALERMINE_TIMESTAMP"] = str(int(time.time()))
    response = client.post(URL, data=body, content_type="application/json", **headers)
    assert response.status_code == 401 and response.json()["error"] == "Invalid signature."
    assert EmailBounce.objects.count() == 0


def test_a_wrong_store_is_refused(store, client):
    other = DealershipFactory(code="other", bounce_webhook_secret="other-secret")
    payload = {"events": [event(1)]}
    # Signed with lakeside's secret but sent as another store (or an unknown one): 401.
    assert post(client, payload, store="other", secret=SECRET).status_code == 401
    assert post(client, payload, store="nowhere", secret=SECRET).status_code == 401
    # Correctly signed for "other", but the body names lakeside: refused, nothing stored for either store.
    mismatch = post(client, {"dealership": "lakeside", "events": [event(1)]}, store="other", secret="other-secret")
    assert mismatch.status_code == 400 and "another store" in mismatch.json()["error"]
    assert EmailBounce.objects.count() == 0
    # The same request for its own store lands at that store only.
    assert post(client, payload, store="other", secret="other-secret").json()["stored"] == 1
    assert EmailBounce.objects.get().dealership == other


def test_the_removed_body_only_signature_is_refused_and_says_so(store, client):
    body = json.dumps({"dealership": "lakeside", "events": [event(1)]}).encode()
    old_scheme = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = client.post(URL, data=body, content_type="application/json", HTTP_X_DEALERMINE_SIGNATURE=old_scheme)
    assert response.status_code == 401
    assert "was removed" in response.json()["error"]
    assert EmailBounce.objects.count() == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_X_DEALERMINE_TIMESTAMP": ""},
        {"HTTP_X_DEALERMINE_TIMESTAMP": "yesterday"},
        {"HTTP_X_DEALERMINE_TIMESTAMP": "1e9"},
        {"HTTP_X_DEALERMINE_TIMESTAMP": "-5"},
        {"HTTP_X_DEALERMINE_TIMESTAMP": "9" * 40},
        {"HTTP_X_DEALERMINE_STORE": ""},
        {"HTTP_X_DEALERMINE_STORE": "x" * 500},
        {"HTTP_X_DEALERMINE_SIGNATURE": "v1="},
    ],
)
def test_malformed_signature_headers_are_401(store, client, headers):
    body = json.dumps({"events": [event(1)]}).encode()
    response = client.post(URL, data=body, content_type="application/json", **(signed_headers(body) | headers))
    assert response.status_code == 401
    assert EmailBounce.objects.count() == 0


def test_the_body_is_not_parsed_before_the_signature_is_verified(store, client):
    """A forged request with a body that would crash or cost a parser gets the same 401 as any forged one."""
    body = b'{"events": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    with patch("contacts.views.hooks.json") as parser:
        response = client.post(
            URL, data=body, content_type="application/json", **signed_headers(body, signature="v1=" + "0" * 64)
        )
    assert response.status_code == 401 and response.json()["error"] == "Invalid signature."
    parser.loads.assert_not_called()
