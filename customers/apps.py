from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "customers"
    verbose_name = _("Customers")

    def ready(self):
        # customers.services.language: a person's saved language moves into the session at sign-in (a signal
        # receiver). dealermine.lookups: registers the `__any_of` lookup on every field (the DMS pull's page
        # lookups use it).
        from customers.services import language  # noqa: F401
        from dealermine import lookups  # noqa: F401
