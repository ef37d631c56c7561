from django.apps import AppConfig


class CustomersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "customers"
    verbose_name = "Customers"

    def ready(self):
        # Registers the `__any_of` lookup on every field (the DMS pull's page lookups use it).
        from dealermine import lookups  # noqa: F401
