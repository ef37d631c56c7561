"""dealermine.db.CompiledQuery: SQL compiled once, run with new values, rows turned into what the ORM returns."""

import json
from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Count, Value
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from customers.models import Customer
from customers.selectors.duplicates import duplicate_candidates
from customers.selectors.profile import PROFILE_QUERY, profile_queryset
from dealermine.db import CompiledQuery, Prefix
from tests.contacts.factories import EmailBounceFactory
from tests.customers.factories import (
    CustomerFactory,
    CustomerHistoryFactory,
    RepairOrderFactory,
    UserFactory,
    VehicleFactory,
)

pytestmark = pytest.mark.django_db

NAMES = CompiledQuery(
    lambda *, store_id, last, first_initial: (
        Customer.objects.filter(dealership_id=store_id, last_name=last, first_name__startswith=first_initial)
        .select_related("dealership")
        .annotate(n_vehicles=Count("vehicles"), tag=Value("x"))
        .order_by("id")
    ),
    store_id=int,
    last=str,
    first_initial=Prefix,
)


def _fields(obj):
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def _unordered(value):
    """JSON row arrays (JSONB_AGG) come in the plan's order, which two runs of the same query need not share."""
    if isinstance(value, list):
        return sorted(value, key=lambda row: json.dumps(row, sort_keys=True, default=str))
    return value


def test_the_profile_row_is_what_the_orm_returns(coordinator, ca_store):
    customer = CustomerFactory(dealership=ca_store, email1="a@example.com", labour_sales_total="1234.50")
    VehicleFactory.create_batch(2, customer=customer)
    EmailBounceFactory(dealership=ca_store, email="a@example.com", bounced_at=timezone.now() - timedelta(days=2))
    CustomerHistoryFactory(customer=customer)
    RepairOrderFactory(customer=customer)
    expected = profile_queryset().get(pk=customer.pk)

    got = PROFILE_QUERY.first(pk=customer.pk, user_id=coordinator.pk)

    assert _fields(got) == _fields(expected)
    assert _fields(got.dealership) == _fields(expected.dealership)
    assert got.merge_parent is None and got.preferred_advisor == expected.preferred_advisor
    for name in profile_queryset().query.annotations:
        assert _unordered(getattr(got, name)) == _unordered(getattr(expected, name)), name
    assert got._state.adding is False and got._state.db == "default"


def test_each_call_runs_with_its_own_values_in_one_query(us_store, ca_store):
    kim = CustomerFactory(dealership=us_store, last_name="Lee", first_name="Kim")
    VehicleFactory(customer=kim)
    CustomerFactory(dealership=us_store, last_name="Lee", first_name="Bo")
    CustomerFactory(dealership=ca_store, last_name="Lee", first_name="Kay")

    with CaptureQueriesContext(connection) as ctx:
        found = NAMES.all(store_id=us_store.pk, last="Lee", first_initial="K")
    assert len(ctx.captured_queries) == 1
    assert [c.pk for c in found] == [kim.pk]
    assert found[0].n_vehicles == 1 and found[0].tag == "x" and found[0].dealership == us_store
    assert [c.first_name for c in NAMES.all(store_id=ca_store.pk, last="Lee", first_initial="K")] == ["Kay"]
    assert NAMES.all(store_id=us_store.pk, last=None, first_initial="K") == []  # NULL matches nothing


def test_a_prefix_is_escaped_like_startswith(us_store):
    CustomerFactory(dealership=us_store, last_name="Lee", first_name="Kim")
    CustomerFactory(dealership=us_store, last_name="Lee", first_name="%nother")

    assert NAMES.all(store_id=us_store.pk, last="Lee", first_initial="%") != []
    assert [c.first_name for c in NAMES.all(store_id=us_store.pk, last="Lee", first_initial="%")] == ["%nother"]
    assert NAMES.all(store_id=us_store.pk, last="Lee", first_initial="_") == []


def test_duplicate_candidates_by_name_do_not_treat_the_initial_as_a_wildcard(coordinator, us_store):
    me = CustomerFactory(dealership=us_store, first_name="_ann", last_name="Lee", postal_code="48201")
    CustomerFactory(dealership=us_store, first_name="Bob", last_name="Lee", postal_code="48201")
    twin = CustomerFactory(dealership=us_store, first_name="_Al", last_name="LEE", postal_code="48201")

    assert [c.customer.pk for c in duplicate_candidates(user=coordinator, customer=me)] == [twin.pk]


