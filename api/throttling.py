"""Request rates, per API key and per user (every key and the browser session together),
and per address for anonymous requests. Rates come from settings (API_THROTTLE_*_RATE) and
are read on each request.
A throttled request gets a 429 in the common error body, with Retry-After."""

from rest_framework import throttling
from rest_framework.settings import api_settings

from .keys import ApiKey


class _SettingsRate:
    def get_rate(self):
        # DRF's own copies the rates once, at import; throttles are built per request.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


class KeyRateThrottle(_SettingsRate, throttling.SimpleRateThrottle):
    scope = "key"

    def get_cache_key(self, request, view):
        if not isinstance(request.auth, ApiKey):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}


class UserRateThrottle(_SettingsRate, throttling.SimpleRateThrottle):
    scope = "user"

    def get_cache_key(self, request, view):
        if not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AnonRateThrottle(_SettingsRate, throttling.SimpleRateThrottle):
    scope = "anon"

    def get_cache_key(self, request, view):
        if request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
