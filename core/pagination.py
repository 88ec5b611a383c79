"""Page-number pagination without COUNT(*).

Counting a filtered million-row table on every keystroke of a search box costs seconds on
PostgreSQL; fetching one row more than a page tells whether there is a next page.
"""

from dataclasses import dataclass

from django.conf import settings


@dataclass
class Page:
    items: list
    number: int
    has_next: bool

    @property
    def has_previous(self):
        return self.number > 1

    @property
    def next_number(self):
        return self.number + 1

    @property
    def previous_number(self):
        return self.number - 1


def page_number(value):
    """The page asked for in a query string; anything but a positive integer is page 1."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return max(number, 1)


def paginate(queryset, number, per_page=None):
    per_page = per_page or settings.CRM_PAGE_SIZE
    number = page_number(number)
    start = (number - 1) * per_page
    rows = list(queryset[start : start + per_page + 1])
    return Page(items=rows[:per_page], number=number, has_next=len(rows) > per_page)
