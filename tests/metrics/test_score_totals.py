"""The dashboard's score totals (metrics.totals, issue 14) stay equal to a fresh aggregate
of the scores after every path that writes or deletes scores or moves a customer to
another campaign, and the dashboard's figures read from them are the aggregates over the
scores they replace."""

import datetime as dt
from decimal import Decimal
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Avg, Count, Max, Q, Sum
from django.db.models.functions import Coalesce
from django.test.utils import CaptureQueriesContext

from analytics import company
from campaigns.models import AcquiredCount
from campaigns.services import acquired_recount
from customers.models import Customer
from customers.services import customer_delete, customer_merge, customer_update
from metrics import health, history, services, totals
from metrics.models import CustomerScore, DirtyCustomer, ScoreTotal
from orders.models import CustomerDay, Order
from tests.campaigns.factories import CampaignFactory
from tests.campaigns.test_acquired_counts import assert_acquired_counted
from tests.dataio.factories import csv_bytes, import_file
from tests.factories import CustomerFactory
from tests.metrics.population import AS_OF, population
from tests.orders.factories import OrderFactory
from valuemodels.numbers import to_cents
from valuemodels.rfm import fm_score

LATER = AS_OF + dt.timedelta(days=1)


def _nonzero(stored):
    return {key: value for key, value in stored.rows.items() if any(value)}


def assert_fresh():
    """The stored totals are what a full aggregate of the scores gives now, and the
    customers each campaign acquired what a count of the customers gives."""
    assert _nonzero(totals.stored()) == _nonzero(totals.fresh())
    assert_acquired_counted()


@pytest.fixture
def scored(manager):
    """A scored population, two thirds of it acquired by two campaigns, and a lead."""
    customers = population(24, seed=7, owner=manager)
    spring, autumn = CampaignFactory(name="Spring"), CampaignFactory(name="Autumn")
    for i, customer in enumerate(customers):
        campaign = (spring, autumn, None)[i % 3]
        Customer.objects.filter(pk=customer.pk).update(acquired_by_campaign=campaign)
    acquired_recount()  # those updates go around every path that counts
    lead = CustomerFactory(owner=manager, name="Lead", acquired_by_campaign=spring)
    services.full_run_sync(as_of=AS_OF)
    return {"customers": customers, "lead": lead, "spring": spring, "autumn": autumn}


def _buyer(scored, campaign=None):
    """A scored customer with orders (and a CLV), of ``campaign`` when given."""
    with_clv = CustomerScore.objects.filter(
        Q(predicted_clv__isnull=False) | Q(simple_clv__isnull=False), orders_count__gt=0
    )
    if campaign is not None:
        with_clv = with_clv.filter(customer__acquired_by_campaign=campaign)
    return Customer.objects.get(pk=with_clv.order_by("customer_id").values("customer_id")[:1])


def test_a_full_run_rebuilds_the_totals(scored):
    assert_fresh()
    stored = totals.stored()
    assert stored.customers(ScoreTotal.Kind.ROWS) == CustomerScore.objects.count() == 25
    assert stored.customers(ScoreTotal.Kind.CAMPAIGN, str(scored["spring"].pk)) > 0
    with_clv = CustomerScore.objects.filter(
        Q(predicted_clv__isnull=False) | Q(simple_clv__isnull=False)
    )
    first_days = stored.of_kind(ScoreTotal.Kind.FIRST_DAY)
    assert sum(n for n, _amount in first_days.values()) == with_clv.count() > 0
    assert set(first_days) == {
        day.isoformat() for day in with_clv.values_list("first_order_on", flat=True)
    }
    assert stored.as_of == AS_OF
    assert ScoreTotal.objects.count() < 100


