import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customers.models import Customer
from metrics import services
from metrics.models import (
    CustomerScore,
    DirtyCustomer,
    MetricSettings,
    ModelFit,
    RecalcChunk,
    RecalcRun,
    ScoreSnapshot,
    StagedScore,
)
from metrics.tasks import recalculate_dirty
from orders import summary
from orders.models import CustomerSpell, Order
from tests.campaigns.factories import CampaignFactory, SpendEntryFactory
from tests.factories import CustomerFactory, UserFactory
from tests.metrics.population import AS_OF, population, scores
from tests.orders.factories import OrderFactory


def test_full_run_scores_everyone_and_records_the_fits(db):
    population(120)
    run = services.full_run_sync(as_of=AS_OF)
    assert run.status == RecalcRun.Status.DONE
    assert run.total == run.processed == 120
    assert CustomerScore.objects.count() == 120
    assert ScoreSnapshot.objects.filter(as_of=AS_OF).count() == 120
    assert set(ModelFit.objects.values_list("kind", flat=True)) == {"bgnbd", "gamma_gamma"}
    buyers = CustomerScore.objects.exclude(orders_count=0)
    assert not buyers.filter(value_score__isnull=True).exists()
    assert set(buyers.values_list("tier", flat=True)) == {"A", "B", "C"}
    leads = CustomerScore.objects.filter(orders_count=0)
    assert not leads.exclude(tier="").exists()
    # Tier A is about the top 20% of scored customers.
    share_a = buyers.filter(tier="A").count() / buyers.count()
    assert 0.15 <= share_a <= 0.25


def test_acquisition_cost_is_the_campaigns_cac_unless_overridden(db):
    campaign = CampaignFactory()
    SpendEntryFactory(campaign=campaign, amount=Decimal("1000.00"), spent_on=dt.date(2026, 1, 5))
    SpendEntryFactory(campaign=campaign, amount=Decimal("500.00"), spent_on=AS_OF + dt.timedelta(1))
    acquired = [CustomerFactory(acquired_by_campaign=campaign) for _ in range(3)]
    Customer.objects.filter(pk=acquired[2].pk).update(acquisition_cost_override=Decimal("40"))
    other = CustomerFactory()
    for customer in [*acquired, other]:
        OrderFactory(
            customer=customer, ordered_on=dt.date(2026, 3, 1), total="500.00", cost="250.00"
        )

    services.full_run_sync(as_of=AS_OF)

    scores = {s.customer_id: s for s in CustomerScore.objects.all()}
    # 1000 spent to the as-of date over the 3 customers the campaign acquired.
    assert scores[acquired[0].pk].acquisition_cost == Decimal("333.33")
    assert scores[acquired[0].pk].profit_contribution == Decimal("-83.33")  # 250 - 333.33
    assert scores[acquired[2].pk].acquisition_cost == Decimal("40.00")
    assert scores[other.pk].acquisition_cost == Decimal("0.00")


def test_profit_contribution_and_revenue_follow_the_spec(db):
    customer = CustomerFactory(acquisition_cost_override=Decimal("200"))
    OrderFactory(
        customer=customer, ordered_on=dt.date(2026, 1, 10), total="3000.00", cost="1500.00"
    )
    OrderFactory(
        customer=customer, ordered_on=dt.date(2026, 5, 10), total="2000.00", cost="1000.00"
    )
    OrderFactory(
        customer=customer,
        ordered_on=dt.date(2026, 6, 1),
        total="999.00",
        status=Order.Status.CANCELLED,
    )
    OrderFactory(
        customer=customer,
        ordered_on=dt.date(2026, 6, 2),
        total="500.00",
        status=Order.Status.REFUNDED,
    )
    services.full_run_sync(as_of=AS_OF)
    score = CustomerScore.objects.get(customer=customer)
    assert score.revenue == Decimal("5000.00")
    assert score.cost_of_goods == Decimal("2500.00")
    assert score.profit_contribution == Decimal("2300.00")  # 5000 - 2500 - 200
    assert score.orders_count == 2
    assert score.aov == Decimal("2500.00")
    assert score.continuing_value == Decimal("2000.00")
    # Too few repeat customers for BG/NBD: the simple CLV is used, and the fit says why.
    assert score.clv_method == "simple"
    assert score.predicted_clv is None
    fit = ModelFit.objects.get(kind="bgnbd")
    assert not fit.converged
    assert "Too little data" in fit.message


def test_same_day_orders_are_one_purchase(db):
    customer = CustomerFactory()
    OrderFactory(customer=customer, ordered_on=dt.date(2026, 2, 1), total="10.00")
    OrderFactory(customer=customer, ordered_on=dt.date(2026, 2, 1), total="30.00")
    OrderFactory(customer=customer, ordered_on=dt.date(2026, 3, 1), total="20.00")
    services.full_run_sync(as_of=AS_OF)
    score = CustomerScore.objects.get(customer=customer)
    assert score.orders_count == 3
    assert score.purchase_days == 2


