"""PostgreSQL statistics on the expressions the partial indexes of migration 0005 serve; a no-op on SQLite.

The planner takes an expression's statistics from an index on that expression only when the index is not
partial. Without them it guesses 0.5% of the table for `lower(email1) = '...'` (5,000 rows of a 1M-customer
store instead of one), and the duplicate-candidates query of the profile then walked the store's name index
from the start looking for 50 matches: 3 s per profile at 1M customers. Extended statistics on the
expressions (PostgreSQL 14+) give it the real distribution back without a second index.
"""

from django.db import migrations

EXPRESSIONS = {
    "customer_email1_lower_stx": "(lower(email1::text))",
    "customer_email2_lower_stx": "(lower(email2::text))",
    "customer_home_phone_rev_stx": "(reverse(home_phone::text))",
    "customer_work_phone_rev_stx": "(reverse(work_phone::text))",
    "customer_cell_phone_rev_stx": "(reverse(cell_phone::text))",
    "customer_fax_rev_stx": "(reverse(fax::text))",
    "customer_other_name_c_stx": '((lower(other_name::text) COLLATE "C"))',
}


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, expression in EXPRESSIONS.items():
        schema_editor.execute(f"CREATE STATISTICS IF NOT EXISTS {name} ON {expression} FROM customers_customer")
    schema_editor.execute("ANALYZE customers_customer")


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in EXPRESSIONS:
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0005_partial_contact_indexes"),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
