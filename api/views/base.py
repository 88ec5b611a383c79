"""What every resource view shares: authentication and throttling come from settings;
permissions are the model permissions plus the scoped querysets (api.permissions).

The query string is strict: an action takes the parameters of its filters serializer
(``query_serializers``), of its pagination and, on a list, ``created_since`` and
``updated_since`` where its model keeps those times (``since_fields``). Anything else is
a 400 naming the parameter, never silently ignored (``?updated_since=`` on a list that
cannot filter by it would return everything). The schema documents the same parameters
(api.schema), from the same declarations."""

import functools

from django.urls import NoReverseMatch
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.reverse import reverse

from .. import idempotency, throttling
from ..permissions import ModelPermissions
from ..serializers.common import MAX_ID

SINCE_HELP = {
    "created_since": "Only rows created at or after this moment (ISO 8601 date-time, "
    "`2026-03-01T09:30:00Z`), by their `{field}`.",
    "updated_since": "Only rows changed at or after this moment (ISO 8601 date-time, "
    "`2026-03-01T09:30:00Z`), by their `{field}`; the list is then ordered by `{field}`, "
    "oldest first (ordering `{field}`), unless `ordering` is given.",
}


FIELD_SELECTION_ACTIONS = ("list", "retrieve")


class FieldsQuery(serializers.Serializer):
    fields = serializers.CharField(
        required=False,
        help_text="Only these fields of each object, comma separated (`id,name,score`); "
        "an expanded field is named as well as asked for with `expand`.",
    )


def numbers_for_text(serializer, data):
    """{field: error} for the text fields given a number: DRF's CharField takes 12 as "12",
    yet the schema says a string, and a client sending a number has a bug to hear about."""
    if not isinstance(data, dict):
        return {}
    errors = {}
    for name, field in serializer.fields.items():
        if field.read_only or name not in data:
            continue
        value = data[name]
        if isinstance(field, serializers.CharField):
            if isinstance(value, int | float) and not isinstance(value, bool):
                errors[name] = [field.error_messages["invalid"]]
        elif isinstance(field, serializers.Serializer):
            nested = numbers_for_text(field, value)
            if nested:
                errors[name] = nested
        elif isinstance(field, serializers.ListSerializer) and isinstance(value, list):
            nested = {
                index: item_errors
                for index, item in enumerate(value)
                if (item_errors := numbers_for_text(field.child, item))
            }
            if nested:
                errors[name] = nested
    return errors


def checked_id(value):
    """A path id as a number, or 404 for one no row can have."""
    number = int(value)
    if number > MAX_ID:
        raise exceptions.NotFound
    return number


@functools.cache
def field_names(serializer_class):
    """The names of a query serializer's fields: they are declared on its class, so a
    request need not build its fields to learn them (issue 14, a fixed cost of each request)."""
    return tuple(serializer_class().fields)


@functools.cache
def empty_query(serializer_class):
    """What a query string with none of the serializer's parameters validates to (the
    defaults), worked out once: most list requests name no filter, and building and running
    a query serializer cost each of them about a twentieth of its time (issue 14). Defaults
    are constants, never callables of the moment."""
    serializer = serializer_class(data={})
    serializer.is_valid(raise_exception=True)
    return {k: v for k, v in serializer.validated_data.items() if v not in (None, "")}


def since_query(since_fields):
    """A serializer of the ``*_since`` query parameters of ``{name: model field}``, the same
    class each time (a list asks on every request)."""
    return _since_query(tuple(since_fields.items()))


@functools.cache
def _since_query(since_fields):
    fields = {
        name: serializers.DateTimeField(
            required=False, help_text=SINCE_HELP[name].format(field=field)
        )
        for name, field in since_fields
    }
    return type("SinceQuery", (serializers.Serializer,), fields)


class ApiViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, ModelPermissions]
    # No PUT: PATCH changes what it is given; nothing is replaced wholesale by accident.
    http_method_names = ["get", "post", "patch", "delete", "head"]
    permission_model = None
    # The resource a narrowed API key needs a scope for, when not the permissions' app
    # (api.scopes).
    scope_resource = None
    lookup_value_regex = r"\d+"
    # {action: serializer of its query parameters}, e.g. {"list": CustomerQuery}.
    query_serializers = {}
    # The actions that page their answer (and so take the pagination's parameters).
    paged_actions = ("list",)
    # The list's {"created_since": "created_at", "updated_since": "updated_at"}, for the
    # timestamps its model keeps; and the keyset ordering a sync by updated_since pages in.
    since_fields = {}
    since_ordering = None

    _throttles_checked = False

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self._check_query_parameters(request)
        self._check_idempotency_key(request)
        if request.method in ("POST", "PATCH"):
            # Parsed here, after the permission checks: a malformed body is a 400 also
            # where the view reads none of it (starting a recalculation), never ignored.
            request.data  # noqa: B018
        if (
            self.action == "list"
            and self.since_ordering
            and "updated_since" in request.query_params
        ):
            # A sync pages through the changes in the order they were made.
            self.keyset_default = self.since_ordering

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.action == "create" and response.status_code in (201, 202):
            # Also on a replay (api.idempotency), which answers with the stored body only.
            location = self._location_of(response.data)
            if location is not None and not response.has_header("Location"):
                response["Location"] = location
        return response

    def _location_of(self, data):
        """The URL of what a create answered with (its ``id``), when the view has one."""
        pk = data.get("id") if isinstance(data, dict) else None
        if not isinstance(pk, int):
            return None
        kwargs = {**self.kwargs, self.lookup_url_kwarg or self.lookup_field: pk}
        try:
            return reverse(f"api:{self.basename}-detail", kwargs=kwargs, request=self.request)
        except NoReverseMatch:
            return None

    def check_permissions(self, request):
        # Throttles first, so every answer but a refused key counts and says how many
        # requests are left, a 403 included.
        self.check_throttles(request)
        super().check_permissions(request)

    def check_throttles(self, request):
        if self._throttles_checked:
            return
        self._throttles_checked = True
        state, wait = throttling.count(request, self)
        # Sent with whatever the answer is, an error included (finalize_response).
        throttling.add_headers(self.headers, state)
        if wait is not None:
            self.throttled(request, wait)

    def handle_exception(self, exc):
        refused = isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed)
        if refused and not self._throttles_checked:
            # Refused before the throttles ran (no key, a revoked one): counted by address,
            # so the 401 says where the caller stands too; never a 429 instead of it.
            self._throttles_checked = True
            state, _wait = throttling.count(self.request, self)
            throttling.add_headers(self.headers, state)
        return super().handle_exception(exc)

    # --- The query string ---------------------------------------------------------------

    def allowed_query_parameters(self):
        names = set()
        query = self.query_serializers.get(self.action)
        if query is not None:
            names.update(field_names(query))
        if self.action == "list":
            names.update(self.since_fields)
        if self.action in FIELD_SELECTION_ACTIONS and self.serializer_class is not None:
            names.add("fields")
        if self.action in self.paged_actions and self.paginator is not None:
            names.update(p["name"] for p in self.paginator.get_schema_operation_parameters(self))
        return names

    def _check_query_parameters(self, request):
        allowed = self.allowed_query_parameters()
        unknown = sorted(set(request.query_params) - allowed)
        if not unknown:
            return
        if allowed:
            message = _("Unknown query parameter. This endpoint takes: %(names)s.") % {
                "names": ", ".join(sorted(allowed))
            }
        else:
            message = _("Unknown query parameter. This endpoint takes none.")
        raise exceptions.ValidationError({name: [message] for name in unknown})

    def _check_idempotency_key(self, request):
        if idempotency.HEADER not in request.headers or self.action is None:
            return
        handler = getattr(self, self.action, None)
        if not idempotency.is_idempotent(handler):
            raise exceptions.ValidationError(
                {
                    idempotency.HEADER: [
                        _(
                            "This request does not take an Idempotency-Key: it changes "
                            "nothing, or repeating it changes nothing more."
                        )
                    ]
                }
            )

    def query(self, serializer_class=None):
        """Validated query-string filters (400 for a malformed one): a new dict each call,
        the query string validated once per request and serializer (the queryset and the
        serializer's context both ask)."""
        serializer_class = serializer_class or self.query_serializers[self.action]
        validated = self._queries.get(serializer_class)
        if validated is None:
            validated = self._queries[serializer_class] = self._validated_query(serializer_class)
        return dict(validated)

    @functools.cached_property
    def _queries(self):
        return {}

    def _validated_query(self, serializer_class):
        if not any(name in self.request.query_params for name in field_names(serializer_class)):
            return empty_query(serializer_class)
        serializer = serializer_class(data=self.request.query_params)
        # DRF reads ``?status=`` as no status at all; a typed parameter (a date, a number,
        # a choice) sent empty is a mistake the caller should hear about, as the schema says.
        blank = sorted(
            name
            for name, values in self.request.query_params.lists()
            if name in serializer.fields
            and "" in values
            and not getattr(serializer.fields[name], "allow_blank", False)
        )
        if blank:
            message = serializers.CharField.default_error_messages["blank"]
            raise exceptions.ValidationError({name: [message] for name in blank})
        serializer.is_valid(raise_exception=True)
        return {k: v for k, v in serializer.validated_data.items() if v not in (None, "")}

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.action == "list" and self.since_fields:
            since = self.query(since_query(self.since_fields))
            for name, moment in since.items():
                queryset = queryset.filter(**{f"{self.since_fields[name]}__gte": moment})
        return queryset

    # --- Objects and answers ----------------------------------------------------------------

    def get_serializer(self, *args, **kwargs):
        return self.selected_fields(super().get_serializer(*args, **kwargs))

    def selected_fields(self, serializer):
        """``?fields=a,b``: the serializer without the other fields, so they are neither
        computed nor sent. A name the object lacks is a 400 listing those it has."""
        if self.action not in FIELD_SELECTION_ACTIONS or "fields" not in self.request.query_params:
            return serializer
        fields = getattr(serializer, "child", serializer).fields
        wanted = [name.strip() for name in self.request.query_params["fields"].split(",")]
        wanted = [name for name in wanted if name]
        unknown = sorted(set(wanted) - set(fields))
        if not wanted or unknown:
            raise exceptions.ValidationError(
                {
                    "fields": [
                        _("Name the fields you want, separated by commas, from: %(names)s.")
                        % {"names": ", ".join(fields)}
                    ]
                }
            )
        for name in set(fields) - set(wanted):
            fields.pop(name)
        return serializer

    def get_object(self):
        checked_id(self.kwargs[self.lookup_url_kwarg or self.lookup_field])
        return super().get_object()

    def validated(self, serializer_class=None, instance=None, partial=False, **context):
        serializer_class = serializer_class or self.get_serializer_class()
        serializer = serializer_class(
            instance,
            data=self.request.data,
            partial=partial,
            context={**self.get_serializer_context(), **context},
        )
        numbers = numbers_for_text(serializer, self.request.data)
        if numbers:
            raise exceptions.ValidationError(numbers)
        serializer.is_valid(raise_exception=True)
        return serializer

    def respond(self, instance, *, status_code=status.HTTP_200_OK, serializer_class=None):
        serializer_class = serializer_class or self.get_serializer_class()
        serializer = serializer_class(instance, context=self.get_serializer_context())
        data = self.selected_fields(serializer).data
        return Response(data, status=status_code)
