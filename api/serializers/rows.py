"""A list's rows written without DRF's per-field machinery, to the same JSON.

DRF represents each row by asking every field for its attribute through a generic walk
(``get_attribute``: source paths, callables, missing relations, a ``PKOnlyObject`` per
foreign key) and then for its representation, each decimal quantized in a fresh copy of
the decimal context. For a page of 50 orders with their lines that is about 1,700 such
calls, 40 % of the request (docs/benchmarks.md, "Ninth round"). A list here reads a
plain model column straight off the row and converts it with what the field's own
``to_representation`` would do, decided once per list: identical output, checked against
DRF's own path for every list endpoint and for objects made by every path
(tests/api/test_list_rows.py). Any field this does not know (a custom ``get_attribute``,
a nested serializer, a dotted source) keeps DRF's own steps, exactly as DRF runs them.
"""

import copy
import datetime as dt
import decimal
from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from rest_framework import serializers
from rest_framework.fields import Field, SkipField
from rest_framework.relations import PKOnlyObject, PrimaryKeyRelatedField, RelatedField
from rest_framework.settings import ISO_8601, api_settings

Convert = Callable[[Any], Any]
# (key, column or None, convert or None, DRF's field or None): a column read off the row
# and converted, or the field asked as DRF asks it.
Step = tuple[str, str | None, Convert | None, Field | None]


class RowListSerializer(serializers.ListSerializer):
    """``Meta.list_serializer_class`` of the API's read serializers."""

    def to_representation(self, data):
        child = self.child
        if type(child).to_representation is not serializers.Serializer.to_representation:
            return super().to_representation(data)
        rows = data.all() if isinstance(data, models.manager.BaseManager) else data
        # Once per list: a nested list (an order's lines) is written once for each row.
        plan = self.__dict__.get("_plan")
        if plan is None:
            plan = self.__dict__["_plan"] = steps(child)
        return write_rows(plan, rows)


