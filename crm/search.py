"""Global search across customers, contacts and orders, for the top bar and /search/.

Every group starts from its app's scope (``customers_visible_to``, ``contacts_visible_to``,
``orders_visible_to``), the same the pages and the API use: a rep never finds a teammate's
customer, nor that customer's contacts or orders. On PostgreSQL each ``icontains`` is
``UPPER(col::text) LIKE UPPER(%q%)``, served by the trigram indexes of
customers/migrations/0002 and crm/migrations/0002; external ids match exactly, on their
unique index, because an OR with an unindexed branch would turn the whole query into a
sequential scan.

A two-character pattern holds no trigram, so "contains" could not use those indexes and
scans the table when little matches (0.3 s at 200,000 customers); a two-character query
therefore matches the start of each field ("ab%", whose padded trigrams the index has).

Orders are shown newest first, and "the newest 11 orders whose number contains X" let
PostgreSQL walk the order-date index until 11 matched, expecting them soon: its estimate
for ``LIKE '%x%'`` is a guess, and for a name (the usual query, matching no order number)
the walk went through all 10.2 million orders (3.3 s, issue 14). So the orders are picked
from the newest ORDER_CANDIDATES matches, a subquery of its own: to find that many by
walking, PostgreSQL would expect to read the whole table, so it takes them from the trigram
index, and the few it finds are sorted after. The result is the same as before: the
newest matches are among the newest candidates.
"""

import operator
from dataclasses import dataclass
from functools import reduce

from django.db.models import Q

from customers.selectors import contacts_visible_to, customers_visible_to
from orders.selectors import orders_visible_to

MIN_LENGTH = 2
CONTAINS_LENGTH = 3  # shorter queries match the start of a field
ORDER_CANDIDATES = 500


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
    def searched(self):
        return len(self.query) >= MIN_LENGTH

    @property
    def empty(self):
        return not (self.customers.items or self.contacts.items or self.orders.items)


NOTHING = Group(items=[], has_more=False)


def _first(queryset, limit):
    rows = list(queryset[: limit + 1])
    return Group(items=rows[:limit], has_more=len(rows) > limit)


def _matching(query, *fields):
    lookup = "icontains" if len(query) >= CONTAINS_LENGTH else "istartswith"
    return reduce(operator.or_, (Q(**{f"{field}__{lookup}": query}) for field in fields))


def global_search(*, user, query, limit=10):
    """Up to ``limit`` matches of each kind; nothing for a query under MIN_LENGTH."""
    query = query.strip()
    if len(query) < MIN_LENGTH:
        return SearchResults(query=query, customers=NOTHING, contacts=NOTHING, orders=NOTHING)
    customer_hits = customers_visible_to(user).filter(
        _matching(query, "name", "email", "phone") | Q(external_id=query)
    )
    contact_hits = (
        contacts_visible_to(user)
        .filter(_matching(query, "name", "email", "phone"))
        .select_related("customer")
    )
    newest = (
        orders_visible_to(user).filter(_matching(query, "number")).order_by("-ordered_on", "-id")
    )
    order_hits = (
        orders_visible_to(user)
        .filter(pk__in=newest.values("pk")[: max(ORDER_CANDIDATES, limit + 1)])
        .select_related("customer")
    )
    return SearchResults(
        query=query,
        customers=_first(customer_hits.order_by("name", "id"), limit),
        contacts=_first(contact_hits.order_by("name", "id"), limit),
        orders=_first(order_hits.order_by("-ordered_on", "-id"), limit),
    )
