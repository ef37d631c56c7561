"""Login lockout rules on top of django-axes (settings: AXES_*, docs/RELIABILITY.md "Nobody is let in").

django-axes counts failed logins in its AccessAttempt rows (one per user name + address + browser) and compares
the largest of its counters with one limit. DealerMine needs two limits:

- per **user name**, whatever the address: `AXES_FAILURE_LIMIT` (5) failures lock that name, so an attacker
  moving between addresses still gets 5 guesses, not 5 per address;
- per **address**, whatever the user names: `AXES_ADDRESS_FAILURE_LIMIT` (20), looser because a dealership's
  coordinators share one office address; it stops one address from trying a password against every name
  (password spraying).

Both count the failures of the last `AXES_COOLOFF_TIME` (30 minutes); a refused try while locked counts too.
A successful login clears that user name's failures only: logging into one's own account never clears the
failures an address made against other names.
"""

import ipaddress

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.shortcuts import render

LOCKED_BY_ATTRIBUTE = "dealermine_locked_by"


def _failures(attempts) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class UserNameAndAddressHandler(AxesDatabaseHandler):
    """AXES_HANDLER: the user-name limit, plus the looser address limit."""

    def get_failures(self, request, credentials=None) -> int:
        """Failures in user-name units: the name's own count, or the user-name limit once the address is over
        its own (looser) limit. Notes on the request which limit was reached, for the lockout page."""
        recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
        name_failures = _failures(recent.filter(username=get_client_username(request, credentials)))
        limit = settings.AXES_FAILURE_LIMIT
        if name_failures >= limit:
            setattr(request, LOCKED_BY_ATTRIBUTE, "username")
            return name_failures
        if _failures(recent.filter(ip_address=request.axes_ip_address)) >= settings.AXES_ADDRESS_FAILURE_LIMIT:
            setattr(request, LOCKED_BY_ATTRIBUTE, "address")
            return limit
        return name_failures

    def reset_user_attempts(self, request, credentials=None) -> int:
        username = get_client_username(request, credentials)
        if username is None:
            return 0
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count


def client_address(request) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the client's address.

    REMOTE_ADDR, unless `TRUSTED_PROXY_COUNT` reverse proxies stand in front of the app: then the entry of
    X-Forwarded-For that the outermost trusted proxy appended (the N-th from the right). Entries further left
    were written by the client and are never trusted; a missing or malformed entry falls back to REMOTE_ADDR.
    """
    remote = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < count:
        return remote
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the lockout page (HTTP 429), saying which limit was reached and for how long."""
    return render(
        request,
        "registration/locked_out.html",
        {
            "locked_by": getattr(request, LOCKED_BY_ATTRIBUTE, "username"),
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "address_failure_limit": settings.AXES_ADDRESS_FAILURE_LIMIT,
            "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        },
        status=429,
    )
