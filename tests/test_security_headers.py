"""Security headers under the production settings, on every URL of the matrix and the admin.

Content-Security-Policy (django-csp) allows scripts, styles, fonts and images from our own origin only, no
inline code, and no framing; every page carries `Cache-Control: no-store` (they show customers' personal data).
Every HTML page is also read for inline code the policy would block: an inline script or style moved back into a
template fails here before it breaks a browser.
"""

import importlib
import re

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from tests.customers.factories import CustomerFactory, UserFactory
from tests.reliability.test_every_url import _route_url, own_objects
from tests.test_url_matrix import ROUTES

# Settings the test run keeps its own of: its database, static files without collectstatic, its fast hashing.
KEEP = {"DATABASES", "STORAGES", "SECRET_KEY", "PASSWORD_HASHERS", "ALLOWED_HOSTS", "LOGGING"}
EXPECTED_DIRECTIVES = {
    "default-src": "'none'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
}
INLINE_CODE = {
    # A JSON data block (Django's json_script: texts a script reads) is never executed, so the policy allows it.
    "inline <script>": re.compile(r"<script(?![^>]*\b(?:src=|type=[\"']?application/json\b))[^>]*>", re.I),
    "<style> element": re.compile(r"<style[\s>]", re.I),
    "style= attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I),
    "on*= handler": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"(href|src|action)\s*=\s*[\"']?\s*javascript:", re.I),
}


@pytest.fixture
def production(settings, monkeypatch):
    """The production settings module's values (what gunicorn runs with), on the test database."""
    monkeypatch.setenv("SECRET_KEY", "production-settings-under-test-" + "x" * 40)
    module = importlib.import_module("dealermine.settings.production")
    for name in dir(module):
        if name.isupper() and name not in KEEP and getattr(django_settings, name, None) != getattr(module, name):
            setattr(settings, name, getattr(module, name))
    settings.ALLOWED_HOSTS = ["testserver"]
    assert settings.DEBUG is False and settings.SECURE_SSL_REDIRECT is True
    return settings


@pytest.fixture
def own(coordinator, us_store):
    return own_objects(coordinator, us_store)


def policy(response) -> dict[str, str]:
    header = response.get("Content-Security-Policy", "")
    return {part.split()[0]: " ".join(part.split()[1:]) for part in header.split(";") if part.strip()}


def assert_headers(response, where):
    directives = policy(response)
    assert directives, f"{where}: no Content-Security-Policy"
    for name, value in EXPECTED_DIRECTIVES.items():
        assert directives.get(name) == value, f"{where}: {name} is {directives.get(name)!r}, expected {value!r}"
    header = response["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header, where
    cache = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    assert {"no-store", "private"} <= cache, f"{where}: Cache-Control {response.get('Cache-Control')!r}"
    assert response.get("X-Frame-Options") == "DENY", where


def assert_no_inline_code(response, where):
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return
    body = response.content.decode()
    for what, pattern in INLINE_CODE.items():
        match = pattern.search(body)
        assert match is None, f"{where}: {what} (blocked by the policy): {match.group(0)[:120]!r}"


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(ROUTES))
def test_every_url_has_the_policy_no_store_and_no_inline_code(production, client_for, coordinator, own, name):
    client = client_for(coordinator)
    url = _route_url(name, own)
    response = client.get(url, ROUTES[name].query, secure=True)
    assert response.status_code < 500, url
    assert_headers(response, f"GET {url}")
    assert_no_inline_code(response, f"GET {url}")


@pytest.mark.django_db
def test_anonymous_pages_errors_and_redirects_have_them_too(production, client):
    for url in (reverse("login"), "/no-such-page/", reverse("customers:list")):
        response = client.get(url, secure=True)
        assert response.status_code in {200, 302, 404}
        assert_headers(response, f"anonymous GET {url}")
        assert_no_inline_code(response, f"anonymous GET {url}")
    plain = client.get(reverse("login"))
    assert plain.status_code == 301 and plain["Location"].startswith("https://"), "production redirects to HTTPS"


@pytest.mark.django_db
def test_the_admin_pages_with_customer_data_are_no_store(production, client, us_store):
    customer = CustomerFactory(dealership=us_store)
    admin = UserFactory(username="admin-sec", is_staff=True, is_superuser=True)
    client.force_login(admin)
    for url in (
        reverse("admin:index"),
        reverse("admin:customers_customer_changelist"),
        reverse("admin:customers_customer_change", args=[customer.pk]),
    ):
        response = client.get(url, secure=True)
        assert response.status_code == 200, url
        assert_headers(response, f"admin GET {url}")


def test_static_files_keep_their_caching(production, client):
    """Static files are served before the no-store middleware: browsers may keep them."""
    response = client.get(django_settings.STATIC_URL.rstrip("/") + "/css/app.css", secure=True)
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        '<script type="module">import x</script>',
        "<style>p{}</style>",
        '<div class="x" style="color:red">',
        "<a href=\"#\" onclick='go()'>",
        '<img src=x onerror="boom()">',
        '<a href="javascript:go()">',
    ],
)
def test_the_inline_code_check_catches_what_the_policy_blocks(html):
    from django.http import HttpResponse

    with pytest.raises(AssertionError, match="blocked by the policy"):
        assert_no_inline_code(HttpResponse(f"<html><body>{html}</body></html>"), "crafted")
    assert_no_inline_code(HttpResponse('<script src="/static/js/app.js"></script><p data-on="x">on=</p>'), "ok")
    assert_no_inline_code(HttpResponse('<script id="t" type="application/json">{"a": 1}</script>'), "json data")
