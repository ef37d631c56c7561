"""New customer, the screen: the way in (nav, search with no or few hits), pre-fill from each kind of search, the
store, errors beside the fields, the identity check on the server (no script needed), create anyway, double
submit, tenancy and query budgets."""

import itertools
import re
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.context_processors import CURRENT_STORE_SESSION_KEY
from customers.models import Customer, CustomerHistory, CustomerKind
from tests.customers.factories import CustomerFactory, DealershipFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW = reverse("customers:new")
CHECK = reverse("customers:new_check")
SEARCH = reverse("customers:search")


def field_value(body: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', body)
    assert match, f"no input {name}"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


def selected(body: str, name: str) -> str:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', body, re.S)
    assert select, f"no select {name}"
    option = re.search(r'<option value="([^"]*)"[^>]*selected', select.group(1))
    return option.group(1) if option else ""


def form_data(body: str, **values) -> dict:
    """What the browser would post: the form's token and store, plus `values`."""
    data = {
        "token": field_value(body, "token"),
        "dealership": field_value(body, "dealership"),
        "q": field_value(body, "q"),
        "kind": "person",
        "status": "active",
    }
    data.update(values)
    return data


@pytest.fixture
def us_client(client_for, us_coordinator):
    return client_for(us_coordinator)


def open_form(client, **params):
    response = client.get(NEW, params)
    assert response.status_code == 200
    return response.content.decode()


# --- the way in ---------------------------------------------------------------------------------------------------


def test_new_customer_is_in_the_nav(us_client):
    body = us_client.get(reverse("customers:list")).content.decode()
    assert f'href="{NEW}"' in body and "New customer" in body


@pytest.mark.parametrize(("hits", "offered"), [(0, True), (3, True), (8, False)])
def test_a_search_with_no_or_few_hits_offers_new_customer_with_what_was_typed(us_client, us_store, hits, offered):
    for _ in range(hits):
        CustomerFactory(dealership=us_store, last_name="Quill")
    body = us_client.get(SEARCH, {"q": "quill"}).content.decode()
    assert (f'href="{NEW}?q=quill"' in body) is offered


# --- pre-fill from each kind of search ----------------------------------------------------------------------------


def test_a_phone_goes_to_the_phone_field(us_client):
    body = open_form(us_client, q="313.555.0177")
    assert field_value(body, "cell_phone") == "(313) 555-0177"
    assert field_value(body, "q") == "313.555.0177" and "Pre-filled from your search" in body


def test_an_email_goes_to_email_1(us_client):
    assert field_value(open_form(us_client, q="Nora@Mail.example.com"), "email1") == "nora@mail.example.com"


@pytest.mark.parametrize(
    ("q", "first", "middle", "last"),
    [
        ("nora newcomer", "Nora", "", "Newcomer"),
        ("Newcomer, Nora", "Nora", "", "Newcomer"),
        ("nora j newcomer", "Nora", "J", "Newcomer"),
        ("McAllister", "", "", "McAllister"),
    ],
)
def test_a_name_goes_to_the_name_fields(us_client, q, first, middle, last):
    body = open_form(us_client, q=q)
    assert (field_value(body, "first_name"), field_value(body, "middle_name"), field_value(body, "last_name")) == (
        first,
        middle,
        last,
    )


def test_a_postal_code_goes_to_postal_zip_with_the_place(client_for, ca_store):
    user = UserFactory()
    MembershipFactory(user=user, dealership=ca_store)
    body = open_form(client_for(user), q="m5v-3l9")
    assert field_value(body, "postal_code") == "M5V 3L9"
    assert (field_value(body, "city"), field_value(body, "state")) == ("Toronto", "ON")
    assert selected(body, "country") == "CA"


def test_a_zip_code_in_a_us_store(us_client):
    body = open_form(us_client, q="48226")
    assert field_value(body, "postal_code") == "48226" and field_value(body, "city") == "Detroit"


# --- the store ---------------------------------------------------------------------------------------------------


def test_a_user_with_several_stores_picks_one(client_for, coordinator, us_store, ca_store):
    client = client_for(coordinator)
    body = client.get(NEW, {"q": "nora"}).content.decode()
    assert 'id="store-step"' in body and ca_store.name in body and us_store.name in body
    body = open_form(client, q="nora", dealership=ca_store.pk)
    assert field_value(body, "dealership") == str(ca_store.pk) and "Another store" in body


def test_the_store_picked_in_the_switcher_is_the_current_store(client_for, coordinator, ca_store):
    client = client_for(coordinator)
    session = client.session
    session[CURRENT_STORE_SESSION_KEY] = ca_store.pk
    session.save()
    assert field_value(open_form(client), "dealership") == str(ca_store.pk)
    assert 'id="store-step"' in client.get(NEW, {"choose": 1}).content.decode()


def test_another_stores_form_is_a_404_and_nothing_is_created(us_client, us_store, ca_store):
    assert us_client.get(NEW, {"dealership": ca_store.pk}).status_code == 404
    body = open_form(us_client)
    data = form_data(body, dealership=ca_store.pk, last_name="Sneaky", cell_phone="3135550101")
    assert us_client.post(NEW, data).status_code == 404
    assert us_client.post(CHECK, {"dealership": ca_store.pk, "cell_phone": "3135550101"}).status_code == 404
    for junk in ("x", "\u00b2", "9" * 5000):  # a superscript digit; past int()'s digit limit
        assert us_client.get(NEW, {"dealership": junk}).status_code == 404
    assert not Customer.objects.filter(last_name="Sneaky").exists()


def test_a_user_without_a_store_cannot_create(client_for):
    assert client_for(UserFactory()).get(NEW).status_code == 404


# --- saving ------------------------------------------------------------------------------------------------------


def test_saving_opens_the_new_profile_with_its_number_and_entered_by(client_for, us_store):
    user = UserFactory(first_name="Casey", last_name="Morgan")
    MembershipFactory(user=user, dealership=us_store)
    client = client_for(user)
    body = open_form(client, q="313 555 0150")
    data = form_data(body, kind=CustomerKind.PROSPECT, first_name="Nora", last_name="Newcomer")
    data["cell_phone"] = field_value(body, "cell_phone")
    response = client.post(NEW, data, follow=True)
    customer = Customer.objects.get(last_name="Newcomer")
    assert response.redirect_chain == [(reverse("customers:profile", args=[customer.pk]), 302)]
    page = response.content.decode()
    assert f"{customer.dealermine_number}-4" in page and "Entered by" in page and "Casey Morgan" in page
    assert f"Created Nora Newcomer: DealerMine # {customer.dealermine_number}-4." in page
    assert re.search(r"<dt>Created</dt>\s*<dd[^>]*>[^<]*Casey Morgan", page)  # the last change is the Created entry
    edit = client.get(reverse("customers:edit", args=[customer.pk])).content.decode()
    assert 'data-history-action="create"' in edit


def test_errors_show_beside_their_fields_and_nothing_is_saved(us_client):
    body = open_form(us_client)
    data = form_data(body, last_name="Newcomer", home_phone="555", default_email="on", postal_code="m5v 3l9")
    data["country"] = "US"
    response = us_client.post(NEW, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert re.search(r'id="id_home_phone_error">Enter a valid phone number', page)
    assert re.search(r'id="id_email1_error">Email 1 is required when Default Email is checked', page)
    assert re.search(r'id="id_postal_code_error">This looks like a Canadian postal code', page)
    assert field_value(page, "token") == data["token"]  # the same form: a later save is still one file
    assert not Customer.objects.exists()


def test_a_business_without_its_company_name_is_refused_beside_the_field(us_client):
    data = form_data(open_form(us_client), kind="business", work_phone="3135550151")
    page = us_client.post(NEW, data).content.decode()
    assert 'id="id_other_name_error">Enter the company name of a business.' in page


def test_the_identity_check_runs_on_the_server_and_create_anyway_is_recorded(us_client, us_store):
    existing = CustomerFactory(dealership=us_store, first_name="Nadia", last_name="Older", cell_phone="+13135550152")
    body = open_form(us_client)
    data = form_data(body, first_name="Nora", last_name="Newcomer", home_phone="313-555-0152")
    response = us_client.post(NEW, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="identity-alert"' in page and f'data-identity-match="{existing.pk}"' in page
    assert "Same phone (313) 555-0152 (cell)" in page
    assert reverse("customers:profile", args=[existing.pk]) in page
    assert field_value(page, "confirmed") == str(existing.pk)
    assert not Customer.objects.filter(last_name="Newcomer").exists()

    data.update(confirmed=field_value(page, "confirmed"), create_anyway="1")
    response = us_client.post(NEW, data)
    created = Customer.objects.get(last_name="Newcomer")
    assert response.status_code == 302 and response["Location"] == reverse("customers:profile", args=[created.pk])
    entry = CustomerHistory.objects.get(customer=created)
    assert entry.action == "create" and "Same phone (313) 555-0152 (cell)" in entry.note
    assert any(c["field"] == "possible_duplicate" and c["new"]["customer"] == existing.pk for c in entry.changes)


def test_create_anyway_without_the_listed_files_is_not_a_confirmation(us_client, us_store):
    CustomerFactory(dealership=us_store, cell_phone="+13135550153")
    data = form_data(open_form(us_client), last_name="Newcomer", cell_phone="3135550153", create_anyway="1")
    data["confirmed"] = "999999999"
    assert us_client.post(NEW, data).status_code == 200
    assert not Customer.objects.filter(last_name="Newcomer").exists()


def test_the_same_form_posted_twice_creates_one_customer(us_client, us_store):
    data = form_data(open_form(us_client), last_name="Twice", cell_phone="3135550154")
    first = us_client.post(NEW, data)
    second = us_client.post(NEW, data, follow=True)
    customer = Customer.objects.get(last_name="Twice")
    assert first["Location"] == reverse("customers:profile", args=[customer.pk])
    assert second.redirect_chain[-1][0] == first["Location"]
    assert "already created Twice" in second.content.decode()
    assert Customer.objects.filter(dealership=us_store).count() == 1


def test_a_fresh_form_has_a_fresh_token(us_client):
    assert field_value(open_form(us_client), "token") != field_value(open_form(us_client), "token")
    data = form_data(open_form(us_client), last_name="Newcomer", cell_phone="3135550155", token="not-a-uuid")
    page = us_client.post(NEW, data).content.decode()
    assert "open New customer again" in page


def test_contact_methods_and_preferred_method_on_the_form(us_client, us_store):
    from contacts.models import ContactMethod
    from tests.customers.factories import TurnOffReasonFactory

    reason = TurnOffReasonFactory(dealership=us_store, label="Asked not to email")
    body = open_form(us_client)
    assert "Off: Asked not to email" in body
    data = form_data(body, last_name="Methods", cell_phone="3135550156", email1="m@example.com")
    data.update(method_email=str(reason.pk), preferred_contact_method="email")
    page = us_client.post(NEW, data).content.decode()
    assert 'id="id_preferred_contact_method_error">Email is turned off below' in page
    data["preferred_contact_method"] = "cell_phone"
    assert us_client.post(NEW, data).status_code == 302
    customer = Customer.objects.get(last_name="Methods")
    assert customer.preferred_contact_method == "cell_phone"
    assert ContactMethod.objects.get(customer=customer, method="email").reason == reason


# --- the live check (the script's) ---------------------------------------------------------------------------------


def test_the_live_check_lists_matches_with_reasons(us_client, us_store):
    existing = CustomerFactory(dealership=us_store, email1="", email2="pat@mail.example.com", cell_phone="")
    headers = {"HTTP_X_REQUESTED_WITH": "fetch", "HTTP_ACCEPT": "application/json"}
    answer = us_client.post(CHECK, {"dealership": us_store.pk, "email1": " PAT@mail.example.com "}, **headers).json()
    assert answer["count"] == 1
    assert (
        f'data-identity-match="{existing.pk}"' in answer["html"]
        and "Same email (pat@mail.example.com)" in answer["html"]
    )
    assert 'name="create_anyway"' not in answer["html"]  # confirming happens on Save, on the server
    clear = us_client.post(CHECK, {"dealership": us_store.pk, "cell_phone": "555"}, **headers).json()
    assert clear["count"] == 0
    assert us_client.get(CHECK, {"dealership": us_store.pk, "email1": "pat@mail.example.com"}).status_code == 200


# --- query budgets -------------------------------------------------------------------------------------------------


#: Statements of each step, whatever the store holds (the session, the user, the session refresh and the test
#: transaction's savepoints included).
#: The check reads the store's do-not-call list once a step (the contacts app registers it).
BUDGET = {"form": 10, "possible duplicates": 17, "create anyway": 18, "live check": 10}


def _steps(client, store) -> dict[str, int]:
    counts = {}
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(NEW, {"q": "313 555 0160"}).content.decode()
    counts["form"] = len(ctx)
    data = form_data(body, first_name="Nora", last_name="Budget", postal_code="48226", cell_phone="3135550160")
    with CaptureQueriesContext(connection) as ctx:
        page = client.post(NEW, data).content.decode()
    counts["possible duplicates"] = len(ctx)
    data.update(confirmed=field_value(page, "confirmed"), create_anyway="1")
    with CaptureQueriesContext(connection) as ctx:
        assert client.post(NEW, data).status_code == 302
    counts["create anyway"] = len(ctx)
    with CaptureQueriesContext(connection) as ctx:
        client.post(CHECK, {"dealership": store.pk, "cell_phone": "3135550160", "last_name": "Budget"})
    counts["live check"] = len(ctx)
    return counts


_NUMBERS = itertools.count(499_999, -1)  # factory numbers below those the screen hands out (max + 1)


def _matching(store, n):
    for i in range(n):
        CustomerFactory(
            dealership=store,
            dealermine_number=next(_NUMBERS),
            first_name="Nia",
            last_name="Budget",
            postal_code="48226",
            cell_phone="",
        )
        CustomerFactory(
            dealership=store, dealermine_number=next(_NUMBERS), cell_phone="+13135550160", email1=f"b{i}@example.com"
        )


def test_query_budget_is_constant_whatever_matches(us_client, us_store):
    _matching(us_store, 1)
    us_client.get(NEW)  # warm the connection
    few = _steps(us_client, us_store)
    _matching(us_store, 30)
    many = _steps(us_client, us_store)
    assert few == many
    assert all(few[step] <= BUDGET[step] for step in BUDGET), few


def test_the_search_page_budget_is_unchanged_by_the_new_customer_offer(
    us_client, us_store, django_assert_max_num_queries
):
    CustomerFactory(dealership=us_store, last_name="Quill")
    with django_assert_max_num_queries(8):
        body = us_client.get(SEARCH, {"q": "quill"}).content.decode()
    assert 'id="search-new-customer"' in body


def test_the_store_of_another_user_is_not_offered(client_for, us_store):
    other_store = DealershipFactory(code="other", name="Other Store")
    user = UserFactory()
    MembershipFactory(user=user, dealership=us_store)
    body = client_for(user).get(NEW).content.decode()
    assert other_store.name not in body and field_value(body, "dealership") == str(us_store.pk)
    assert uuid.UUID(field_value(body, "token"))


def test_another_stores_files_are_never_listed_by_the_identity_check(us_client, us_store, ca_store):
    foreign = CustomerFactory(dealership=ca_store, last_name="Zzforeign", cell_phone="+14165550199")
    headers = {"HTTP_X_REQUESTED_WITH": "fetch", "HTTP_ACCEPT": "application/json"}
    answer = us_client.post(CHECK, {"dealership": us_store.pk, "cell_phone": "(416) 555-0199"}, **headers).json()
    assert answer["count"] == 0 and "Zzforeign" not in answer["html"]
    data = form_data(open_form(us_client), last_name="Mine", cell_phone="(416) 555-0199")
    response = us_client.post(NEW, data)
    assert response.status_code == 302
    assert reverse("customers:profile", args=[foreign.pk]) not in response["Location"]


@pytest.mark.parametrize(
    "value",
    ["nul\x00inside\x00", "A" * 10_000, "\u202eevil\u202c %_%\\_' 100%", "<b>x</b>"],
    ids=["nul", "10k", "rtl-wildcards", "markup"],
)
def test_hostile_values_in_the_form_the_check_and_the_search_text_are_never_a_500(us_client, us_store, value):
    fields = ["q", "first_name", "last_name", "cell_phone", "email1", "postal_code", "country", "confirmed", "kind"]
    for name in fields:
        assert us_client.post(CHECK, {"dealership": us_store.pk, name: value}).status_code == 200, name
        data = form_data(open_form(us_client), **{"last_name": "Hostile", "cell_phone": "3135550161", name: value})
        assert us_client.post(NEW, data).status_code in {200, 302, 400}, name
    assert us_client.get(NEW, {"q": value}).status_code == 200
    assert us_client.get(NEW, {"dealership": value}).status_code == 404
