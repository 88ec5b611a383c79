"""What every resource view shares: authentication and throttling come from settings;
permissions are the model permissions plus the scoped querysets (api.permissions).

The query string is strict: an action takes the parameters of its filters serializer
(``query_serializers``), of its pagination and, on a list, ``created_since`` and
``updated_since`` where its model keeps those times (``since_fields``). Anything else is
a 400 naming the parameter, never silently ignored (``?updated_since=`` on a list that
cannot filter by it would return everything). The schema documents the same parameters
(api.schema), from the same declarations."""

from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

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


def checked_id(value):
    """A path id as a number, or 404 for one no row can have."""
    number = int(value)
    if number > MAX_ID:
        raise exceptions.NotFound
    return number


def since_query(since_fields):
    """A serializer of the ``*_since`` query parameters of ``{name: model field}``."""
    fields = {
        name: serializers.DateTimeField(
            required=False, help_text=SINCE_HELP[name].format(field=field)
        )
        for name, field in since_fields.items()
    }
    return type("SinceQuery", (serializers.Serializer,), fields)


class ApiViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, ModelPermissions]
    # No PUT: PATCH changes what it is given; nothing is replaced wholesale by accident.
    http_method_names = ["get", "post", "patch", "delete", "head"]
    permission_model = None
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

    def check_permissions(self, request):
        # Throttles first, so every answer but a refused key counts and says how many
        # requests are left, a 403 included.
        self.check_throttles(request)
        super().check_permissions(request)

    def check_throttles(self, request):
        if self._throttles_checked:
            return
        self._throttles_checked = True
        throttles = self.get_throttles()
        waits = [t.wait() for t in throttles if not t.allow_request(request, self)]
        # Sent with whatever the answer is, an error included (finalize_response).
        state = throttling.tightest(throttles)
        if state is not None:
            throttling.add_headers(self.headers, state)
        if waits:
            self.throttled(request, max(waits))

    # --- The query string ---------------------------------------------------------------

    def allowed_query_parameters(self):
        names = set()
        query = self.query_serializers.get(self.action)
        if query is not None:
            names.update(query().fields)
        if self.action == "list":
            names.update(self.since_fields)
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
        """Validated query-string filters (400 for a malformed one)."""
        serializer_class = serializer_class or self.query_serializers[self.action]
        serializer = serializer_class(data=self.request.query_params)
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
        serializer.is_valid(raise_exception=True)
        return serializer

    def respond(self, instance, *, status_code=status.HTTP_200_OK, serializer_class=None):
        serializer_class = serializer_class or self.get_serializer_class()
        data = serializer_class(instance, context=self.get_serializer_context()).data
        return Response(data, status=status_code)
