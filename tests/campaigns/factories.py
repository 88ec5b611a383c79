import datetime as dt
from decimal import Decimal

import factory

from campaigns.models import Campaign, SpendEntry


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n:03d}")
    channel = Campaign.Channel.EMAIL
    starts_on = dt.date(2026, 1, 1)
    budget = Decimal("10000.00")


class SpendEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SpendEntry

    campaign = factory.SubFactory(CampaignFactory)
    spent_on = dt.date(2026, 1, 15)
    amount = Decimal("100.00")
