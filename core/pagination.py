"""Page-number pagination without COUNT(*).

Counting a filtered million-row table on every keystroke of a search box costs seconds on
PostgreSQL; fetching one row more than a page tells whether there is a next page.
``count_up_to`` tells a list's size the same way: exactly up to a cap ("1,000+" past it).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from django.conf import settings
from django.db.models import QuerySet
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


# A list says how many rows it has up to this many; past it, "1,000+".
COUNT_CAP = 1000


@dataclass(frozen=True)
class ResultCount:
    """How many rows a list has: exactly ``value``, or more than ``value`` when ``capped``."""

    value: int
    capped: bool


def count_up_to(queryset: Any, page: Page[Any], cap: int | None = None) -> ResultCount:
    """The number of rows of ``queryset`` (a QuerySet or a list), counted no further than
    ``cap`` (``COUNT_CAP`` when not given), so a big table is never counted whole.

    A first page without a next one is the whole list: no query. Otherwise a QuerySet counts
    at most ``cap + 1`` rows, as ``SELECT COUNT(*) FROM (... LIMIT cap + 1)``; its order is
    dropped first, or the database would sort every matching row to find the first ones.
    """
    if page.number == 1 and not page.has_next:
        return ResultCount(len(page.items), capped=False)
    cap = COUNT_CAP if cap is None else cap
    if isinstance(queryset, QuerySet):
        counted = queryset.order_by()[: cap + 1].count()
    else:
        counted = len(queryset[: cap + 1])
    return ResultCount(min(counted, cap), capped=counted > cap)
