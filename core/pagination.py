"""Page-number pagination without COUNT(*).

Counting a filtered million-row table on every keystroke of a search box costs seconds on
PostgreSQL; fetching one row more than a page tells whether there is a next page.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from django.conf import settings

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
    """The page asked for in a query string; anything but a positive integer is page 1."""
    if value is None:
        return 1
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return max(number, 1)


def paginate(
    queryset: Sliceable[T], number: str | int | None, per_page: int | None = None
) -> Page[T]:
    size: int = per_page or settings.CRM_PAGE_SIZE
    page = page_number(number)
    start = (page - 1) * size
    rows = list(queryset[start : start + size + 1])
    return Page(items=rows[:size], number=page, has_next=len(rows) > size)
