"""PostgreSQL: the planner knows how selective an email or phone lookup is, although their indexes are partial.

Without expression statistics (migration 0006) it guessed 0.5% of the table for `lower(email1) = ...`, and the
profile's duplicate-candidates query walked the whole store in name order: 3 s a page at 1M customers.
"""

import json

import pytest
from django.db import connection

from customers.models import Customer

pytestmark = pytest.mark.django_db

N = 2000


def _estimated_rows(where: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) SELECT id FROM customers_customer WHERE {where}")  # noqa: S608
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return plan[0]["Plan"]["Plan Rows"]


@pytest.fixture
def analyzed_store(us_store):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL-only: planner statistics")
    Customer.objects.bulk_create(
        [
            Customer(
                dealership=us_store,
                dealermine_number=i + 1,
                dms_number=f"S{i}",
                last_name=f"Name{i % 300}",
                email1=f"person{i}@example.com",
                email2=f"other{i}@example.com" if i % 10 == 0 else "",
                home_phone=f"+1734{i:07d}",
                other_name=f"Company {i}" if i % 7 == 0 else "",
            )
            for i in range(N)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")
    return us_store


def test_email_phone_and_company_lookups_are_estimated_from_statistics(analyzed_store):
    default_guess = 0.005 * N  # what the planner assumes for an expression it knows nothing about
    assert _estimated_rows("lower(email1::text) = 'person7@example.com' AND email1 <> ''") < default_guess / 3
    assert _estimated_rows("lower(email2::text) = 'other10@example.com' AND email2 <> ''") < default_guess / 3
    assert _estimated_rows("reverse(home_phone::text) LIKE '7000%' AND home_phone <> ''") < default_guess / 3
    assert (
        _estimated_rows("(lower(other_name::text) COLLATE \"C\") LIKE 'company 14%' AND other_name <> ''")
        < default_guess / 3
    )
