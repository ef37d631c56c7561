"""Signed webhooks from outside services. The only views that skip login and CSRF: the signature is the auth."""

import hashlib
import hmac
import json
import logging

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from customers.models import Dealership

from ..services.bounces import bounce_webhook_ingest

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024
SIGNATURE_HEADER = "X-DealerMine-Signature"
SIGNATURE_PREFIX = "sha256="


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def signature_for(secret: str, body: bytes) -> str:
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


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

    signature = request.headers.get(SIGNATURE_HEADER, "").strip()
    if not signature.startswith(SIGNATURE_PREFIX):
        return _error(401, "Missing or malformed signature.")
    try:
        payload = json.loads(body)
    except RecursionError:
        return _error(400, "Malformed JSON: nested too deeply.")
    except ValueError as exc:  # bad UTF-8, bad JSON, or an integer past Python's digit limit
        return _error(400, f"Malformed JSON: {str(exc)[:200]}")
    if not isinstance(payload, dict):
        return _error(400, "The body must be a JSON object with 'dealership' and 'events'.")
    code = payload.get("dealership")
    dealership = Dealership.objects.filter(code=code, is_active=True).first() if isinstance(code, str) else None
    # Unknown store, store without a secret and wrong signature look the same from outside.
    if dealership is None or not dealership.bounce_webhook_secret:
        return _error(401, "Invalid signature.")
    expected = signature_for(dealership.bounce_webhook_secret, body)
    if not hmac.compare_digest(expected.encode(), signature.lower().encode()):
        return _error(401, "Invalid signature.")

    events = payload.get("events")
    if not isinstance(events, list):
        return _error(400, "'events' must be a JSON array.")
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
