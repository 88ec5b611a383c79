"""Fields shared by the resources: references to rows are scoped to the requesting user,
so naming another rep's customer reads as "does not exist", exactly as a 404 would."""

from django.contrib.auth import get_user_model
from rest_framework import serializers

from customers.models import Customer
from customers.selectors import assignable_users, customers_visible_to

# The largest id a database column holds (bigint); a larger number cannot name a row.
MAX_ID = 2**63 - 1


def id_query_field(**kwargs):
    """An id in a query string (a filter)."""
    return serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, **kwargs)


class IdRelatedField(serializers.PrimaryKeyRelatedField):
    """A related row by id: a whole number (or its digits as a string). A number no column
    can hold "does not exist" rather than overflowing in the database driver; anything
    else (1.5, 1e400, true, a list) is the wrong type rather than rounded or a crash."""

    def to_internal_value(self, data):
        if isinstance(data, str) and data.isdecimal():
            data = int(data)
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 0 < data <= MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        return super().to_internal_value(data)


class VisibleCustomerField(IdRelatedField):
    """A customer id, looked up among the customers the requesting user may see (and
    ``keep_pk``: a value already stored, which stays valid unchanged)."""

    keep_pk = None

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Customer.objects.all())
        super().__init__(**kwargs)

    def get_queryset(self):
        visible = customers_visible_to(self.context["request"].user)
        if self.keep_pk is not None:
            visible = visible | Customer.objects.filter(pk=self.keep_pk)
        return visible


class UserField(IdRelatedField):
    """An active user's id (owners, assignees)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", get_user_model().objects.all())
        super().__init__(**kwargs)

    def get_queryset(self):
        return assignable_users()


class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    class Detail(serializers.Serializer):
        code = serializers.CharField(help_text="Stable, machine-readable: validation_error, …")
        message = serializers.CharField(help_text="For people; in the request's language.")
        details = serializers.DictField(
            help_text="Field errors ({field: [messages]}), per-item errors, retry_after, …"
        )

    error = Detail()