def test_a_slot_that_never_reaches_the_sql_is_refused():
    query = CompiledQuery(lambda *, pk, unused: Customer.objects.filter(pk=pk), pk=int, unused=str)
    with pytest.raises(ImproperlyConfigured, match="unused"):
        query.all(pk=1, unused="x")


def test_only_model_querysets_qualify():
    query = CompiledQuery(lambda *, pk: Customer.objects.filter(pk=pk).values("pk"), pk=int)
    with pytest.raises(ImproperlyConfigured):
        query.all(pk=1)


def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL-only: server-side prepared statements")


def test_postgresql_prepares_the_statement_once_per_connection(us_store):
    _postgres_only()
    customer = CustomerFactory(dealership=us_store, last_name="Lee", first_name="Kim")

    def prepared():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'dm_%%'")
            return cursor.fetchone()[0]

    with CaptureQueriesContext(connection) as ctx:
        for _ in range(3):
            assert NAMES.all(store_id=us_store.pk, last="Lee", first_initial="K") == [customer]
    statements = {q["sql"].split("(")[0] for q in ctx.captured_queries}
    assert len(ctx.captured_queries) == 3 and len(statements) == 1  # the PREPARE is not a query of the page
    assert statements.pop().startswith("EXECUTE dm_")
    assert prepared() >= 1

    # A rolled-back transaction does not drop a prepared statement, and a savepoint rollback neither.
    with transaction.atomic():
        sid = transaction.savepoint()
        NAMES.all(store_id=us_store.pk, last="Lee", first_initial="K")
        transaction.savepoint_rollback(sid)
    assert NAMES.all(store_id=us_store.pk, last="Lee", first_initial="K") == [customer]


@pytest.mark.django_db(transaction=True)
def test_postgresql_prepares_it_again_on_a_new_connection(us_store):
    _postgres_only()
    customer = CustomerFactory(dealership=us_store, last_name="Lee", first_name="Kim")
    assert NAMES.all(store_id=us_store.pk, last="Lee", first_initial="K") == [customer]
    connection.close()
    assert NAMES.all(store_id=us_store.pk, last="Lee", first_initial="K") == [customer]


def test_prepared_statements_can_be_turned_off(us_store):
    customer = CustomerFactory(dealership=us_store, last_name="Lee", first_name="Kim")
    query = CompiledQuery(lambda *, pk: Customer.objects.filter(pk=pk), pk=int)
    with override_settings(DB_PREPARED_STATEMENTS=False), CaptureQueriesContext(connection) as ctx:
        assert query.all(pk=customer.pk) == [customer]
    assert ctx.captured_queries[0]["sql"].startswith("SELECT")


def test_anonymous_users_get_nothing(us_customer):
    from django.contrib.auth.models import AnonymousUser
    from django.http import Http404

    from customers.selectors.profile import customer_profile_get

    with pytest.raises(Http404):
        customer_profile_get(user=AnonymousUser(), pk=us_customer.pk)
    with pytest.raises(Http404):
        customer_profile_get(user=UserFactory(), pk=us_customer.pk)  # no membership


def test_an_id_beyond_the_column_range_is_a_404_not_a_database_error(client_for, coordinator):
    huge = 2**64
    assert client_for(coordinator).get(f"/customers/{huge}/").status_code == 404
    assert client_for(coordinator).get(f"/customers/{huge}/edit/").status_code == 404


SINCE = CompiledQuery(
    lambda *, store_id, born_after, created_before: Customer.objects.filter(
        dealership_id=store_id, birth_date__gt=born_after, created_at__lt=created_before
    ).order_by("id"),
    store_id=int,
    born_after=date,
    created_before=datetime,
)


def test_date_and_datetime_slots_take_each_calls_values(us_store):
    old, young = (CustomerFactory(dealership=us_store, birth_date=date(year, 5, 1)) for year in (1950, 1990))
    later = timezone.now() + timedelta(minutes=1)
    assert SINCE.all(store_id=us_store.pk, born_after=date(1960, 1, 1), created_before=later) == [young]
    assert SINCE.all(store_id=us_store.pk, born_after=date(1900, 1, 1), created_before=later) == [old, young]
    assert SINCE.all(store_id=us_store.pk, born_after=date(1900, 1, 1), created_before=later - timedelta(days=1)) == []
