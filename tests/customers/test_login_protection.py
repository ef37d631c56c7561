import pytest
from django.conf import settings
from django.urls import reverse

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
