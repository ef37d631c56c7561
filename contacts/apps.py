from django.apps import AppConfig


class ContactsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "contacts"
    verbose_name = "Contacts"

    def ready(self):
        from customers.fields import register_audit_keys

        from .audit_keys import PREFIX, consent_display, consent_label

        register_audit_keys(PREFIX, label=consent_label, display=consent_display)
