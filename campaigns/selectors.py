"""Reads of campaigns and their figures.

Every role with ``campaigns.view_campaign`` sees every campaign, its spend and its CAC:
those are company figures. The customers a campaign acquired, and the revenue from them,
are customer data, so they go through ``customers_visible_to``: a rep sees their own.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.shortcuts import get_object_or_404

from customers.models import Customer
from customers.selectors import customers_visible_to
from orders.models import Order
from valuemodels.company import cac
from valuemodels.numbers import to_percent

from .models import Campaign, SpendEntry

ZERO = Decimal("0.00")
HISTORY_LIMIT = 20


def campaigns_visible_to(user):
    if not user.is_authenticated or not user.has_perm("campaigns.view_campaign"):
        return Campaign.objects.none()
    return Campaign.objects.all()


def campaign_get(*, user, campaign_id):
    return get_object_or_404(campaigns_visible_to(user), pk=campaign_id)


def campaign_list(*, user, search="", channel="", active_on=None):
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


def _totals(queryset, key, value):
    """{key: aggregate} in one GROUP BY query."""
    return dict(queryset.order_by().values(key).annotate(total=value).values_list(key, "total"))


def campaign_stats(*, user, campaigns, as_of):
    """{campaign id: CampaignStats} for ``campaigns`` (e.g. one page of a list).

    Four aggregate queries whatever the number of campaigns, none per campaign.
    """
    campaigns = list(campaigns)
    ids = [c.pk for c in campaigns]
    spend = _totals(
        SpendEntry.objects.filter(campaign_id__in=ids, spent_on__lte=as_of),
        "campaign_id",
        Sum("amount", default=ZERO),
    )
    acquired = _totals(
        Customer.objects.filter(acquired_by_campaign_id__in=ids),
        "acquired_by_campaign_id",
        Count("id"),
    )
    visible = customers_visible_to(user).filter(acquired_by_campaign_id__in=ids)
    visible_acquired = _totals(visible, "acquired_by_campaign_id", Count("id"))
    revenue = _totals(
        Order.objects.counted().filter(customer__in=visible),
        "customer__acquired_by_campaign_id",
        Sum(F("total_base") - F("refunded_base"), default=ZERO),
    )
    stats = {}
    for campaign in campaigns:
        spent = spend.get(campaign.pk, ZERO)
        count = acquired.get(campaign.pk, 0)
        stats[campaign.pk] = CampaignStats(
            spend=spent,
            budget_used=to_percent(spent, campaign.budget),
            acquired=count,
            cac=cac(spend=spent, new_customers=count),
            visible_acquired=visible_acquired.get(campaign.pk, 0),
            revenue=revenue.get(campaign.pk, ZERO),
        )
    return stats


def campaign_customers(*, user, campaign):
    """The customers ``campaign`` acquired that ``user`` may see."""
    return (
        customers_visible_to(user)
        .filter(acquired_by_campaign=campaign)
        .select_related("owner")
        .order_by("name", "id")
    )


def spend_entries_of(campaign):
    return SpendEntry.objects.filter(campaign=campaign).order_by("-spent_on", "-id")


def spend_entry_get(*, user, campaign, entry_id):
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
    changes: list


def _display(field, value):
    if value is None or value == "":
        return None
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    return value


def campaign_history(campaign, limit=HISTORY_LIMIT):
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
                field = Campaign._meta.get_field(change.field)
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
