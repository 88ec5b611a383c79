"""Pagination without COUNT(*): page numbers for small lists, keyset pages for big ones.

Counting a filtered million-row table on every keystroke of a search box costs seconds on
PostgreSQL; fetching one row more than a page tells whether there is a next page.
``count_up_to`` tells a list's size the same way: exactly up to a cap ("1,000+" past it).

``paginate`` pages by number (an OFFSET), fine for lists that stay small. A list that can
hold a million rows pages with ``keyset_paginate`` instead: each page starts after the
last row of the one before (its sort key and id, carried in a signed cursor), so page
40,000 costs what page 1 costs, provided an index matches the order (issue 14).
"""

import datetime as dt
import heapq
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, Protocol, TypeVar

from django.conf import settings
from django.core import signing
from django.db.models import F, Model, Q, QuerySet
from django.db.models.expressions import CombinedExpression, OrderBy
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.http import Http404
from django.utils.translation import gettext as _

# Page numbers go this far: an OFFSET past it would be slow anyway; ?page=10**20 must not
# reach the database (bigint out of range) nor ``itertools.islice`` (ValueError).
MAX_PAGE = 100_000

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class Sliceable(Protocol[T_co]):
    """What ``paginate`` pages: a queryset, a list, or a feed that reads only the slice."""

    def __getitem__(self, window: slice, /) -> Iterable[T_co]: ...


@dataclass
class Page(Generic[T]):
    items: list[T]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_number(self) -> int:
        return self.number + 1

    @property
    def previous_number(self) -> int:
        return self.number - 1


def page_number(value: str | int | None) -> int:
    """The page asked for in a query string; anything but a positive integer is page 1.
    Past ``MAX_PAGE`` it is ``MAX_PAGE + 1``: ``paginate`` answers 404 for it, the API
    a 400 (a huge number must not reach the database, whose OFFSET is a bigint)."""
    if value is None:
        return 1
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_PAGE + 1)


def paginate(
    queryset: Sliceable[T], number: str | int | None, per_page: int | None = None
) -> Page[T]:
    size: int = per_page or settings.CRM_PAGE_SIZE
    page = page_number(number)
    if page > MAX_PAGE:
        raise Http404(_("There is no such page."))
    start = (page - 1) * size
    rows = list(queryset[start : start + size + 1])
    return Page(items=rows[:size], number=page, has_next=len(rows) > size and page < MAX_PAGE)


# --- Keyset pages ---------------------------------------------------------------------

KeyValue = str | int | float | Decimal | dt.date | dt.datetime | None
# Signed, so a cursor is only ever one this site made; no timestamp, so a page's link is
# the same each time; "." between payload and signature keeps it as is in a URL.
_SIGNER = signing.Signer(salt="core.pagination.cursor", sep=".")


@dataclass(frozen=True)
class Keyset:
    """The order of a keyset-paged list: one sort key, then the primary key as tie-breaker,
    both in the same direction. ``key`` is an ORM path ("name", "score__value_score").

    A ``nullable`` key (a customer without a score) puts its blanks last in either
    direction, ordered by id: the rows with a value and the blanks are read as two
    segments, each in an index's order, and the page where the blanks begin reads both
    (one query more per kind of blank, ``blank_parts``). ``name`` identifies the order in
    its cursors, so a cursor made for one sort is not followed in another."""

    name: str
    key: str
    descending: bool = False
    nullable: bool = False
    # The blanks of a key read through an optional relation ("score__value_score") are of
    # two kinds: rows whose related row lacks the value, and rows without a related row.
    # Given, these disjoint filters are the kinds, each read in primary-key order by a query
    # of its own (an index of its own can serve each) and merged: one query over both let
    # PostgreSQL walk the whole table by id to find a handful, or none (2.3 s at 1M).
    blank_parts: tuple[Q, ...] = ()
    # The list's filter leaves few blanks (a tier, a segment, one owner's book), so each
    # part is read whole from its own index and sorted by id (an expression no index holds,
    # so the database starts from the filter's own index), instead of walking the table by
    # id in search of the few (issue 14).
    sort_blanks: bool = False
    # A filter every listed row with a value meets anyway, repeated on the rows with a value
    # so that an index led by it serves their walk: a status or an owner copied onto the
    # score row (customers.selectors.customer_list_order).
    valued_filter: Q | None = None
    # A second key between the key and the primary key, in the key's direction, its blanks
    # last: what orders the rows of equal key (Call next: the value score among equal
    # amounts at stake). Only read to break the key's ties, so no index need lead with it.
    then: str = ""
    # The primary key's direction when it is not the key's (the most at stake first, then
    # the customers by id).
    pk_descending: bool | None = None
    # The list's index keeps the key's blanks (and ``then``'s) after its values in the
    # list's order (DESC NULLS LAST), so the walks say so: PostgreSQL reads a query's order
    # off an index only if the NULLS placement is the index's too. Otherwise an index is
    # plain (ASC, its blanks last) and read forwards or backwards.
    blanks_last_in_index: bool = False
    # The column beside the key in the list's index that holds the row's primary key: the
    # primary key itself, or a related row's copy of it (the score row's customer id under
    # a score figure). A page after the first starts where the row comparison (key, tie)
    # places it in that index.
    tie: str = "pk"

    def __post_init__(self) -> None:
        if self.then and self.blank_parts:
            raise ValueError("A keyset with a second key reads its blanks as one part.")

    @property
    def pk_descends(self) -> bool:
        return self.descending if self.pk_descending is None else self.pk_descending

    def ordering(self) -> tuple[OrderBy, ...]:
        """The same order for ``order_by`` on a whole list (an export, say)."""
        # NULLS LAST only where blanks can be: on a key without any, it would keep
        # PostgreSQL from reading a descending order backwards off an ascending index.
        orders = [self._order(self.key, nulls_last=True if self.nullable else None)]
        if self.then:
            orders.append(self._order(self.then, nulls_last=True))
        pk = F("pk")
        return (*orders, pk.desc() if self.pk_descends else pk.asc())

    def _order(self, name: str, *, nulls_last: bool | None) -> OrderBy:
        key = F(name)
        return (
            key.desc(nulls_last=nulls_last) if self.descending else key.asc(nulls_last=nulls_last)
        )


@dataclass(frozen=True)
class Position:
    """A row's place in a keyset order: its key (None for a blank), primary key and, for a
    keyset with one, its second key."""

    value: KeyValue
    pk: int
    then: KeyValue = None


@dataclass
class KeysetPage(Generic[T]):
    items: list[T]
    has_next: bool
    has_previous: bool
    next_cursor: str = ""
    previous_cursor: str = ""


def _encode_value(value: KeyValue) -> KeyValue:
    # Full precision: Django's JSON encoder would cut microseconds, and two customers
    # created in the same millisecond would swap or vanish between pages. Strings come
    # back through the field's own parsing when used in a lookup.
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def cursor_for(keyset: Keyset, position: Position, *, forward: bool) -> str:
    payload = [keyset.name, _encode_value(position.value), position.pk, 1 if forward else 0]
    if keyset.then:
        payload.append(_encode_value(position.then))
    return _SIGNER.sign_object(payload, compress=True)


def _is_value(value: object) -> bool:
    return value is None or isinstance(value, (str, int, float))


def read_cursor(keyset: Keyset, cursor: str | None) -> tuple[Position, bool] | None:
    """The position and direction (True: forward) a cursor carries; None for no cursor, one
    not signed here, or one made for another order, which the caller shows as the first
    page: a stale or tampered link is never an error."""
    if not cursor:
        return None
    try:
        payload = _SIGNER.unsign_object(cursor)
    except (signing.BadSignature, ValueError):
        return None
    match payload:
        case [str(name), value, int(pk), 0 | 1 as forward, *rest] if (
            name == keyset.name and _is_value(value) and len(rest) == (1 if keyset.then else 0)
        ):
            then = rest[0] if rest else None
            if (value is None and not keyset.nullable) or not _is_value(then):
                return None
            return Position(value, pk, then), bool(forward)
    return None


