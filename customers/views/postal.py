"""The postal-code lookup Customer Information and New customer call while a code is typed (static/js/edit.js)."""

from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from ..fields import field_label
from ..postal import postal_guess_country, postal_lookup, postal_normalize


@require_GET
def postal_lookup_view(request):
    """GET /postal-codes/lookup?code=...&country=... -> city/state/county/country from offline data."""
    code = request.GET.get("code", "")[:40]
    country = request.GET.get("country", "")[:2].upper()
    result = postal_lookup(code, country)
    if result:
        return JsonResponse({"found": True, **result})
    try:
        normalized = postal_normalize(code, postal_guess_country(code) or country or None)
    except ValidationError as exc:
        return JsonResponse({"found": False, "postal_code": "", "message": " ".join(exc.messages)})
    if not normalized:
        return JsonResponse({"found": False, "postal_code": "", "message": gettext("Enter a postal or ZIP code.")})
    return JsonResponse(
        {
            "found": False,
            "postal_code": normalized,
            "message": gettext(
                "%(code)s is not in the postal data; %(city)s, %(state)s, %(county)s and %(country)s were left as "
                "they are."
            )
            % {
                "code": normalized,
                "city": field_label("city"),
                "state": field_label("state"),
                "county": field_label("county"),
                "country": field_label("country"),
            },
        }
    )
