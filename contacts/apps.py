from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "contacts"
    verbose_name = _("Contacts")

    def ready(self):
        from customers.fields import register_audit_keys

        from .audit_keys import PREFIX, consent_display, consent_label

        register_audit_keys(PREFIX, label=consent_label, display=consent_display)

        # The New customer screen (customer core, below this app) flags a number on the store's do-not-call list.
        from customers.selectors.identity import do_not_call_lookup_register

        from .selectors.do_not_call import do_not_call_listed

        do_not_call_lookup_register(do_not_call_listed)
