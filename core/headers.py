"""Security headers Django does not set itself.

``Permissions-Policy`` (``settings.PERMISSIONS_POLICY``) switches off browser features no page
of ours uses (camera, microphone, geolocation, …), so that a script injected despite the
Content-Security-Policy, or a page that frames ours, cannot ask for them. Django 5.2 has no
setting for it; the Content-Security-Policy comes from django-csp (``csp.middleware``).
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def permissions_policy(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        policy = getattr(settings, "PERMISSIONS_POLICY", "")
        if policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = policy
        return response

    return middleware
