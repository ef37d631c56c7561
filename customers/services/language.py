"""A person's language: chosen in the nav, saved on their account, applied on every page without a query.

The choice lives in three places on purpose, each for one reader:
- `UserLanguage` (the database): what the person chose, for their next sign-in on any computer;
- the session: read by `dealermine.middleware.UserLanguageMiddleware` on every page (no query);
- the language cookie: read by Django's LocaleMiddleware before anyone signs in (the sign-in page), so the
  person who signed out still reads it in their language.
Before a person chooses, their browser's Accept-Language decides (LocaleMiddleware).
"""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.utils import translation

from customers.models.people import UserLanguage
from dealermine.middleware import LANGUAGE_SESSION_KEY as SESSION_KEY

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


def supported_language(code: str) -> str | None:
    """`code` as one of settings.LANGUAGES (fr, fr-FR and fr-CA -> fr-ca), or None when the app doesn't speak it."""
    try:
        return translation.get_supported_language_variant((code or "").strip().lower())
    except LookupError:
        return None


@transaction.atomic
def user_language_set(*, user, language: str) -> UserLanguage:
    """Saves `language` (a code from settings.LANGUAGES) as `user`'s choice."""
    if language not in LANGUAGE_CODES:
        raise ValueError(f"unsupported language {language!r}")
    choice, _created = UserLanguage.objects.update_or_create(user=user, defaults={"language": language})
    return choice


def saved_language(user) -> str | None:
    code = UserLanguage.objects.filter(user=user).values_list("language", flat=True).first()
    return code if code in LANGUAGE_CODES else None


@receiver(user_logged_in, dispatch_uid="customers.language.on_sign_in")
def _language_into_session(sender, request, user, **kwargs):
    """At sign-in the saved choice moves into the session (a person who never chose keeps their browser's)."""
    if request is None or not hasattr(request, "session"):
        return
    code = saved_language(user)
    if code:
        request.session[SESSION_KEY] = code
        translation.activate(code)
    else:
        request.session.pop(SESSION_KEY, None)
