# Audit log: declared action kinds, raw change values, and the Turn Off history moved from contacts.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('customers', '0007_trigram_gin'),
        ('contacts', '0002_lean_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='customerhistory',
            name='action',
            field=models.CharField(choices=[('create', 'Created'), ('update', 'Updated'), ('remove', 'Removed permanently'), ('verify', 'Verified Info'), ('status', 'Status'), ('contact_method', 'Contact method'), ('preferred_method', 'Preferred method'), ('vin_contact_type', 'VIN contact type'), ('association_add', 'Association added'), ('association_remove', 'Association removed'), ('merge', 'Merge'), ('unmerge', 'Unmerge'), ('email_consent', 'Email consent'), ('email_consent_expired', 'Email consent expired'), ('dms_update', 'DMS update'), ('dms_vehicles', 'DMS vehicles')], default='update', max_length=30),
        ),
        migrations.AlterField(
            model_name='customerhistory',
            name='changes',
            field=models.JSONField(default=list, help_text='[{field, old, new}, ...] with raw values (customers.audit).'),
        ),
        # The Turn Off history moves here from the contacts app: the model's state only; the table, its rows and
        # its indexes stay as they are (db_table keeps the old name).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='TurnOffEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('target', models.CharField(choices=[('status', 'Customer status'), ('contact_method', 'Contact method'), ('vin_contact_type', 'VIN contact type')], max_length=20)),
                        ('code', models.CharField(help_text="Which method or contact type, e.g. 'email', 'csi', 'owns'.", max_length=20)),
                        ('is_on', models.BooleanField()),
                        ('comment', models.CharField(blank=True, max_length=500)),
                        ('actor_label', models.CharField(blank=True, help_text="e.g. 'import: optouts.csv', 'DMS sync'.", max_length=120)),
                        ('created_at', models.DateTimeField()),
                        ('actor', models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('customer', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='turn_off_events', to='customers.customer')),
                        ('reason', models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='customers.turnoffreason')),
                        ('vehicle', models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='turn_off_events', to='customers.vehicle')),
                    ],
                    options={
                        'db_table': 'contacts_turnoffevent',
                        'ordering': ['-created_at', '-id'],
                        'indexes': [models.Index(fields=['customer', '-created_at'], name='turnoff_customer_recent_idx'), models.Index(condition=models.Q(('vehicle__isnull', False)), fields=['vehicle'], name='turnoff_vehicle_set_idx'), models.Index(condition=models.Q(('reason__isnull', False)), fields=['reason'], name='turnoff_reason_set_idx'), models.Index(condition=models.Q(('actor__isnull', False)), fields=['actor'], name='turnoff_actor_set_idx')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
