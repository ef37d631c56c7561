"""dealermine/middleware.py: the one place hostile characters are cleaned from input, and no-store on responses."""

import pytest
from django.http import HttpResponse, QueryDict
from django.test import RequestFactory
from django.urls import reverse

from dealermine.middleware import CleanInputMiddleware, NoStoreMiddleware, clean_text
from tests.customers.factories import CustomerFactory


def test_clean_text_drops_nul_and_replaces_lone_surrogates_only():
    assert clean_text("a\x00b\x00") == "ab"
    assert clean_text("\ud800x\udfff") == "\ufffdx\ufffd"
    kept = "\u202eevil\u202c %_%\\_ \x1b[31m\t\r\n 😀 Zoë"
    assert clean_text(kept) is kept, "every other character is the user's text and stays"


def _seen(request):
    captured = {}

    def view(req):
        captured.update(GET=req.GET, POST=req.POST, META=req.META)
        return HttpResponse("ok")

    CleanInputMiddleware(view)(request)
    return captured


def test_query_strings_form_bodies_and_headers_are_cleaned_before_any_view():
    rf = RequestFactory()
    request = rf.post(
        "/x/?q=a%00b&k%00ey=v",
        "name=Ann%00e&list=1%00&list=2",
        content_type="application/x-www-form-urlencoded",
        HTTP_USER_AGENT="agent\x00x",
    )
    seen = _seen(request)
    assert seen["GET"]["q"] == "ab" and seen["GET"]["key"] == "v"
    assert seen["POST"]["name"] == "Anne" and seen["POST"].getlist("list") == ["1", "2"]
    assert seen["META"]["HTTP_USER_AGENT"] == "agentx"
    assert not seen["GET"]._mutable and not seen["POST"]._mutable


def test_a_lone_surrogate_that_reached_a_querydict_is_replaced():
    """HTTP decoding already turns undecodable bytes into U+FFFD; a surrogate made some other way is cleaned too."""
    request = RequestFactory().get("/x/")
    data = QueryDict(mutable=True)
    data.setlist("q", ["\ud800"])
    request.GET = data
    assert _seen(request)["GET"]["q"] == "\ufffd"


def test_a_json_body_is_left_to_its_view():
    request = RequestFactory().post("/hook/", b'{"a": "\\u0000"}', content_type="application/json")
    seen = _seen(request)
    assert not seen["POST"]
    assert request.body == b'{"a": "\\u0000"}'


@pytest.mark.django_db
def test_a_nul_in_a_search_reaches_the_selector_cleaned(client_for, us_coordinator, us_store):
    """The reported 500: `?q=%00` on PostgreSQL. The view now searches for the text without the NUL."""
    CustomerFactory(dealership=us_store, last_name="Nullson")
    client = client_for(us_coordinator)
    for url in (reverse("customers:list"), reverse("customers:search")):
        response = client.get(url, QUERY_STRING="q=Null%00son")
        assert response.status_code == 200
        assert "Nullson" in response.content.decode()


def test_every_response_is_no_store():
    response = NoStoreMiddleware(lambda request: HttpResponse("ok"))(RequestFactory().get("/"))
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"no-store", "no-cache", "private", "must-revalidate", "max-age=0"} <= directives