def test_an_incremental_recalculation_moves_the_totals(scored):
    customer = _buyer(scored, scored["spring"])
    OrderFactory(customer=customer, ordered_on=AS_OF, total="5000.00")
    newcomer = CustomerFactory(acquired_by_campaign=scored["autumn"])
    OrderFactory(customer=newcomer, ordered_on=AS_OF - dt.timedelta(days=40), total="80.00")
    before = totals.stored()

    services.customers_recalculate(customer_ids=[customer.pk, newcomer.pk], as_of=LATER)

    assert_fresh()
    after = totals.stored()
    assert after.customers(ScoreTotal.Kind.ROWS) == before.customers(ScoreTotal.Kind.ROWS) + 1
    assert after.as_of == LATER


def test_the_health_pages_clv_methods_are_counted_over_the_scores(scored, manager):
    def counted():
        rows = CustomerScore.objects.values_list("clv_method").annotate(n=Count("pk"))
        return dict(rows.order_by())

    assert health.clv_method_counts() == counted()
    newcomer = CustomerFactory(acquired_by_campaign=scored["autumn"])
    OrderFactory(customer=newcomer, ordered_on=AS_OF - dt.timedelta(days=40), total="80.00")
    services.customers_recalculate(customer_ids=[newcomer.pk], as_of=LATER)
    customer_delete(user=manager, customer=scored["lead"])  # a score row without orders

    assert health.clv_method_counts() == counted()
    assert sum(counted().values()) == CustomerScore.objects.count()


def test_recalculating_the_same_customers_again_changes_nothing(scored):
    ids = [c.pk for c in scored["customers"]]
    services.customers_recalculate(customer_ids=ids, as_of=AS_OF)
    before = _nonzero(totals.stored())
    services.customers_recalculate(customer_ids=ids, as_of=AS_OF)
    assert _nonzero(totals.stored()) == before
    assert_fresh()


def test_a_deleted_customer_leaves_the_totals(scored, manager):
    customer_delete(user=manager, customer=scored["lead"])
    assert_fresh()
    # Deleted another way (a queryset, as the admin's bulk action does): the same.
    Customer.objects.filter(pk=_buyer(scored).pk).delete()
    assert_fresh()


def test_a_merge_keeps_the_totals(scored, manager):
    survivor, duplicate = _buyer(scored, scored["spring"]), _buyer(scored, scored["autumn"])
    customer_merge(user=manager, survivor=survivor, duplicate=duplicate)
    assert_fresh()
    # Then the survivor is recalculated with the duplicate's orders.
    services.customers_recalculate(customer_ids=[survivor.pk], as_of=AS_OF)
    assert_fresh()


def test_a_change_of_acquiring_campaign_moves_the_clv(scored, manager):
    customer = _buyer(scored, scored["spring"])
    customer_update(user=manager, customer=customer, acquired_by_campaign=scored["autumn"])
    assert_fresh()
    customer_update(user=manager, customer=customer, acquired_by_campaign=None)
    assert_fresh()
    customer.acquired_by_campaign = scored["spring"]
    customer.save(update_fields=["acquired_by_campaign"])
    assert_fresh()


