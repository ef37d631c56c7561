from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DmsSyncConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "dms_sync"
    verbose_name = _("DMS sync")
