"""The history keys of the email consent ledger: `email_consent:<address>:<field>`, with raw values (the basis
code, ISO date-times). Registered with the field registry in ContactsConfig.ready(), so the history panel labels
and shows them like every other change, while the consent's own vocabulary stays in this app."""

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext, pgettext_lazy

from .models import ConsentBasis

PREFIX = "email_consent:"
#: The field labels a person reads in the history (the keys are stored; the labels are translated when shown).
LABELS = {
    "basis": pgettext_lazy("email consent", "Basis"),
    "source": pgettext_lazy("email consent", "Source"),
    "evidence": pgettext_lazy("email consent", "Evidence"),
    "obtained_at": pgettext_lazy("email consent", "Obtained"),
    "expires_at": pgettext_lazy("email consent", "Expires"),
    "expired_at": pgettext_lazy("email consent", "Expired"),
    "opted_out_at": pgettext_lazy("email consent", "Opted out"),
}
DATE_TIMES = {"obtained_at", "expires_at", "expired_at", "opted_out_at"}


def consent_key(email: str, name: str) -> str:
    return f"{PREFIX}{email}:{name}"


def _parts(key: str) -> tuple[str, str]:
    email, _sep, name = key[len(PREFIX) :].rpartition(":")
    return email, name


def consent_label(key: str) -> str:
    email, name = _parts(key)
    return gettext("Email consent (%(email)s): %(field)s") % {"email": email, "field": LABELS.get(name, name)}


def consent_display(key: str, raw) -> str:
    _email, name = _parts(key)
    if raw is None or raw == "":
        return gettext("Never") if name == "expires_at" else ""
    if name == "basis":
        return str(dict(ConsentBasis.choices).get(raw, raw))
    if name in DATE_TIMES:
        when = parse_datetime(str(raw))
        if when is None or timezone.is_naive(when):  # rows converted from the old format hold local text
            return str(raw)
        return date_format(timezone.localtime(when), "Y-m-d H:i")
    return str(raw)
