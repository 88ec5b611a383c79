"""Walking an HTML list paged by keyset (core.pagination.keyset_paginate) the way a reader
does: from its first page, by each page's Next link, as an htmx swap of the list or as a
whole page; and the cursors that are not ours, which every keyset list answers with its
first page (never an error)."""

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.selectors import CUSTOMERS_ORDER
from core.pagination import Position, cursor_for

_NEXT = re.compile(r'<a href="(\?[^"]*)"[^>]*rel="next"')


@dataclass
class Walk:
    pages: list[list[int]]  # the ids on each page, first to last
    queries: list[int]  # the queries each page ran
    html: list[str]  # each page's response

    @property
    def ids(self) -> list[int]:
        return [pk for page in self.pages for pk in page]


def walk(client, url, *, target=None):
    """Every page of the list at ``url``, from the first by each page's Next link: whole
    pages, or, given ``target`` (the list's element id), the list alone as htmx swaps it."""
    path = urlsplit(url).path
    headers = {"HX-Request": "true", "HX-Target": target} if target else {}
    found = Walk([], [], [])
    while url:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, headers=headers)
        assert response.status_code == 200, url
        html = response.content.decode()
        found.pages.append([row.pk for row in response.context["page"].items])
        found.queries.append(len(captured))
        found.html.append(html)
        link = _NEXT.search(html)
        url = path + link.group(1).replace("&amp;", "&") if link else None
    return found


def cursors_not_ours(cursor):
    """Cursors a keyset list shows its first page for: junk, ``cursor`` with its payload
    altered, and one signed here for another list."""
    payload, signature = cursor.rsplit(".", 1)
    return {
        "junk": "junk",
        "tampered": f"{payload}x.{signature}",
        "another list's": cursor_for(CUSTOMERS_ORDER, Position("Acme", 1), forward=True),
    }


def assert_cursors_not_ours_show_the_first_page(client, url, first_ids):
    """Each of ``cursors_not_ours`` (made from the first page's Next cursor) answers 200
    with the first page of the list at ``url``, whose ids are ``first_ids``."""
    cursor = client.get(url).context["page"].next_cursor
    assert cursor, "the list needs a second page"
    for kind, bad in cursors_not_ours(cursor).items():
        sep = "&" if "?" in url else "?"
        response = client.get(f"{url}{sep}cursor={quote(bad)}")
        assert response.status_code == 200, kind
        assert [row.pk for row in response.context["page"].items] == first_ids, kind
