import datetime as dt
from decimal import Decimal

import pytest

from campaigns import selectors, services
from campaigns.models import Campaign
from campaigns.services import acquired_recount
from customers.models import Customer
from orders.models import Order
from tests.campaigns.factories import CampaignFactory, SpendEntryFactory
from tests.factories import CustomerFactory
from tests.orders.factories import OrderFactory

AS_OF = dt.date(2026, 6, 30)


def stats_for(user, campaign, as_of=AS_OF):
    return selectors.campaign_stats(user=user, campaigns=[campaign], as_of=as_of)[campaign.pk]


@pytest.mark.parametrize(
    ("spend", "customers", "budget_used"),
    # The spec's CAC test vectors (value-models.md, section 1): both give 200.
    [("10000", 50, Decimal("25.00")), ("100000", 500, Decimal("250.00"))],
)
def test_cac_spec_examples(manager, spend, customers, budget_used):
    campaign = CampaignFactory(budget=Decimal("40000"))
    SpendEntryFactory(campaign=campaign, amount=Decimal(spend) - 1, spent_on=dt.date(2026, 2, 1))
    SpendEntryFactory(campaign=campaign, amount=Decimal("1"), spent_on=dt.date(2026, 3, 1))
    Customer.objects.bulk_create(
        Customer(name=f"C{n}", owner=manager, acquired_by_campaign=campaign)
        for n in range(customers)
    )
    acquired_recount()  # a bulk load around the services is counted afresh

    stats = stats_for(manager, campaign)

    assert stats.spend == Decimal(spend)
    assert stats.acquired == customers
    assert stats.cac == Decimal("200.00")
    assert stats.budget_used == budget_used


def test_budget_used_rounds_to_two_places(manager):
    campaign = CampaignFactory(budget=Decimal("3"))
    SpendEntryFactory(campaign=campaign, amount=Decimal("1"))
    assert stats_for(manager, campaign).budget_used == Decimal("33.33")


def test_spend_to_date_leaves_out_later_entries(manager):
    campaign = CampaignFactory(budget=Decimal("1000"))
    SpendEntryFactory(campaign=campaign, amount=Decimal("300"), spent_on=AS_OF)
    SpendEntryFactory(campaign=campaign, amount=Decimal("700"), spent_on=AS_OF + dt.timedelta(1))

    stats = stats_for(manager, campaign)

    assert stats.spend == Decimal("300")
    assert stats.budget_used == Decimal("30.0")


def test_nobody_acquired_and_no_budget_are_undefined_not_zero(manager):
    campaign = CampaignFactory(budget=Decimal("0"))
    SpendEntryFactory(campaign=campaign, amount=Decimal("500"))

    stats = stats_for(manager, campaign)

    assert stats.cac is None
    assert stats.budget_used is None
    assert stats.acquired == 0
    assert stats.revenue == Decimal("0")


def test_revenue_excludes_cancelled_and_drafts_and_nets_refunds(manager):
    campaign = CampaignFactory()
    customer = CustomerFactory(owner=manager, acquired_by_campaign=campaign)
    OrderFactory(customer=customer, total="1000.00")
    # Partly refunded: still a purchase.
    OrderFactory(customer=customer, total="500.00", refunded="120.50")
    OrderFactory(customer=customer, total="300.00", refunded="300.00", status=Order.Status.REFUNDED)
    OrderFactory(customer=customer, total="9999.00", status=Order.Status.CANCELLED)
    OrderFactory(customer=customer, total="7777.00", status=Order.Status.DRAFT)
    # Not acquired by the campaign.
    OrderFactory(customer=CustomerFactory(owner=manager), total="4444.00")

    assert stats_for(manager, campaign).revenue == Decimal("1379.50")


def test_rep_sees_revenue_and_count_of_own_customers_but_company_cac(owner, teammate):
    campaign = CampaignFactory()
    SpendEntryFactory(campaign=campaign, amount=Decimal("900"))
    mine = CustomerFactory(owner=owner, acquired_by_campaign=campaign)
    theirs = CustomerFactory.create_batch(2, owner=teammate, acquired_by_campaign=campaign)
    OrderFactory(customer=mine, total="100.00")
    OrderFactory(customer=theirs[0], total="5000.00")

    stats = stats_for(owner, campaign)

    assert stats.acquired == 3
    assert stats.cac == Decimal("300.00")
    assert stats.visible_acquired == 1
    assert stats.revenue == Decimal("100.00")
    assert list(selectors.campaign_customers(user=owner, campaign=campaign)) == [mine]


