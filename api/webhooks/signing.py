"""The signature receivers check: ``X-CRM-Signature: sha256=<hex>``, the HMAC-SHA256 with
the webhook's secret of ``<timestamp>.<body>``, where the timestamp is the
``X-CRM-Timestamp`` header (Unix seconds) and the body the exact bytes received. Signing
the timestamp too lets a receiver refuse old, replayed deliveries."""

import hashlib
import hmac

SIGNATURE_HEADER = "X-CRM-Signature"
TIMESTAMP_HEADER = "X-CRM-Timestamp"


def signature(*, secret, timestamp, body):
    message = str(int(timestamp)).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(*, secret, timestamp, body, received):
    """What a receiver does (used by our tests' receiver and shown in docs/api.md)."""
    return hmac.compare_digest(signature(secret=secret, timestamp=timestamp, body=body), received)
