"""The bounce webhook's signature (docs/CONTACTS.md "Authentication"), shared by the view and the tests.

The provider names the store in a header and signs `<timestamp>.<raw body>` with that store's secret, so the
request is authenticated before a byte of the body is parsed, and a captured request stops working once its
timestamp leaves the window (BOUNCE_WEBHOOK_TOLERANCE_SECONDS, default 5 minutes, either way).

The first scheme (`X-DealerMine-Signature: sha256=<HMAC of the body alone>`, the store named inside the JSON
body) is removed: such requests are refused with a 401 that says so.
"""

import hashlib
import hmac
import re

STORE_HEADER = "X-DealerMine-Store"
TIMESTAMP_HEADER = "X-DealerMine-Timestamp"
SIGNATURE_HEADER = "X-DealerMine-Signature"
SCHEME = "v1="
REMOVED_SCHEME = "sha256="
# Unix time in whole seconds.
TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")


def signed_content(timestamp: str | int, body: bytes) -> bytes:
    return f"{timestamp}.".encode() + body


def signature_for(secret: str, timestamp: str | int, body: bytes) -> str:
    """The `X-DealerMine-Signature` value: `v1=` + hex HMAC-SHA256 of `<timestamp>.<body>` keyed with the secret."""
    return SCHEME + hmac.new(secret.encode(), signed_content(timestamp, body), hashlib.sha256).hexdigest()


def signature_matches(*, secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """Constant-time comparison of the sent signature with the expected one."""
    expected = signature_for(secret, timestamp, body)
    return hmac.compare_digest(expected.encode(), signature.strip().lower().encode())
