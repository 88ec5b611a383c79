"""Fixtures of the analytics tests: a small shop for the dashboard."""

import datetime as dt
from decimal import Decimal

import pytest

from tests.campaigns.factories import CampaignFactory, SpendEntryFactory
from tests.factories import CustomerFactory
from tests.orders.factories import OrderFactory


@pytest.fixture
def shop(owner, teammate):
    """A campaign, spend, and customers of two reps buying before and during March 2026."""
    campaign = CampaignFactory(name="Spring fair", starts_on=dt.date(2025, 12, 1))
    SpendEntryFactory(campaign=campaign, spent_on=dt.date(2026, 3, 5), amount=Decimal("600.00"))
    people = []
    for i in range(6):
        rep = owner if i % 2 == 0 else teammate
        customer = CustomerFactory(owner=rep, name=f"Shop {i}", acquired_by_campaign=campaign)
        people.append(customer)
        OrderFactory(
            customer=customer, ordered_on=dt.date(2026, 1, 10 + i), total="100.00", cost="40.00"
        )
        if i < 4:
            OrderFactory(
                customer=customer, ordered_on=dt.date(2026, 3, 10 + i), total="200.00", cost="80.00"
            )
    for i in range(3):
        new = CustomerFactory(owner=owner, name=f"New {i}")
        OrderFactory(customer=new, ordered_on=dt.date(2026, 3, 20), total="50.00", cost="20.00")
    return people
