"""The customer list's rows, written in Python: ``{% load customer_rows %}``, then
``{% customer_rows page.items show_owner %}`` inside the table's ``<tbody>``.

Why not a template loop: at 25 rows of a dozen formatted cells, the template engine's
variable lookups, filters and includes were most of a list request's time (docs/benchmarks.md,
*A request's fixed cost*), and the list must serve 0.3 times the rate of a plain 50-row page
(issue 14). The cells are the same the template wrote: every value escaped as ``format_html``
escapes it, every word translated in the active language, amounts, percentages and dates
formatted by the same functions as the ``money`` and ``percent`` filters; the created date as
the ``date`` filter writes it (``core.formatting.short_date``).
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from core.formatting import EMPTY, format_money, format_number, format_percent, short_date
from core.html import around_id
from core.html import html as _html
from core.people import person
from customers.models import Customer

register = template.Library()

_ROW = (
    '<tr><td class="customer-name"><a href="{}">{}</a></td>'
    '<td><span class="badge status-{}">{}</span></td>{}'
    "<td>{}</td>"
    '<td class="customer-email">{}</td>'
    "<td>{}</td>"
    '<td class="num" data-label="{}">{}</td>'
    '<td class="num" data-label="{}">{}</td>'
    "<td>{}</td>"
    '<td class="num" data-label="{}">{}</td>'
    '<td class="num" data-label="{}">{}</td></tr>\n'
)


@dataclass(frozen=True)
class _Words:
    """What every row of a page shares, worked out once: the fixed words in the active
    language, the status labels and the two halves of a customer's address around its id
    (``reverse`` and ``get_status_display`` cost more per row than the rest of a cell)."""

    owner: str
    no_owner: str
    created: str
    score: str
    churn: str
    revenue: str
    statuses: dict[str, str]
    url_start: str
    url_end: str
    tiers: dict[str, str] = field(default_factory=dict)

    def tier(self, tier: str) -> str:
        if tier not in self.tiers:
            self.tiers[tier] = tier_badge(tier)
        return self.tiers[tier]

    @classmethod
    def now(cls) -> "_Words":
        url_start, url_end = around_id("customers:detail")
        return cls(
            owner=gettext("Owner"),
            no_owner=gettext("no owner"),
            created=gettext("Created"),
            score=gettext("Score"),
            churn=gettext("Churn risk"),
            revenue=gettext("Revenue"),
            statuses={value: str(label) for value, label in Customer.Status.choices},
            url_start=url_start,
            url_end=url_end,
        )


def tier_badge(tier: str) -> str:
    """A value tier as ``metrics/partials/tier_badge.html`` writes it (a tier given)."""
    return _html(
        '<span class="badge tier tier-{}">{}</span>',
        tier,
        gettext("Tier %(tier)s") % {"tier": tier},
    )


def owner_cell(owner: Any, label: str, no_owner: str) -> str:
    """An owner's cell of a list, labelled for a phone's cards; ``no_owner`` when none."""
    if owner is None:
        return _html('<td data-label="{}"><span class="muted">{}</span></td>', label, no_owner)
    return _html('<td data-label="{}">{}</td>', label, person(owner))


def _row(customer: Customer, words: _Words, show_owner: bool) -> str:
    # "score" is the customer's current metrics.CustomerScore, None before the first
    # calculation; any of its figures may be empty.
    score = getattr(customer, "score", None)
    value_score = churn_risk = revenue = None
    tier = ""
    if score is not None:
        value_score, churn_risk, revenue, tier = (
            score.value_score,
            score.churn_risk,
            score.revenue,
            score.tier,
        )
    return _html(
        _ROW,
        f"{words.url_start}{customer.pk}{words.url_end}",
        customer.name,
        customer.status,
        words.statuses.get(customer.status, customer.status),
        mark_safe(owner_cell(customer.owner, words.owner, words.no_owner) if show_owner else ""),
        customer.region or EMPTY,
        customer.email or EMPTY,
        mark_safe(
            " ".join(_html('<span class="badge">{}</span>', name) for name in customer.tag_list)
        ),
        words.created,
        short_date(customer.created_at),
        words.score,
        format_number(value_score),
        mark_safe(words.tier(tier) if tier else ""),
        words.churn,
        format_percent(churn_risk),
        words.revenue,
        format_money(revenue),
    )


@register.simple_tag
def customer_rows(customers: Iterable[Customer], show_owner: bool) -> SafeString:
    """One ``<tr>`` per customer (their tags put on by ``customers.selectors.tags_attach``);
    ``show_owner`` adds the owner column (a manager's list)."""
    words = _Words.now()
    return mark_safe("".join(_row(customer, words, show_owner) for customer in customers))
