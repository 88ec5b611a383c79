"""What every resource view shares: authentication and throttling come from settings;
permissions are the model permissions plus the scoped querysets (api.permissions)."""

from rest_framework import exceptions, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from ..permissions import ModelPermissions
from ..serializers.common import MAX_ID


def checked_id(value):
    """A path id as a number, or 404 for one no row can have."""
    number = int(value)
    if number > MAX_ID:
        raise exceptions.NotFound
    return number


class ApiViewSet(viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated, ModelPermissions]
    # No PUT: PATCH changes what it is given; nothing is replaced wholesale by accident.
    http_method_names = ["get", "post", "patch", "delete", "head"]
    permission_model = None
    lookup_value_regex = r"\d+"

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method in ("POST", "PATCH"):
            # Parsed here, after the permission checks: a malformed body is a 400 also
            # where the view reads none of it (starting a recalculation), never ignored.
            request.data  # noqa: B018

    def get_object(self):
        checked_id(self.kwargs[self.lookup_url_kwarg or self.lookup_field])
        return super().get_object()

    def query(self, serializer_class):
        """Validated query-string filters (400 for a malformed one)."""
        serializer = serializer_class(data=self.request.query_params)
        serializer.is_valid(raise_exception=True)
        return {k: v for k, v in serializer.validated_data.items() if v not in (None, "")}

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
