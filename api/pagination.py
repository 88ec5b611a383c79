"""Two paginations, neither of which counts rows.

``KeysetPagination`` (customers, orders, activities, scores, responses): an opaque cursor
holds the last row's values of a unique ordering (always ending in the primary key), and
the next page is the rows strictly after them. A deep page costs what the first does, and
rows inserted meanwhile never shift a page (no duplicates, no gaps).

``PagePagination`` (the smaller collections): ?page=N, fetching one row more than a page to
tell whether there is a next one (as core.pagination does for the pages).
"""

import base64
import binascii
import datetime as dt
import json
import math
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Q
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, pagination, serializers
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.utils.urls import remove_query_param, replace_query_param

from core.pagination import MAX_PAGE, page_number

MAX_PAGE_SIZE = 200


def _page_size(request):
    default = api_settings.PAGE_SIZE
    value = request.query_params.get("page_size")
    if value is None:
        return default
    try:
        size = int(value)
    except ValueError:
        raise exceptions.ValidationError(
            {"page_size": [_("A whole number between 1 and 200.")]}
        ) from None
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise exceptions.ValidationError({"page_size": [_("A whole number between 1 and 200.")]})
    return size


def _page_size_parameter():
    return {
        "name": "page_size",
        "required": False,
        "in": "query",
        "description": f"Rows per page, 1 to {MAX_PAGE_SIZE}.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
    }


def _links_schema(schema, description):
    return {
        "type": "object",
        "required": ["next", "previous", "results"],
        "properties": {
            "next": {
                "type": "string",
                "nullable": True,
                "format": "uri",
                "description": description,
            },
            "previous": {"type": "string", "nullable": True, "format": "uri"},
            "results": schema,
        },
    }


class PagePagination(pagination.BasePagination):
    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        value = request.query_params.get("page")
        # Strict, as the schema says (the pages read junk as page 1; an API caller hears it).
        if value is not None and not (value.isdecimal() and int(value) >= 1):
            messages = serializers.IntegerField.default_error_messages
            message = (
                messages["min_value"].format(min_value=1)
                if value.isdecimal()
                else messages["invalid"]
            )
            raise exceptions.ValidationError({"page": [message]})
        self.number = page_number(value)
        if self.number > MAX_PAGE:
            raise exceptions.ValidationError({"page": [_("At most page %(n)s.") % {"n": MAX_PAGE}]})
        size = _page_size(request)
        start = (self.number - 1) * size
        rows = list(queryset[start : start + size + 1])
        self.has_next = len(rows) > size
        return rows[:size]

    def _link(self, number):
        url = self.request.build_absolute_uri()
        if number == 1:
            return remove_query_param(url, "page")
        return replace_query_param(url, "page", number)

    def get_paginated_response(self, data):
        return Response(
            {
                "next": self._link(self.number + 1) if self.has_next else None,
                "previous": self._link(self.number - 1) if self.number > 1 else None,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        return _links_schema(schema, "The next page; null on the last page.")

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "page",
                "required": False,
                "in": "query",
                "description": "Page number, from 1.",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
            },
            _page_size_parameter(),
        ]


@dataclass(frozen=True)
class _Key:
    field: str
    descending: bool
    nullable: bool
    nulls_first: bool = False
    # A true/false column (a contact's is_primary): its cursor values are flags, and only it
    # takes them.
    flag: bool = False

    def reversed(self):
        return _Key(self.field, not self.descending, self.nullable, not self.nulls_first, self.flag)

    def order_by(self):
        if not self.nullable:
            # No NULLS clause: it would keep PostgreSQL from walking a plain index.
            return F(self.field).desc() if self.descending else F(self.field).asc()
        nulls = {"nulls_first": True} if self.nulls_first else {"nulls_last": True}
        return F(self.field).desc(**nulls) if self.descending else F(self.field).asc(**nulls)

    def valued(self):
        """This key over the rows that have a value: ordered with no NULLS clause."""
        return _Key(self.field, self.descending, nullable=False, flag=self.flag)

    def strictly_after(self, value):
        if value is None:
            return Q(**{f"{self.field}__isnull": False}) if self.nulls_first else Q(pk__in=[])
        after = Q(**{f"{self.field}__{'lt' if self.descending else 'gt'}": value})
        if self.nullable and not self.nulls_first:
            after |= Q(**{f"{self.field}__isnull": True})
        return after

    def equal(self, value):
        return Q(**{f"{self.field}__isnull": True}) if value is None else Q(**{self.field: value})


