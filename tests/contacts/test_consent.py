from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from contacts.models import ConsentBasis, EmailConsent
from contacts.services import consent_expire, email_consent_record
from contacts.tasks import consent_expire as consent_expire_task
from customers.models import CustomerHistory, HistorySource
from customers.selectors.history import history_rows
from tests.contacts.factories import EmailConsentFactory
from tests.customers.factories import CustomerFactory

OBTAINED = datetime(2024, 2, 29, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "basis,expires",
    [
        (ConsentBasis.EXPRESS, None),
        (ConsentBasis.IMPLIED_PURCHASE, datetime(2026, 2, 28, 15, 30, tzinfo=UTC)),
        (ConsentBasis.IMPLIED_INQUIRY, datetime(2024, 8, 29, 15, 30, tzinfo=UTC)),
    ],
)
def test_record_computes_the_expiry_from_the_basis(us_customer, us_coordinator, basis, expires):
    consent = email_consent_record(
        customer=us_customer,
        email=us_customer.email1.upper(),
        basis=basis,
        obtained_at=OBTAINED,
        source="Service drive",
        evidence="Signed RO 1234",
        actor=us_coordinator,
        now=datetime(2024, 3, 1, tzinfo=UTC),
    )
    consent.refresh_from_db()
    assert consent.email == us_customer.email1.lower()
    assert consent.expires_at == expires
    assert consent.expired_at is None
    assert consent.created_by == us_coordinator


def test_record_writes_one_history_entry_per_change_and_none_when_nothing_changed(us_customer, us_coordinator):
    kwargs = {
        "customer": us_customer,
        "email": us_customer.email1,
        "basis": ConsentBasis.IMPLIED_INQUIRY,
        "obtained_at": OBTAINED,
        "source": "Web inquiry",
        "actor": us_coordinator,
        "now": datetime(2024, 3, 1, tzinfo=UTC),
    }
    email_consent_record(**kwargs)
    entry = CustomerHistory.objects.get(customer=us_customer)
    assert entry.actor == us_coordinator and entry.source == HistorySource.USER
    key = f"email_consent:{us_customer.email1}:"
    fields = {c["field"]: c for c in entry.changes}
    assert fields[key + "basis"]["new"] == ConsentBasis.IMPLIED_INQUIRY  # raw: the code
    assert fields[key + "source"]["new"] == "Web inquiry"
    assert key + "opted_out_at" not in fields
    shown = {c.key: c for c in history_rows([entry])[0].changes}
    assert shown[key + "basis"].new == "Implied by inquiry"
    assert shown[key + "basis"].label == f"Email consent ({us_customer.email1}): Basis"

    email_consent_record(**kwargs)
    assert CustomerHistory.objects.filter(customer=us_customer).count() == 1

    email_consent_record(**(kwargs | {"basis": ConsentBasis.EXPRESS, "opted_out": True}))
    latest = CustomerHistory.objects.filter(customer=us_customer).first()
    changed = {c.key: (c.old, c.new) for c in history_rows([latest])[0].changes}
    assert changed[key + "basis"] == ("Implied by inquiry", "Express consent")
    assert changed[key + "expires_at"][1] == "Never"
    assert changed[key + "opted_out_at"][0] == ""
    consent = EmailConsent.objects.get(customer=us_customer)
    assert consent.opted_out_at == datetime(2024, 3, 1, tzinfo=UTC)
    assert consent.expires_at is None


def test_recording_an_already_lapsed_implied_consent_marks_it_expired(us_customer):
    consent = email_consent_record(
        customer=us_customer,
        email=us_customer.email1,
        basis=ConsentBasis.IMPLIED_INQUIRY,
        obtained_at=OBTAINED,
        now=datetime(2025, 1, 1, tzinfo=UTC),
    )
    assert consent.expired_at == datetime(2025, 1, 1, tzinfo=UTC)
    renewed = email_consent_record(
        customer=us_customer,
        email=us_customer.email1,
        basis=ConsentBasis.IMPLIED_PURCHASE,
        obtained_at=datetime(2024, 12, 1, tzinfo=UTC),
        now=datetime(2025, 1, 1, tzinfo=UTC),
    )
    assert renewed.expired_at is None, "a new purchase renews the implied consent"


