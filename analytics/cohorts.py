"""Cohort retention and CAC payback, aggregated in SQL.

A customer's cohort is the month of their first purchase. Month k of a cohort is the k-th
calendar month after it (month 0 is the first month itself, 100% by definition); its
retention is the share of the cohort's customers who made a purchase in that month. A
month that has not begun by the as-of date is unknown (None), not 0%.

Everything comes from the purchase summary (``orders.summary``), never the orders: a rep's
from their customers' rows (``CustomerDay``, one per customer and purchase day, carrying
the customer's first purchase month and campaign: a customer's first row of a month counts
them once for that month, so the database counts rows, never distinct customers);
everyone's, and the payback, from the daily sums per campaign and cohort (``CohortDay``).
Without scores there are no cohorts yet (the page says so). The counts come grouped by
(acquiring campaign, cohort month, purchase month); the offsets and shares are worked out
here from those few rows.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import F, Q, Sum, Value
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _

from campaigns.selectors import campaign_cac, campaign_list, campaigns_visible_to
from orders.models import CohortDay
from valuemodels.numbers import to_cents, to_percent

from .company import (
    MONEY,
    add_months,
    has_scores,
    month_start,
    sees_everyone,
    shows_company_figures,
    summary_rows,
)

MONTH_CHOICES = (6, 12, 24)
DEFAULT_MONTHS = 12
CAMPAIGN_CURVES = 8
PAYBACK_MONTHS = 24


def month_index(day):
    return day.year * 12 + day.month - 1


def index_month(index):
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Cohort:
    month: date
    size: int
    counts: list  # customers buying in month k (None: month k has not begun)
    shares: list  # percent of the cohort, two places (None: not begun)


@dataclass(frozen=True)
class CampaignCurve:
    campaign_id: int | None
    name: str
    size: int
    shares: list  # percent of the campaign's customers whose month k has begun


@dataclass(frozen=True)
class CohortTable:
    as_of: date
    offsets: range
    cohorts: list
    campaigns: list

    @property
    def is_empty(self):
        return not any(c.size for c in self.cohorts)


def _cohort_rows(user, first_day, as_of, groups=None):
    """[(campaign id, cohort month number, purchase month number, customers)]: everyone's
    from the daily cohort sums, a rep's from their customers' summary rows (or from
    ``groups``, their ``summary_months`` from ``first_day`` to ``as_of``)."""
    if groups is not None:
        return [
            (campaign or None, month_index(cohort), month_index(month), n)
            for campaign, cohort, month, n, _revenue in groups
            if n
        ]
    if sees_everyone(user):
        # Not "buyers > 0": a shard's row may count fewer than none (CohortDay).
        rows = CohortDay.objects.exclude(buyers=0).annotate(
            month=TruncMonth("day"), customers=F("buyers")
        )
    else:
        # The customer's first purchase day of the month: one row per customer and month.
        rows = (
            summary_rows(user)
            .filter(Q(prev_day__isnull=True) | Q(prev_day__lt=F("month")))
            .annotate(customers=Value(1))
        )
    grouped = (
        rows.filter(first_month__gte=first_day, first_month__lte=as_of, day__lte=as_of)
        .order_by()
        .values_list("campaign", "first_month", "month")
        .annotate(n=Sum("customers"))
    )
    return [
        (campaign or None, month_index(cohort), month_index(month), n)
        for campaign, cohort, month, n in grouped
    ]


def cohort_table(*, user, as_of, months=DEFAULT_MONTHS, groups=None):
    """Retention of the last ``months`` monthly cohorts up to ``as_of``, and of the same
    customers grouped by the campaign that acquired them. ``groups``: a rep's
    ``company.summary_months`` of those months, already read for their monthly revenue."""
    last = month_index(as_of)
    first = last - months + 1
    offsets = range(months)
    # The cohorts appear with the scores, as the rest of the value figures do.
    rows = []
    if has_scores(user=user):
        rows = _cohort_rows(user, index_month(first), as_of, groups)

    # counts[(campaign, cohort)][k] = customers buying in month k
    counts = {}
    for campaign_id, cohort, month, n in rows:
        per_offset = counts.setdefault((campaign_id, cohort), [0] * months)
        per_offset[month - cohort] += n

    cohorts = []
    for cohort in range(first, last + 1):
        row = [0] * months
        for (_campaign, c), per_offset in counts.items():
            if c == cohort:
                row = [a + b for a, b in zip(row, per_offset, strict=True)]
        size = row[0]
        known = [k <= last - cohort for k in offsets]
        cohorts.append(
            Cohort(
                month=index_month(cohort),
                size=size,
                counts=[n if ok else None for n, ok in zip(row, known, strict=True)],
                shares=[
                    to_percent(n, size) if ok else None for n, ok in zip(row, known, strict=True)
                ],
            )
        )
    return CohortTable(
        as_of=as_of,
        offsets=offsets,
        cohorts=cohorts,
        campaigns=_campaign_curves(user, counts, offsets, last),
    )


def _campaign_curves(user, counts, offsets, last):
    """Per campaign, month k's share is over the customers whose month k has begun."""
    bought, eligible = {}, {}
    for (campaign_id, cohort), per_offset in counts.items():
        b = bought.setdefault(campaign_id, [0] * len(offsets))
        e = eligible.setdefault(campaign_id, [0] * len(offsets))
        for k in offsets:
            if k <= last - cohort:
                b[k] += per_offset[k]
                e[k] += per_offset[0]
    largest = sorted((c for c in eligible if c is not None), key=lambda c: (-eligible[c][0], c))[
        :CAMPAIGN_CURVES
    ]
    names = dict(campaigns_visible_to(user).filter(pk__in=largest).values_list("pk", "name"))
    order = largest + ([None] if None in eligible else [])
    return [
        CampaignCurve(
            campaign_id=c,
            name=_("No campaign") if c is None else names.get(c, _("Campaign %(id)s") % {"id": c}),
            size=eligible[c][0],
            shares=[to_percent(b, e) for b, e in zip(bought[c], eligible[c], strict=True)],
        )
        for c in order
    ]


