"""Fixtures of the metrics tests: the CDNOW cohort of Fader, Hardie & Lee (2005) (see
data/README.md), and a small shop for the dashboard."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from tests.campaigns.factories import CampaignFactory, SpendEntryFactory
from tests.factories import CustomerFactory
from tests.metrics.purchases import buy

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def cdnow():
    """x, t_x, T (weeks) of the 2,357 customers, by customer ID."""
    rows = np.genfromtxt(DATA / "cdnow_customers_summary.csv", delimiter=",", names=True)
    return {"id": rows["ID"], "x": rows["frequency"], "t_x": rows["recency"], "T": rows["T"]}


@pytest.fixture(scope="session")
def cdnow_spend():
    """x and z̄, the average value of the repeat purchases in the calibration period."""
    rows = np.genfromtxt(
        DATA / "cdnow_customers_summary_with_transactions.csv", delimiter=",", names=True
    )
    return {"x": rows["x"], "zbar": rows["zbar"]}


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
        buy(customer, dt.date(2026, 1, 10 + i), amount="100.00", cost="40.00")
        if i < 4:
            buy(customer, dt.date(2026, 3, 10 + i), amount="200.00", cost="80.00")
    for i in range(3):
        new = CustomerFactory(owner=owner, name=f"New {i}")
        buy(new, dt.date(2026, 3, 20), amount="50.00", cost="20.00")
    return people
