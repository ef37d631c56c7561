"""The one-box search: what it understands, what it shows, INQ, tenancy and query counts."""

import pytest
from django.db import connection
from django.urls import reverse

from customers.context_processors import CURRENT_STORE_SESSION_KEY
from customers.models import Customer, CustomerKind, Inquiry, Relationship
from customers.selectors.search import RESULT_LIMIT, _id_parts, customer_search, search_plan
from tests.customers.factories import CustomerFactory, VehicleFactory

pytestmark = pytest.mark.django_db

SEARCH = reverse("customers:search")


def ids(outcome):
    return [r.customer.pk for r in outcome.results]


def search(user, q, **kw):
    return customer_search(user=user, query=q, **kw)


# --- classification ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "kinds"),
    [
        ("smith john", ["name"]),
        ("Smith, John", ["name"]),
        ("o'brien", ["name"]),
        ("JOHN@Example.com", ["email"]),
        ("(416) 555-0123", ["phone"]),
        ("416.555.0123", ["phone"]),
        ("5550123", ["phone", "dealermine", "dms", "vin"]),
        ("123456-4", ["dealermine", "dms"]),
        ("1HGCM82633A004352", ["dms", "vin"]),
        ("m5v-3l9", ["dms", "vin", "postal"]),
        ("M5V", ["dms", "postal"]),
        ("48226", ["dealermine", "dms", "postal"]),
        ("48226-1234", ["dms", "postal"]),
    ],
)
def test_query_is_understood(query, kinds):
    assert search_plan(query).kinds == kinds


def test_one_letter_is_not_a_name_search():
    plan = search_plan("s")
    assert plan.kinds == [] and "at least 2" in plan.message


# --- each kind of query --------------------------------------------------------------------------------------


def test_name_in_either_order_and_partial_last_name(coordinator, us_store):
    john = CustomerFactory(dealership=us_store, first_name="John", last_name="Smith")
    jane = CustomerFactory(dealership=us_store, first_name="Jane", last_name="Smithers")
    other = CustomerFactory(dealership=us_store, first_name="Smith", last_name="Jones")
    CustomerFactory(dealership=us_store, first_name="John", last_name="Brown")

    assert ids(search(coordinator, "smith john")) == [john.pk]
    assert ids(search(coordinator, "john smith")) == [john.pk]
    assert set(ids(search(coordinator, "Smith, J"))) == {john.pk, jane.pk}
    assert ids(search(coordinator, "smith, jo")) == [john.pk]
    assert set(ids(search(coordinator, "sm"))) == {john.pk, jane.pk}
    assert ids(search(coordinator, "smith jones")) == [other.pk]
    assert search(coordinator, "smith john").single_exact == john
    assert search(coordinator, "sm").single_exact is None


def test_company_name(coordinator, us_store):
    biz = CustomerFactory(dealership=us_store, first_name="", last_name="", other_name="Acme Plumbing Ltd")
    assert ids(search(coordinator, "acme plu")) == [biz.pk]


def test_phone_any_format_any_column_and_last_seven_digits(coordinator, us_store):
    home = CustomerFactory(dealership=us_store, home_phone="+14165550123", cell_phone="")
    work = CustomerFactory(dealership=us_store, work_phone="+14165550123", cell_phone="")
    fax = CustomerFactory(dealership=us_store, fax="+19055550123", cell_phone="")
    CustomerFactory(dealership=us_store, cell_phone="+14165550124")

    for q in ["(416) 555-0123", "416-555-0123", "+1 416 555 0123", "4165550123", "1-416-555-0123"]:
        assert set(ids(search(coordinator, q))) == {home.pk, work.pk}, q
    assert set(ids(search(coordinator, "555-0123"))) == {home.pk, work.pk, fax.pk}
    labels = {r.customer.pk: r.match_labels for r in search(coordinator, "555 0123").results}
    assert labels[fax.pk] == ["Phone (last digits)"]


