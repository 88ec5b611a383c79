"""Requests refused before any view sees them, for every page and the API alike.

- A NUL character in the path or a query parameter (``?q=a%00b``): PostgreSQL cannot store
  or compare text holding one, so a search or a filter would fail in the database (a 500)
  wherever a view passes the parameter on. Forms already refuse it in posted fields
  (``forms.CharField`` and DRF's ``CharField`` both do); query strings are read by many
  views directly, so they are checked here, once.
- A body sent with ``Transfer-Encoding: chunked``: WSGI gives Django only as many bytes as
  ``Content-Length`` says, so without one the body would silently be empty (an order
  posted that way would be read as an empty form). It is refused with 411 Length Required.

Both raise ``MalformedRequest`` (a ``BadRequest``), which Django answers through
``handler400`` (``api.errors.bad_request``): the API's JSON error body under /api/, a page
with the message elsewhere.
"""

from collections.abc import Callable

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _


class MalformedRequest(BadRequest):
    status_code = 400


class LengthRequired(MalformedRequest):
    status_code = 411


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path:
        return True
    return any(
        "\x00" in key or any("\x00" in value for value in values)
        for key, values in request.GET.lists()
    )


def reject_malformed_requests(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        if "HTTP_TRANSFER_ENCODING" in request.META:
            raise LengthRequired(
                _(
                    "Send the request body with a Content-Length header; chunked bodies are "
                    "not accepted."
                )
            )
        if _has_nul(request):
            raise MalformedRequest(_("The address contains a NUL character, which is not allowed."))
        return get_response(request)

    return middleware
