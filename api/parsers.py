"""The API's only parser: JSON, with a size and a nesting limit, holding text only.

DRF reads the body from the request stream, which Django's DATA_UPLOAD_MAX_MEMORY_SIZE
does not cover, so the limit (API_MAX_REQUEST_BYTES) is enforced here: never more than
that many bytes are read.
"""

import io
import re

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers

# Our deepest body is a bulk request's orders' lines (4 levels); this leaves room.
MAX_DEPTH = 32
_SURROGATE = re.compile("[\ud800-\udfff]")


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = _("The request body is too large.")
    default_code = "request_too_large"


class LimitedJSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_REQUEST_BYTES
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > limit:
            raise RequestTooLarge
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise RequestTooLarge
        try:
            data = super().parse(io.BytesIO(body), media_type, parser_context)
        except RecursionError:
            raise _too_deep() from None
        _check(data)
        return data


def _check(data):
    """Refuse, without recursion, JSON nested deeper than MAX_DEPTH (a 2 kB body can nest
    1,000 levels, deeper than Python's recursion limit lets the serializers walk it) and
    strings holding a lone surrogate ("\\ud800" is valid JSON but not text: it cannot be
    stored, nor even echoed back in an error message as UTF-8)."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                raise exceptions.ParseError(
                    _("The JSON holds a lone surrogate (\\ud800 to \\udfff), which is not text.")
                )
            continue
        if isinstance(value, dict):
            children = [*value.keys(), *value.values()]
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > MAX_DEPTH:
            raise _too_deep()
        stack.extend((child, depth + 1) for child in children)


def _too_deep():
    return exceptions.ParseError(
        _("The JSON is nested more than %(depth)s levels deep.") % {"depth": MAX_DEPTH}
    )