def test_email_case_insensitive(coordinator, us_store):
    c = CustomerFactory(dealership=us_store, email1="", email2="pat.lee@mail.example.com")
    outcome = search(coordinator, "  Pat.Lee@MAIL.example.com ")
    assert ids(outcome) == [c.pk]
    assert outcome.single_exact == c


def test_dms_and_dealermine_numbers_and_prospect_form(coordinator, us_store):
    c = CustomerFactory(dealership=us_store, dms_number="500123", dealermine_number=200001)
    prospect = CustomerFactory(dealership=us_store, dms_number="", dealermine_number=200002, kind=CustomerKind.PROSPECT)
    assert ids(search(coordinator, "500123")) == [c.pk]
    assert ids(search(coordinator, "200001")) == [c.pk]
    assert ids(search(coordinator, "200002-4")) == [prospect.pk]
    assert ids(search(coordinator, "200001-4")) == []  # not a prospect
    assert search(coordinator, "500123").single_exact == c


def test_vin_full_and_last_characters(coordinator, us_store):
    owner = CustomerFactory(dealership=us_store)
    vehicle = VehicleFactory(customer=owner)
    assert ids(search(coordinator, vehicle.vin.lower())) == [owner.pk]
    for n in (6, 7, 8):
        outcome = search(coordinator, vehicle.vin[-n:])
        assert owner.pk in ids(outcome), n
    assert search(coordinator, vehicle.vin).single_exact == owner


def test_postal_code_any_spacing(coordinator, us_store, ca_store):
    toronto = CustomerFactory(dealership=ca_store, postal_code="M5V 3L9", country="CA")
    CustomerFactory(dealership=ca_store, postal_code="M5V 2T6", country="CA")
    detroit = CustomerFactory(dealership=us_store, postal_code="48226-1234")
    for q in ["M5V 3L9", "m5v3l9", "m5v-3l9", " M5V  3L9 "]:
        assert ids(search(coordinator, q)) == [toronto.pk], q
    assert len(search(coordinator, "m5v").results) == 2
    assert detroit.pk in ids(search(coordinator, "48226"))
    assert search(coordinator, "M5V 3L9").single_exact is None  # a postal code is not an identity


# --- families ------------------------------------------------------------------------------------------------


def test_duplicate_child_is_folded_under_parent_and_never_a_result(coordinator, us_store, client_for):
    parent = CustomerFactory(dealership=us_store, first_name="Ann", last_name="Parent", cell_phone="+13135550100")
    child = CustomerFactory(
        dealership=us_store,
        first_name="Anne",
        last_name="Parent",
        cell_phone="+13135550199",
        merge_parent=parent,
        merge_relationship=Relationship.DUPLICATE,
    )
    spouse = CustomerFactory(
        dealership=us_store, last_name="Parent", merge_parent=parent, merge_relationship=Relationship.SPOUSE
    )

    # The child's own phone finds the parent (search lands on the parent).
    outcome = search(coordinator, "313-555-0199")
    assert ids(outcome) == [parent.pk]
    assert outcome.results[0].duplicate_children == [child]
    assert outcome.single_exact == parent

    by_name = search(coordinator, "parent")
    assert child.pk not in ids(by_name)
    assert set(ids(by_name)) == {parent.pk, spouse.pk}

    client = client_for(coordinator)
    response = client.get(SEARCH, {"q": "parent"})
    body = response.content.decode()
    assert reverse("customers:search_open", args=[parent.pk]) in body
    assert reverse("customers:search_open", args=[child.pk]) not in body
    assert "1 merged duplicate" in body


