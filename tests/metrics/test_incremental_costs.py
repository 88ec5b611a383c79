"""An incremental recalculation (an order's, a survey answer's) charges a campaign's
customer the campaign's spend over the customers it acquired, as the full run does, reading
only that campaign's count (issue 14: counting every campaign's customers took 0.22-0.25 s of
each recalculation at a million customers; the counts are now kept, campaigns.AcquiredCount);
a customer without a campaign needs no count."""

import datetime as dt
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics import services
from metrics.models import CustomerScore
from tests.campaigns.factories import CampaignFactory, SpendEntryFactory
from tests.factories import CustomerFactory
from tests.metrics.population import AS_OF
from tests.orders.factories import OrderFactory


def _campaign_counts(queries, campaign):
    """The queries that read the customers campaigns acquired (campaign_cac), each of them
    asserted to read ``campaign``'s alone."""
    reads = [q for q in queries if 'FROM "campaigns_acquiredcount"' in q["sql"]]
    for query in reads:
        assert f'"campaign_id" IN ({campaign.pk})' in query["sql"], query["sql"]
    return reads


def test_recalculations_charge_the_campaigns_cac_counting_only_their_campaign(db):
    campaign, other = CampaignFactory(), CampaignFactory()
    CustomerFactory(acquired_by_campaign=other)
    SpendEntryFactory(campaign=campaign, amount=Decimal("900.00"), spent_on=dt.date(2026, 1, 5))
    acquired = [CustomerFactory(acquired_by_campaign=campaign) for _ in range(3)]
    walk_in = CustomerFactory()
    for customer in [*acquired, walk_in]:
        OrderFactory(customer=customer, ordered_on=dt.date(2026, 3, 1), total="500.00")
    services.full_run_sync(as_of=AS_OF)
    CustomerScore.objects.update(acquisition_cost=None)

    counted = []
    for customer in [acquired[0], acquired[1], walk_in]:
        with CaptureQueriesContext(connection) as queries:
            services.customers_recalculate(customer_ids=[customer.pk], as_of=AS_OF)
        counted.append(len(_campaign_counts(queries.captured_queries, campaign)))

    assert counted == [1, 1, 0]
    costs = dict(CustomerScore.objects.values_list("customer_id", "acquisition_cost"))
    assert costs[acquired[0].pk] == costs[acquired[1].pk] == Decimal("300.00")
    assert costs[walk_in.pk] == Decimal("0.00")
