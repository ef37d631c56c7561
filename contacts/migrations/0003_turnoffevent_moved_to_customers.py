# The Turn Off history moved to the customers app (customers 0008), tables and data unchanged.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('contacts', '0002_lean_indexes'),
        ('customers', '0008_audit_log'),
    ]

    operations = [
        # State only: the table is customers.TurnOffEvent's now (customers 0008 keeps db_table).
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='TurnOffEvent')],
            database_operations=[],
        ),
    ]
