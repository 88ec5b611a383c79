"""Reads of campaigns and their figures.

Every role with ``campaigns.view_campaign`` sees every campaign, its spend and its CAC:
those are company figures. The customers a campaign acquired, and the revenue from them,
are customer data, so they go through ``customers_visible_to``: a rep sees their own.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Aggregate, Count, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404

from core.pagination import Keyset
from core.types import AnyUser
from customers.models import Customer
from customers.selectors import (
    can_see_all_customers,
    can_see_customers,
    customers_visible_to,
    owner_copies_visible_to,
)
from orders.models import CohortDay, CustomerDay
from valuemodels.company import cac
from valuemodels.numbers import to_cents, to_percent

from .models import AcquiredCount, Campaign, SpendEntry

ZERO = Decimal("0.00")
HISTORY_LIMIT = 20


def campaigns_visible_to(user: AnyUser) -> QuerySet[Campaign]:
    if not user.is_authenticated or not user.has_perm("campaigns.view_campaign"):
        return Campaign.objects.none()
    return Campaign.objects.all()


def campaign_get(*, user: AnyUser, campaign_id: int) -> Campaign:
    return get_object_or_404(campaigns_visible_to(user), pk=campaign_id)


def campaign_list(
    *, user: AnyUser, search: str = "", channel: str = "", active_on: date | None = None
) -> QuerySet[Campaign]:
    """Campaigns, newest start first; ``active_on`` keeps those running on that date."""
    qs = campaigns_visible_to(user)
    search = search.strip()
    if search:
        qs = qs.filter(name__icontains=search)
    if channel:
        qs = qs.filter(channel=channel)
    if active_on:
        qs = qs.filter(
            Q(ends_on__isnull=True) | Q(ends_on__gte=active_on), starts_on__lte=active_on
        )
    return qs.order_by("-starts_on", "name", "id")


@dataclass(frozen=True)
class CampaignStats:
    spend: Decimal  # spend to date: entries dated on or before the as-of date
    budget_used: Decimal | None  # percent, two places; None without a budget
    acquired: int  # company-wide: the CAC denominator
    cac: Decimal | None  # None when nobody was acquired
    visible_acquired: int  # of those, customers the user may see
    revenue: Decimal  # net counted orders of the customers the user may see


def _totals(queryset: QuerySet[Any], key: str, value: Aggregate) -> dict[Any, Any]:
    """{key: aggregate} in one GROUP BY query."""
    return dict(queryset.order_by().values(key).annotate(total=value).values_list(key, "total"))


@dataclass(frozen=True)
class CampaignCac:
    spend: Decimal  # spend to the as-of date, in cents
    acquired: int  # customers it acquired, company-wide
    cac: Decimal | None  # spend / acquired in cents; None when nobody was acquired

    @property
    def cost_per_customer(self) -> Decimal | None:
        """spend / acquired, not rounded: what the value engine charges each customer the
        campaign acquired (its stored acquisition cost is then rounded to the cent)."""
        return self.spend / self.acquired if self.acquired else None


def campaign_cac(
    *, as_of: date, campaign_ids: Iterable[int] | None = None
) -> dict[int, CampaignCac]:
    """{campaign id: CampaignCac}: each campaign's spend up to ``as_of`` (inclusive) over
    the customers it acquired. The one definition of CAC per campaign, read by the campaign
    pages, the dashboard, the cohort page and the value engine.

    ``campaign_ids=None``: every campaign that has spent or acquired someone. Company
    figures, not scoped to a user: callers decide who sees them. Two queries
    whatever the number of campaigns."""
    spend_rows = SpendEntry.objects.filter(spent_on__lte=as_of)
    # Kept per campaign by the writes (campaigns.models.AcquiredCount): counting them read
    # 359,000 index entries at a million customers, 644 ms after a restart.
    acquired_rows = AcquiredCount.objects.exclude(customers=0)
    if campaign_ids is not None:
        campaign_ids = list(campaign_ids)
        spend_rows = spend_rows.filter(campaign_id__in=campaign_ids)
        acquired_rows = acquired_rows.filter(campaign_id__in=campaign_ids)
    spend = _totals(spend_rows, "campaign_id", Sum("amount", default=ZERO))
    acquired = dict(acquired_rows.values_list("campaign_id", "customers"))
    if campaign_ids is None:
        campaign_ids = sorted(spend.keys() | acquired.keys())
    result = {}
    for pk in campaign_ids:
        spent, count = to_cents(spend.get(pk, ZERO)), acquired.get(pk, 0)
        result[pk] = CampaignCac(
            spend=spent, acquired=count, cac=cac(spend=spent, new_customers=count)
        )
    return result


def spend_between(*, start: date, end: date) -> Decimal:
    """All campaigns' spend dated in [start, end), in cents: a period's marketing spend, the
    numerator of the company CAC of that period."""
    total = SpendEntry.objects.filter(spent_on__gte=start, spent_on__lt=end).aggregate(
        total=Sum("amount", default=ZERO)
    )["total"]
    return to_cents(total)


def campaign_stats(
    *, user: AnyUser, campaigns: Iterable[Campaign], as_of: date
) -> dict[int, CampaignStats]:
    """{campaign id: CampaignStats} for ``campaigns`` (e.g. one page of a list).

    Three or four small reads whatever the number of campaigns and customers, none per
    campaign: no aggregate over the customers or the orders for a user who sees everyone.
    """
    campaigns = list(campaigns)
    ids = [c.pk for c in campaigns]
    costs = campaign_cac(as_of=as_of, campaign_ids=ids)
    everyone = can_see_customers(user) and can_see_all_customers(user)
    if everyone:
        visible_acquired = {pk: cost.acquired for pk, cost in costs.items()}
    else:
        visible = customers_visible_to(user).filter(acquired_by_campaign_id__in=ids)
        visible_acquired = _totals(visible, "acquired_by_campaign_id", Count("id"))
    # From the purchase summary, not the orders (7 s for a page of campaigns at a million
    # customers): everyone's per-campaign sums, or a rep's daily rows by the owner copy.
    days = (
        CohortDay.objects.filter(campaign__in=ids)
        if everyone
        else owner_copies_visible_to(CustomerDay.objects.filter(campaign__in=ids), user)
    )
    revenue = _totals(days, "campaign", Sum("revenue", default=ZERO))
    stats = {}
    for campaign in campaigns:
        cost = costs[campaign.pk]
        stats[campaign.pk] = CampaignStats(
            spend=cost.spend,
            budget_used=to_percent(cost.spend, campaign.budget),
            acquired=cost.acquired,
            cac=cost.cac,
            visible_acquired=visible_acquired.get(campaign.pk, 0),
            revenue=revenue.get(campaign.pk, ZERO),
        )
    return stats


# The order of a campaign's customers, paged by keyset along the index led by the campaign
# (customers 0011): page 400 by OFFSET took 1.5 s for a campaign of 86,000 customers.
CUSTOMERS_ORDER = Keyset(name="campaign-customers", key="name")


def campaign_customers(*, user: AnyUser, campaign: Campaign) -> QuerySet[Customer]:
    """The customers ``campaign`` acquired that ``user`` may see, by name
    (``CUSTOMERS_ORDER``)."""
    return (
        customers_visible_to(user)
        .filter(acquired_by_campaign=campaign)
        .select_related("owner")
        .order_by(*CUSTOMERS_ORDER.ordering())
    )


def spend_entries_of(campaign: Campaign) -> QuerySet[SpendEntry]:
    return SpendEntry.objects.filter(campaign=campaign).order_by("-spent_on", "-id")


def spend_entry_get(*, user: AnyUser, campaign: Campaign, entry_id: int) -> SpendEntry:
    return get_object_or_404(
        SpendEntry.objects.filter(campaign__in=campaigns_visible_to(user)),
        campaign=campaign,
        pk=entry_id,
    )


@dataclass(frozen=True)
class Change:
    field: str
    old: object
    new: object


@dataclass(frozen=True)
class HistoryEntry:
    when: object
    user: object
    kind: str  # "+" created, "~" changed, "-" deleted (django-simple-history's codes)
    changes: list[Change]


def _display(field: Any, value: Any) -> Any:
    if value is None or value == "":
        return None
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    return value


def campaign_history(campaign: Campaign, limit: int = HISTORY_LIMIT) -> list[HistoryEntry]:
    """The latest changes to ``campaign``: who, when, and each field's old and new value.

    One query: one record more than shown is fetched so the oldest shown can be diffed.
    """
    records = list(
        campaign.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : limit + 1
        ]
    )
    entries = []
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = []
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous)
            for change in delta.changes:
                field: Any = Campaign._meta.get_field(change.field)  # a concrete field
                changes.append(
                    Change(
                        field=field.verbose_name,
                        old=_display(field, change.old),
                        new=_display(field, change.new),
                    )
                )
        entries.append(
            HistoryEntry(
                when=record.history_date,
                user=record.history_user,
                kind=record.history_type,
                changes=changes,
            )
        )
    return entries
