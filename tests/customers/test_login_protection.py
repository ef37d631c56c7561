from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import F
from django.urls import reverse

from dealermine.lockout import client_address
from tests.customers.factories import UserFactory


@pytest.mark.django_db
def test_repeated_failed_logins_lock_the_account_even_for_the_right_password(client):
    UserFactory(username="casey")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(reverse("login"), {"username": "casey", "password": "wrong"})
        assert response.status_code == 200
    locked = client.post(reverse("login"), {"username": "casey", "password": "wrong"})
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    right = client.post(reverse("login"), {"username": "casey", "password": "pw"})
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_success_before_the_limit_resets_the_count(client):
    UserFactory(username="casey")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(reverse("login"), {"username": "casey", "password": "wrong"})
    assert client.post(reverse("login"), {"username": "casey", "password": "pw"}).status_code == 302
    client.post(reverse("logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(reverse("login"), {"username": "casey", "password": "wrong"})
    assert client.post(reverse("login"), {"username": "casey", "password": "pw"}).status_code == 302


@pytest.mark.django_db
def test_locking_one_user_leaves_others_alone(client):
    UserFactory(username="casey")
    UserFactory(username="jordan")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "casey", "password": "wrong"})
    assert client.post(reverse("login"), {"username": "jordan", "password": "pw"}).status_code == 302


def test_password_validators_are_on():
    names = {v["NAME"].rsplit(".", 1)[-1] for v in settings.AUTH_PASSWORD_VALIDATORS}
    assert {"MinimumLengthValidator", "CommonPasswordValidator", "NumericPasswordValidator"} <= names


# --- per user name whatever the address, and the looser per-address limit (dealermine/lockout.py) -------------


def _login(client, username, password, address, **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address, **extra)


@pytest.mark.django_db
def test_failures_from_several_addresses_lock_the_user_name_everywhere(client):
    """Six addresses used to give 24 guesses; now the fifth failure, wherever from, locks the name."""
    UserFactory(username="casey")
    addresses = [f"203.0.113.{n}" for n in range(1, 7)]
    answers = [_login(client, "casey", f"guess-{n}", address).status_code for n, address in enumerate(addresses)]
    assert answers == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429, 429]
    # The right password from a fresh address is refused too, and says why.
    locked = _login(client, "casey", "pw", "198.51.100.77")
    assert locked.status_code == 429
    assert "This user name is locked" in locked.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_locked_user_name_unlocks_after_the_cool_off(client):
    UserFactory(username="casey")
    for n in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "casey", "wrong", f"203.0.113.{n}")
    assert _login(client, "casey", "pw", "203.0.113.50").status_code == 429
    # Almost 30 minutes pass: still locked (and this refused try counts as one more failure).
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - settings.AXES_COOLOFF_TIME + timedelta(seconds=60))
    assert _login(client, "casey", "pw", "203.0.113.50").status_code == 429
    # 30 minutes after the failures that locked it: fewer than five remain in the window, the name is free.
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(seconds=61))
    assert _login(client, "casey", "pw", "203.0.113.50").status_code == 302


@pytest.mark.django_db
def test_password_spraying_from_one_address_locks_the_address_not_the_names(client):
    """One password tried against many names: each name fails once, the address reaches its looser limit."""
    UserFactory(username="victim")
    spray = "198.51.100.9"
    limit = settings.AXES_ADDRESS_FAILURE_LIMIT
    assert limit > settings.AXES_FAILURE_LIMIT
    for n in range(limit - 1):
        assert _login(client, f"name{n}", "Summer2026!", spray).status_code == 200
    refused = _login(client, f"name{limit}", "Summer2026!", spray)
    assert refused.status_code == 429
    assert "network address" in refused.content.decode()
    assert _login(client, "victim", "pw", spray).status_code == 429, "every name is refused from that address"
    # The names themselves are not locked: the owner logs in from elsewhere.
    client.post(reverse("logout"))
    assert _login(client, "victim", "pw", "192.0.2.10").status_code == 302


@pytest.mark.django_db
def test_logging_into_ones_own_account_does_not_clear_failures_against_another_name(client):
    UserFactory(username="casey")
    UserFactory(username="mallory")
    address = "203.0.113.66"
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, "casey", "wrong", address)
    assert _login(client, "mallory", "pw", address).status_code == 302
    client.post(reverse("logout"))
    assert _login(client, "casey", "wrong", address).status_code == 429


def test_the_client_address_behind_trusted_proxies(rf, settings):
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.5")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(request) == "127.0.0.1", "without a trusted proxy the header is the client's to forge"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(request) == "203.0.113.5", "the address our proxy appended, not the forged one"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_address(request) == "6.6.6.6"
    settings.TRUSTED_PROXY_COUNT = 3
    assert client_address(request) == "127.0.0.1", "fewer entries than proxies: the header is not ours"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="not-an-ip")) == "127.0.0.1"


@pytest.mark.django_db
def test_behind_the_proxy_each_client_address_is_counted_apart(client, settings):
    """With the production proxy count, two clients behind one proxy are two addresses, not one."""
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(settings.AXES_ADDRESS_FAILURE_LIMIT):
        _login(client, f"name{n}", "x", "127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert _login(client, "nameX", "x", "127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9").status_code == 429
    UserFactory(username="casey")
    assert _login(client, "casey", "pw", "127.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.44").status_code == 302
