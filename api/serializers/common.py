"""Fields shared by the resources: references to rows are scoped to the requesting user,
so naming another rep's customer reads as "does not exist", exactly as a 404 would."""

from django.contrib.auth import get_user_model
from rest_framework import serializers
from rest_framework.fields import empty

from customers.models import Customer
from customers.selectors import assignable_users, customers_visible_to

# The largest id a database column holds (bigint); a larger number cannot name a row.
MAX_ID = 2**63 - 1


# The most values one ``__in`` filter takes: a sync asks for a few ids or choices at a time.
MAX_QUERY_LIST = 100


def id_query_field(**kwargs):
    """An id in a query string (a filter)."""
    return serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, **kwargs)


class QueryListField(serializers.ListField):
    """Several values of one query-string filter (``tier__in=A,B``): separated by commas,
    or the parameter repeated (``tier__in=A&tier__in=B``), each checked by ``child``. An
    empty list or more than MAX_QUERY_LIST values is a 400, as is any invalid value; the
    errors are listed under the parameter's name."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_empty", False)
        kwargs.setdefault("max_length", MAX_QUERY_LIST)
        super().__init__(**kwargs)

    def get_value(self, dictionary):
        if self.field_name not in dictionary:
            return empty
        values = (
            dictionary.getlist(self.field_name)
            if hasattr(dictionary, "getlist")
            else [dictionary[self.field_name]]
        )
        return [item.strip() for value in values for item in str(value).split(",") if item.strip()]

    def to_internal_value(self, data):
        # Counted as sent: a hundred and one values are refused even if some repeat.
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)

    def run_child_validation(self, data):
        result, errors = [], []
        for item in data:
            try:
                result.append(self.child.run_validation(item))
            except serializers.ValidationError as exc:
                errors.extend(exc.detail if isinstance(exc.detail, list) else [exc.detail])
        if errors:
            raise serializers.ValidationError(errors)
        # In the order given, each once.
        return list(dict.fromkeys(result))


def id_list_query_field(**kwargs):
    """Ids in a query string (``owner__in=3,5``)."""
    return QueryListField(child=id_query_field(), **kwargs)


def choice_list_query_field(choices, **kwargs):
    """Choices in a query string (``status__in=active,lead``)."""
    return QueryListField(child=serializers.ChoiceField(choices=choices), **kwargs)


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
    with ``keep_stored``, the one the customer being changed already holds here, which
    stays valid unchanged)."""

    def __init__(self, *, keep_stored=False, **kwargs):
        kwargs.setdefault("queryset", Customer.objects.all())
        super().__init__(**kwargs)
        self.keep_stored = keep_stored

    def get_queryset(self):
        visible = customers_visible_to(self.context["request"].user)
        stored = self._stored_pk()
        if stored is not None:
            visible = visible | Customer.objects.filter(pk=stored)
        return visible

    def _stored_pk(self):
        # Read at validation rather than set when the serializer is made, so the
        # serializer's fields never depend on its instance (api/serializers/rows.py).
        instance = getattr(self.parent, "instance", None)
        if not self.keep_stored or not isinstance(instance, Customer):
            return None
        return getattr(instance, f"{self.source}_id", None)


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
