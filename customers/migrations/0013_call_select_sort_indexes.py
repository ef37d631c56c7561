"""PostgreSQL indexes serving Call Select's other orders; a no-op on SQLite (as 0003).

Call Select stops at the requested count only when an index gives the rows in the page's order; without one,
PostgreSQL checks every active customer of the store (a dozen correlated subqueries each) and sorts.
- star rating, low to high (`star_rating ASC NULLS LAST, last_name, first_name, id`): 0003's index read backwards
  would put the unrated first and the names backwards. 100,000 customers: 1.5 s -> 0.14 s for 50 rows.
- the never-contacted part of the recycle-date orders (by name: `last_name, first_name, id`, see
  contacts.selectors.call_select._due_page). 100,000 customers: 1.7 s -> 0.15 s for 50 rows.
(0.14-0.15 s is the whole call on the development machine, most of it building and compiling the query.)
"""

from django.db import migrations

INDEXES = {
    "customer_call_select_star_asc_idx": (
        "(dealership_id, status, star_rating ASC NULLS LAST, last_name, first_name, id)"
    ),
    "customer_call_select_name_idx": "(dealership_id, status, last_name, first_name, id)",
}


def _forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name, columns in INDEXES.items():
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON customers_customer {columns}")


def _backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0012_user_language_and_turn_off_management"),
    ]

    operations = [
        migrations.RunPython(_forward, _backward, elidable=False),
    ]
