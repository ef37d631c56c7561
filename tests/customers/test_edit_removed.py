"""Values removed for good on Customer Information: not typed back in any field of their family, listed with who
and when, and lifted through a confirm step with a reason (recorded in the history)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import AuditAction, Customer, CustomerHistory
from dms_sync.models import Suppression
from dms_sync.selectors import removed_by
from dms_sync.services.removal import customer_value_remove
from tests.customers.factories import CustomerFactory
from tests.customers.test_edit_views import edit_url, form_data
from tests.dms_sync.factories import SuppressionFactory

pytestmark = pytest.mark.django_db


def lift_url(customer, suppression):
    return reverse("customers:suppression_lift", args=[customer.pk, suppression.pk])


def _state(customer):
    return (
        list(Customer.objects.filter(pk=customer.pk).values()),
        list(Suppression.objects.order_by("pk").values()),
        CustomerHistory.objects.count(),
    )


@pytest.fixture
def removed_cell(us_customer, coordinator):
    """The customer's cell (313) 555-0142 removed with the X by the coordinator."""
    Customer.objects.filter(pk=us_customer.pk).update(cell_phone="+13135550142")
    us_customer.refresh_from_db()
    customer_value_remove(customer=us_customer, field="cell_phone", actor=coordinator)
    return Suppression.objects.get(customer=us_customer)


def test_a_removed_phone_typed_into_another_phone_field_is_refused_beside_it(
    client_for, coordinator, us_customer, removed_cell
):
    client = client_for(coordinator)
    data = form_data(client, us_customer, home_phone="313.555.0142", first_name="Changed")
    before = _state(us_customer)
    response = client.post(edit_url(us_customer), data)
    assert response.status_code == 400
    today = timezone.localdate().isoformat()
    expected = (
        f"(313) 555-0142 was removed permanently on {today} by {removed_by(removed_cell)}; "
        "lift the removal below to enter it again."
    )
    assert response.context["form"].errors["home_phone"] == [expected]
    html = response.content.decode()
    assert 'id="id_home_phone_error"' in html and "lift the removal below" in html
    assert _state(us_customer) == before  # nothing saved


