from functools import lru_cache

from django import template
from django.conf import settings
from django.template.loader import render_to_string

from customers.phones import phone_display

register = template.Library()

ICONS_TEMPLATE = "customers/partials/profile_svg.html"


@register.filter
def phone(value):
    return phone_display(value)


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
