"""score.tier_changed: announced once per customer whose stored tier a write changed, from
the incremental recalculation and from full runs (metrics.signals.tier_changed)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.webhooks.models import Event, WebhookDelivery
from metrics import services
from metrics.models import CustomerScore
from tests.api.factories import WebhookFactory
from tests.factories import CustomerFactory
from tests.metrics.population import AS_OF, population
from tests.orders.factories import OrderFactory


@pytest.fixture
def emit(django_capture_on_commit_callbacks):
    """Run a change and everything it queues after commit (the event, then its task)."""

    def run(change):
        with django_capture_on_commit_callbacks(execute=True):
            return change()

    return run


def _announced():
    return sorted(
        (d.payload["data"] for d in WebhookDelivery.objects.filter(event=Event.TIER_CHANGED)),
        key=lambda data: data["customer"],
    )


def _recalculate(customers, as_of=AS_OF):
    return services.customers_recalculate(customer_ids=[c.pk for c in customers], as_of=as_of)


def test_an_order_moving_a_customer_up_a_tier_is_announced_once(db, emit):
    owner = population(20, seed=5)[0].owner
    services.full_run_sync(as_of=AS_OF)
    WebhookFactory(events=[Event.TIER_CHANGED])
    customer = CustomerFactory(owner=owner)
    OrderFactory(customer=customer, ordered_on=AS_OF - dt.timedelta(days=300), total="30.00")
    emit(lambda: _recalculate([customer]))
    before = CustomerScore.objects.get(customer=customer)
    assert before.tier in {"B", "C"}
    assert _announced() == []  # a first score is no change

    for months in range(5):
        OrderFactory(
            customer=customer, ordered_on=AS_OF - dt.timedelta(days=30 * months), total="5000.00"
        )
    emit(lambda: _recalculate([customer]))
    after = CustomerScore.objects.get(customer=customer)
    assert after.tier == "A"
    assert _announced() == [
        {
            "customer": customer.pk,
            "tier": "A",
            "previous_tier": before.tier,
            "value_score": after.value_score,
            "as_of": AS_OF.isoformat(),
            "run": None,
        }
    ]

    # A retried task finds the stored tier already changed: nothing more.
    emit(lambda: _recalculate([customer]))
    assert len(_announced()) == 1


def test_a_full_run_announces_changed_customers_only_and_once(db, emit):
    customers = population(20, seed=6)
    services.full_run_sync(as_of=AS_OF)
    WebhookFactory(events=[Event.TIER_CHANGED])
    real = dict(CustomerScore.objects.values_list("customer_id", "tier"))
    moved = customers[:2]
    for customer in moved:
        CustomerScore.objects.filter(customer=customer).update(
            tier="C" if real[customer.pk] != "C" else "A"
        )
    stored = dict(CustomerScore.objects.values_list("customer_id", "tier"))

    emit(lambda: services.full_run_sync(as_of=AS_OF + dt.timedelta(days=1)))
    announced = _announced()
    assert [(d["customer"], d["previous_tier"], d["tier"]) for d in announced] == [
        (c.pk, stored[c.pk], real[c.pk]) for c in moved
    ]
    run_ids = {d["run"] for d in announced}
    assert len(run_ids) == 1
    assert None not in run_ids

    # The same tiers published again (a new run, or the same date re-run): nothing.
    emit(lambda: services.full_run_sync(as_of=AS_OF + dt.timedelta(days=1)))
    emit(lambda: services.full_run_sync(as_of=AS_OF + dt.timedelta(days=2)))
    assert len(_announced()) == 2


def _scored_with_other_tiers(customers, emit):
    """Score ``customers`` afresh (no event: a first score), then store other tiers."""
    CustomerScore.objects.filter(customer__in=customers).update(tier="")
    emit(lambda: _recalculate(customers))
    real = dict(CustomerScore.objects.values_list("customer_id", "tier"))
    for customer in customers:
        CustomerScore.objects.filter(customer=customer).update(
            tier="C" if real[customer.pk] != "C" else "A"
        )


def test_the_incremental_path_reads_old_tiers_in_one_query(
    db, emit, django_assert_num_queries, django_capture_on_commit_callbacks
):
    customers = population(12, seed=7)
    services.full_run_sync(as_of=AS_OF)
    WebhookFactory(events=[Event.TIER_CHANGED])
    one, five = customers[:1], customers[1:6]
    _scored_with_other_tiers(one, emit)
    _scored_with_other_tiers(five, emit)
    assert _announced() == []
    # Counted: the recalculation's own queries (the deliveries' tasks run after commit).
    with (
        django_capture_on_commit_callbacks() as callbacks,
        CaptureQueriesContext(connection) as queries,
    ):
        _recalculate(one)
    emit(lambda: [callback() for callback in callbacks])
    assert len(_announced()) == 1
    with django_capture_on_commit_callbacks() as callbacks, django_assert_num_queries(len(queries)):
        _recalculate(five)
    emit(lambda: [callback() for callback in callbacks])
    assert len(_announced()) == 6