def test_incremental_gives_what_the_full_run_gave(db):
    customers = population(150, seed=7)
    services.full_run_sync(as_of=AS_OF)
    full = scores()
    assert CustomerScore.objects.filter(clv_method="predictive").exists()
    assert services.customers_recalculate(customer_ids=[c.pk for c in customers], as_of=AS_OF)
    assert scores() == full


def test_an_interrupted_run_finishes_with_the_same_result(db, settings):
    population(90, seed=3)
    services.full_run_sync(as_of=AS_OF)
    expected = scores()

    run = RecalcRun.objects.create(as_of=AS_OF)
    indices = services.full_run_prepare(run_id=run.pk, chunk_size=20)
    assert len(indices) == 5
    services.full_run_publish_chunk(run_id=run.pk, index=indices[0])
    # The worker dies here. Published and unpublished customers both hold valid scores.
    assert CustomerScore.objects.count() == 90
    run.refresh_from_db()
    assert run.status == RecalcRun.Status.RUNNING
    assert run.chunks_done == 1

    # A redelivered chunk task does nothing twice.
    assert services.full_run_publish_chunk(run_id=run.pk, index=indices[0]) is False
    # The stalled-run sweep re-enqueues what is missing (tasks run eagerly in tests).
    resumed = services.stalled_runs_resume(now=run.heartbeat_at + services.lease() * 2)
    assert resumed == [run.pk]
    run.refresh_from_db()
    assert run.status == RecalcRun.Status.DONE
    assert run.processed == 90
    assert not RecalcChunk.objects.filter(run=run, done=False).exists()
    assert scores() == expected


def test_only_one_full_run_at_a_time(db, django_capture_on_commit_callbacks):
    CustomerFactory()
    with django_capture_on_commit_callbacks(execute=False):
        first = services.recalc_request(trigger=RecalcRun.Trigger.USER, as_of=AS_OF)
        with pytest.raises(services.RecalcAlreadyRunning) as excinfo:
            services.recalc_request(trigger=RecalcRun.Trigger.USER, as_of=AS_OF)
    assert excinfo.value.run == first


def test_an_order_marks_its_customer_and_referrer_dirty_and_the_sweep_clears_it(
    db, django_capture_on_commit_callbacks
):
    referrer = CustomerFactory()
    customer = CustomerFactory(referred_by=referrer)
    population(60, seed=5)
    services.full_run_sync(as_of=AS_OF)
    assert not DirtyCustomer.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        OrderFactory(customer=customer, ordered_on=dt.date(2026, 10, 1), total="250.00")
    # The task ran after the commit (eagerly here) and cleared the marks.
    assert not DirtyCustomer.objects.exists()
    assert CustomerScore.objects.get(customer=customer).revenue == Decimal("250.00")
    assert CustomerScore.objects.get(customer=referrer).referral_revenue == Decimal("250.00")


@pytest.fixture
def slow_clock(monkeypatch):
    """Dedupe windows long enough that a loaded machine's test stays inside them."""
    monkeypatch.setattr(services, "DIRTY_SENT_SECONDS", 60)
    monkeypatch.setattr(services, "DIRTY_FOLLOW_UP_SECONDS", 30)


