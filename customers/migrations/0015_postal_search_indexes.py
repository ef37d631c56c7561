"""PostgreSQL indexes that give a postal search's matches in name order; a no-op on SQLite (as 0002, 0013).

A postal code or prefix can match thousands of a store's customers (an urban FSA or a ZIP; a rural Canadian code
covers a whole village), and the result page shows the first ones by name (last_name, first_name, other_name, id;
customers.selectors.search). With 0002's customer_postal_pattern_idx PostgreSQL read the whole range, and the
page showed any 100 of it. Each index below ends with the page's order: a search walks it and stops at 400 rows.
- customer_postal_area_name_idx: prefix searches ("M5V", "48226"). The expression is
  customers.selectors.search.postal_area (5 characters of a code that starts with a digit, else 4: "M5V " or "48226"),
  equal to the typed prefix exactly when the code starts with it, so the search needs no LIKE beside it (a LIKE
  made the planner multiply two correlated selectivities, expect fewer rows than the limit, and sort). One index
  for Canadian and US codes: a customer's code has one entry whatever its country.
- customer_postal_name_idx: an exact code ("M5V 3L9", "48226-1234"). Its first column is 0002's index (same
  operator class), which it replaces: equality (the identity check) and prefix LIKE use it as they used that one.
Not led by the store, like 0002's name indexes: the user's stores reach the query as a subquery, and a store-led
index then reads and sorts the whole range when no store is picked (200,000 customers: 17.9 ms against 1.9 ms).

Measured on the development machine (PostgreSQL 15, 2 shared cores, warm cache): a Canadian store of 1,000,000
customers (200,000 loaded with the DMS file-drop importer, copied 5 times) beside a US store of 100,000, VACUUM
ANALYZE; the search's id query (EXPLAIN ANALYZE), then the whole customers.selectors.search.customer_search:
- FSA "L4L", 54,160 customers of the store: 71 ms (bitmap scan of the range, 17,384 pages, hash of every row) ->
  0.9 ms (index walk, 400 rows); the whole search 76 ms -> 10 ms (the fetch of the 100 files shown is the rest).
- a rural code holding 51,245 customers: 57 ms -> 0.9 ms.
- a code with 1,970 customers: 1.4 ms -> 2.7 ms, and a ZIP with 213: 0.2 ms -> 0.5 ms (the planner reads them all
  and now sorts them by name; before, it kept any 400). The whole search: about 10 ms either way.
Size at 1,100,000 customers: 52 MB + 55 MB against 7.7 MB for 0002's index (which deduplicated its few distinct
codes); copying 200,000 customers took 34-41 s with either set (no difference above the noise).
"""

from django.db import migrations

# The expression of customers.selectors.search.postal_area, as Django writes it: keep the two identical.
POSTAL_AREA = "left(postal_code, CASE WHEN postal_code ~ '^[0-9]' THEN 5 ELSE 4 END)"
NAME_ORDER = "last_name, first_name, other_name, id"

INDEXES = {
    "customer_postal_area_name_idx": f"(({POSTAL_AREA}), {NAME_ORDER})",
    "customer_postal_name_idx": f"(postal_code varchar_pattern_ops, {NAME_ORDER})",
}
REPLACED = {"customer_postal_pattern_idx": "(postal_code varchar_pattern_ops)"}


def _forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, columns in INDEXES.items():
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON customers_customer {columns}")
        for name in REPLACED:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def _backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, columns in REPLACED.items():
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON customers_customer {columns}")
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0014_customer_last_ro_date"),
    ]

    operations = [
        migrations.RunPython(_forward, _backward, elidable=False),
    ]
