"""A small fixed-window limiter for the public survey pages, on Django's cache.

Keyed by client address and link, so one noisy respondent cannot lock out another. The
count lives in the default cache: per process with the local-memory cache, shared by every
web process when CACHES points at Redis (settings do that when REDIS_URL is set).
"""

import hashlib

from django.conf import settings

from core.cache import count as cache_count

WINDOW_SECONDS = 600


def client_address(request):
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client says unless a trusted proxy
    # rewrites it, and a proxy that does should set REMOTE_ADDR itself.
    return request.META.get("REMOTE_ADDR", "")


def too_many_requests(request, signed):
    """Count this request; True when the address has used the link too often lately."""
    digest = hashlib.sha256(f"{client_address(request)}|{signed}".encode()).hexdigest()
    key = f"surveys:rate:{digest[:32]}"
    count = cache_count(key, WINDOW_SECONDS)
    # None: the cache is unreachable, or the counter expired between its two steps.
    return count is not None and count > settings.SURVEY_RATE_LIMIT
