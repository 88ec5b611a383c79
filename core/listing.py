"""Template tags of the keyset-paged lists (``{% load listing %}``), written in Python
because every list page writes them several times (issue 14: the template include they
replace cost more than the rest of the header row)."""

from typing import Any

from django import template
from django.template.defaulttags import querystring
from django.utils.safestring import SafeString, mark_safe

from .html import escaped

register = template.Library()

_NUM = ' class="num"'
_ARIA_SORT = {"asc": ' aria-sort="ascending"', "desc": ' aria-sort="descending"'}
_ARROW = {"asc": ' <span aria-hidden="true">▲</span>', "desc": ' <span aria-hidden="true">▼</span>'}


@register.simple_tag(takes_context=True)
def sort_header(
    context: template.Context, column: dict[str, Any], target: str, num: bool = False
) -> SafeString:
    """A sortable column header: ``column`` has label, direction ("asc", "desc" or "") and
    sort (this column's next sort, put in the current filters; the cursor and any jump go,
    so the new order starts at its top); htmx swaps ``target``."""
    url = escaped(
        querystring(context, sort=column["sort"], page=None, cursor=None, **{"from": None})
    )
    direction = column["direction"]
    return mark_safe(
        f'<th scope="col"{_NUM if num else ""}{_ARIA_SORT.get(direction, "")}>\n'
        f'  <a href="{url}" hx-get="{url}" hx-target="{escaped(target)}" hx-push-url="true">'
        f"{escaped(column['label'])}{_ARROW.get(direction, '')}</a>\n</th>"
    )
