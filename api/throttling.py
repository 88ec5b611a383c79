"""Request rates, per API key and per user (every key and the browser session together),
and per address for anonymous requests. Rates come from settings (API_THROTTLE_*_RATE) and
are read on each request.

Each rate is a fixed window (a minute for ``120/min``) counted with the cache's atomic
``add`` and ``incr`` (core.cache.count: Redis ``SET NX`` and ``INCR`` in one round trip in
production, a locked dictionary in a single process): concurrent requests each get their
own number, so no more than the rate ever pass in a window. (DRF's own throttle reads a
list of times, appends and writes it back: two requests at once both read the same list
and both pass.) A request over the limit still counts, so a client hammering a closed
window does not reopen it.

Every answer under /api/ (a 401 for a refused key and a 404 for an unknown URL included)
carries ``RateLimit-Limit``, ``RateLimit-Remaining`` and
``RateLimit-Reset`` (seconds until the window ends) of the tightest rate that applies; a
throttled request gets a 429 in the common error body, with ``Retry-After``.

With the cache unreachable (core.cache answers as a dummy cache) requests go through
uncounted and without the headers.
"""

import contextlib
import math

from rest_framework import exceptions, throttling
from rest_framework.request import Request
from rest_framework.settings import api_settings

from core.cache import count as cache_count

from .keys import ApiKey

LIMIT_HEADER = "RateLimit-Limit"
REMAINING_HEADER = "RateLimit-Remaining"
RESET_HEADER = "RateLimit-Reset"


class WindowRateThrottle(throttling.SimpleRateThrottle):
    """``SimpleRateThrottle`` with an atomic counter per window instead of a history."""

    # (limit, remaining, seconds to the window's end) once the request is counted.
    state = None

    def get_rate(self):
        # DRF's own copies the rates once, at import; throttles are built per request.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        self.reset = (window + 1) * self.duration - now
        counter = f"{key}:{window}"
        # The counter outlives its window a little, so it never expires while in use.
        count = cache_count(counter, self.duration + 1, using=self.cache)
        if count is None:
            return True  # the cache is down (core.cache): let the request through
        self.state = (self.num_requests, max(self.num_requests - count, 0), self.reset)
        return count <= self.num_requests

    def wait(self):
        return self.reset


def tightest(throttles):
    """The state of the rate closest to its limit (the fewest requests left), or None."""
    states = [t.state for t in throttles if t.state is not None]
    return min(states, key=lambda state: (state[1], state[0]), default=None)


def add_headers(response, state):
    if state is None:
        return
    limit, remaining, reset = state
    response[LIMIT_HEADER] = str(limit)
    response[REMAINING_HEADER] = str(remaining)
    response[RESET_HEADER] = str(max(math.ceil(reset), 1))


class KeyRateThrottle(WindowRateThrottle):
    scope = "key"

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class UserRateThrottle(WindowRateThrottle):
    scope = "user"

    def get_cache_key(self, request, view):
        if not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AnonRateThrottle(WindowRateThrottle):
    scope = "anon"

    def get_cache_key(self, request, view):
        if request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def count(request, view=None):
    """Count ``request`` against every rate that applies to it; returns (the tightest
    state, the longest wait of the rates it exceeds, or None)."""
    throttles = [throttle() for throttle in api_settings.DEFAULT_THROTTLE_CLASSES]
    waits = [t.wait() for t in throttles if not t.allow_request(request, view)]
    return tightest(throttles), max(waits, default=None)


def count_unrouted(django_request):
    """Count a request under /api/ that no view answers (a 404): as the key, user or
    address that sent it, so its answer says where they stand too."""
    authenticators = [auth() for auth in api_settings.DEFAULT_AUTHENTICATION_CLASSES]
    request = Request(django_request, authenticators=authenticators)
    # A refused key is counted by address, as its 401 is.
    with contextlib.suppress(exceptions.APIException):
        request.user  # noqa: B018 (authenticates)
    state, _wait = count(request)
    return state
