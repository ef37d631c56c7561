from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from contacts.models import ConsentBasis, EmailConsent
from tests.contacts.factories import EmailBounceFactory, EmailConsentFactory
from tests.customers.factories import CustomerFactory, UserFactory


def test_consent_ledger_is_read_only_in_admin_with_the_expire_action(client_for, us_store):
    staff = UserFactory(username="boss", is_staff=True, is_superuser=True)
    lapsed = EmailConsentFactory(
        customer=CustomerFactory(dealership=us_store),
        basis=ConsentBasis.IMPLIED_INQUIRY,
        obtained_at=timezone.now() - timedelta(days=200),
        expires_at=timezone.now() - timedelta(days=17),
    )
    client = client_for(staff)
    changelist = reverse("admin:contacts_emailconsent_changelist")
    for state in ("", "opted_out", "expired", "current"):
        assert client.get(changelist, {"state": state} if state else {}).status_code == 200
    assert client.get(reverse("admin:contacts_emailconsent_add")).status_code == 403
    response = client.post(changelist, {"action": "expire_lapsed", "_selected_action": [lapsed.pk]}, follow=True)
    assert response.status_code == 200
    assert "1 consent(s) marked expired." in response.content.decode()
    assert EmailConsent.objects.get().expired_at is not None


def test_bounce_admin_lists_bounces(client_for, us_store):
    staff = UserFactory(username="boss", is_staff=True, is_superuser=True)
    EmailBounceFactory(dealership=us_store)
    response = client_for(staff).get(reverse("admin:contacts_emailbounce_changelist"))
    assert response.status_code == 200
