"""Customer Information's query budget (issue 21): the page renders in at most 12 queries (session, user, the
nav's stores and the session save included) whatever the customer has on file, and reads contact data fresh on
every view (nothing is kept between requests)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from contacts.models import ContactMethod
from customers.models import ContactMethodKind, CustomerStatus, Relationship, VinContactType
from customers.selectors.reasons import contact_method_reasons, status_reasons, store_advisors, store_choices_get
from tests.contacts.factories import (
    ContactMethodFactory,
    DoNotCallNumberFactory,
    EmailBounceFactory,
    EmailConsentFactory,
)
from tests.customers.factories import (
    AssociationFactory,
    CustomerFactory,
    CustomerHistoryFactory,
    ServiceAdvisorFactory,
    TurnOffReasonFactory,
    VehicleContactTypeFactory,
    VehicleFactory,
    VerificationStampFactory,
)
from tests.dms_sync.factories import RemoveRequestFactory, SuppressionFactory
from tests.support.edit_form import edit_url

pytestmark = pytest.mark.django_db

QUERY_BUDGET = 12


def _full_customer(store, user, n):
    """A customer with data in every part of the page, `n` of each list."""
    reason = TurnOffReasonFactory(dealership=store)
    global_reason = TurnOffReasonFactory(dealership=None)
    retired = TurnOffReasonFactory(dealership=store, is_active=False)
    advisor = ServiceAdvisorFactory(dealership=store, is_active=False)
    ServiceAdvisorFactory.create_batch(n, dealership=store)
    customer = CustomerFactory(
        dealership=store,
        first_name="Winnifred",
        last_name="Quist",
        home_phone="+13135550111",
        work_phone="+13135550112",
        work_ext="12",
        fax="+13135550113",
        email2="second@mail.example.com",
        status=CustomerStatus.INACTIVE,
        inactive_reason=retired,
        inactivated_at=timezone.now(),
        inactivated_by=user,
        preferred_advisor=advisor,
        preferred_contact_method=ContactMethodKind.CELL_PHONE,
    )
    ContactMethodFactory(customer=customer, method=ContactMethodKind.EMAIL, reason=reason, changed_by=user)
    ContactMethodFactory(customer=customer, method=ContactMethodKind.HOME_PHONE, reason=global_reason)
    DoNotCallNumberFactory(dealership=store, number=customer.work_phone)
    for address in (customer.email1, customer.email2):
        EmailConsentFactory(customer=customer, email=address)
        EmailBounceFactory.create_batch(n, dealership=store, email=address)
    for _ in range(n):
        vehicle = VehicleFactory(customer=customer, owns=False, owns_reason=reason)
        VehicleContactTypeFactory(vehicle=vehicle, contact_type=VinContactType.CSI, reason=reason)
        VehicleContactTypeFactory(vehicle=vehicle, contact_type=VinContactType.MAINTENANCE, reason=global_reason)
        AssociationFactory(from_customer=customer)
        AssociationFactory(to_customer=customer, from_customer=CustomerFactory(dealership=store))
        VerificationStampFactory(customer=customer, verified_by=user)
        RemoveRequestFactory(customer=customer)
    for i in range(n):
        SuppressionFactory(customer=customer, value=f"+1313555{i:04d}", created_by=user)
    children = CustomerFactory.create_batch(
        n, dealership=store, merge_parent=customer, merge_relationship=Relationship.SPOUSE, merged_at=timezone.now()
    )
    duplicate = CustomerFactory(
        dealership=store, merge_parent=customer, merge_relationship=Relationship.DUPLICATE, merged_at=timezone.now()
    )
    CustomerFactory.create_batch(n, dealership=store, cell_phone=customer.cell_phone)  # merge candidates
    # History naming reason codes, advisors and merged files (each resolved without a query of its own).
    named = [
        {"field": "inactive_reason", "old": reason.pk, "new": retired.pk},
        {"field": "preferred_advisor", "old": None, "new": advisor.pk},
        {"field": "contact_method:email", "old": {"on": True}, "new": {"on": False, "reason": reason.pk}},
        *({"field": "merge_child", "old": None, "new": child.pk} for child in (*children, duplicate)),
    ]
    CustomerHistoryFactory.create_batch(60 * n, customer=customer, actor=user, changes=named)
    return customer, duplicate


def _rendered_in_budget(client, url, django_assert_max_num_queries):
    client.get(url)  # warm the connection (SQLite checks its JSON support once per connection)
    with django_assert_max_num_queries(QUERY_BUDGET):
        response = client.get(url)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("n", [1, 20])
def test_customer_information_renders_in_at_most_12_queries(
    client_for, coordinator, us_store, django_assert_max_num_queries, n
):
    customer, duplicate = _full_customer(us_store, coordinator, n)
    client = client_for(coordinator)
    url = edit_url(customer)
    response = _rendered_in_budget(client, url, django_assert_max_num_queries)
    context = response.context
    assert len(context["vin_grid"]) == n
    assert len(context["associations"]) == 2 * n
    assert len(context["remove_requests"]) == n
    assert len(context["removed_values"]) == n
    assert len(context["merge_panel"]["children"]) == n + 1
    assert len(context["merge_panel"]["candidates"]) == n
    assert context["history_page"].paginator.count == 60 * n
    assert [s.bounce_count for s in context["contact_methods"]["email_statuses"]] == [n, n]
    html = response.content.decode()
    assert "Not contactable: " in html and "Removed permanently" in html and "DMS remove requests" in html
    # The second page of history, an association search and the duplicate's page keep to the budget too.
    _rendered_in_budget(client, url + "?history_page=2", django_assert_max_num_queries)
    _rendered_in_budget(client, url + "?assoc_q=a", django_assert_max_num_queries)
    _rendered_in_budget(client, edit_url(duplicate), django_assert_max_num_queries)


def test_contact_data_is_read_fresh_on_every_view(client_for, coordinator, us_customer):
    """A removed number or a method turned back on is gone on the next page load: nothing is kept across
    requests."""
    us_customer.home_phone = "+13135550111"
    us_customer.save()
    row = ContactMethodFactory(customer=us_customer, method=ContactMethodKind.EMAIL)
    client = client_for(coordinator)
    html = client.get(edit_url(us_customer)).content.decode()
    assert 'data-method="email" data-contactable="blocked"' in html
    assert 'data-remove="home_phone"' in html
    remove = reverse("customers:remove", args=[us_customer.pk, "home_phone"])
    assert client.post(remove, {"value": us_customer.home_phone}).status_code == 302
    ContactMethod.objects.filter(pk=row.pk).update(is_on=True, reason=None)
    html = client.get(edit_url(us_customer)).content.decode()
    assert 'data-remove="home_phone"' not in html
    assert 'data-method="email" data-contactable="ok"' in html


def test_store_choices_are_the_querysets_lists_in_one_query(us_store, ca_store, django_assert_num_queries):
    """The page's one read of the store's reasons and advisors offers what the form's querysets offer, in their
    order (the form still validates a posted value through its queryset)."""
    reasons = [
        TurnOffReasonFactory(dealership=us_store, label=label, applies_to_status=i % 2 == 0, is_active=i % 3 != 0)
        for i, label in enumerate(["b", "A", "a", "Zed", "été", "e"])
    ]
    TurnOffReasonFactory(dealership=None, label="Global")
    TurnOffReasonFactory(dealership=ca_store, label="Another store's")
    advisors = [
        ServiceAdvisorFactory(dealership=us_store, name=name, is_active=active)
        for name, active in [("zoe", True), ("Al", False), ("al", True)]
    ]
    ServiceAdvisorFactory(dealership=ca_store, name="Another store's")
    with django_assert_num_queries(1):
        choices = store_choices_get(dealership=us_store)

    def shown(objects):
        return [(o.pk, str(o)) for o in objects]

    for kept in (None, reasons[0].pk, reasons[3].pk):
        assert shown(choices.status_reasons(include=kept)) == shown(status_reasons(dealership=us_store, include=kept))
    assert shown(choices.contact_method_reasons()) == shown(contact_method_reasons(dealership=us_store))
    for kept in (None, advisors[1].pk):
        assert shown(choices.store_advisors(include=kept)) == shown(store_advisors(dealership=us_store, include=kept))