def test_daily_expiry_at_its_boundaries_and_idempotent(us_store):
    expires = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    lapsing = EmailConsentFactory(
        customer=CustomerFactory(dealership=us_store),
        basis=ConsentBasis.IMPLIED_INQUIRY,
        obtained_at=datetime(2025, 11, 1, 12, 0, tzinfo=UTC),
        expires_at=expires,
    )
    express = EmailConsentFactory(customer=CustomerFactory(dealership=us_store), basis=ConsentBasis.EXPRESS)

    assert consent_expire(now=expires - timedelta(seconds=1)) == 0
    lapsing.refresh_from_db()
    assert lapsing.expired_at is None

    assert consent_expire(now=expires) == 1
    lapsing.refresh_from_db()
    assert lapsing.expired_at == expires
    entry = CustomerHistory.objects.get(customer=lapsing.customer)
    assert entry.source == HistorySource.SYSTEM
    assert entry.changes[0] == {
        "field": f"email_consent:{lapsing.email}:expired_at",
        "old": None,
        "new": expires.isoformat(),
    }

    assert consent_expire(now=expires + timedelta(days=1)) == 0
    assert CustomerHistory.objects.filter(customer=lapsing.customer).count() == 1
    express.refresh_from_db()
    assert express.expired_at is None


def test_the_celery_task_runs_the_service(us_store):
    EmailConsentFactory(
        customer=CustomerFactory(dealership=us_store),
        basis=ConsentBasis.IMPLIED_PURCHASE,
        obtained_at=timezone.now() - timedelta(days=800),
        expires_at=timezone.now() - timedelta(days=70),
    )
    assert consent_expire_task.delay().get() == 1
    assert EmailConsent.objects.filter(expired_at__isnull=False).count() == 1


def url(customer):
    return reverse("contacts:consent", args=[customer.pk])