class _Walk:
    """The queries that read rows of ``queryset`` in ``keyset``'s order (``forward``) or
    against it, from a position (exclusive) or from a start value (inclusive)."""

    def __init__(
        self,
        queryset: QuerySet[Any],
        keyset: Keyset,
        *,
        forward: bool,
        valued: QuerySet[Any] | None = None,
    ) -> None:
        keys = {"_keyset_value": F(keyset.key)}
        if keyset.then:
            keys["_keyset_then"] = F(keyset.then)
        self.queryset = queryset.annotate(**keys)
        # The same rows written for the walk of those with a value (keyset_paginate).
        self.valued_rows = self.queryset if valued is None else valued.annotate(**keys)
        self.keyset = keyset
        # The directions rows are read in: the page's order, or its reverse.
        self.descending = keyset.descending != (not forward)
        self.pk_descending = keyset.pk_descends != (not forward)
        self.forward = forward

    def _key_order(self, name: str, *, blanks_last: bool) -> OrderBy:
        # ``blanks_last``: as the index holds them, so the page's order reads NULLS LAST
        # and its reverse NULLS FIRST; otherwise the database's default, a plain index's.
        key = F(name)
        if not blanks_last:
            return key.desc() if self.descending else key.asc()
        if self.forward:
            return key.desc(nulls_last=True) if self.descending else key.asc(nulls_last=True)
        return key.desc(nulls_first=True) if self.descending else key.asc(nulls_first=True)

    def _ordered(self, queryset: QuerySet[Any], *, by_key: bool) -> QuerySet[Any]:
        orders: list[OrderBy] = []
        if by_key:
            orders.append(
                self._key_order(self.keyset.key, blanks_last=self.keyset.blanks_last_in_index)
            )
        if self.keyset.then:
            orders.append(self._key_order(self.keyset.then, blanks_last=True))
        pk: F | CombinedExpression = F("pk")
        if self.keyset.sort_blanks and not by_key:
            pk = F("pk") + 0  # see Keyset.sort_blanks
        orders.append(pk.desc() if self.pk_descending else pk.asc())
        return queryset.order_by(*orders)

    def _tie(self, after: Position) -> Q:
        """The rows after ``after`` among those whose key equals its key: by the second
        key, its blanks last in the page's order, then by primary key."""
        pk = Q(**{f"pk__{'lt' if self.pk_descending else 'gt'}": after.pk})
        then = self.keyset.then
        if not then:
            return pk
        if after.then is None:
            blank = Q(**{f"{then}__isnull": True}) & pk
            return blank if self.forward else Q(**{f"{then}__isnull": False}) | blank
        beyond = Q(**{f"{then}__{'lt' if self.descending else 'gt'}": after.then})
        tied = Q(**{then: after.then}) & pk
        if self.forward:
            return beyond | Q(**{f"{then}__isnull": True}) | tied
        return beyond | tied

    def valued(self, after: Position | None = None, start: KeyValue = None) -> QuerySet[Any]:
        """Rows with a value, from ``after`` (exclusive) or ``start`` (inclusive)."""
        key = self.keyset.key
        beyond, reach = ("lt", "lte") if self.descending else ("gt", "gte")
        queryset = self.valued_rows
        if self.keyset.nullable:
            queryset = queryset.filter(**{f"{key}__isnull": False})
        if self.keyset.valued_filter is not None:
            queryset = queryset.filter(self.keyset.valued_filter)
        if after is not None and not self.keyset.then and self.pk_descending == self.descending:
            # (key, tie) beyond the position's as one row comparison, which PostgreSQL reads
            # as the bound of the index scan. Written as "beyond, or tied and beyond by id",
            # it planned for 3 ms and then read every row tied with the position before
            # reaching it: 1,276 customers of churn risk 1.0 fifty pages into a manager's
            # list (5 ms, issue 14). SQLite gets that longer form (Django's fallback), led
            # by the bound on the key alone that lets it start the scan at the position.
            beyond_row = TupleLessThan if self.descending else TupleGreaterThan
            queryset = queryset.filter(
                Q(**{f"{key}__{reach}": after.value}),
                beyond_row(Tuple(F(key), F(self.keyset.tie)), (after.value, after.pk)),
            )
        elif after is not None:
            # The redundant bound on the key alone lets the database start the index scan
            # at the position instead of filtering the rows before it.
            queryset = queryset.filter(
                Q(**{f"{key}__{reach}": after.value})
                & (
                    Q(**{f"{key}__{beyond}": after.value})
                    | (Q(**{key: after.value}) & self._tie(after))
                )
            )
        elif start is not None:
            queryset = queryset.filter(**{f"{key}__{reach}": start})
        return self._ordered(queryset, by_key=True)

    def blanks(self, limit: int, after: Position | None = None) -> list[Any]:
        """Up to ``limit`` rows without a value, by primary key (after the second key
        when there is one), after ``after`` when it is one of them: one query per kind of
        blank (``Keyset.blank_parts``), merged."""
        parts = self.keyset.blank_parts or (Q(**{f"{self.keyset.key}__isnull": True}),)
        found = []
        for part in parts:
            queryset = self.queryset.filter(part)
            if after is not None:
                queryset = queryset.filter(self._tie(after))
            found.append(list(self._ordered(queryset, by_key=False)[:limit]))
        if len(found) == 1:
            return found[0]
        rows = heapq.merge(*found, key=lambda row: row.pk, reverse=self.pk_descending)
        return list(itertools.islice(rows, limit))

    def rows(self, limit: int, after: Position | None = None, start: KeyValue = None) -> list[Any]:
        """Up to ``limit`` rows in this walk's direction. Forward the blanks come after the
        valued rows; backward (the reverse order) before them."""
        blanks_first = not self.forward
        in_blanks = after is not None and after.value is None
        if not self.keyset.nullable:
            return list(self.valued(after, start)[:limit])
        if blanks_first:
            if after is not None and not in_blanks:
                return list(self.valued(after)[:limit])
            rows = self.blanks(limit, after)
            if len(rows) < limit:
                rows += list(self.valued()[: limit - len(rows)])
            return rows
        if in_blanks:
            return self.blanks(limit, after)
        rows = list(self.valued(after, start)[:limit])
        if len(rows) < limit:
            rows += self.blanks(limit - len(rows))
        return rows