# --- CAC payback ----------------------------------------------------------------------


@dataclass(frozen=True)
class Payback:
    campaign: object
    spend: Decimal
    acquired: int
    profit: Decimal  # gross profit to date of the customers it acquired
    months: int | None  # None: not paid back yet (or nothing spent)

    @property
    def paid_back(self):
        return self.months is not None


def campaign_payback(*, user, as_of, months=PAYBACK_MONTHS):
    """For campaigns started in the last ``months`` months: how many calendar months,
    counting the start month as the first, until the cumulative gross profit (revenue -
    cost of goods) of the customers the campaign acquired covered its spend to date.
    Company figures: None for users who do not see every customer."""
    if not shows_company_figures(user):
        return None
    since = add_months(month_start(as_of), -(months - 1))
    campaigns = list(campaign_list(user=user).filter(starts_on__gte=since, starts_on__lte=as_of))
    if not campaigns:
        return []
    stats = campaign_cac(as_of=as_of, campaign_ids=[c.pk for c in campaigns])
    rows = (
        CohortDay.objects.filter(
            campaign__in=[c.pk for c in campaigns],
            day__gte=min(month_start(c.starts_on) for c in campaigns),
            day__lte=as_of,
        )
        .order_by()
        .values_list("campaign", TruncMonth("day"))
        .annotate(profit=Sum(F("revenue") - F("cost"), output_field=MONEY))
    )
    profit = {}
    for campaign_id, month, amount in rows:
        profit.setdefault(campaign_id, {})[month_index(month)] = to_cents(amount)

    result = []
    for campaign in campaigns:
        spend = stats[campaign.pk].spend
        by_month = profit.get(campaign.pk, {})
        cumulative, paid_in = Decimal("0.00"), None
        for k, index in enumerate(range(month_index(campaign.starts_on), month_index(as_of) + 1)):
            cumulative += by_month.get(index, Decimal("0.00"))
            if paid_in is None and spend > 0 and cumulative >= spend:
                paid_in = k + 1
        result.append(
            Payback(
                campaign=campaign,
                spend=spend,
                acquired=stats[campaign.pk].acquired,
                profit=cumulative,
                months=paid_in,
            )
        )
    return result
