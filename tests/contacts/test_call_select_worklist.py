"""Call Select as a work list: the sorts (last RO date, recycle date, star rating, both ways), why each row is
due, local time and calling hours on the page, the CSV export (formula-escaped) and the print stylesheet, and the
query budget with contact history, do-not-call numbers and repair orders on file."""

import csv
import io
from datetime import date, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from contacts.models import ContactResult
from contacts.selectors import call_select_list
from contacts.services import contact_log_record, do_not_call_add
from tests.customers.factories import CustomerFactory, RepairOrderFactory, VehicleFactory

URL = reverse("contacts:call_select")
EXPORT = reverse("contacts:call_select_export")
DETROIT = ZoneInfo("America/Detroit")
NOON = datetime(2026, 3, 11, 12, 0, tzinfo=DETROIT)


def qualifying(store, **kwargs):
    customer = CustomerFactory(dealership=store, **kwargs)
    VehicleFactory(customer=customer)
    return customer


def ro(customer, closed):
    """A repair order as its writers store it (the customer's last RO date refreshed)."""
    return RepairOrderFactory(customer=customer, closed_date=closed)


def order(user, store, sort, *, now=NOON, contact_type="maintenance"):
    rows = call_select_list(user=user, dealership_id=store.pk, contact_type=contact_type, limit=50, sort=sort, now=now)
    return [r.customer.last_name for r in rows]


def test_sort_by_last_ro_date_both_ways_customers_without_one_last(us_store, us_coordinator):
    old, new, none = (qualifying(us_store, last_name=n) for n in ("Old", "New", "None"))
    ro(old, date(2024, 5, 1))
    ro(old, None)  # an open RO has no date: not the last RO
    ro(new, date(2025, 1, 1))
    ro(new, date(2026, 2, 1))
    assert order(us_coordinator, us_store, "ro_desc") == ["New", "Old", "None"]
    assert order(us_coordinator, us_store, "ro_asc") == ["Old", "New", "None"]
    row = call_select_list(user=us_coordinator, dealership_id=us_store.pk, contact_type="csi", limit=1, now=NOON)[0]
    assert row.last_ro_date == date(2026, 2, 1)


def test_sort_by_recycle_date_both_ways_never_contacted_last(us_store, us_coordinator):
    early, late, never = (qualifying(us_store, last_name=n) for n in ("Early", "Late", "Never"))
    for customer, days in ((early, 90), (late, 40)):
        contact_log_record(
            customer=customer,
            channel="phone_out",
            result=ContactResult.NO_ANSWER,
            contact_type="maintenance",
            now=NOON - timedelta(days=days),
        )
    assert order(us_coordinator, us_store, "recycle_asc") == ["Early", "Late", "Never"]
    assert order(us_coordinator, us_store, "recycle_desc") == ["Late", "Early", "Never"]
    rows = call_select_list(
        user=us_coordinator, dealership_id=us_store.pk, contact_type="maintenance", limit=5, now=NOON
    )
    by_name = {r.customer.last_name: r for r in rows}
    assert by_name["Early"].recycled_on == (NOON - timedelta(days=60)).date()
    assert by_name["Early"].last_contact_result_label == "No answer"
    assert by_name["Never"].due_reason == "Not contacted for Maintenance yet"


def test_star_sort_still_both_ways(us_store, us_coordinator):
    for name, stars in (("Mid", 5), ("Top", 9), ("Low", 1)):
        qualifying(us_store, last_name=name, star_rating=stars)
    assert order(us_coordinator, us_store, "star_desc") == ["Top", "Mid", "Low"]
    assert order(us_coordinator, us_store, "star_asc") == ["Low", "Mid", "Top"]


def test_the_page_shows_why_due_local_time_and_flags_outside_calling_hours(client_for, coordinator, us_store):
    # 21:30 in Detroit (a customer in Michigan: outside), 18:30 in Los Angeles (a customer in California: inside).
    late = qualifying(us_store, last_name="Detroiter", state="MI")
    west = qualifying(us_store, last_name="Angeleno", state="CA")
    ro(late, date(2026, 1, 15))
    client = client_for(coordinator)
    params = {"dealership": us_store.pk, "contact_type": "maintenance", "limit": 50, "sort": "star_desc"}
    at = datetime(2026, 3, 11, 21, 30, tzinfo=DETROIT)
    with mock.patch("contacts.selectors.call_select.timezone.now", return_value=at):
        response = client.get(URL, params)
    rows = {r.customer.last_name: r for r in response.context["rows"]}
    assert not rows["Detroiter"].local_time.within_hours and rows["Angeleno"].local_time.within_hours
    body = response.content.decode()
    assert body.count("Outside calling hours") == 1 and "9:30 PM EDT" in body and "6:30 PM PDT" in body
    assert "Last RO Jan 15, 2026" in body and "Not contacted for Maintenance yet" in body
    assert "1 outside calling hours now" in body
    assert 'href="/static/css/print.css" media="print"' in body or 'media="print"' in body
    assert west.pk in {r.customer.pk for r in response.context["rows"]}


def test_csv_export_is_the_list_with_formula_cells_escaped(client_for, coordinator, us_store):
    evil = qualifying(us_store, first_name='=HYPERLINK("x")', last_name="+Sum", city="-Detroit", star_rating=9)
    plain = qualifying(us_store, first_name="Ann", last_name="Plain", city="@Troy", star_rating=2)
    ro(plain, date(2026, 1, 2))
    client = client_for(coordinator)
    params = {"dealership": us_store.pk, "contact_type": "maintenance", "limit": 50, "sort": "star_desc"}
    response = client.get(EXPORT, params)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"] and "maintenance" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["DealerMine number", "Name", "Phone"]
    assert [r[1] for r in rows[1:]] == ['\'=HYPERLINK("x") +Sum', "Ann Plain"]
    first, second = rows[1], rows[2]
    assert first[16] == "'-Detroit" and second[16] == "'@Troy"
    assert second[9] == "2026-01-02" and second[2].startswith("(313)")
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert evil.pk and len(rows) == 3