def _after(keys, values):
    """Rows strictly after ``values`` in the order of ``keys``."""
    first, value = keys[0], values[0]
    if (
        len(keys) > 1
        and None not in values
        and not any(key.nullable for key in keys)
        and len({key.descending for key in keys}) == 1
    ):
        # One row comparison, which PostgreSQL reads as the bound of the index scan (as
        # core.pagination does): "beyond, or tied and beyond by the next key" read every
        # row tied with the position first. SQLite gets that form (Django's fallback), led
        # by the bound on the first key that lets it start the scan there.
        beyond = TupleLessThan if first.descending else TupleGreaterThan
        row = beyond(Tuple(*(F(key.field) for key in keys)), tuple(values))
        return Q(**{f"{first.field}__{'lte' if first.descending else 'gte'}": value}) & Q(row)
    condition = None
    for key, value in reversed(list(zip(keys, values, strict=True))):
        strictly = key.strictly_after(value)
        condition = strictly if condition is None else strictly | (key.equal(value) & condition)
    if value is not None and (not first.nullable or first.nulls_first):
        # Redundant with the above (no blank comes after a value), but it lets the database
        # start the index scan there.
        condition &= Q(**{f"{first.field}__{'lte' if first.descending else 'gte'}": value})
    return condition


def _page_queries(queryset, keys, values, *, blanks_apart, ties_apart=False):
    """The queries whose rows, one after the other, are the rows strictly after ``values``
    (from the top when None) in the order of ``keys``.

    ``blanks_apart``: the rows with a value of the nullable first key and its blanks are
    read by a query each, so that each is read in an index's order: blanks last (NULLS
    LAST) on a descending key is an order no backward scan of an ascending index gives.
    The page where the blanks begin reads both. Otherwise one query, ordered blanks last.

    ``ties_apart``: the first key can be tied over a great many rows (a score figure), so
    after a position the rows tied with it are read apart from those beyond its value
    where the next key runs the other way."""
    first, rest = keys[0], keys[1:]
    valued_keys = [first.valued(), *rest]
    if not blanks_apart:
        queryset = queryset.order_by(*(key.order_by() for key in keys))
        if values is None:
            return [queryset]
        if ties_apart and rest and values[0] is not None and rest[0].descending != first.descending:
            # The next key runs the other way (the highest churn risk first, then the
            # customers by id): no row comparison holds that order, so the rows tied with
            # the position, those beyond its value and the blanks are read apart, each
            # from its own range of the index (one query more than the first page). As one
            # query the scan began at the tie's first row and read every one before the
            # position: 143,924 customers of churn risk 1.0 for a manager (118 ms).
            parts = [
                queryset.filter(first.equal(values[0])).filter(_after(rest, values[1:])),
                queryset.filter(first.valued().strictly_after(values[0])),
            ]
            if first.nullable and not first.nulls_first:
                parts.append(queryset.filter(**{f"{first.field}__isnull": True}))
            return parts
        if first.nullable and not first.nulls_first and values[0] is not None:
            # After a value of a key whose blanks come last: the rest of the valued rows,
            # bounded by the value so that the index scan starts there, then every blank.
            # As one query ("beyond, or blank, or tied and beyond") nothing bounded the scan,
            # which began at the top of the index whatever the page's depth.
            return [
                queryset.filter(**{f"{first.field}__isnull": False}).filter(
                    _after(valued_keys, values)
                ),
                queryset.filter(**{f"{first.field}__isnull": True}),
            ]
        return [queryset.filter(_after(keys, values))]
    valued = queryset.filter(**{f"{first.field}__isnull": False}).order_by(
        *(key.order_by() for key in valued_keys)
    )
    # The blanks by the rest of the keys, and first by the key (blank in every one) in the
    # direction of the next: the order of an index on (..., key, id), read without a sort.
    blank_keys = [_Key(first.field, rest[0].descending, nullable=False), *rest]
    blanks = queryset.filter(**{f"{first.field}__isnull": True}).order_by(
        *(key.order_by() for key in blank_keys)
    )
    if values is not None and values[0] is None:
        # After a blank: the rest of the blanks, then (walking back) every valued row.
        blanks = blanks.filter(_after(rest, values[1:]))
        return [blanks, valued] if first.nulls_first else [blanks]
    if values is not None:
        valued = valued.filter(_after(valued_keys, values))
        return [valued] if first.nulls_first else [valued, blanks]
    return [blanks, valued] if first.nulls_first else [valued, blanks]


def _encode_value(value):
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _invalid_cursor():
    return exceptions.ValidationError({"cursor": [_("Invalid cursor.")]})


def _no_constant(name):
    # json.loads reads Infinity, -Infinity and NaN, which no column holds.
    raise ValueError(name)


_BIGINT = 2**63


def _storable(value, key):
    """Whether a cursor value is one any database takes in a comparison with ``key``'s
    column: our cursors hold ids, dates, numbers and, for a true/false column, flags; a
    tampered one may hold 1e400 (infinite), a NUL (PostgreSQL rejects it in text), an
    integer past 64 bits (SQLite overflows) or a flag where the column holds no flag."""
    if value is None:
        return True
    if key.flag or isinstance(value, bool):
        return key.flag and isinstance(value, bool)
    if isinstance(value, int):
        return -_BIGINT <= value < _BIGINT
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, str):
        return "\x00" not in value
    return False


