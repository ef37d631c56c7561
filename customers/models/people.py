from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserLanguage(models.Model):
    """The language a person chose for the app (nav switch). Without a row, their browser's language is used.

    Read once at sign-in into the session (customers.services.language), so no page pays a query for it.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="language_choice"
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)

    class Meta:
        verbose_name = _("user language")

    def __str__(self):
        return f"{self.user} ({self.language})"
