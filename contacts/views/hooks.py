"""Signed webhooks from outside services. The only views that skip login and CSRF: the signature is the auth.

The bounce webhook authenticates a request from its headers and raw bytes alone (contacts.webhook_signature):
the store is named in `X-DealerMine-Store`, the provider signs `<timestamp>.<body>`, and a timestamp outside the
window is refused, so a captured request cannot be replayed later. Only then is the body parsed as JSON.
"""

import json
import logging
import time

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from customers.models import Dealership

from ..services.bounces import bounce_webhook_ingest
from ..webhook_signature import (
    REMOVED_SCHEME,
    SCHEME,
    SIGNATURE_HEADER,
    STORE_HEADER,
    TIMESTAMP_HEADER,
    TIMESTAMP_RE,
    signature_matches,
)

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _authenticate(request, body: bytes):
    """(store, None) for a correctly signed, fresh request; else (None, the error response)."""
    code = request.headers.get(STORE_HEADER, "").strip()
    timestamp = request.headers.get(TIMESTAMP_HEADER, "").strip()
    signature = request.headers.get(SIGNATURE_HEADER, "").strip()
    if signature.lower().startswith(REMOVED_SCHEME):
        return None, _error(
            401,
            f"The body-only '{REMOVED_SCHEME}' signature was removed: send {STORE_HEADER} and {TIMESTAMP_HEADER} "
            f"and sign '<timestamp>.<body>' ({SCHEME}...); see docs/CONTACTS.md.",
        )
    if not code or not TIMESTAMP_RE.fullmatch(timestamp) or not signature.lower().startswith(SCHEME):
        return None, _error(401, f"Missing or malformed {STORE_HEADER}, {TIMESTAMP_HEADER} or {SIGNATURE_HEADER}.")
    dealership = Dealership.objects.filter(code=code, is_active=True).first()
    # Unknown store, store without a secret and wrong signature look the same from outside.
    if dealership is None or not dealership.bounce_webhook_secret:
        return None, _error(401, "Invalid signature.")
    secret = dealership.bounce_webhook_secret
    if not signature_matches(secret=secret, timestamp=timestamp, body=body, signature=signature):
        return None, _error(401, "Invalid signature.")
    window = settings.BOUNCE_WEBHOOK_TOLERANCE_SECONDS
    if abs(time.time() - int(timestamp)) > window:
        return None, _error(401, f"Timestamp outside the {window}-second window: a replay, or a clock that is off.")
    return dealership, None


@csrf_exempt
@login_not_required
@require_POST
def bounce_webhook_view(request):
    """POST /hooks/email/bounces/ - a batch of bounce events for one store (format in docs/CONTACTS.md)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _error(400, "Invalid Content-Length.")
    if declared > MAX_BODY_BYTES:
        return _error(413, f"Body too large: at most {MAX_BODY_BYTES} bytes.")
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        return _error(413, f"Body too large: at most {MAX_BODY_BYTES} bytes.")

    dealership, refused = _authenticate(request, body)
    if refused is not None:
        return refused

    try:
        payload = json.loads(body)
    except RecursionError:
        return _error(400, "Malformed JSON: nested too deeply.")
    except ValueError as exc:  # bad UTF-8, bad JSON, or an integer past Python's digit limit
        return _error(400, f"Malformed JSON: {str(exc)[:200]}")
    if not isinstance(payload, dict):
        return _error(400, "The body must be a JSON object with 'events'.")
    named = payload.get("dealership")
    if named is not None and named != dealership.code:
        return _error(400, f"The body names another store than {STORE_HEADER}.")
    events = payload.get("events")
    if not isinstance(events, list):
        return _error(400, "'events' must be a JSON array.")
    # Machine JSON: the rejected events' messages stay English whatever Accept-Language the caller sends.
    with translation.override("en"):
        result = bounce_webhook_ingest(dealership=dealership, events=events)
    logger.info(
        "bounce webhook %s: received=%s stored=%s duplicates=%s rejected=%s",
        dealership.code,
        result.received,
        result.stored,
        result.duplicates,
        len(result.rejected),
    )
    return JsonResponse(result.as_dict(), status=200)
