"""OpenAPI generation (drf-spectacular): every operation documents the error responses it
can give, all in the one error body, and the headers of its answers (rate limits,
idempotent replays); its query parameters come from the same declarations the views
check them against (api.views.base); API keys appear as HTTP bearer authentication."""

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import force_instance

from . import idempotency, throttling
from .serializers.common import ErrorSerializer
from .views.base import since_query

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


def _header(description, schema_type="integer"):
    return {"schema": {"type": schema_type}, "description": description}


_RATE_LIMIT_HEADERS = {
    throttling.LIMIT_HEADER: _header(
        "Requests allowed in the current window (a minute at the default rates)."
    ),
    throttling.REMAINING_HEADER: _header("Requests left in the current window."),
    throttling.RESET_HEADER: _header("Seconds until the window ends and the count restarts."),
}
_RETRY_AFTER = {"Retry-After": _header("Seconds to wait before trying again.")}
_REPLAYED = {
    idempotency.REPLAYED_HEADER: _header(
        "`true` when this is the stored answer to an earlier request with the same "
        "Idempotency-Key; absent otherwise.",
        "string",
    )
}


class AutoSchema(openapi.AutoSchema):
    def _action_handler(self):
        action = getattr(self.view, "action", None)
        return getattr(self.view, action, None) if action else None

    def get_override_parameters(self):
        """The parameters the view accepts (api.views.base), before those of extend_schema."""
        view, action = self.view, getattr(self.view, "action", None)
        parameters = []
        query = getattr(view, "query_serializers", {}).get(action)
        if query is not None:
            parameters.append(query)
        since = getattr(view, "since_fields", None)
        if action == "list" and since:
            parameters.append(since_query(since))
        if idempotency.is_idempotent(self._action_handler()):
            parameters.append(idempotency.PARAMETER)
        return [*parameters, *super().get_override_parameters()]

    def _process_override_parameters(self, direction="request"):
        # A list filter (``tier__in=A,B``) takes its values separated by commas, so that a
        # generated client sends them so (it may also repeat the parameter).
        result = super()._process_override_parameters(direction)
        for parameter in result.values():
            if parameter and parameter["schema"].get("type") == "array":
                parameter.update(style="form", explode=False)
        return result

    def _map_basic_serializer(self, serializer, direction):
        # What a request expands (api.serializers.customers.ExpandedScoreField) is in the
        # answer only when asked for: optional, though read-only.
        schema = super()._map_basic_serializer(serializer, direction)
        fields = getattr(force_instance(serializer), "fields", {})
        expanded = {name for name, field in fields.items() if hasattr(field, "expand_name")}
        if expanded and "required" in schema:
            schema["required"] = [name for name in schema["required"] if name not in expanded]
        return schema

    def _get_response_headers_for_code(self, status_code, direction="response"):
        headers = {**super()._get_response_headers_for_code(status_code, direction)}
        headers.update(_RATE_LIMIT_HEADERS)
        if status_code == "429":
            headers.update(_RETRY_AFTER)
        elif status_code.startswith("2") and idempotency.is_idempotent(self._action_handler()):
            headers.update(_REPLAYED)
        return headers

    def _error_codes(self):
        codes = ["401", "403", "429"]
        if "{" in self.path:
            codes.append("404")
        if self.method in _WITH_BODY:
            codes += ["400", "413", "415"]
        else:
            # An unknown query parameter, a malformed filter, an Idempotency-Key.
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
