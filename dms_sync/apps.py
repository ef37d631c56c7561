from django.apps import AppConfig


class DmsSyncConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dms_sync"
    verbose_name = "DMS sync"
