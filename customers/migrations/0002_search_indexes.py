"""PostgreSQL search indexes (pg_trgm, suffix and prefix lookups); a no-op on SQLite.

The expressions match the SQL that customers.selectors.search generates, so the planner can use them:
- names: btree `lower(col) COLLATE "C"` for ordered prefix search, GiST trigram for the similar-name fallback;
- phones and VINs: btree on `reverse(col)` so "last 7+ digits" / "last 6-8 VIN characters" are prefix scans;
- postal codes: `varchar_pattern_ops` for ZIP / FSA prefix search.
No model state changes: the indexes are PostgreSQL specific and live only in this migration.
"""

from django.db import migrations

PHONE_COLUMNS = ("home_phone", "work_phone", "cell_phone", "fax")

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # Prefix search on names (LIKE 'smi%'), with the C collation so one index serves both the prefix range
    # and ORDER BY: each name branch walks the index in order and stops at the page limit. Not led by the
    # store: the user's stores reach the query as a subquery, so a store-led index could not narrow the scan.
    'CREATE INDEX IF NOT EXISTS customer_search_last_first_idx ON customers_customer '
    '((lower(last_name) COLLATE "C"), (lower(first_name) COLLATE "C"))',
    'CREATE INDEX IF NOT EXISTS customer_search_other_idx ON customers_customer ((lower(other_name) COLLATE "C"))',
    # Similar-name fallback (pg_trgm): GiST serves both the `%` filter and the `<->` nearest-first order.
    "CREATE INDEX IF NOT EXISTS customer_last_name_trgm_idx ON customers_customer "
    "USING gist (lower(last_name) gist_trgm_ops)",
    # Postal / ZIP prefix search.
    "CREATE INDEX IF NOT EXISTS customer_postal_pattern_idx ON customers_customer "
    "(postal_code varchar_pattern_ops)",
    # VIN: full and last characters.
    "CREATE INDEX IF NOT EXISTS vehicle_vin_reverse_idx ON customers_vehicle "
    "(reverse((vin)::text) text_pattern_ops)",
] + [
    f"CREATE INDEX IF NOT EXISTS customer_{col}_reverse_idx ON customers_customer "
    f"(reverse(({col})::text) text_pattern_ops)"
    for col in PHONE_COLUMNS
]

BACKWARD = [
    "DROP INDEX IF EXISTS customer_search_last_first_idx",
    "DROP INDEX IF EXISTS customer_search_other_idx",
    "DROP INDEX IF EXISTS customer_last_name_trgm_idx",
    "DROP INDEX IF EXISTS customer_postal_pattern_idx",
    "DROP INDEX IF EXISTS vehicle_vin_reverse_idx",
] + [f"DROP INDEX IF EXISTS customer_{col}_reverse_idx" for col in PHONE_COLUMNS]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False),
    ]