def test_opening_a_duplicate_child_lands_on_parent(coordinator, us_store, client_for):
    parent = CustomerFactory(dealership=us_store)
    child = CustomerFactory(dealership=us_store, merge_parent=parent, merge_relationship=Relationship.DUPLICATE)
    response = client_for(coordinator).post(reverse("customers:search_open", args=[child.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:profile", args=[parent.pk])
    assert Inquiry.objects.filter(customer=parent).count() == 1
    assert not Inquiry.objects.filter(customer=child).exists()


# --- the page, INQ, redirect ---------------------------------------------------------------------------------


def test_single_exact_hit_opens_profile_and_records_inquiry(coordinator, us_store, client_for):
    """The search box POSTs: one exact hit records the INQ and opens the profile in one step."""
    c = CustomerFactory(dealership=us_store, email1="only@mail.example.com")
    client = client_for(coordinator)
    response = client.post(SEARCH, {"q": "ONLY@mail.example.com"})
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:profile", args=[c.pk])
    inquiry = Inquiry.objects.get()
    assert (inquiry.customer, inquiry.user) == (c, coordinator)

    # A double click is one inquiry.
    client.post(SEARCH, {"q": "ONLY@mail.example.com"})
    client.post(reverse("customers:search_open", args=[c.pk]))
    assert Inquiry.objects.count() == 1


def test_a_get_never_records_an_inquiry(coordinator, us_store, client_for):
    """A GET changes nothing: an image tag or a link elsewhere cannot add an INQ."""
    c = CustomerFactory(dealership=us_store, email1="only@mail.example.com")
    client = client_for(coordinator)
    listed = client.get(SEARCH, {"q": "ONLY@mail.example.com"})
    assert listed.status_code == 200, "a GET lists the single exact hit instead of opening it"
    body = listed.content.decode()
    assert f'action="{reverse("customers:search_open", args=[c.pk])}"' in body
    assert 'method="post"' in body
    assert client.get(reverse("customers:search_open", args=[c.pk])).status_code == 405
    assert not Inquiry.objects.exists()


def test_the_search_box_posts_and_lands_on_the_results_page(coordinator, us_store, client_for):
    """Several hits (or none): post/redirect/get, so the results page can be reloaded and bookmarked."""
    CustomerFactory(dealership=us_store, last_name="Quinn")
    CustomerFactory(dealership=us_store, last_name="Quinn")
    client = client_for(coordinator)
    response = client.post(SEARCH, {"q": "  quinn  "})
    assert response.status_code == 302 and response["Location"] == f"{SEARCH}?q=quinn"
    assert client.post(SEARCH, {"q": ""})["Location"] == SEARCH
    assert not Inquiry.objects.exists()


def test_result_list_shows_columns(coordinator, us_store, client_for):
    a = CustomerFactory(dealership=us_store, first_name="Zed", last_name="Quinn", city="Dearborn", dms_number="777001")
    CustomerFactory(dealership=us_store, first_name="Zoe", last_name="Quinn")
    response = client_for(coordinator).get(SEARCH, {"q": "quinn"})
    assert response.status_code == 200
    body = response.content.decode()
    for text in ("Zed Quinn", "Zoe Quinn", "777001", "Dearborn", str(a.dealermine_number), "Active", "Name"):
        assert text in body


def test_no_results_and_empty_query(coordinator, client_for):
    client = client_for(coordinator)
    assert "No customers match" in client.get(SEARCH, {"q": "zzzz"}).content.decode()
    assert client.get(SEARCH).status_code == 200


def test_nav_box_points_at_search(coordinator, client_for):
    body = client_for(coordinator).get(SEARCH).content.decode()
    assert f'method="post" action="{SEARCH}"' in body


def test_user_input_is_escaped(coordinator, client_for):
    body = client_for(coordinator).get(SEARCH, {"q": "<script>alert(1)</script>"}).content.decode()
    assert "<script>alert(1)</script>" not in body


# --- tenancy -------------------------------------------------------------------------------------------------


def test_search_is_scoped_to_the_users_stores(us_coordinator, us_store, ca_store, client_for):
    mine = CustomerFactory(dealership=us_store, last_name="Scope", cell_phone="+13135550111")
    theirs = CustomerFactory(dealership=ca_store, last_name="Scope", cell_phone="+13135550111")
    assert ids(search(us_coordinator, "scope")) == [mine.pk]
    assert ids(search(us_coordinator, "313 555 0111")) == [mine.pk]
    response = client_for(us_coordinator).get(SEARCH, {"q": "scope"})
    # one result found exactly? no: a name prefix; the list shows only the user's store
    assert reverse("customers:search_open", args=[theirs.pk]) not in response.content.decode()


def test_search_follows_the_store_switcher(coordinator, us_store, ca_store, client_for):
    us = CustomerFactory(dealership=us_store, last_name="Switcher")
    ca = CustomerFactory(dealership=ca_store, last_name="Switcher")
    client = client_for(coordinator)
    session = client.session
    session[CURRENT_STORE_SESSION_KEY] = ca_store.pk
    session.save()
    body = client.get(SEARCH, {"q": "switcher"}).content.decode()
    assert reverse("customers:search_open", args=[ca.pk]) in body
    assert reverse("customers:search_open", args=[us.pk]) not in body


def test_opening_a_foreign_customer_is_404_and_records_nothing(us_coordinator, ca_customer, client_for):
    response = client_for(us_coordinator).post(reverse("customers:search_open", args=[ca_customer.pk]))
    assert response.status_code == 404
    assert not Inquiry.objects.exists()


def test_search_requires_login(client):
    response = client.get(SEARCH, {"q": "smith"})
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- query counts --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("q", ["quinn", "313 555 01", "5550123", "48226", "M5V 3L9", "x@mail.example.com", "1HG"])
def test_search_page_query_budget(coordinator, us_store, ca_store, client_for, django_assert_max_num_queries, q):
    for i in range(12):
        parent = CustomerFactory(dealership=us_store, last_name="Quinn", cell_phone=f"+1313555010{i % 10}")
        VehicleFactory(customer=parent)
        CustomerFactory(
            dealership=us_store, last_name="Quinn", merge_parent=parent, merge_relationship=Relationship.DUPLICATE
        )
        CustomerFactory(dealership=ca_store, last_name="Quinn", postal_code="M5V 3L9")
    client = client_for(coordinator)
    session = client.session
    session[CURRENT_STORE_SESSION_KEY] = us_store.pk
    session.save()
    with django_assert_max_num_queries(8):
        response = client.get(SEARCH, {"q": q})
    assert response.status_code in (200, 302)


def test_stale_store_pick_falls_back_to_all_my_stores(coordinator, us_store, ca_store, client_for):
    c = CustomerFactory(dealership=us_store, last_name="Stale")
    client = client_for(coordinator)
    session = client.session
    session[CURRENT_STORE_SESSION_KEY] = ca_store.pk
    session.save()
    coordinator.memberships.filter(dealership=ca_store).delete()
    body = client.get(SEARCH, {"q": "stale"}).content.decode()
    assert reverse("customers:search_open", args=[c.pk]) in body


def test_large_result_sets_are_capped(coordinator, us_store):
    CustomerFactory.create_batch(5, dealership=us_store, last_name="Capped")
    outcome = customer_search(user=coordinator, query="capped", limit=3)
    assert len(outcome.results) == 3 and outcome.truncated


# --- PostgreSQL: indexes and similar names -------------------------------------------------------------------


def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL-only: pg_trgm and expression indexes")


def test_similar_name_fallback_on_postgres(coordinator, us_store):
    _postgres_only()
    c = CustomerFactory(dealership=us_store, first_name="John", last_name="Robertson")
    outcome = search(coordinator, "robertsen")
    assert ids(outcome) == [c.pk]
    assert outcome.results[0].match_labels == ["Similar name"]
    assert outcome.single_exact is None


@pytest.mark.parametrize(
    ("q", "index"),
    [
        ("5550123", "customer_cell_phone_reverse_idx"),
        ("ABC12345", "vehicle_vin_reverse_idx"),
        ("48226", "customer_postal_area_name_idx"),
        ("M5V", "customer_postal_area_name_idx"),
        ("M5V 3L9", "customer_postal_name_idx"),
    ],
)
def test_postgres_uses_the_search_indexes(q, index):
    """The expression indexes of migrations 0002 and 0015 match the SQL the selector generates (usable by the
    planner)."""
    _postgres_only()
    parts = _id_parts(Customer.objects.all(), search_plan(q), cap=RESULT_LIMIT * 4)
    union = parts[0].union(*parts[1:])
    sql, params = union.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan
