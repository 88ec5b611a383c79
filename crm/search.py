"""Global search across customers, contacts and orders, for the top bar and /search/.

Every group starts from its app's scope (``customers_visible_to``, ``contacts_visible_to``,
``orders_visible_to``), the same the pages and the API use: a rep never finds a teammate's
customer, nor that customer's contacts or orders.

Matches come in tiers, cheapest first, and a tier runs only while the group has room:

1. whole matches: a customer's external id, an order's number (both on their own index);
2. fields that start with the query (name, email, phone; an order's number), whole-field
   matches first: one query per field, ``UPPER(col) COLLATE "C" LIKE 'Q%' ORDER BY ... LIMIT``,
   each read from one range of the b-tree indexes of customers/migrations/0006 and
   orders/migrations/0005 (``*_prefix``), so none walks a big index whatever the table's
   size;
3. fields that contain it anywhere (three characters or more: a two-character pattern
   holds no trigram), found by the trigram indexes of customers/migrations/0002 and
   crm/migrations/0002. "The first ten by name whose name contains X" let PostgreSQL walk
   the name index until ten matched, through the whole table for a name that matches few
   (1.55 s for customers, 3.3 s for orders walking the order-date index, at a million
   customers: issue 14); so the matches are picked from any CANDIDATES of them, read first
   without an order (PostgreSQL takes them from the trigram index), and only those are sorted.
   Not as a subquery: planned with statistics that did not know a rep's orders yet, it was
   run again for each of the rep's rows, for minutes.
   When more than CANDIDATES match, the ones shown are the first of those candidates in the
   group's order, not of all the matches, and the group says that more match.
   A rep's customers' and contacts' candidates come from their own book, whose cost does
   not grow with how common the query is (``_books``); orders keep to the indexes.

An order number found whole skips the third tier: a number is what one types to open that
order, and the trigram lists of "SO-" hold every order. Within a tier customers and
contacts are shown A to Z by name, orders newest first. On SQLite the same queries run
without the indexes (``UPPER(col)`` sorts alike there).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Expression,
    F,
    Func,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Collate, Upper
from django.db.models.lookups import Contains

from core.types import AnyUser
from customers.models import Contact
from customers.selectors import can_see_all_customers, contacts_visible_to, customers_visible_to
from orders.selectors import orders_visible_to

MIN_LENGTH = 2
CONTAINS_LENGTH = 3  # shorter queries match the start of a field
CANDIDATES = 500


@dataclass(frozen=True)
class Group:
    items: list
    has_more: bool  # more matches than shown: the user should refine the query


@dataclass(frozen=True)
class SearchResults:
    query: str
    customers: Group
    contacts: Group
    orders: Group

    @property
    def searched(self) -> bool:
        return len(self.query) >= MIN_LENGTH

    @property
    def empty(self) -> bool:
        return not (self.customers.items or self.contacts.items or self.orders.items)


NOTHING = Group(items=[], has_more=False)


def _key(field: str) -> Expression:
    """The indexed form of a field: upper case, in byte order, so that a prefix is one range."""
    if connection.vendor == "postgresql":
        return Collate(Upper(field), "C")
    return Upper(field)


class _Collector:
    """The first ``limit + 1`` distinct matches of a group, tier after tier."""

    def __init__(self, limit: int):
        self.limit = limit
        self.items: list[Model] = []

    @property
    def room(self) -> int:
        return self.limit + 1 - len(self.items)

    @property
    def seen(self) -> list[Any]:
        return [item.pk for item in self.items]

    def add(self, rows: Iterable[Model]) -> None:
        seen = set(self.seen)
        for row in rows:
            if self.room > 0 and row.pk not in seen:
                seen.add(row.pk)
                self.items.append(row)

    def group(self) -> Group:
        return Group(items=self.items[: self.limit], has_more=len(self.items) > self.limit)


def _starting_with(
    scope: QuerySet,
    *,
    query: str,
    fields: Iterable[str],
    sort: Callable[[Any], Any],
    room: int,
) -> list[Model]:
    """Rows whose field starts with ``query``: the first ``room`` by each field, those whose
    field is the whole query first, then in the group's ``sort`` order."""
    upper = query.upper()
    whole: dict[Any, bool] = {}
    rows: dict[Any, Model] = {}
    for field in fields:
        key = _key(field)
        matches = (
            scope.alias(search_key=key)
            .filter(search_key__startswith=upper)
            .order_by(key.asc(), "pk")[:room]
        )
        for row in matches:
            rows[row.pk] = row
            whole[row.pk] = whole.get(row.pk, False) or str(getattr(row, field)).upper() == upper
    return sorted(rows.values(), key=lambda row: (not whole[row.pk], sort(row)))


def _trigram_matches(fields: Iterable[str], query: str) -> Q:
    """``UPPER(col) LIKE UPPER('%q%')``, which the trigram indexes serve."""
    matches = Q()
    for field in fields:
        matches |= Q(**{f"{field}__icontains": query})
    return matches


def _scanned_matches(fields: Iterable[str], query: str) -> Q:
    """The same matches on the prefix indexes' key, which no trigram index serves, so that
    PostgreSQL reads the scope's rows instead."""
    matches = Q()
    for field in fields:
        matches |= Q(Contains(_key(field), Upper(Value(query))))
    return matches


# Reads a book's candidates: up to CANDIDATES ids of rows that match, but not those seen.
Book = Callable[[Q, list[Any]], list[Any]]


def _ids(rows: QuerySet, matches: Q, seen: list[Any]) -> list[Any]:
    """Up to CANDIDATES ids, in no order: any order (the models' default, by name; the
    newest orders) lets the database walk that order's index in the hope of meeting
    CANDIDATES matches soon."""
    return list(
        rows.filter(matches)
        .exclude(pk__in=seen)
        .order_by()
        .values_list("pk", flat=True)[:CANDIDATES]
    )