def test_stats_for_many_campaigns_take_a_fixed_number_of_queries(
    manager, owner, django_assert_num_queries
):
    campaigns = CampaignFactory.create_batch(5)
    for campaign in campaigns:
        SpendEntryFactory(campaign=campaign)
        for customer_owner in (None, owner):
            customer = CustomerFactory(owner=customer_owner, acquired_by_campaign=campaign)
            OrderFactory(customer=customer, total="10.00")
    manager = type(manager).objects.get(pk=manager.pk)  # a fresh permission cache
    # The user's permissions, the spend, the kept counts and the purchase summary's sums:
    # nothing aggregated over the customers or the orders.
    with django_assert_num_queries(4):
        stats = selectors.campaign_stats(user=manager, campaigns=campaigns, as_of=AS_OF)
    assert {(s.acquired, s.visible_acquired) for s in stats.values()} == {(2, 2)}
    assert {s.revenue for s in stats.values()} == {Decimal("20.00")}

    # A rep's: their customers counted, their rows of the summary summed.
    owner = type(owner).objects.get(pk=owner.pk)
    with django_assert_num_queries(5):
        stats = selectors.campaign_stats(user=owner, campaigns=campaigns, as_of=AS_OF)
    assert {(s.acquired, s.visible_acquired) for s in stats.values()} == {(2, 1)}
    assert {s.revenue for s in stats.values()} == {Decimal("10.00")}


def test_campaign_cac_of_every_campaign_that_spent_or_acquired(owner):
    thirds = CampaignFactory(name="Thirds")
    SpendEntryFactory(campaign=thirds, amount=Decimal("100.00"), spent_on=dt.date(2026, 2, 1))
    SpendEntryFactory(campaign=thirds, amount=Decimal("900.00"), spent_on=dt.date(2026, 8, 1))
    for _ in range(3):
        CustomerFactory(owner=None, acquired_by_campaign=thirds)
    unused = CampaignFactory(name="Spent, nobody acquired")
    SpendEntryFactory(campaign=unused, amount=Decimal("50.00"), spent_on=dt.date(2026, 1, 1))
    free = CampaignFactory(name="Acquired for free")
    CustomerFactory(owner=None, acquired_by_campaign=free)
    CampaignFactory(name="Neither")

    costs = selectors.campaign_cac(as_of=AS_OF)

    assert set(costs) == {thirds.pk, unused.pk, free.pk}
    assert (costs[thirds.pk].spend, costs[thirds.pk].acquired) == (Decimal("100.00"), 3)
    assert costs[thirds.pk].cac == Decimal("33.33")
    assert costs[thirds.pk].cost_per_customer == Decimal("100.00") / 3  # not rounded
    assert costs[unused.pk].cac is None
    assert costs[unused.pk].cost_per_customer is None
    assert costs[free.pk].cac == Decimal("0.00")
    assert selectors.campaign_cac(as_of=AS_OF, campaign_ids=[thirds.pk]).keys() == {thirds.pk}


def test_spend_between_sums_a_half_open_period(db):
    SpendEntryFactory(amount=Decimal("10.50"), spent_on=dt.date(2026, 1, 1))
    SpendEntryFactory(amount=Decimal("20.25"), spent_on=dt.date(2026, 1, 31))
    SpendEntryFactory(amount=Decimal("99.00"), spent_on=dt.date(2026, 2, 1))

    total = selectors.spend_between(start=dt.date(2026, 1, 1), end=dt.date(2026, 2, 1))

    assert total == Decimal("30.75")


def test_campaign_list_filters_and_sorts_newest_first(owner):
    old = CampaignFactory(name="Old mailing", starts_on=dt.date(2025, 1, 1))
    new = CampaignFactory(name="New mailing", starts_on=dt.date(2026, 1, 1))
    ads = CampaignFactory(
        name="Search push",
        channel=Campaign.Channel.SEARCH_ADS,
        starts_on=dt.date(2026, 3, 1),
        ends_on=dt.date(2026, 3, 31),
    )

    assert list(selectors.campaign_list(user=owner)) == [ads, new, old]
    assert list(selectors.campaign_list(user=owner, search="MAILING")) == [new, old]
    assert list(selectors.campaign_list(user=owner, channel="search_ads")) == [ads]
    assert list(selectors.campaign_list(user=owner, active_on=dt.date(2026, 4, 1))) == [new, old]


def test_campaign_list_is_empty_without_the_view_permission(outsider):
    CampaignFactory()
    assert not selectors.campaign_list(user=outsider).exists()


def test_history_lists_who_changed_what_newest_first(admin_user):
    campaign = services.campaign_create(
        user=admin_user, name="Fair", starts_on=dt.date(2026, 1, 1), budget=Decimal("0")
    )
    services.campaign_update(
        user=admin_user, campaign=campaign, channel=Campaign.Channel.EVENTS, budget=Decimal("800")
    )

    changed, created = selectors.campaign_history(campaign)

    assert created.kind == "+"
    assert created.user == admin_user
    assert changed.user == admin_user
    assert [(c.field, c.old, c.new) for c in changed.changes] == [
        ("budget", Decimal("0.00"), Decimal("800")),
        ("channel", "Other", "Events"),
    ]


def test_history_is_limited(admin_user):
    campaign = CampaignFactory()
    for budget in range(5):
        services.campaign_update(user=admin_user, campaign=campaign, budget=Decimal(budget))
    entries = selectors.campaign_history(campaign, limit=3)
    assert len(entries) == 3
    assert all(entry.changes for entry in entries)
