"""OpenAPI generation (drf-spectacular): every operation documents the error responses it
can give, all in the one error body; API keys appear as HTTP bearer authentication."""

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension

from . import idempotency
from .serializers.common import ErrorSerializer

_ERRORS = {
    "400": "Invalid request (field errors in details).",
    "401": "Missing, invalid or revoked API key.",
    "403": "Your role does not allow this.",
    "404": "No such object, or not one you can see.",
    "409": "Conflicts with the current state (e.g. a recalculation is already running).",
    "413": "Request body too large.",
    "415": "Send JSON (Content-Type: application/json).",
    "422": "Idempotency-Key reused for a different request.",
    "429": "Too many requests; retry after the Retry-After header's seconds.",
}
_WITH_BODY = {"POST", "PUT", "PATCH"}


class AutoSchema(openapi.AutoSchema):
    def _error_codes(self):
        codes = ["401", "403", "429"]
        if "{" in self.path:
            codes.append("404")
        if self.method in _WITH_BODY:
            codes += ["400", "413", "415"]
        elif self.method == "GET":
            codes.append("400")
        if any(
            getattr(parameter, "name", None) == idempotency.HEADER
            for parameter in self.get_override_parameters()
        ):
            codes.append("422")
        return sorted(codes)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(ErrorSerializer, code)
                responses[code]["description"] = _ERRORS[code]
        return responses


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.keys.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key from your profile page: `Authorization: Bearer crm_…`.",
        }
