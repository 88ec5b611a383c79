"""One error body for the whole API:

    {"error": {"code": "validation_error", "message": "…", "details": {…}}}

Validation, authentication, permission, not-found, throttling and the rest all come out of
``exception_handler``, including the Django ValidationError, PermissionDenied and Http404
that services and selectors raise, and Django's RequestDataTooBig (a body over
API_MAX_REQUEST_BYTES, the one size limit: a 413). ``not_found`` and ``server_error`` give
the same shape for URLs under /api/ that no view matched and for crashes, and
``bad_request`` for requests refused before any view (``core.middleware``, or a body too
large read outside a view); other URLs keep Django's pages.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults
from rest_framework import exceptions, serializers
from rest_framework.views import exception_handler as drf_exception_handler

from core.middleware import MalformedRequest

from . import throttling
from .parsers import RequestTooLarge

API_PREFIX = "/api/"


def error_body(code, message, details=None):
    return {"error": {"code": code, "message": str(message), "details": details or {}}}


def _as_api_exception(exc):
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(detail=serializers.as_serializer_error(exc))
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        # Keep a service's explanation ("Only managers can reassign …").
        return exceptions.PermissionDenied(detail=str(exc) or None)
    if isinstance(exc, RequestDataTooBig):
        return RequestTooLarge()
    return exc


def _validation_details(detail):
    if isinstance(detail, dict):
        return detail
    return {"non_field_errors": detail}


def exception_handler(exc, context):
    exc = _as_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # A crash: Django logs it and server_error answers.
    if isinstance(exc, exceptions.ValidationError):
        body = error_body(
            "validation_error",
            _("The request is invalid; see details."),
            _validation_details(response.data),
        )
    else:
        details = {}
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            details["retry_after"] = int(exc.wait + 0.999)
        extra = getattr(exc, "details", None)
        if extra:
            details.update(extra)
        detail = exc.detail if isinstance(exc.detail, str) else exc.default_detail
        body = error_body(getattr(detail, "code", None) or exc.default_code, detail, details)
    response.data = body
    return response


def _json(body, *, status):
    """An error body as DRF renders the API's others: UTF-8, not \\u escapes (the messages
    are in the caller's language)."""
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def not_found(request, exception):
    if request.path.startswith(API_PREFIX):
        response = _json(
            error_body("not_found", _("No such API endpoint: %(path)s") % {"path": request.path}),
            status=404,
        )
        throttling.add_headers(response, throttling.count_unrouted(request))
        return response
    return defaults.page_not_found(request, exception)


def bad_request(request, exception):
    """A request refused before any view (``core.middleware``) says why, in the API's body
    under /api/ and on a page elsewhere; other 400s (Django's own, such as a disallowed
    host) keep Django's page, whose text reveals nothing."""
    if isinstance(exception, RequestDataTooBig) and request.path.startswith(API_PREFIX):
        too_large = RequestTooLarge()
        return _json(
            error_body(too_large.default_code, too_large.detail), status=too_large.status_code
        )
    if not isinstance(exception, MalformedRequest):
        return defaults.bad_request(request, exception)
    if request.path.startswith(API_PREFIX):
        code = "length_required" if exception.status_code == 411 else "bad_request"
        return _json(error_body(code, exception), status=exception.status_code)
    body = render_to_string("400.html", {"message": str(exception)})
    return HttpResponse(body, status=exception.status_code)


def server_error(request):
    if request.path.startswith(API_PREFIX):
        return _json(
            error_body("server_error", _("Something went wrong on our side; it has been logged.")),
            status=500,
        )
    return defaults.server_error(request)


class Conflict(exceptions.APIException):
    """409, with ``details`` (e.g. the run already in progress) in the error body."""

    status_code = 409
    default_detail = gettext_lazy("The request conflicts with the current state.")
    default_code = "conflict"

    def __init__(self, detail=None, *, details=None):
        super().__init__(detail)
        self.details = details or {}


class ItemErrors(exceptions.ValidationError):
    """A bulk request's 400: {"items": [{"index": 3, "errors": {field: [messages]}}]}.
    Set directly, so the indices stay numbers (DRF would turn them into strings)."""

    def __init__(self, items):
        super().__init__()
        self.detail = {"items": items}