def test_csv_export_of_a_foreign_store_or_a_bad_form_lists_nobody(client_for, us_coordinator, ca_store):
    qualifying(ca_store, last_name="Zzforeign")
    client = client_for(us_coordinator)
    response = client.get(EXPORT, {"dealership": ca_store.pk, "contact_type": "maintenance", "limit": 50})
    assert response.status_code == 400 and "Zzforeign" not in response.content.decode()


def test_page_budget_holds_with_history_do_not_call_and_repair_orders(
    client_for, coordinator, us_store, django_assert_max_num_queries
):
    now = timezone.now()
    for i in range(60):
        customer = qualifying(us_store, star_rating=i % 11, state=["MI", "CA", "", "ON"][i % 4])
        ro(customer, date(2025, 1, 1) + timedelta(days=i))
        if i % 3 == 0:
            contact_log_record(
                customer=customer, channel="phone_out", result="busy", contact_type="maintenance",
                now=now - timedelta(days=45),
            )  # fmt: skip
        if i % 5 == 0:
            do_not_call_add(dealership=us_store, number=customer.cell_phone)
    client = client_for(coordinator)
    for sort in ("star_desc", "ro_asc", "recycle_desc"):
        params = {"dealership": us_store.pk, "contact_type": "maintenance", "limit": 50, "sort": sort}
        with django_assert_max_num_queries(10):
            response = client.get(URL, params)
        assert len(response.context["rows"]) == 50
        with django_assert_max_num_queries(10):
            assert client.get(EXPORT, params).status_code == 200


@pytest.mark.parametrize("sort", ["star_desc", "star_asc", "ro_desc", "ro_asc", "recycle_asc", "recycle_desc"])
def test_every_sort_is_offered_by_the_form(client_for, us_coordinator, us_store, sort):
    qualifying(us_store)
    params = {"dealership": us_store.pk, "contact_type": "csi", "limit": 10, "sort": sort}
    response = client_for(us_coordinator).get(URL, params)
    assert response.status_code == 200 and len(response.context["rows"]) == 1


@pytest.mark.parametrize("sort", ["star_desc", "ro_asc", "recycle_desc"])
def test_eligibility_is_one_query_with_call_backs_first(us_store, us_coordinator, sort):
    """Call backs due and the rest of the page come from one statement (a UNION ALL of two ordered parts on
    PostgreSQL), call backs first whatever the sort."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    now = timezone.now()
    rest = [qualifying(us_store, star_rating=i, last_name=f"Rest{i}") for i in range(4)]
    call_backs = [qualifying(us_store, star_rating=0, last_name=f"Back{i}") for i in range(2)]
    for days, customer in zip((3, 1), call_backs, strict=True):
        contact_log_record(
            customer=customer, channel="phone_out", result=ContactResult.CALL_BACK, contact_type="maintenance",
            call_back_on=(now - timedelta(days=days)).astimezone(DETROIT).date(), now=now - timedelta(days=10),
        )  # fmt: skip
    from contacts.selectors.call_select import call_select_stores

    store = call_select_stores(user=us_coordinator).get(pk=us_store.pk)
    with CaptureQueriesContext(connection) as queries:
        rows = call_select_list(
            user=us_coordinator, dealership_id=us_store.pk, contact_type="maintenance", limit=5, sort=sort,
            now=now, store=store,
        )  # fmt: skip
    # One statement besides the transaction around it (SET LOCAL jit); on PostgreSQL the EXECUTE of the prepared
    # statement (dealermine.db.CompiledQuery).
    control = ("BEGIN", "COMMIT", "SET ", "SAVEPOINT", "RELEASE")
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(control)]
    assert len(statements) == 1, statements
    names = [row.customer.last_name for row in rows]
    assert names[:2] == ["Back0", "Back1"]  # the oldest call-back date first
    assert len(names) == 5 and set(names[2:]) <= {c.last_name for c in rest}


@pytest.mark.django_db
def test_on_postgresql_the_usable_method_checks_are_probed_per_row_not_hashed(us_store, us_coordinator):
    """The EXISTS checks inside the usable-method OR tree carry OFFSET 0, which keeps PostgreSQL from turning them
    into hashed subplans that read every turned-off method of the database once per list (at 1,000,000 customers
    110 of the query's 160 ms; contacts.selectors.call_select_query.ProbedExists)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL planner matter")
    qualifying(us_store)
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # the list's statement is prepared again, so its text shows below
    from dealermine import db

    db._PREPARED.clear()
    with CaptureQueriesContext(connection) as queries:
        call_select_list(user=us_coordinator, dealership_id=us_store.pk, contact_type="csi", limit=7, now=NOON)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        statements = [row[0] for row in cursor.fetchall()]
    listing = [s for s in statements if "contacts_contactmethod" in s] or [q["sql"] for q in queries.captured_queries]
    sql = max(listing, key=len)
    for table in ("contacts_contactmethod", "contacts_donotcallnumber", "contacts_emailconsent"):
        checks = sql.split(f'FROM "{table}"')[1:]
        assert checks and all(" OFFSET 0)" in check.split("EXISTS")[0] for check in checks), table
