import pytest
from django.urls import reverse


@pytest.mark.parametrize(
    "name,args",
    [("contacts:call_select", []), ("contacts:bounce_report", []), ("contacts:consent", [1])],
)
def test_every_contacts_screen_requires_login(client, db, name, args):
    for method in (client.get, client.post):
        response = method(reverse(name, args=args))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_only_the_signed_webhook_skips_login_and_csrf(client, db):
    # Reaches the view (401: unsigned), not the login redirect.
    assert (
        client.post(reverse("contacts:bounce_webhook"), data=b"{}", content_type="application/json").status_code == 401
    )
