"""PostgreSQL: the similar-name trigram index becomes GIN (with its default fast update) instead of GiST.

Measured at 1M customers (docs/PERFORMANCE.md): the GiST index made up about a fifth of PostgreSQL's time to
load a store's customers (each insert descends and may split a GiST tree), while a GIN insert lands in the
pending list and is merged in batches. The similar-name query did not use GiST's nearest-first scan anyway at
that size: the planner took the `%` matches from a bitmap scan and sorted them, which GIN serves faster.
No model state changes: the index lives only in migrations (0002).
"""

from django.db import migrations

FORWARD = [
    "DROP INDEX IF EXISTS customer_last_name_trgm_idx",
    "CREATE INDEX customer_last_name_trgm_idx ON customers_customer USING gin (lower(last_name) gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS customer_last_name_trgm_idx",
    "CREATE INDEX customer_last_name_trgm_idx ON customers_customer USING gist (lower(last_name) gist_trgm_ops)",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0006_expression_statistics"),
    ]

    operations = [
        migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False),
    ]