def test_post_records_consent_and_redirects_to_the_customer(client_for, us_coordinator, us_customer):
    client = client_for(us_coordinator)
    response = client.post(
        url(us_customer),
        {
            "email": us_customer.email1.lower(),
            "basis": ConsentBasis.IMPLIED_PURCHASE,
            "source": "Sales desk",
            "evidence": "Bill of sale 991",
            "obtained_on": "2026-03-15",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/customers/{us_customer.pk}/edit/#email-consent"
    consent = EmailConsent.objects.get(customer=us_customer)
    assert consent.obtained_at == datetime(2026, 3, 15, tzinfo=ZoneInfo("America/Detroit")), "store's day start"
    assert consent.expires_at.year == 2028
    assert consent.opted_out_at is None
    assert CustomerHistory.objects.filter(customer=us_customer, actor=us_coordinator).count() == 1

    again = client.post(
        url(us_customer),
        {
            "email": us_customer.email1.lower(),
            "basis": ConsentBasis.IMPLIED_PURCHASE,
            "source": "Sales desk",
            "evidence": "Bill of sale 991",
            "obtained_on": "2026-03-15",
            "opted_out": "on",
        },
    )
    assert again.status_code == 302
    consent.refresh_from_db()
    assert consent.opted_out_at is not None
    latest = CustomerHistory.objects.filter(customer=us_customer).first()
    assert [c["field"] for c in latest.changes] == [
        f"email_consent:{us_customer.email1.lower()}:opted_out_at"
    ], "same day keeps the time"


@pytest.mark.parametrize(
    "data,field",
    [
        ({"obtained_on": "2999-01-01"}, "obtained_on"),
        ({"email": "someone.else@mail.example.com"}, "email"),
        ({"basis": "verbal"}, "basis"),
        ({"obtained_on": ""}, "obtained_on"),
    ],
)
def test_invalid_post_shows_the_error_beside_the_field_and_saves_nothing(
    client_for, us_coordinator, us_customer, data, field
):
    client = client_for(us_coordinator)
    base = {"email": us_customer.email1.lower(), "basis": ConsentBasis.EXPRESS, "obtained_on": "2026-01-10"}
    response = client.post(url(us_customer), base | data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert 'class="invalid-feedback' in response.content.decode()
    assert not EmailConsent.objects.exists()
    assert not CustomerHistory.objects.exists()


def test_a_foreign_customer_is_404_for_get_and_post(client_for, us_coordinator, ca_customer):
    client = client_for(us_coordinator)
    assert client.get(url(ca_customer)).status_code == 404
    response = client.post(
        url(ca_customer),
        {"email": ca_customer.email1.lower(), "basis": ConsentBasis.EXPRESS, "obtained_on": "2026-01-10"},
    )
    assert response.status_code == 404
    assert not EmailConsent.objects.exists()


def test_get_shows_the_ledger_prefilled(client_for, us_coordinator, us_customer):
    EmailConsentFactory(customer=us_customer, email=us_customer.email1.lower(), basis=ConsentBasis.IMPLIED_INQUIRY)
    response = client_for(us_coordinator).get(url(us_customer))
    assert response.status_code == 200
    assert response.context["form"].initial["basis"] == ConsentBasis.IMPLIED_INQUIRY
    assert "Implied by inquiry" in response.content.decode()


def test_the_panel_partial_renders_from_the_customer_alone(
    rf, us_coordinator, ca_customer, django_assert_max_num_queries
):
    EmailConsentFactory(customer=ca_customer, email=ca_customer.email1.lower(), opted_out_at=timezone.now())
    template = Template('{% include "contacts/partials/consent_panel.html" %}')
    request = rf.get("/")
    request.user = us_coordinator
    with django_assert_max_num_queries(6):
        html = template.render(Context({"customer": ca_customer, "request": request, "csrf_token": "tok"}))
    assert "CASL: opted out" in html
    assert f'action="/customers/{ca_customer.pk}/consent/"' in html
    assert "csrfmiddlewaretoken" in html


def test_the_daily_consent_task_is_scheduled():
    from dealermine.schedule import beat_schedule

    entries = [e for e in beat_schedule().values() if e["task"] == "contacts.consent_expire"]
    assert len(entries) == 1


def test_the_customer_information_screen_shows_the_consent_panel(client_for, us_coordinator, us_customer):
    EmailConsentFactory(customer=us_customer, email=us_customer.email1.lower(), basis=ConsentBasis.IMPLIED_PURCHASE)
    response = client_for(us_coordinator).get(reverse("customers:edit", args=[us_customer.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="email-consent"' in html
    assert "Implied by purchase" in html
    assert f'action="/customers/{us_customer.pk}/consent/"' in html


@pytest.mark.parametrize(
    "basis,obtained_on,expires_local",
    [
        (ConsentBasis.IMPLIED_INQUIRY, "2026-08-31", datetime(2027, 2, 28)),
        (ConsentBasis.IMPLIED_INQUIRY, "2026-03-08", datetime(2026, 9, 8)),  # across a DST change: local midnight
        (ConsentBasis.IMPLIED_PURCHASE, "2024-02-29", datetime(2026, 2, 28)),
        (ConsentBasis.EXPRESS, "2026-01-01", None),
    ],
)
def test_expiry_from_the_form_runs_from_the_stores_calendar_day(
    client_for, us_coordinator, us_customer, basis, obtained_on, expires_local
):
    client_for(us_coordinator).post(
        url(us_customer), {"email": us_customer.email1.lower(), "basis": basis, "obtained_on": obtained_on}
    )
    consent = EmailConsent.objects.get(customer=us_customer)
    detroit = ZoneInfo("America/Detroit")
    expected = expires_local.replace(tzinfo=detroit) if expires_local else None
    assert consent.expires_at == expected
    if expected:
        assert consent.expires_at.astimezone(detroit).hour == 0
