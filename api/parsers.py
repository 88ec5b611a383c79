"""The API's only parser: JSON, with a size limit.

DRF reads the body from the request stream, which Django's DATA_UPLOAD_MAX_MEMORY_SIZE
does not cover, so the limit (API_MAX_REQUEST_BYTES) is enforced here: never more than
that many bytes are read.
"""

import io

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers


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
        return super().parse(io.BytesIO(body), media_type, parser_context)