def write_rows(plan: list[Step], rows: Iterable[Any]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        ret: dict[str, Any] = {}
        for key, column, convert, field in plan:
            if field is None:
                value = getattr(row, column)  # type: ignore[arg-type]
                ret[key] = value if value is None or convert is None else convert(value)
                continue
            # DRF's Serializer.to_representation, for one field.
            try:
                attribute = field.get_attribute(row)
            except SkipField:
                continue
            check = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            ret[key] = None if check is None else field.to_representation(attribute)
        out.append(ret)
    return out


def steps(serializer: serializers.Serializer) -> list[Step]:
    """The serializer's readable fields, in order, each as a step of ``write_rows``, made
    per list (so the request's time zone and context hold).

    Building a model serializer's fields (the model read, each field made) cost as much
    as writing 50 rows. Unless they are built already (``?fields=`` picks from them), a
    column's step is read off fields built once per class, never bound to a request; a
    field DRF asks is a copy bound to this serializer, as DRF itself makes it."""
    model = getattr(getattr(serializer, "Meta", None), "model", None)
    shared = None if "fields" in serializer.__dict__ else _shared_fields(type(serializer))
    fields = serializer._readable_fields if shared is None else shared
    plan: list[Step] = []
    for field in fields:
        column = _column(model, field, shared=shared is not None)
        if column is not None:
            plan.append((field.field_name, column[0], column[1], None))
            continue
        if shared is not None:
            name = field.field_name
            field = copy.deepcopy(field)
            field.bind(field_name=name, parent=serializer)
        plan.append((field.field_name, None, None, field))
    return plan


# ModelSerializer's steps from Meta to fields: a class overriding none of them (nor
# __init__) has the same fields whatever its instance, data or context.
_FIELD_HOOKS = (
    "__init__",
    "get_fields",
    "get_field_names",
    "get_default_field_names",
    "build_field",
    "build_standard_field",
    "build_relational_field",
    "build_nested_field",
    "build_property_field",
    "build_url_field",
    "build_unknown_field",
    "include_extra_kwargs",
    "get_extra_kwargs",
    "get_uniqueness_extra_kwargs",
)
_shared: dict[type, list[Field] | None] = {}


def _shared_fields(kind: type) -> list[Field] | None:
    """The readable fields of a serializer of this class made with no instance, or None
    when its fields might differ from one serializer to another."""
    if kind not in _shared:
        plain = issubclass(kind, serializers.ModelSerializer) and all(
            getattr(kind, hook) is getattr(serializers.ModelSerializer, hook)
            for hook in _FIELD_HOOKS
        )
        _shared[kind] = list(kind()._readable_fields) if plain else None
    return _shared[kind]


def _column(model, field: Field, *, shared: bool) -> tuple[str, Convert | None] | None:
    """(the model's attribute, how to convert it) when DRF's answer is the field's
    ``to_representation`` of a concrete column's value, or the related row's id. A
    field shared between requests only with a conversion known not to read its
    context."""
    if model is None or len(field.source_attrs) != 1:
        return None
    try:
        model_field = model._meta.get_field(field.source)
    except FieldDoesNotExist:
        return None
    if not model_field.concrete:
        return None
    kind = type(field)
    if isinstance(field, RelatedField):
        plain_id = (model_field.many_to_one or model_field.one_to_one) and (
            kind.get_attribute is RelatedField.get_attribute
            and kind.to_representation is PrimaryKeyRelatedField.to_representation
            and field.use_pk_only_optimization()
            and getattr(field, "pk_field", None) is None
        )
        return (model_field.attname, None) if plain_id else None
    if model_field.is_relation or kind.get_attribute is not Field.get_attribute:
        return None
    convert = converter(field)
    if convert is None:
        if shared:
            return None
        convert = field.to_representation
    return model_field.attname, convert


# Conversions that read nothing but the field's own settings.
_PURE = {
    serializers.BooleanField.to_representation,
    serializers.ChoiceField.to_representation,
    serializers.FloatField.to_representation,
    serializers.UUIDField.to_representation,
    serializers.JSONField.to_representation,
}


def converter(field: Field) -> Convert | None:
    """What ``field.to_representation`` does to a value that is not None, faster where
    the value is of the column's own type; None for a field this does not know."""
    represent = type(field).to_representation
    if represent is serializers.CharField.to_representation:
        return str
    if represent is serializers.IntegerField.to_representation:
        return int
    if represent is serializers.BigIntegerField.to_representation:
        coerce = getattr(field, "coerce_to_string", api_settings.COERCE_BIGINT_TO_STRING)
        return str if coerce else int
    if represent is serializers.DecimalField.to_representation:
        return _decimal(field)
    if represent is serializers.DateField.to_representation:
        return _date(field)
    if represent is serializers.DateTimeField.to_representation:
        return _datetime(field)
    return field.to_representation if represent in _PURE else None


def _decimal(field: serializers.DecimalField) -> Convert:
    slow = field.to_representation
    coerce = getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
    if not coerce or field.localize or field.normalize_output or field.decimal_places is None:
        return slow
    exponent = decimal.Decimal(".1") ** field.decimal_places
    # DRF quantizes in a copy of the current context (with the field's precision) made for
    # each value; one copy for the list gives the same results.
    context = decimal.getcontext().copy()
    if field.max_digits is not None:
        context.prec = field.max_digits
    rounding = field.rounding

    def convert(value):
        if type(value) is decimal.Decimal:
            return f"{value.quantize(exponent, rounding=rounding, context=context):f}"
        return slow(value)

    return convert


def _iso(field: Field, default: str | None) -> bool:
    """Whether the field writes ISO 8601 (its own format, or the API's)."""
    output = getattr(field, "format", default)
    return isinstance(output, str) and output.lower() == ISO_8601


def _date(field: serializers.DateField) -> Convert:
    slow = field.to_representation
    if not _iso(field, api_settings.DATE_FORMAT):
        return slow

    def convert(value):
        return value.isoformat() if type(value) is dt.date else slow(value)

    return convert


def _datetime(field: serializers.DateTimeField) -> Convert:
    slow = field.to_representation
    if not _iso(field, api_settings.DATETIME_FORMAT):
        return slow
    zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
    if zone is None:
        return slow

    def convert(value):
        if type(value) is not dt.datetime or value.utcoffset() is None:
            return slow(value)
        try:
            text = value.astimezone(zone).isoformat()
        except OverflowError:
            return slow(value)
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return convert