def test_a_burst_of_orders_sends_one_task_at_once_and_one_follow_up(
    db, django_capture_on_commit_callbacks, slow_clock
):
    customers = population(30, seed=4)[:3]
    services.full_run_sync(as_of=AS_OF)
    with mock.patch.object(recalculate_dirty, "apply_async") as send:
        for index in range(5):  # five orders, each committed on its own
            with django_capture_on_commit_callbacks(execute=True):
                OrderFactory(customer=customers[index % 3], ordered_on=AS_OF, total="90.00")
    first, follow_up = send.call_args_list  # not one task per order
    assert "countdown" not in first.kwargs  # the score need not wait
    assert follow_up.kwargs["countdown"] == 30
    assert DirtyCustomer.objects.count() == 3

    # The worker runs the task (twice: a duplicate delivery finds nothing left to do).
    for _ in range(2):
        recalculate_dirty(as_of=AS_OF.isoformat())
    assert not DirtyCustomer.objects.exists()
    assert all(
        score.orders_count == Order.objects.filter(customer=score.customer_id).count()
        for score in CustomerScore.objects.filter(customer__in=customers)
    )

    # The task is done, so the next order sends its own task, at once.
    with (
        mock.patch.object(recalculate_dirty, "apply_async") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        OrderFactory(customer=customers[0], ordered_on=AS_OF, total="10.00")
    [again] = send.call_args_list
    assert "countdown" not in again.kwargs


def test_a_mark_whose_task_could_not_be_sent_lets_the_next_one_try(
    db, django_capture_on_commit_callbacks, slow_clock
):
    customer = CustomerFactory()
    with mock.patch("metrics.services.enqueue", return_value=False) as enqueue:
        for _ in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                services.customers_mark_dirty(customer_ids=[customer.pk])
    assert enqueue.call_args_list == [mock.call(recalculate_dirty)] * 2


def test_a_mark_made_during_a_recalculation_survives_it(db):
    customer = CustomerFactory()
    services.full_run_sync(as_of=AS_OF)
    services.customers_mark_dirty(customer_ids=[customer.pk])
    mark = DirtyCustomer.objects.get(customer_id=customer.pk)
    original = services.customers_recalculate

    def recalc_then_remark(**kwargs):
        result = original(**kwargs)
        services.customers_mark_dirty(customer_ids=[customer.pk])
        return result

    services.customers_recalculate = recalc_then_remark
    try:
        services.dirty_recalculate(as_of=AS_OF)
    finally:
        services.customers_recalculate = original
    mark.refresh_from_db()
    assert mark.version == 2


def test_without_a_full_run_the_incremental_path_queues_one(db, django_capture_on_commit_callbacks):
    customer = CustomerFactory()
    with django_capture_on_commit_callbacks(execute=False):
        assert services.customers_recalculate(customer_ids=[customer.pk], as_of=AS_OF) is False
    assert RecalcRun.objects.filter(status=RecalcRun.Status.QUEUED).exists()


def test_deleted_customers_lose_their_score(db):
    customers = population(10, seed=2)
    services.full_run_sync(as_of=AS_OF)
    customers[0].delete()
    assert not CustomerScore.objects.filter(customer_id=customers[0].pk).exists()


def test_settings_change_queues_a_full_run(db, admin_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        services.metric_settings_update(user=admin_user, discount_rate=Decimal("0.08"))
    assert RecalcRun.objects.filter(status=RecalcRun.Status.QUEUED).count() == 1


def test_a_full_run_follows_a_new_churn_window_into_the_purchase_summary(db):
    population(30, seed=5)
    summary.rebuild()
    assert summary.window_days() == 366
    settings_row = MetricSettings.load()
    settings_row.churn_inactivity_days = 90
    settings_row.save()

    services.full_run_sync(as_of=AS_OF)

    assert summary.window_days() == 91
    spells = sorted(CustomerSpell.objects.values_list("customer_id", "start", "end"))
    summary.rebuild(window=91)
    assert spells == sorted(CustomerSpell.objects.values_list("customer_id", "start", "end"))


history = st.lists(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=700),
            st.integers(min_value=0, max_value=50_000),
            st.sampled_from(["paid", "paid", "placed", "cancelled", "refunded"]),
        ),
        max_size=6,
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(histories=history)
def test_every_path_gives_identical_results(db, histories):
    """Full run, incremental recalculation and a re-run of the full run agree exactly."""
    Customer.objects.all().delete()
    RecalcRun.objects.all().delete()
    owner = UserFactory(username="prop")
    customers = []
    for i, orders in enumerate(histories):
        customer = CustomerFactory(owner=owner, name=f"H{i}")
        customers.append(customer)
        for days_ago, cents, status in orders:
            OrderFactory(
                customer=customer,
                ordered_on=AS_OF - dt.timedelta(days=days_ago),
                total=Decimal(cents) / 100,
                status=status,
            )
    services.full_run_sync(as_of=AS_OF)
    full = scores()
    services.customers_recalculate(customer_ids=[c.pk for c in customers], as_of=AS_OF)
    assert scores() == full
    services.full_run_sync(as_of=AS_OF, chunk_size=3)
    assert scores() == full


def test_lost_staging_fails_the_run_and_keeps_the_published_scores(db):
    population(30, seed=4)
    services.full_run_sync(as_of=AS_OF)
    expected = scores()
    run = RecalcRun.objects.create(as_of=AS_OF)
    indices = services.full_run_prepare(run_id=run.pk, chunk_size=10)
    # A database crash empties the unlogged staging table.
    StagedScore.objects.filter(run=run).delete()
    assert services.full_run_publish_chunk(run_id=run.pk, index=indices[0]) is False
    run.refresh_from_db()
    assert run.status == RecalcRun.Status.FAILED
    assert "missing" in run.error
    assert scores() == expected
    # The next run is not blocked by the failed one.
    assert services.full_run_sync(as_of=AS_OF).status == RecalcRun.Status.DONE