def _position(row: Model) -> Position:
    then = getattr(row, "_keyset_then", None)
    return Position(row._keyset_value, row.pk, then)  # type: ignore[attr-defined]


def keyset_paginate(
    queryset: QuerySet[Any],
    keyset: Keyset,
    *,
    cursor: str | None = None,
    start: KeyValue = None,
    per_page: int | None = None,
    valued: QuerySet[Any] | None = None,
) -> KeysetPage[Any]:
    """One page of ``queryset`` in ``keyset``'s order: after (or before) the row a
    ``cursor`` names, else from the first row whose key is ``start`` or beyond it (a
    "jump to"; ``start`` must suit the key's field), else from the top. Reads one row more
    than the page to know whether another follows. ``valued``: the same rows written
    otherwise, read for those with a value (``customers.selectors.customer_list_valued``)."""
    size: int = per_page or settings.CRM_PAGE_SIZE
    read = read_cursor(keyset, cursor)
    if read is not None:
        after, forward = read
        rows = _Walk(queryset, keyset, forward=forward, valued=valued).rows(size + 1, after=after)
        if not forward:
            if len(rows) < size:
                # Back at the top of the list, short of a page (a jump landed part-way
                # through one): show the first page whole instead.
                return keyset_paginate(queryset, keyset, per_page=size, valued=valued)
            items = rows[:size][::-1]
            page = KeysetPage(items=items, has_next=True, has_previous=len(rows) > size)
        else:
            page = KeysetPage(items=rows[:size], has_next=len(rows) > size, has_previous=True)
    else:
        rows = _Walk(queryset, keyset, forward=True, valued=valued).rows(size + 1, start=start)
        page = KeysetPage(
            items=rows[:size], has_next=len(rows) > size, has_previous=start is not None
        )
    if page.items:
        if page.has_next:
            page.next_cursor = cursor_for(keyset, _position(page.items[-1]), forward=True)
        if page.has_previous:
            page.previous_cursor = cursor_for(keyset, _position(page.items[0]), forward=False)
    elif page.has_previous:
        # A jump past the last row: nothing here, the way back is the list's end.
        page.has_previous = False
    return page


# A list says how many rows it has up to this many; past it, "1,000+".
COUNT_CAP = 1000


@dataclass(frozen=True)
class ResultCount:
    """How many rows a list has: exactly ``value``, or more than ``value`` when ``capped``."""

    value: int
    capped: bool


def count_up_to(
    queryset: Any, page: Page[Any] | KeysetPage[Any], cap: int | None = None
) -> ResultCount:
    """The number of rows of ``queryset`` (a QuerySet or a list), counted no further than
    ``cap`` (``COUNT_CAP`` when not given), so a big table is never counted whole.

    A page without a previous or next one is the whole list: no query. Otherwise a QuerySet counts
    at most ``cap + 1`` rows, as ``SELECT COUNT(*) FROM (... LIMIT cap + 1)``; its order is
    dropped first, or the database would sort every matching row to find the first ones.
    """
    if not page.has_previous and not page.has_next:
        return ResultCount(len(page.items), capped=False)
    cap = COUNT_CAP if cap is None else cap
    if isinstance(queryset, QuerySet):
        counted = queryset.order_by()[: cap + 1].count()
    else:
        counted = len(queryset[: cap + 1])
    return ResultCount(min(counted, cap), capped=counted > cap)