def _candidates(
    scope: QuerySet, *, query: str, fields: Iterable[str], seen: list[Any], book: Book | None
) -> list[Any]:
    """The candidates read from ``book`` row by row when given, else from the trigram
    indexes within ``scope``."""
    if book is None:
        return _ids(scope, _trigram_matches(fields, query), seen)
    return book(_scanned_matches(fields, query), seen)


def _containing(
    scope: QuerySet,
    *,
    query: str,
    fields: Iterable[str],
    order: tuple[Any, ...],
    seen: list[Any],
    room: int,
    book: Book | None,
) -> QuerySet:
    # Read first, not a subquery: in one statement PostgreSQL could run the candidates'
    # search again for each of a rep's rows when its statistics did not know the rep yet
    # (an owner just copied onto 51,000 orders: a search ran for minutes, issue 14).
    candidates = _candidates(scope, query=query, fields=fields, seen=seen, book=book)
    return scope.filter(pk__in=candidates).order_by(*order)[:room]


def _books(user: AnyUser, customers: QuerySet) -> tuple[Book | None, Book | None]:
    """Where a rep's "contains" tier reads its customers and contacts: their own book, row
    by row, not the trigram indexes. Those list a query's matches among everyone's rows, a
    cost that grows with how common the query is, not with the scope: "son" in 98,000
    contacts took 150-510 ms for a rep at 1M customers, a shared email domain 160 ms. A
    rep's 5,000 customers take about 10 ms through the owner's index (a match written on
    the prefix key, which no trigram index serves, leaves PostgreSQL that index alone), and
    their 4,200 contacts about 20 ms (``_contacts_of``). Everyone's (a manager's) are only
    narrowed by the indexes: (None, None). Orders keep to the indexes: a rep's 50,000 cost
    30-70 ms, no less than the trigram lists of an order number's digits."""
    if can_see_all_customers(user):
        return None, None
    return partial(_ids, customers), _contacts_of(customers)


def _contacts_of(customers: QuerySet) -> Book:
    """The contacts of ``customers``, read customer by customer on PostgreSQL: each
    customer's matching contacts in an array, unnested, so that every customer is one probe
    of the contacts' customer index. As a join, ``customer IN (their customers)``,
    PostgreSQL planned a scan of every contact once the statistics moved (0.4-1.1 s at 1M
    for a rep's 5,000 customers); a subquery in the select list is run for each row, and
    never turned into a join."""
    if connection.vendor != "postgresql":
        return partial(_ids, Contact.objects.filter(customer__in=customers))

    def read(matches: Q, seen: list[Any]) -> list[Any]:
        theirs = (
            Contact.objects.filter(customer=OuterRef("pk"))
            .filter(matches)
            .exclude(pk__in=seen)
            .order_by()
            .values("pk")
        )
        each = Func(ArraySubquery(theirs), function="unnest", output_field=BigIntegerField())
        return list(
            customers.order_by()
            .annotate(contact=each)
            .values_list("contact", flat=True)[:CANDIDATES]
        )

    return read


def _by_name(row: Any) -> tuple[str, int]:
    return (row.name, row.pk)


def _newest_first(row: Any) -> tuple[int, int]:
    return (-row.ordered_on.toordinal(), -row.pk)


def _search(
    scope: QuerySet,
    *,
    query: str,
    limit: int,
    fields: tuple[str, ...],
    sort: Callable[[Any], Any],
    order: tuple[Any, ...],
    first: QuerySet | None = None,
    first_is_enough: bool = False,
    book: Book | None = None,
) -> Group:
    """Up to ``limit`` matches: ``first`` (whole matches), then the fields starting with
    the query, then those containing it (not when ``first`` found one and
    ``first_is_enough``), their candidates read from ``book`` when given (``_candidates``)."""
    found = _Collector(limit)
    if first is not None:
        found.add(first[: found.room])
    enough = first_is_enough and bool(found.items)
    if found.room:
        found.add(_starting_with(scope, query=query, fields=fields, sort=sort, room=found.room))
    if found.room and len(query) >= CONTAINS_LENGTH and not enough:
        found.add(
            _containing(
                scope,
                query=query,
                fields=fields,
                order=order,
                seen=found.seen,
                room=found.room,
                book=book,
            )
        )
    return found.group()


def global_search(*, user: AnyUser, query: str, limit: int = 10) -> SearchResults:
    """Up to ``limit`` matches of each kind; nothing for a query under MIN_LENGTH."""
    query = query.strip()
    if len(query) < MIN_LENGTH:
        return SearchResults(query=query, customers=NOTHING, contacts=NOTHING, orders=NOTHING)
    customers = customers_visible_to(user)
    orders = orders_visible_to(user).select_related("customer")
    customer_book, contact_book = _books(user, customers)
    return SearchResults(
        query=query,
        customers=_search(
            customers,
            query=query,
            limit=limit,
            fields=("name", "email", "phone"),
            sort=_by_name,
            order=("name", "id"),
            first=customers.filter(external_id=query),
            book=customer_book,
        ),
        contacts=_search(
            contacts_visible_to(user).select_related("customer"),
            query=query,
            limit=limit,
            fields=("name", "email", "phone"),
            sort=_by_name,
            order=("name", "id"),
            book=contact_book,
        ),
        orders=_search(
            orders,
            query=query,
            limit=limit,
            fields=("number",),
            sort=_newest_first,
            order=(F("ordered_on").desc(), F("id").desc()),
            first=orders.alias(search_key=_key("number")).filter(search_key=query.upper()),
            first_is_enough=True,
        ),
    )