def test_a_removed_email_typed_into_the_other_email_field_is_refused_beside_it(client_for, coordinator, us_store):
    customer = CustomerFactory(dealership=us_store, email1="pat@mail.example.com", email2="")
    customer_value_remove(customer=customer, field="email1", actor=coordinator)
    client = client_for(coordinator)
    data = form_data(client, customer, email2="  PAT@Mail.Example.COM ")
    response = client.post(edit_url(customer), data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["email2"]
    assert errors["email2"][0].startswith("pat@mail.example.com was removed permanently on ")
    assert Customer.objects.get(pk=customer.pk).email2 == ""


def test_a_removed_value_is_refused_in_its_own_field_too_and_other_values_save(
    client_for, coordinator, us_customer, removed_cell
):
    client = client_for(coordinator)
    response = client.post(edit_url(us_customer), form_data(client, us_customer, cell_phone="+1 313 555 0142"))
    assert response.status_code == 400 and "cell_phone" in response.context["form"].errors
    response = client.post(edit_url(us_customer), form_data(client, us_customer, cell_phone="313-555-0143"))
    assert response.status_code == 302
    assert Customer.objects.get(pk=us_customer.pk).cell_phone == "+13135550143"


def test_a_file_still_holding_a_removed_value_saves_its_other_fields(client_for, coordinator, us_customer):
    """A value the file holds (a merge fill, an old DMS row) is not re-entered: saving other fields works."""
    SuppressionFactory(customer=us_customer, field="home_phone", value=us_customer.cell_phone)
    client = client_for(coordinator)
    response = client.post(edit_url(us_customer), form_data(client, us_customer, first_name="Stays"))
    assert response.status_code == 302
    assert Customer.objects.get(pk=us_customer.pk).first_name == "Stays"


def test_the_screen_lists_removed_values_with_who_when_and_a_lift_action(
    client_for, coordinator, us_customer, removed_cell
):
    html = client_for(coordinator).get(edit_url(us_customer)).content.decode()
    section = html[html.index('id="removed-values"') :]
    section = section[: section.index("</ul>")]
    assert "Removed permanently" in section
    assert "(313) 555-0142" in section and "removed from Cell" in section
    assert removed_by(removed_cell) in section
    assert timezone.localtime(removed_cell.created_at).strftime("%Y-%m-%d %H:%M") in section
    assert f'href="{lift_url(us_customer, removed_cell)}"' in section


def test_lift_confirm_then_reason_required_then_lifted_and_the_value_can_be_entered_again(
    client_for, coordinator, us_customer, removed_cell
):
    client = client_for(coordinator)
    url = lift_url(us_customer, removed_cell)
    before = _state(us_customer)

    confirm = client.get(url)
    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert "Lift the removal of (313) 555-0142?" in page and "csrfmiddlewaretoken" in page
    assert _state(us_customer) == before  # a GET changes nothing

    missing = client.post(url, {"reason": "   "})
    assert missing.status_code == 400
    assert missing.context["form"].errors["reason"] == ["Say why the removal is lifted."]
    assert 'id="id_reason_error"' in missing.content.decode()
    assert _state(us_customer) == before

    lifted = client.post(url, {"reason": "Customer asked <b>to be called</b> again"})
    assert lifted.status_code == 302 and lifted["Location"].endswith("#contact-information")
    assert not Suppression.objects.filter(pk=removed_cell.pk).exists()
    entry = CustomerHistory.objects.filter(customer=us_customer).order_by("-created_at", "-id").first()
    assert (entry.action, entry.actor, entry.changes) == (AuditAction.SUPPRESSION_LIFT, coordinator, [])
    assert entry.note == "Removal of Cell (313) 555-0142 lifted: Customer asked <b>to be called</b> again"

    html = client.get(edit_url(us_customer)).content.decode()
    history = html[html.index('id="history-table"') :]
    assert "Removal lifted" in history
    assert "Removal of Cell (313) 555-0142 lifted: Customer asked &lt;b&gt;to be called&lt;/b&gt; again" in history
    assert 'data-removed="' not in html and 'id="removed-values-heading"' not in html  # the list is empty

    saved = client.post(edit_url(us_customer), form_data(client, us_customer, home_phone="(313) 555-0142"))
    assert saved.status_code == 302
    assert Customer.objects.get(pk=us_customer.pk).home_phone == "+13135550142"
    assert client.get(url).status_code == 404  # lifted once


def test_lift_is_404_for_a_suppression_of_another_customer(client_for, coordinator, us_customer, us_store, ca_store):
    client = client_for(coordinator)
    same_store = SuppressionFactory(customer=CustomerFactory(dealership=us_store))
    other_store = SuppressionFactory(customer=CustomerFactory(dealership=ca_store))
    before = _state(us_customer)
    for suppression in (same_store, other_store):
        url = lift_url(us_customer, suppression)
        assert client.get(url).status_code == 404
        assert client.post(url, {"reason": "x"}).status_code == 404
    assert _state(us_customer) == before


def test_lift_on_a_foreign_stores_customer_is_404_and_changes_nothing(client_for, us_coordinator, ca_customer):
    suppression = SuppressionFactory(customer=ca_customer)
    client = client_for(us_coordinator)
    before = _state(ca_customer)
    url = lift_url(ca_customer, suppression)
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "x"}).status_code == 404
    assert _state(ca_customer) == before


def test_the_x_with_js_returns_the_removed_list(client_for, coordinator, us_customer):
    client = client_for(coordinator)
    url = reverse("customers:remove", args=[us_customer.pk, "email1"])
    data = client.post(url, {"value": us_customer.email1}, HTTP_X_REQUESTED_WITH="fetch").json()
    assert data["ok"] and 'id="removed-values"' in data["removed_html"]
    assert us_customer.email1 in data["removed_html"] and "/lift/" in data["removed_html"]