def newest_first(field):
    """The orderings of a list whose rows keep a date or time ``field``: newest first (the
    default, ties by id), or by id either way."""
    return {f"-{field}": (f"-{field}", "-id"), "-id": ("-id",), "id": ("id",)}


class KeysetPagination(pagination.BasePagination):
    """The view names its orderings: ``keyset_orderings = {"-id": ("-id",), ...}`` (each
    ending in a unique field) and ``keyset_default``; ?ordering= picks one.

    A view whose list an index serves in the order of a nullable first key, blanks apart
    (one owner's scores, from the index led by the owner copied onto them), says so with
    ``keyset_blanks_apart()``: the rows with a value and the blanks are then read by a
    query each (``_page_queries``)."""

    def _keys(self, queryset, fields):
        meta = queryset.model._meta
        keys = []
        for name in fields:
            field = name.lstrip("-")
            model_field = meta.pk if field == "pk" else meta.get_field(field)
            flag = model_field.get_internal_type() == "BooleanField"
            keys.append(
                _Key(model_field.attname, name.startswith("-"), model_field.null, flag=flag)
            )
        return keys

    def _ordering_name(self, request, view):
        name = request.query_params.get("ordering", view.keyset_default)
        if name not in view.keyset_orderings:
            choices = ", ".join(view.keyset_orderings)
            raise exceptions.ValidationError(
                {"ordering": [_("Choose one of: %(choices)s.") % {"choices": choices}]}
            )
        return name

    def _decode(self, token, ordering, keys):
        try:
            data = json.loads(
                base64.urlsafe_b64decode(token.encode("ascii")), parse_constant=_no_constant
            )
            values, backwards = data["v"], bool(data["b"])
            valid = data["o"] == ordering and isinstance(values, list) and len(values) == len(keys)
        except (ValueError, KeyError, TypeError, UnicodeEncodeError, binascii.Error):
            raise _invalid_cursor() from None
        if not valid or not all(_storable(v, key) for v, key in zip(values, keys, strict=True)):
            raise _invalid_cursor()
        return values, backwards

    def _encode(self, row, backwards):
        values = [_encode_value(getattr(row, key.field)) for key in self.keys]
        token = json.dumps({"o": self.ordering, "v": values, "b": int(backwards)})
        return base64.urlsafe_b64encode(token.encode()).decode("ascii")

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.ordering = self._ordering_name(request, view)
        self.keys = self._keys(queryset, view.keyset_orderings[self.ordering])
        size = _page_size(request)
        token = request.query_params.get("cursor")
        values, backwards = (
            self._decode(token, self.ordering, self.keys) if token else (None, False)
        )
        keys = [key.reversed() for key in self.keys] if backwards else self.keys
        blanks_apart = (
            keys[0].nullable
            and len(keys) > 1
            and getattr(view, "keyset_blanks_apart", lambda: False)()
        )
        try:
            queries = _page_queries(
                queryset,
                keys,
                values,
                blanks_apart=blanks_apart,
                ties_apart=getattr(view, "keyset_ties_apart", False),
            )
        except (ValueError, TypeError, DjangoValidationError) as exc:
            # A tampered cursor: a value the field cannot take.
            raise _invalid_cursor() from exc
        rows = []
        for query in queries:
            rows += query[: size + 1 - len(rows)]
            if len(rows) > size:
                break
        more = len(rows) > size
        rows = rows[:size]
        if backwards:
            rows.reverse()
        self.next_token = self.previous_token = None
        if rows:
            if more or backwards:
                self.next_token = self._encode(rows[-1], backwards=False)
            if (more and backwards) or (values is not None and not backwards):
                self.previous_token = self._encode(rows[0], backwards=True)
        return rows

    def _link(self, token):
        if token is None:
            return None
        return replace_query_param(self.request.build_absolute_uri(), "cursor", token)

    def get_paginated_response(self, data):
        return Response(
            {
                "next": self._link(self.next_token),
                "previous": self._link(self.previous_token),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        return _links_schema(schema, "The next page (an opaque cursor); null on the last page.")

    def get_schema_operation_parameters(self, view):
        ordering = f"Sort order (default `{view.keyset_default}`"
        since = getattr(view, "since_ordering", None)
        ordering += f"; with `updated_since`, `{since}`)." if since else ")."
        return [
            {
                "name": "cursor",
                "required": False,
                "in": "query",
                "description": "Opaque; take it from the `next` or `previous` link.",
                "schema": {"type": "string"},
            },
            {
                "name": "ordering",
                "required": False,
                "in": "query",
                "description": ordering,
                "schema": {"type": "string", "enum": list(view.keyset_orderings)},
            },
            _page_size_parameter(),
        ]
