"""The customer's last RO date, stored: Call Select sorts by it and walks an index for it.

Computed from the customer's repair orders until now (a correlated subquery per customer: at 100,000 customers
Call Select's two RO orders took 2.0-2.6 s against 0.1-0.2 s for the orders that walk an index), it is now a
column kept by customers.services.repair_orders (the only writer) and filled here from the repair orders on
file. On PostgreSQL two indexes give a store's active customers in either RO order, customers without one last,
then by name, as customer_call_select_idx does for the star rating (0003, 0013).
"""

from django.db import migrations, models

INDEXES = {
    "customer_call_select_ro_desc_idx": (
        "(dealership_id, status, last_ro_date DESC NULLS LAST, last_name, first_name, id)"
    ),
    "customer_call_select_ro_asc_idx": (
        "(dealership_id, status, last_ro_date ASC NULLS LAST, last_name, first_name, id)"
    ),
}

FILL = (
    "UPDATE customers_customer SET last_ro_date = ("
    "SELECT MAX(ro.closed_date) FROM customers_repairorder ro WHERE ro.customer_id = customers_customer.id"
    ") WHERE EXISTS ("
    "SELECT 1 FROM customers_repairorder ro WHERE ro.customer_id = customers_customer.id "
    "AND ro.closed_date IS NOT NULL)"
)


def _forward(apps, schema_editor):
    schema_editor.execute(FILL)
    if schema_editor.connection.vendor == "postgresql":
        for name, columns in INDEXES.items():
            schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON customers_customer {columns}")


def _backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0013_call_select_sort_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="last_ro_date",
            field=models.DateField(
                blank=True,
                editable=False,
                help_text=(
                    "The newest closed date of the customer's repair orders, kept up to date whenever repair orders "
                    "are written. Call Select sorts by it."
                ),
                null=True,
                verbose_name="Last RO date",
            ),
        ),
        migrations.RunPython(_forward, _backward, elidable=False),
    ]
