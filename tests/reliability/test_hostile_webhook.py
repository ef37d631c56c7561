"""The bounce webhook under hostile bodies: never a 500, nothing stored unless signed and well formed.

The ordinary cases (missing/bad signature, plain malformed JSON, 1 MiB limit) are in
tests/contacts/test_bounce_webhook.py; these are the hostile variants.
"""

import json

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from contacts.models import EmailBounce
from contacts.views.hooks import MAX_BODY_BYTES
from tests.contacts.test_bounce_webhook import SECRET, URL, event, signed_headers
from tests.customers.factories import DealershipFactory

from .hostile import BOUNDED, hostile_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(db):
    return DealershipFactory(code="lakeside", bounce_webhook_secret=SECRET)


def send(body: bytes, *, signed=True, content_type="application/json"):
    """signed: True (the store's secret), False (no header) or "forged" (well-formed, wrong digest)."""
    headers = {}
    if signed == "forged":
        headers = signed_headers(body, signature="v1=" + "0" * 64)
    elif signed:
        headers = signed_headers(body)
    return Client().post(URL, data=body, content_type=content_type, **headers)


def nested(depth: int) -> bytes:
    return b'{"dealership": "lakeside", "events": ' + b"[" * depth + b"]" * depth + b"}"


HOSTILE_BODIES = {
    "invalid utf-8": b'{"dealership": "lakeside", "events": [{"email": "\xff\xfe@x.com"}]}',
    "utf-16": json.dumps({"dealership": "lakeside", "events": []}).encode("utf-16"),
    "deeply nested array": nested(100_000),
    "deeply nested object": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "huge integer": b'{"dealership": "lakeside", "events": [' + b"9" * 100_000 + b"]}",
    "huge integer as dealership": b'{"dealership": ' + b"1" * 5000 + b', "events": []}',
    "huge float": b'{"dealership": "lakeside", "events": [1e999999]}',
    "NaN and Infinity": b'{"dealership": "lakeside", "events": [NaN, Infinity, -Infinity]}',
    "truncated": b'{"dealership": "lakeside", "events": [{"id": "evt-1"',
    "empty": b"",
    "null": b"null",
    "a bare string": b'"lakeside"',
    "a list": b'[{"dealership": "lakeside"}]',
    "NUL bytes": b'{"dealership": "lake\x00side", "events": []}',
    "escaped NUL in a value": b'{"dealership": "lakeside", "events": [{"id": "evt\\u0000", "email": "a\\u0000@b.c"}]}',
    "lone surrogate": b'{"dealership": "lakeside", "events": [{"id": "\\ud800", "email": "x@y.com"}]}',
    "dealership as object": b'{"dealership": {"code": "lakeside"}, "events": []}',
    "events as object": b'{"dealership": "lakeside", "events": {"0": {}}}',
    "events as string": b'{"dealership": "lakeside", "events": "all of them"}',
    "duplicate keys": b'{"dealership": "lakeside", "dealership": "other", "events": []}',
}


@pytest.mark.parametrize("signed", [True, False, "forged"], ids=["signed", "unsigned", "forged"])
@pytest.mark.parametrize("name", sorted(HOSTILE_BODIES))
def test_hostile_bodies_are_a_4xx_or_a_clean_200_never_a_500(store, name, signed):
    response = send(HOSTILE_BODIES[name], signed=signed)
    assert response.status_code < 500, (name, response.status_code)
    assert response["Content-Type"] == "application/json"
    response.json()  # always a JSON answer
    if signed is not True:
        assert response.status_code in {400, 401}
    assert EmailBounce.objects.count() == 0


def test_an_oversized_body_is_413_before_parsing(store):
    body = b'{"dealership": "lakeside", "events": [' + b" " * MAX_BODY_BYTES + b"]}"
    response = send(body)
    assert response.status_code == 413
    assert EmailBounce.objects.count() == 0


def test_a_lying_content_length_is_not_trusted(store):
    body = json.dumps({"dealership": "lakeside", "events": [event(1)]}).encode()
    response = Client().generic(
        "POST", URL, body, content_type="application/json", CONTENT_LENGTH="-5", **signed_headers(body)
    )
    assert response.status_code < 500


def test_ten_thousand_signed_events_are_all_accounted_for(store):
    events = [event(n) for n in range(10_000)]
    events[17] = {"id": "evt-bad", "email": "not an address"}
    body = json.dumps({"dealership": "lakeside", "events": events}).encode()
    assert len(body) < MAX_BODY_BYTES * 2  # the limit decides below, not the test's own size
    response = send(body)
    if len(body) > MAX_BODY_BYTES:
        assert response.status_code == 413
        assert EmailBounce.objects.count() == 0
        # Split into batches under the limit, as the provider is told to: everything lands.
        stored = rejected = 0
        for start in range(0, len(events), 2500):
            chunk = json.dumps({"dealership": "lakeside", "events": events[start : start + 2500]}).encode()
            answer = send(chunk)
            assert answer.status_code == 200, answer.content[:200]
            stored += answer.json()["stored"]
            rejected += len(answer.json()["rejected"])
    else:
        assert response.status_code == 200
        stored, rejected = response.json()["stored"], len(response.json()["rejected"])
    assert (stored, rejected) == (9_999, 1)
    assert EmailBounce.objects.count() == 9_999


wrong_types = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False),
    hostile_text,
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)
hostile_event = st.fixed_dictionaries(
    {},
    optional={
        "id": wrong_types,
        "email": st.one_of(wrong_types, st.just("person@mail.example.com")),
        "bounced_at": st.one_of(wrong_types, st.just("2026-11-02T14:03:00Z"), st.just("9999-12-31T00:00:00Z")),
        "campaign": wrong_types,
        "type": st.one_of(wrong_types, st.sampled_from(["hard", "soft"])),
        "reason": wrong_types,
    },
)


@given(events=st.lists(st.one_of(hostile_event, wrong_types), max_size=6))
@BOUNDED
def test_signed_events_of_the_wrong_shape_are_rejected_one_by_one_never_a_500(store, events):
    body = json.dumps({"dealership": "lakeside", "events": events}).encode()
    before = EmailBounce.objects.count()
    response = send(body)
    assert response.status_code == 200, response.content[:300]
    result = response.json()
    assert result["received"] == len(events)
    assert result["stored"] + result["duplicates"] + len(result["rejected"]) == len(events)
    assert EmailBounce.objects.count() == before + result["stored"]
