"""The API's only parser: JSON, with a size and a nesting limit, holding text only.

The size limit is API_MAX_REQUEST_BYTES, which is also Django's DATA_UPLOAD_MAX_MEMORY_SIZE
(settings): Django refuses a body declared larger before reading it (RequestDataTooBig,
which api.errors answers with this module's 413), and the parser checks again, reading
never more than the limit, whichever way the body arrives.
"""

import io
import json
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
        except exceptions.ParseError as error:
            raise _not_json(error) from None
        _check(data)
        return data


def _not_json(error):
    """DRF's "JSON parse error - Expecting ',' delimiter: …" is English from the json module;
    say where the body stops being JSON in the caller's language instead."""
    cause = error.__context__
    if isinstance(cause, json.JSONDecodeError):
        return exceptions.ParseError(
            _("The body is not valid JSON (line %(line)s, column %(column)s).")
            % {"line": cause.lineno, "column": cause.colno}
        )
    return exceptions.ParseError(_("The body is not valid JSON text in UTF-8."))


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