def test_the_api_batch_moves_the_clv(scored, manager, api_for):
    moved = [_buyer(scored, scored["spring"]), _buyer(scored, scored["autumn"])]
    for i, customer in enumerate(moved):
        Customer.objects.filter(pk=customer.pk).update(external_id=f"ERP-{i}")
    # The update above bypasses the totals, but touches no score nor campaign.
    response = api_for(manager).post(
        "/api/v1/customers/batch/?async=false",
        {
            "mode": "update",
            "customers": [
                {"external_id": "ERP-0", "acquired_by_campaign": scored["autumn"].pk},
                {"external_id": "ERP-1", "acquired_by_campaign": None},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert_fresh()


def test_a_csv_import_moves_the_clv_and_its_recalculation_keeps_the_totals(scored, manager):
    customer = _buyer(scored, scored["spring"])
    Customer.objects.filter(pk=customer.pk).update(external_id="C-1")
    data = csv_bytes([["external_id", "name", "campaign"], ["C-1", customer.name, "Autumn"]])

    report = import_file("customers", data, user=manager)

    assert report.updated == 1
    customer.refresh_from_db()
    assert customer.acquired_by_campaign == scored["autumn"]
    assert_fresh()
    services.dirty_recalculate(as_of=AS_OF)
    assert_fresh()


def test_a_deleted_campaign_has_no_totals_left(scored):
    scored["autumn"].delete()
    assert_fresh()
    gone = str(scored["autumn"].pk)
    assert not ScoreTotal.objects.filter(kind=ScoreTotal.Kind.CAMPAIGN, key=gone).exists()
    assert not AcquiredCount.objects.filter(campaign_id=scored["autumn"].pk).exists()


def test_the_command_rebuilds_the_totals(scored, capsys):
    expected = _nonzero(totals.stored())
    ScoreTotal.objects.all().delete()
    AcquiredCount.objects.update(customers=0)
    call_command("rebuild_score_totals")
    assert _nonzero(totals.stored()) == expected
    assert_fresh()
    out = capsys.readouterr().out
    assert "Score totals rebuilt" in out
    assert "customers acquired by 2 campaigns counted" in out


# --- What the dashboard reads -------------------------------------------------------------


def _overview_from_scores():
    """The manager's overview as an aggregate over every score (what it was)."""
    scores = CustomerScore.objects.all()
    histogram = [
        scores.filter(
            Q(value_score__gte=10 * i)
            & (Q(value_score__lte=100) if i == 9 else Q(value_score__lt=10 * i + 10))
        ).count()
        for i in range(10)
    ]
    tiers = [
        (
            tier,
            scores.filter(tier=tier).count(),
            to_cents(scores.filter(tier=tier).aggregate(r=Sum("revenue", default=Decimal(0)))["r"]),
        )
        for tier in "ABC"
    ]
    row = scores.aggregate(scored=Count("value_score"), as_of=Max("as_of"))
    return row["scored"], row["as_of"], histogram, tiers


def test_the_managers_score_figures_are_the_aggregates_over_the_scores(scored, manager):
    services.customers_recalculate(customer_ids=[_buyer(scored).pk], as_of=LATER)
    overview = company.score_overview(user=manager)
    assert (overview.scored, overview.as_of, overview.histogram, overview.tiers) == (
        _overview_from_scores()
    )
    assert sum(overview.histogram) == overview.scored > 0

    grid = {}
    for r, f, m in CustomerScore.objects.filter(r_score__isnull=False).values_list(
        "r_score", "f_score", "m_score"
    ):
        key = (r, int(fm_score(f, m)))
        grid[key] = grid.get(key, 0) + 1
    assert company.rfm_grid(user=manager) == grid

    values = company.campaign_values(user=manager, as_of=AS_OF)
    assert {v.campaign.name for v in values} == {"Spring", "Autumn"}
    for value in values:
        average = CustomerScore.objects.filter(
            customer__acquired_by_campaign=value.campaign
        ).aggregate(clv=Avg(Coalesce("predicted_clv", "simple_clv")))["clv"]
        assert value.average_clv == to_cents(average)
    assert company.has_scores(user=manager)


def test_a_rep_reads_their_own_scores_in_one_query(scored, owner):
    mine = scored["customers"][:9]
    Customer.objects.filter(pk__in=[c.pk for c in mine]).update(owner=owner)
    # An update sends no signal: the owner copied onto the scores follows, as in bulk writes.
    services.score_copies_follow([c.pk for c in mine])
    assert not company.sees_everyone(owner)
    with CaptureQueriesContext(connection) as queries:
        overview, grid = company.score_figures(user=owner)
    assert len(queries) == 1
    scores = CustomerScore.objects.filter(customer__owner=owner)
    assert overview.scored == scores.filter(value_score__isnull=False).count() > 0
    assert overview.as_of == AS_OF
    assert sum(overview.histogram) == overview.scored
    for tier, customers, revenue in overview.tiers:
        of_tier = scores.filter(tier=tier)
        assert customers == of_tier.count()
        assert revenue == to_cents(of_tier.aggregate(r=Sum("revenue", default=Decimal(0)))["r"])
    assert sum(grid.values()) == scores.filter(r_score__isnull=False).count()


def test_a_reps_new_customers_come_with_the_flow_and_match_the_own_query(scored, owner):
    Customer.objects.filter(pk__in=[c.pk for c in scored["customers"][:12]]).update(owner=owner)
    newcomer = CustomerFactory(owner=owner)
    OrderFactory(customer=newcomer, ordered_on=AS_OF - dt.timedelta(days=3), total="80.00")
    boundaries = [AS_OF - dt.timedelta(days=60), AS_OF - dt.timedelta(days=30), AS_OF]
    flow = company._customer_flow(owner, boundaries=boundaries, inactivity_days=365, with_new=True)
    for i, (start, end) in enumerate(pairwise(boundaries)):
        assert flow[i]["new"] == company._new_customers(owner, start=start, end=end)
    assert flow[1]["new"]["count"] >= 1


def test_the_managers_score_figures_read_a_few_rows_not_the_scores(scored, manager):
    assert company.sees_everyone(manager)  # the permissions, read once per user
    with CaptureQueriesContext(connection) as queries:
        company.score_overview(user=manager)
        company.rfm_grid(user=manager)
        company.has_scores(user=manager)
    # One small read of the totals each.
    assert len(queries) == 3
    assert not any("metrics_customerscore" in q["sql"] for q in queries.captured_queries)
    with CaptureQueriesContext(connection) as queries:
        company.campaign_values(user=manager, as_of=AS_OF)
    assert not any("metrics_customerscore" in q["sql"] for q in queries.captured_queries)
    # One query more for a third campaign: none per campaign.
    count = len(queries)
    CustomerFactory(acquired_by_campaign=CampaignFactory(name="Winter"))
    with CaptureQueriesContext(connection) as queries:
        assert len(company.campaign_values(user=manager, as_of=AS_OF)) == 3
    assert len(queries) == count


def test_an_incremental_write_costs_a_fixed_number_of_queries_for_the_totals(scored):
    few = [c.pk for c in scored["customers"][:2]]
    many = [c.pk for c in scored["customers"][2:]]
    history.ensure_partition(LATER)  # made once, by whichever write comes first
    counts = []
    for ids in (few, many):
        with CaptureQueriesContext(connection) as queries:
            services.customers_recalculate(customer_ids=ids, as_of=LATER)
        written = sum("metrics_scoretotal" in q["sql"] for q in queries.captured_queries)
        counts.append((len(queries), written))
    assert counts[0] == counts[1]
    assert counts[0][1] == 1  # one upsert of what changed
    assert_fresh()


# --- The CLV of each period's new customers -------------------------------------------------

# Periods of 100 days over the population's purchases, to a month after AS_OF.
BOUNDARIES = [AS_OF - dt.timedelta(days=1000 - 100 * i) for i in range(11)]
PERIODS = list(pairwise(BOUNDARIES))


def _by_lookup():
    """Each period's new customers (first purchase day in it, by the purchase summary) and
    the average of their current scores' CLV, looked up one by one (what the totals
    replace), rounded to the cent."""
    clv = {
        s.customer_id: s.predicted_clv if s.predicted_clv is not None else s.simple_clv
        for s in CustomerScore.objects.all()
    }
    figures = []
    for start, end in PERIODS:
        new = CustomerDay.objects.filter(prev_day__isnull=True, day__gte=start, day__lt=end)
        values = [clv.get(pk) for pk in new.values_list("customer_id", flat=True)]
        values = [v for v in values if v is not None]
        average = to_cents(sum(values) / len(values)) if values else None
        figures.append((new.count(), average))
    return figures


def _on_the_dashboard(manager):
    periods = company.consecutive_periods(user=manager, boundaries=BOUNDARIES)
    return [(p.new_customers, p.average_clv) for p in periods]


def test_the_managers_new_customers_and_their_clv_are_a_lookup_of_each_score(scored, manager):
    assert _on_the_dashboard(manager) == _by_lookup()
    assert (
        sum(n for n, _average in _by_lookup())
        == CustomerDay.objects.filter(prev_day__isnull=True).count()
    )
    with CaptureQueriesContext(connection) as queries:
        totals.new_customers(PERIODS)
    assert len(queries) == 1  # for every period at once


def _first_day(customer):
    return CustomerDay.objects.get(customer=customer, prev_day__isnull=True).day


def test_a_stale_score_counts_on_the_summarys_first_day_until_it_is_recalculated(scored, manager):
    """Orders that change a scored customer's first purchase leave their score (and its
    first purchase) as it was until the recalculation: the figures follow the summary."""
    before = _on_the_dashboard(manager)
    earlier, later = _buyer(scored, scored["spring"]), _buyer(scored, scored["autumn"])
    # An earlier first purchase, in another period.
    OrderFactory(
        customer=earlier, ordered_on=_first_day(earlier) - dt.timedelta(days=250), total="90.00"
    )
    # The first purchase day cancelled: the next one becomes the first.
    first = _first_day(later)
    if not CustomerDay.objects.filter(customer=later, prev_day__isnull=False).exists():
        OrderFactory(customer=later, ordered_on=first + dt.timedelta(days=150), total="70.00")
    for order in Order.objects.filter(customer=later, ordered_on=first):
        order.status = Order.Status.CANCELLED
        order.save()
    # A newcomer without a score yet: counted, without a CLV.
    newcomer = CustomerFactory()
    OrderFactory(customer=newcomer, ordered_on=AS_OF - dt.timedelta(days=5), total="60.00")
    stale = CustomerScore.objects.filter(customer__in=[earlier, later])
    assert all(s.first_order_on != _first_day(s.customer) for s in stale)
    assert DirtyCustomer.objects.filter(customer_id__in=[earlier.pk, later.pk]).count() == 2

    after = _on_the_dashboard(manager)
    assert after == _by_lookup()
    assert after != before

    services.dirty_recalculate(as_of=AS_OF)
    assert not DirtyCustomer.objects.exists()
    assert all(s.first_order_on == _first_day(s.customer) for s in stale.all())
    assert _on_the_dashboard(manager) == _by_lookup()
    assert_fresh()


def test_scores_as_of_a_past_date_give_later_first_purchases_no_clv(scored, manager):
    newcomer = CustomerFactory()
    OrderFactory(customer=newcomer, ordered_on=AS_OF + dt.timedelta(days=10), total="60.00")
    services.dirty_recalculate(as_of=AS_OF)
    score = CustomerScore.objects.get(customer=newcomer)
    assert score.first_order_on is None
    assert score.simple_clv is None
    assert score.predicted_clv is None
    last = _on_the_dashboard(manager)[-1]
    assert last[0] >= 1
    assert _on_the_dashboard(manager) == _by_lookup()


def test_a_merge_moves_the_new_customer_to_the_duplicates_first_day(scored, manager):
    survivor, duplicate = _buyer(scored, scored["spring"]), _buyer(scored, scored["autumn"])
    # The duplicate bought first: the survivor's first purchase becomes theirs.
    OrderFactory(
        customer=duplicate, ordered_on=_first_day(survivor) - dt.timedelta(days=200), total="80.00"
    )
    services.dirty_recalculate(as_of=AS_OF)
    customer_merge(user=manager, survivor=survivor, duplicate=duplicate)
    assert _first_day(survivor) < CustomerScore.objects.get(customer=survivor).first_order_on
    assert _on_the_dashboard(manager) == _by_lookup()
    services.dirty_recalculate(as_of=AS_OF)
    assert _on_the_dashboard(manager) == _by_lookup()
    assert_fresh()


def test_a_deleted_customer_leaves_the_new_customers(scored, manager):
    # With their orders (a queryset's delete, as the admin's bulk action does).
    Customer.objects.filter(pk=_buyer(scored).pk).delete()
    assert _on_the_dashboard(manager) == _by_lookup()
    assert_fresh()
