"""OpenAPI generation (drf-spectacular), for people reading /api/docs/ and for generated
SDKs (tests/api/test_generated_client.py builds one and syncs with it):

- every operation documents the error responses it can give, all in the one error body
  (with an example each), and the headers of its answers (rate limits, idempotent replays,
  Location of what a POST created);
- its query parameters come from the same declarations the views check them against
  (api.views.base); API keys appear as HTTP bearer authentication;
- one type per field: path ids are integers, a blank-able email or URL is a string with a
  pattern (not a oneOf that an empty string matches twice), a blank-able choice is one enum
  holding "" (``postprocess``);
- every operation and property has a description (``postprocess`` checks none is left
  without one, falling back on the model field's name);
- the webhook deliveries are OpenAPI 3.1 ``webhooks`` (``WEBHOOKS``).
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import force_instance
from drf_spectacular.utils import OpenApiResponse, OpenApiWebhook, extend_schema
from rest_framework import serializers

from . import idempotency, throttling
from .serializers.common import MAX_ID, ErrorSerializer
from .serializers.customers import CustomerSerializer
from .serializers.orders import OrderSerializer
from .serializers.surveys import ResponseSerializer
from .serializers.webhooks import (
    EventEnvelopeSerializer,
    TierChangeSerializer,
    TombstoneSerializer,
)
from .views.base import FIELD_SELECTION_ACTIONS, ApiViewSet, FieldsQuery, since_query
from .webhooks.models import EVENT_TYPES

_ERRORS = {
    "400": "Invalid request (field errors in details).",
    "401": "Missing, invalid or revoked API key.",
    "403": "Your role does not allow this.",
    "404": "No such object, or not one you can see.",
    "409": "Conflicts with the current state (a recalculation already running, a customer "
    "with orders to delete: see the error's message and details).",
    "413": "Request body too large.",
    "415": "Send JSON (Content-Type: application/json).",
    "422": "Idempotency-Key reused for a different request.",
    "429": "Too many requests; retry after the Retry-After header's seconds.",
}
_WITH_BODY = {"POST", "PUT", "PATCH"}


def _error_example(code, message, details=None):
    return {"error": {"code": code, "message": message, "details": details or {}}}


_ERROR_EXAMPLES = {
    "400": _error_example(
        "validation_error",
        "The request is invalid; see details.",
        {"name": ["This field may not be blank."]},
    ),
    "401": _error_example("not_authenticated", "Authentication credentials were not provided."),
    "403": _error_example(
        "permission_denied", "You do not have permission to perform this action."
    ),
    "404": _error_example("not_found", "Not found."),
    "409": _error_example("conflict", "A recalculation is already queued or running.", {"run": 7}),
    "413": _error_example("request_too_large", "The request body is too large."),
    "415": _error_example(
        "unsupported_media_type", 'Unsupported media type "text/plain" in request.'
    ),
    "422": _error_example(
        "idempotency_key_reused",
        "This Idempotency-Key was already used for a different request. Use a new key for a "
        "new request.",
    ),
    "429": _error_example(
        "throttled", "Request was throttled. Expected available in 18 seconds.", {"retry_after": 18}
    ),
}


def _header(description, schema_type="integer", **extra):
    return {"schema": {"type": schema_type}, "description": description, **extra}


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
_LOCATION = {
    "Location": _header(
        "The URL of the object created (its `id` is in the body too).", "string", required=True
    )
}
# What a view may answer besides success, whatever it declares (api.views.base.ApiViewSet).
_DESCRIBED_ACTIONS = {
    "list": "Follow `next` until it is null for every row. A query parameter the list does "
    "not take is a 400 naming it.",
    "retrieve": "404 when there is no such object or you may not see it.",
    "create": "Answers 201 with the object created and its URL in `Location`. Send an "
    "`Idempotency-Key` so that a retry cannot create it twice.",
    "partial_update": "Changes only the fields given (PATCH) and answers with the whole object.",
    "destroy": "Answers 204 without a body.",
}


class AutoSchema(openapi.AutoSchema):
    def _is_api_view(self):
        # The webhooks' mocked views (deliveries we send) answer none of the API's errors.
        return isinstance(self.view, ApiViewSet)

    def get_description(self):
        description = super().get_description()
        if description or not self._is_api_view():
            return description
        action = getattr(self.view, "action", None)
        summary = self.get_summary() or ""
        default = _DESCRIBED_ACTIONS.get(action)
        if default is None:
            return f"{summary}." if summary else ""
        return f"{summary}. {default}" if summary else default

    def _resolve_path_parameters(self, variables):
        # The router's ``\d+`` reads as a string with a pattern; an id is a number (a
        # generated SDK's customers_retrieve(id=1) must take an int).
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            schema = parameter["schema"]
            if schema.get("type") == "integer" or schema.get("pattern") in (r"^\d+$", r"\d+"):
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
            if not parameter.get("description"):
                parameter["description"] = "The id of the object (a whole number from 1)."
        return parameters

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if not isinstance(schema, dict):
            return schema
        if isinstance(field, serializers.ListSerializer):
            # ``many=True, min_length=1``: drf-spectacular leaves the bounds out.
            if field.min_length is not None:
                schema["minItems"] = field.min_length
            if field.max_length is not None:
                schema["maxItems"] = field.max_length
        elif isinstance(field, serializers.DecimalField) and "string" in _types(schema):
            schema["pattern"] = _decimal_pattern(field)
        return schema

    def _get_request_for_media_type(self, serializer, direction="request"):
        # A PATCH whose body is not a partial object (``done`` of a task) keeps its
        # required fields: drf-spectacular makes every PATCH body partial.
        if self.method == "PATCH" and getattr(force_instance(serializer), "whole_on_patch", False):
            self.method = "POST"
            try:
                return super()._get_request_for_media_type(serializer, direction)
            finally:
                self.method = "PATCH"
        return super()._get_request_for_media_type(serializer, direction)

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
        if action in FIELD_SELECTION_ACTIONS and getattr(view, "serializer_class", None):
            parameters.append(FieldsQuery)
        if idempotency.is_idempotent(self._action_handler()):
            parameters.append(idempotency.PARAMETER)
        return [*parameters, *super().get_override_parameters()]

    def _process_override_parameters(self, direction="request"):
        # A list filter (``tier__in=A,B``) takes its values separated by commas, so that a
        # generated client sends them so (it may also repeat the parameter).
        result = super()._process_override_parameters(direction)
        for parameter in result.values():
            if not parameter:
                continue
            schema = parameter["schema"]
            if schema.get("type") == "array":
                parameter.update(style="form", explode=False)
                # An empty list is refused (api.serializers.common.QueryListField).
                schema["minItems"] = 1
                schema = schema.get("items", {})
            # No address may carry a NUL character (core.middleware answers 400).
            if schema.get("type") == "string" and not {"pattern", "format", "enum"} & set(schema):
                schema["pattern"] = NO_NUL
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
        if not self._is_api_view():
            return headers
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
        if getattr(self.view, "action", None) in getattr(self.view, "conflicts", ()):
            codes.append("409")
        if any(
            getattr(parameter, "name", None) == idempotency.HEADER
            for parameter in self.get_override_parameters()
        ):
            codes.append("422")
        return sorted(codes)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if not self._is_api_view():
            return responses
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(ErrorSerializer, code)
                responses[code]["description"] = _ERRORS[code]
        for code, response in responses.items():
            if "headers" not in response:
                # A 204 comes without a serializer and so without the headers.
                response["headers"] = self._get_response_headers_for_code(code)
            content = response.get("content", {}).get("application/json")
            if code in _ERROR_EXAMPLES and content is not None and "examples" not in content:
                content["examples"] = {
                    _ERROR_EXAMPLES[code]["error"]["code"]: {"value": _ERROR_EXAMPLES[code]}
                }
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


# --- One type per field ---------------------------------------------------------------------

# What a blank-able email or URL takes: empty, or a value the API's validators (Django's
# EmailValidator, URLValidator) accept. Narrower than they are (ASCII, a dotted host), so a
# value that matches is never refused; the description says what else is accepted.
EMAIL_OR_BLANK = (
    r"^$|^[A-Za-z0-9_+-]+(\.[A-Za-z0-9_+-]+)*@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,63}$"
)
URL_OR_BLANK = (
    r"^$|^https?://([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
    r"(/[A-Za-z0-9._~-]*)*$"
)
NO_NUL = r"^[^\u0000]*$"
NOT_BLANK = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
_BLANK_FORMATS = {
    "email": (EMAIL_OR_BLANK, "An email address, or an empty string for none."),
    "uri": (URL_OR_BLANK, "An http(s) URL, or an empty string for none."),
}


def _types(schema):
    kind = schema.get("type")
    return kind if isinstance(kind, list) else [kind]


def _power_of_ten(value):
    """k when ``value`` is 10**k (k may be negative), else None."""
    if value is None or value <= 0:
        return None
    exponent = Decimal(value).normalize().as_tuple()
    return exponent.exponent if exponent.digits == (1,) else None


def _decimal_pattern(field):
    """The decimal strings a DecimalField takes: its digits and places, and its bounds
    (``min_value``/``max_value`` or a model's validators) where a pattern can say them:
    no sign from 0, none below a power of ten (0.01, 0.1) or above one (1, 100)."""
    minimum = max(_limits(field, "min_value", MinValueValidator), default=None)
    maximum = min(_limits(field, "max_value", MaxValueValidator), default=None)
    places = field.decimal_places
    whole = field.max_digits - places if field.max_digits and places is not None else None
    if places is None:
        fraction = r"(\.\d+)?"
    elif places:
        fraction = rf"(\.\d{{1,{places}}})?"
    else:
        fraction = ""
    digits = rf"\d{{1,{whole}}}" if whole else r"\d+"
    top = _power_of_ten(maximum)
    if top is not None and top >= 0:
        # Up to 10**top: fewer digits, or exactly it (1, 1.0, 100.00).
        zeros = rf"(\.0{{1,{places}}})?" if places else ""
        below = rf"\d{{1,{top}}}{fraction}" if top else rf"0{fraction}"
        digits, fraction = f"({below}|{maximum:f}{zeros})".replace(".0)", ")"), ""
    step = _power_of_ten(minimum)
    if step is not None and step < 0:
        # At least 10**step above zero (a refund: 0.01): not all zeros to that place.
        return rf"^(?!0*(\.0{{{-step}}}\d*|\.0{{0,{-step - 1}}})?$){digits}{fraction}$"
    sign = "" if minimum is not None and minimum >= 0 else "-?"
    return f"^{sign}{digits}{fraction}$"


def _limits(field, attribute, validator_class):
    limits = [getattr(field, attribute, None)]
    limits += [v.limit_value for v in field.validators if isinstance(v, validator_class)]
    return [Decimal(str(limit)) for limit in limits if limit is not None]


def _one_string_type(schema):
    """drf-spectacular writes a blank-able email or URL as ``oneOf: [{format: email},
    {maxLength: 0}]``: "" matches both branches (a oneOf must match exactly one) and
    generated clients fail on it. One string with a pattern says the same."""
    branches = schema.get("oneOf") if isinstance(schema, dict) else None
    if not (
        isinstance(branches, list)
        and len(branches) == 2
        and branches[1] == {"type": "string", "maxLength": 0}
    ):
        return schema
    inner = dict(branches[0])
    schema = {key: value for key, value in schema.items() if key != "oneOf"}
    schema.update(inner)
    pattern, description = _BLANK_FORMATS.get(inner.get("format"), (None, None))
    schema.pop("format", None)
    schema.pop("minLength", None)
    if pattern is not None:
        schema["pattern"] = pattern
    elif "pattern" in inner:
        schema["pattern"] = f"^$|{inner['pattern']}"
    if description and not schema.get("description"):
        schema["description"] = description
    return schema


def _strict_request_formats(result):
    """A URL or an email address in a request takes what Django's validators take, not
    every URI or address JSON Schema's formats allow (a generated value must pass); text
    takes anything but NUL, which DRF refuses (no database stores it), and where it may not
    be blank, something besides spaces."""

    def visit(node):
        if "string" not in _types(node):
            return
        if node.get("format") in _BLANK_FORMATS:
            node["pattern"] = _BLANK_FORMATS[node.pop("format")][0].removeprefix("^$|")
        elif not ({"pattern", "format", "enum"} & set(node)):
            # DRF trims the text first: "  " is blank where blank is refused.
            node["pattern"] = NOT_BLANK if node.get("minLength", 0) >= 1 else NO_NUL

    for name, component in result["components"]["schemas"].items():
        if name.endswith("Request"):
            _walk(component, visit)
        else:
            # An answer shows what is stored, which older data or the pages may have let
            # through: a string, described, not held to the request's pattern.
            for prop in component.get("properties", {}).values():
                if prop.get("pattern") in (EMAIL_OR_BLANK, URL_OR_BLANK):
                    del prop["pattern"]


def _enum_values(result, reference):
    name = reference.rsplit("/", 1)[-1]
    return result["components"]["schemas"].get(name, {})


def _merge_blank_enum(result, schema):
    """``oneOf: [$ref SomeEnum, $ref BlankEnum (, $ref NullEnum)]`` becomes one enum holding
    "" (and null): one type, which a generated client maps to one enum class."""
    branches = schema.get("oneOf")
    if not isinstance(branches, list) or not all("$ref" in b for b in branches):
        return
    names = [b["$ref"].rsplit("/", 1)[-1] for b in branches]
    if not set(names[1:]) <= {"BlankEnum", "NullEnum"} or names[0] in ("BlankEnum", "NullEnum"):
        return
    enum = _enum_values(result, branches[0]["$ref"])
    values = list(enum.get("enum", []))
    types = ["string"]
    if "BlankEnum" in names and "" not in values:
        values.append("")
    if "NullEnum" in names:
        values.append(None)
        types.append("null")
    del schema["oneOf"]
    schema["type"] = types[0] if len(types) == 1 else types
    schema["enum"] = values
    if not schema.get("description"):
        schema["description"] = enum.get("description", "")


def _nullable_as_type(schema):
    # OpenAPI 3.1 (JSON Schema) has no ``nullable``: a null is a type.
    if schema.pop("nullable", False):
        kind = schema.get("type")
        if isinstance(kind, str):
            schema["type"] = [kind, "null"]
        elif "type" not in schema:
            schema.update(oneOf=[{k: schema.pop(k) for k in list(schema)}, {"type": "null"}])


def _walk(node, visit):
    if isinstance(node, dict):
        visit(node)
        for value in node.values():
            _walk(value, visit)
    elif isinstance(node, list):
        for value in node:
            _walk(value, visit)


def _describe_properties(result):
    """A property without a description takes its model field's name (``title``) as one."""
    for component in result["components"]["schemas"].values():
        for name, prop in component.get("properties", {}).items():
            if not prop.get("description"):
                title = prop.get("title") or name.replace("_", " ")
                prop["description"] = title[:1].upper() + title[1:] + "."


def _add_links(result):
    """OpenAPI links from what a POST creates to the operations on it (``$response.body#/id``),
    so that clients and stateful tests (schemathesis) know the id in the answer is the
    ``{id}`` of the object's URL."""
    paths = result["paths"]
    for path, item in paths.items():
        detail = paths.get(f"{path}{{id}}/")
        create = item.get("post")
        if detail is None or create is None:
            continue
        inherited = {
            name: f"$request.path.{name}"
            for name in (p["name"] for p in create.get("parameters", []) if p["in"] == "path")
        }
        links = {
            operation["operationId"]: {
                "operationId": operation["operationId"],
                "parameters": {**inherited, "id": "$response.body#/id"},
                "description": f"The `id` in the answer is the `id` of {path}{{id}}/.",
            }
            for method, operation in detail.items()
            if method in ("get", "patch", "delete")
        }
        for code in ("201", "202"):
            response = create["responses"].get(code)
            if response is None or not links or not _has_id(result, response):
                continue
            response["links"] = links
            # Set by api.views.base.ApiViewSet.finalize_response, on a replay too.
            response.setdefault("headers", {}).update(_LOCATION)


def _has_id(result, response):
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = _enum_values(result, schema["$ref"])
    return "id" in schema.get("properties", {})


def postprocess(result, generator, request, public):
    """After drf-spectacular's enum hook: one type per field, 3.1 nulls, descriptions,
    links."""

    def visit(node):
        for name, prop in node.get("properties", {}).items():
            node["properties"][name] = _one_string_type(prop)
        _merge_blank_enum(result, node)
        _nullable_as_type(node)

    _walk(result, visit)
    _strict_request_formats(result)
    _describe_properties(result)
    _add_links(result)
    schemas = result["components"]["schemas"]
    for name in ("BlankEnum", "NullEnum"):
        if name in schemas and f"#/components/schemas/{name}" not in str(result):
            del schemas[name]
    return result


# --- Webhooks: what a receiver gets ----------------------------------------------------------

_DELIVERY_HELP = (
    "POSTed as JSON to each active webhook subscribed to the event, after the change is "
    "committed. Headers: `X-CRM-Event`, `X-CRM-Delivery` (the body's `id`), `X-CRM-Timestamp` "
    "(Unix seconds) and `X-CRM-Signature: sha256=<hex>`, the HMAC-SHA256 with the webhook's "
    "secret of the timestamp, a dot and the exact body bytes. Answer any 2xx within 10 "
    "seconds; anything else is retried with backoff, 6 attempts in all. A delivery may come "
    "more than once or out of order: ignore an `id` you have seen."
)


def _envelope(name, data, data_help):
    return type(
        name,
        (EventEnvelopeSerializer,),
        {"data": data, "__doc__": f"A delivery of {data_help}."},
    )


_PAYLOADS = {
    "customer": _envelope(
        "CustomerEvent",
        CustomerSerializer(help_text="The customer, as `GET customers/{id}/` shows it."),
        "a customer event",
    ),
    "order": _envelope(
        "OrderEvent",
        OrderSerializer(help_text="The order with its lines, as `GET orders/{id}/` shows it."),
        "an order event",
    ),
    "survey": _envelope(
        "SurveyResponseEvent",
        ResponseSerializer(help_text="The answer, as `GET responses/{id}/` shows it."),
        "a survey answer event",
    ),
    "score": _envelope(
        "TierChangedEvent",
        TierChangeSerializer(help_text="The customer whose tier changed, and the tiers."),
        "a tier change",
    ),
    "deleted": _envelope(
        "DeletedEvent",
        TombstoneSerializer(help_text="What identified the deleted object."),
        "a deletion",
    ),
    "ping": _envelope(
        "PingEvent",
        serializers.DictField(help_text="Empty: a test sent on request."),
        "a test ping",
    ),
}


def _payload_of(event):
    if event.endswith(".deleted"):
        return _PAYLOADS["deleted"]
    if event.endswith(".ping"):
        return _PAYLOADS["ping"]
    return _PAYLOADS.get(event.split(".", 1)[0], _PAYLOADS["ping"])


WEBHOOKS = [
    OpenApiWebhook(
        name=str(event),
        decorator=extend_schema(
            summary=str(label),
            description=_DELIVERY_HELP,
            request=_payload_of(str(event)),
            responses={
                200: OpenApiResponse(description="Any 2xx acknowledges the delivery."),
            },
            tags=["webhooks"],
        ),
    )
    for event, label in EVENT_TYPES
]
