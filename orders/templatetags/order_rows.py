"""The order list's rows, written in Python: ``{% load order_rows %}``, then
``{% order_rows page.items base_currency %}`` inside the table's ``<tbody>``.

As the customer list's (customers/templatetags/customer_rows.py, where the reasons are): a
template loop's variable lookups, ``url`` tags, the status badge's include and the ``date``
and ``money`` filters were most of the list's time (docs/benchmarks.md, "Ninth round"). The
cells are those the template wrote: every value escaped, the status in the active language,
the day and the amounts formatted by the same functions as the ``date`` and ``money``
filters.
"""

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from core.formatting import format_money, short_day
from core.html import around_id
from core.html import html as _html
from orders.models import Order

register = template.Library()

_ROW = (
    '<tr><td class="nowrap"><a href="{}{}{}">{}</a></td>'
    '<td class="nowrap" data-label="{}">{}</td>'
    '<td><a href="{}{}{}">{}</a></td>'
    '<td><span class="badge order-{}">{}</span></td>'
    '<td class="num" data-label="{}">{}</td>'
    '<td class="num" data-label="{}">{}</td></tr>\n'
)


@register.simple_tag
def order_rows(
    orders: Iterable[Order], base_currency: str, columns: dict[str, dict[str, Any]]
) -> SafeString:
    """One ``<tr>`` per order (its customer read with it: ``select_related``). A figure's
    cell carries its column's name (``columns``: the sortable headers' labels), which a
    phone shows beside it, each row a card (static/css/app.css, ``.row-cards``)."""
    order_url = around_id("orders:detail")
    customer_url = around_id("orders:customer_orders")
    statuses = {value: str(label) for value, label in Order.Status.choices}
    date, total, base = columns["date"]["label"], gettext("Total"), columns["total"]["label"]
    rows = (
        _html(
            _ROW,
            order_url[0],
            order.pk,
            order_url[1],
            order.number,
            date,
            short_day(order.ordered_on),
            customer_url[0],
            order.customer_id,
            customer_url[1],
            order.customer.name,
            order.status,
            statuses.get(order.status, order.status),
            total,
            format_money(order.total, order.currency),
            base,
            format_money(order.total_base, base_currency),
        )
        for order in orders
    )
    return mark_safe("".join(rows))
