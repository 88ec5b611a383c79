"""The one web layer every app's views use: render a page or its htmx fragment, check a
permission, put a service's errors on a form, answer an htmx request with a redirect.

One URL serves both the whole page and the fragment an htmx swap asks for (the django-htmx
example's pattern: ``"app/page.html#partial"``). Two things make that safe:

- a history-restore request (the back button after ``hx-push-url``, when htmx's history cache
  missed) carries ``HX-Request`` too, but must get the whole page, or htmx puts the fragment
  in place of the page;
- the response varies on ``HX-Request``, so no cache (the browser's included) hands the
  fragment to a plain page load or the page to a swap.

Links that keep the current filters (pagers, sort headers, exports) build their query string
in the template with Django's ``{% querystring %}`` tag, not in the view.
"""

from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, TypeVar

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django_htmx.http import HttpResponseClientRedirect

View = TypeVar("View", bound=Callable[..., HttpResponse])


def wants_fragment(request: HttpRequest) -> bool:
    """An htmx swap wants the fragment; restoring history after a cache miss wants the page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx and not htmx.history_restore_request)


def render_page(
    request: HttpRequest,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    partial: str | None = None,
    status: int = 200,
) -> HttpResponse:
    """The whole ``template``, or only its ``{% partialdef partial %}`` for an htmx swap."""
    name = f"{template}#{partial}" if partial and wants_fragment(request) else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


def has_perms(user: Any, *perms: str) -> bool:
    return bool(user.is_authenticated and user.has_perms(perms))


def require_perms(user: Any, *perms: str) -> None:
    """403 unless the user holds every one of ``perms`` ("app_label.codename")."""
    if not has_perms(user, *perms):
        raise PermissionDenied


def permission_required(*perms: str) -> Callable[[View], View]:
    """Log-in first (a redirect to the login page), then every permission or a 403."""

    def decorator(view: View) -> View:
        @wraps(view)
        def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            require_perms(request.user, *perms)
            return view(request, *args, **kwargs)

        return login_required(checked)  # type: ignore[return-value]

    return decorator


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the field it names when the form has
    that field, else on the form as a whole, so a service may name any field it checks."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def redirect_after(request: HttpRequest, url: str) -> HttpResponse:
    """After a write: htmx follows a client redirect (a whole page), a plain form a 302."""
    return HttpResponseClientRedirect(url) if getattr(request, "htmx", None) else redirect(url)
