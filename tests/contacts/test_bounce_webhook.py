import hashlib
import hmac
import json

import pytest
from django.test import Client
from django.urls import reverse

from contacts.models import BounceSource, EmailBounce
from tests.customers.factories import DealershipFactory

URL = reverse("contacts:bounce_webhook")
SECRET = "s3cret-for-tests"


@pytest.fixture
def store(db):
    return DealershipFactory(code="lakeside", bounce_webhook_secret=SECRET)


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def event(n, **kwargs):
    return {
        "id": f"evt-{n}",
        "email": f"Person{n}@Mail.Example.com",
        "bounced_at": "2026-11-02T14:03:00Z",
        "campaign": "Oil change reminder",
        "type": "hard",
        "reason": "550 mailbox unavailable",
    } | kwargs


def post(client, payload, *, signature=None, secret=SECRET, raw=None):
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = {}
    if signature is not False:
        headers["HTTP_X_DEALERMINE_SIGNATURE"] = sign(body, secret) if signature is None else signature
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
    [False, "", "sha256=", "md5=abc", "sha256=" + "0" * 64, sign(b"another body"), sign(b"x", "wrong-secret")],
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
