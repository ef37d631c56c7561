"""Request and response hardening every view gets by construction (docs/RELIABILITY.md, "Hostile input").

`CleanInputMiddleware` is the one place where query strings, form bodies and request headers are cleaned of the
characters no database column takes: NUL (PostgreSQL refuses it in text: an HTTP 500 when a view filtered on
`?q=%00`) and lone surrogates (they cannot be encoded to UTF-8). Nobody types either, so NUL is dropped and a
surrogate becomes U+FFFD; every other character (control characters, RTL overrides, `%` and `_`) stays, is stored
as text and shown escaped. Views, forms, django-axes and the admin all read the cleaned values, so no view needs
its own check. JSON bodies (the bounce webhook) are parsed and checked by their view.

`NoStoreMiddleware` marks every response the app renders `Cache-Control: no-store` (and private, no-cache,
max-age=0): almost every page shows customers' personal data, and no browser, shared computer or proxy may keep a
copy. Static files are served by WhiteNoise before this middleware and keep their long caching.
"""

import re

from django.http import QueryDict
from django.utils import translation
from django.utils.cache import add_never_cache_headers

# NUL, and the UTF-16 surrogate range (a lone surrogate cannot be stored or even encoded as UTF-8).
REFUSED = re.compile("[\x00\ud800-\udfff]")
# Where a signed-in person's language choice is kept for the session (written by customers.services.language).
LANGUAGE_SESSION_KEY = "language"
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def clean_text(value: str) -> str:
    """`value` without NUL, with each lone surrogate replaced by U+FFFD."""
    if not REFUSED.search(value):
        return value
    return REFUSED.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", value)


def _clean_querydict(data: QueryDict) -> QueryDict:
    if not any(REFUSED.search(key) or any(REFUSED.search(v) for v in values) for key, values in data.lists()):
        return data
    cleaned = QueryDict(mutable=True, encoding=data.encoding)
    for key, values in data.lists():
        cleaned.setlist(clean_text(key), [clean_text(v) for v in values])
    cleaned._mutable = False
    return cleaned


class CleanInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.GET = _clean_querydict(request.GET)
        if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
            request.POST = _clean_querydict(request.POST)
        for key, value in list(request.META.items()):
            if key.startswith("HTTP_") and isinstance(value, str) and REFUSED.search(value):
                request.META[key] = clean_text(value)
        return self.get_response(request)


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response


class UserLanguageMiddleware:
    """A signed-in person's own language choice (kept in the session at sign-in, customers.services.language)
    wins over the browser's Accept-Language that LocaleMiddleware applied; without a choice that one stays."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        code = session.get(LANGUAGE_SESSION_KEY) if session is not None else None
        if code and code != getattr(request, "LANGUAGE_CODE", None):
            translation.activate(code)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
