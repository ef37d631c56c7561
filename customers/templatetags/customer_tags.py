from functools import lru_cache

from django import template
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.translation import get_language

from contacts.models import ConsentBasis
from customers.phones import phone_display

register = template.Library()

ICONS_TEMPLATE = "customers/partials/profile_svg.html"


@register.filter
def phone(value):
    return phone_display(value)


@register.filter
def consent_basis_label(value):
    """The label of a stored consent basis code (contacts.models.ConsentBasis), in the reader's language; an unknown
    code as stored."""
    return ConsentBasis(value).label if value in ConsentBasis.values else value


@register.simple_tag
def icon(name, level=None, label=None):
    """One of the profile's inline SVG icons (customers/partials/profile_svg.html).

    The markup depends on these arguments only, so each variant is rendered once per process: the profile shows
    dozens of icons (one per contact method and per vehicle contact type), and an `{% include %}` each cost more
    than the rest of the row. Rendered every time under DEBUG so edits to the partial show without a restart.
    """
    if settings.DEBUG:
        return _icon_render(name, level, label)
    return _icon_cached(name, level, label)


def _icon_render(name, level, label):
    return render_to_string(ICONS_TEMPLATE, {"name": name, "level": level, "label": label})


_icon_cached = lru_cache(maxsize=64)(_icon_render)


INDICATOR_TEMPLATE = "customers/partials/contact_method_indicator.html"
NOTE_TEMPLATE = "customers/partials/contact_method_note.html"


@register.simple_tag
def contact_method_indicator(m):
    """The contactability indicator of one contact method (customers/partials/contact_method_indicator.html), for a
    ContactMethodState `m`. See `_method_partial`."""
    return _method_partial(INDICATOR_TEMPLATE, m, detail=False)


@register.simple_tag
def contact_method_note(m):
    """Why a contact method cannot be used now, beside its value (customers/partials/contact_method_note.html)."""
    return _method_partial(NOTE_TEMPLATE, m, detail=True)


def _method_partial(template_name, m, *, detail: bool):
    """The two partials read only the state's status, label, why and detail, so each variant is rendered once per
    process, like `icon`: the profile and Customer Information show them per contact method, where an
    `{% include %}` each cost as much as the markup itself (callgrind, 10k customers on PostgreSQL, against the
    code before the contactability indicators: profile +10.2% instructions per request with includes, +4.5% with
    this; Customer Information +1.1% -> +0.2%). Rendered every time under DEBUG.

    The partials' own words are translated, so the key holds the active language; the label (a lazy choice label)
    is keyed by its text in that language."""
    if not m:
        return ""
    key = (template_name, get_language(), m.status, str(m.label), str(m.why), str(m.detail) if detail else "")
    return _method_partial_render(*key) if settings.DEBUG else _method_partial_cached(*key)


def _method_partial_render(template_name, language, status, label, why, detail):
    # `language` only keys the cache: render_to_string renders in the active language, the one in the key.
    m = {"status": status, "label": label, "why": why, "detail": detail}
    return render_to_string(template_name, {"m": m})


_method_partial_cached = lru_cache(maxsize=256)(_method_partial_render)
