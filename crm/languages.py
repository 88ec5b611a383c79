"""The language a signed-in user reads: the one on their profile, in every browser.

Django's LocaleMiddleware picks a language from the language cookie (set by the switcher,
``views.set_language``) or the browser's Accept-Language. For a signed-in user who chose a
language, ``user_language`` (after AuthenticationMiddleware) then activates their choice,
so it follows them to a browser that never saw the switcher. Until they choose, nothing
changes: the login page and every page follow the browser.

The choice is read once per session, not per request: at sign-in (``remember_at_login``)
or, for a session older than this code, on its first request; then the session holds it.
Switching updates the profile and the session together (``remember``). A second browser
already signed in keeps the language it had until its next sign-in.

Content-Language is LocaleMiddleware's, written from the active language as the response
passes back through it, so it names the language this middleware (or a view) activated;
its Vary: Accept-Language stays, and the session adds Vary: Cookie.
"""

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from core.languages import language_codes

from .selectors import profile_language

# The user's chosen language in their session: "" when they chose none.
SESSION_KEY = "crm_language"


def remember(request: HttpRequest, language: str) -> None:
    """Keep ``language`` ("" for none) in the session: the next requests speak it."""
    request.session[SESSION_KEY] = language


def set_cookie(response: HttpResponse, language: str) -> None:
    """The language cookie, as Django's set_language writes it; "" deletes it (the
    browser's Accept-Language decides again)."""
    if not language:
        response.delete_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
        return
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


@receiver(user_logged_in, dispatch_uid="crm.languages.remember_at_login")
def remember_at_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        remember(request, profile_language(user=user))


def user_language(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        # No session cookie, nobody signed in: not even the session is read.
        if settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_authenticated:
            language = request.session.get(SESSION_KEY)
            if language is None:  # a session from before this code: one query, then kept
                language = profile_language(user=request.user)
                request.session[SESSION_KEY] = language
            if language in language_codes():
                translation.activate(language)
                request.LANGUAGE_CODE = translation.get_language()
        return get_response(request)

    return middleware
