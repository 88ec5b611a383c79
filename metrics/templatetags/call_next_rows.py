"""The rows of "Call next", written in Python: ``{% load call_next_rows %}``, then
``{% call_next_rows rows show_owner %}`` inside the table's ``<tbody>``.

As the customer list's (customers/templatetags/customer_rows.py, where the reasons are): per
row, two ``url`` tags, the tier badge's include and ``blocktranslate``, two ``translate`` and
the amounts' filters were most of the page's time (docs/benchmarks.md, "Ninth round"). The
cells are those the template wrote: every value escaped, the words in the active language,
the score as ``floatformat:0`` and the amounts as the ``money`` filter write them.
"""

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from core.formatting import format_money, format_number
from core.html import around_id
from core.html import html as _html
from customers.templatetags.customer_rows import owner_cell, tier_badge

register = template.Library()

# A figure's cell carries its column's name, which a phone shows beside it, each row a card
# (static/css/app.css, ``.row-cards``).
_ROW = (
    '<tr><td><a href="{}">{}</a> {}</td>{}'
    '<td class="num" data-label="{}">{}</td>'
    '<td class="num" data-label="{}">{}</td>'
    '<td class="num" data-label="{}">{}</td>'
    "<td>{}</td>"
    '<td><a class="button small" href="{}?kind=call#log-activity">{}</a></td></tr>\n'
)


@register.simple_tag
def call_next_rows(rows: Iterable[dict[str, Any]], show_owner: bool) -> SafeString:
    """One ``<tr>`` per row ({"score": a CustomerScore with its customer and the customer's
    owner read with it, "reason": why now}); ``show_owner`` adds the owner column."""
    value_url = around_id("metrics:customer_value")
    activities_url = around_id("customers:activities")
    no_owner, log_a_call = gettext("no owner"), gettext("Log a call")
    owner_label, score_label = gettext("Owner"), gettext("Score")
    at_stake_label, loss_label = gettext("Value at stake"), gettext("Loss value")
    badges: dict[str, str] = {}
    out = []
    for row in rows:
        score = row["score"]
        customer = score.customer
        tier = score.tier or ""
        if tier and tier not in badges:
            badges[tier] = tier_badge(tier)
        value = score.value_score
        out.append(
            _html(
                _ROW,
                f"{value_url[0]}{customer.pk}{value_url[1]}",
                customer.name,
                mark_safe(badges.get(tier, "")),
                mark_safe(owner_cell(customer.owner, owner_label, no_owner) if show_owner else ""),
                score_label,
                "" if value is None else format_number(value),
                at_stake_label,
                format_money(score.at_stake),
                loss_label,
                format_money(score.loss_value),
                row["reason"],
                f"{activities_url[0]}{customer.pk}{activities_url[1]}",
                log_a_call,
            )
        )
    return mark_safe("".join(out))
