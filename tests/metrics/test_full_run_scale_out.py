"""A full run spread over the workers (METRICS_SCALE_OUT): a map over id ranges, a reduce
that fits, a second map and reduce for the references and tiers, then the publication
chunks each scoring their own range. It must store exactly what a one-process run stores."""

import datetime as dt
from decimal import Decimal

import pytest
from django.test import override_settings

from customers.models import Customer
from metrics import services, tasks
from metrics.models import (
    CustomerScore,
    ModelFit,
    PopulationStats,
    RecalcChunk,
    RecalcRun,
    ScoreSnapshot,
)
from tests.campaigns.factories import CampaignFactory, SpendEntryFactory
from tests.metrics.population import AS_OF, population, scores
from tests.metrics.test_worker import quietly, wait_for
from tests.orders.factories import OrderFactory

CHUNK = 25


def _varied_population(size=130, seed=21):
    """``population`` plus what the population figures read beyond orders: referrals (to
    customers in other chunks), acquisition costs from a campaign and an override."""
    customers = population(size, seed=seed)
    campaign = CampaignFactory()
    SpendEntryFactory(campaign=campaign, amount=Decimal("1000.00"), spent_on=dt.date(2026, 1, 5))
    Customer.objects.filter(pk__in=[c.pk for c in customers[::3]]).update(
        acquired_by_campaign=campaign
    )
    Customer.objects.filter(pk=customers[5].pk).update(acquisition_cost_override=Decimal("80"))
    for referrer, referred in ((customers[0], customers[-1]), (customers[-2], customers[1])):
        Customer.objects.filter(pk=referred.pk).update(referred_by=referrer)
    OrderFactory(customer=customers[-1], ordered_on=AS_OF, total="321.09")
    return customers


def _stats(run):
    """A run's stats, its parameters as values (the settings' decimals print as loaded)."""
    data = dict(PopulationStats.objects.get(run=run).data)
    data.pop("scored_by_chunk", None)
    data["parameters"] = services.parameters_from_json(data["parameters"])
    return data


def _scaled_out_run(as_of, monkeypatch):
    """A run through the Celery tasks (eager in unit tests: the chords run in process)."""
    monkeypatch.setattr(services, "CHUNK_SIZE", CHUNK)
    run = RecalcRun.objects.create(as_of=as_of)
    with override_settings(METRICS_SCALE_OUT=True):
        tasks.full_run_prepare.delay(run.pk)
    run.refresh_from_db()
    return run


def _history():
    return sorted(
        ScoreSnapshot.objects.values_list(
            "customer_id", "as_of", "value_score", "tier", "profit_contribution", "future_value"
        )
    )


def test_the_scaled_out_run_stores_what_the_one_process_run_stores(db, monkeypatch):
    customers = _varied_population()
    single = services.full_run_sync(as_of=AS_OF)
    expected, expected_history = scores(), _history()
    assert len({row["tier"] for row in expected.values()} - {""}) == 3

    run = _scaled_out_run(AS_OF, monkeypatch)

    assert run.status == RecalcRun.Status.DONE, run.error
    assert run.chunks_total == run.chunks_done == len(customers) // CHUNK + 1
    assert run.total == run.processed == len(customers)
    assert _stats(run) == _stats(single)
    assert scores() == expected
    assert _history() == expected_history
    assert set(ModelFit.objects.filter(run=run).values_list("kind", flat=True)) == {
        "bgnbd",
        "gamma_gamma",
    }
    # The progress card's steps: read, fit and score, staged with each chunk, published.
    assert set(run.timings) == {"inputs", "population", "stage"}
    assert [state for _label, state in run.progress_steps()] == ["done"] * 5


def test_a_later_scaled_out_run_keeps_the_previous_figures_like_a_one_process_run(db, monkeypatch):
    _varied_population(size=90, seed=4)
    later = AS_OF + dt.timedelta(days=1)
    services.full_run_sync(as_of=AS_OF)
    services.full_run_sync(as_of=later)
    expected = scores()

    services.full_run_sync(as_of=AS_OF)
    run = _scaled_out_run(later, monkeypatch)

    assert run.status == RecalcRun.Status.DONE, run.error
    assert scores() == expected


def test_a_scaled_out_run_without_customers_finishes(db, monkeypatch):
    run = _scaled_out_run(AS_OF, monkeypatch)
    assert run.status == RecalcRun.Status.DONE, run.error
    assert run.chunks_total == 0
    assert not CustomerScore.objects.exists()


def test_steps_of_an_attempt_the_sweep_restarted_do_nothing(db, monkeypatch):
    population(60, seed=2)
    monkeypatch.setattr(services, "CHUNK_SIZE", CHUNK)
    run = RecalcRun.objects.create(as_of=AS_OF)
    plan = services.full_run_scatter(run_id=run.pk)
    assert [size for _first, _last, size in plan["ranges"]] == [25, 25, 10]
    first, last, _size = plan["ranges"][0]
    part = services.full_run_chunk_statistics(
        run_id=run.pk,
        attempt=plan["attempt"],
        parameters=plan["parameters"],
        first_id=first,
        last_id=last,
    )
    assert part is not None

    # The run's lease ran out and the sweep's prepare claimed it again: a new attempt.
    RecalcRun.objects.filter(pk=run.pk).update(heartbeat_at=None, created_at=AS_OF_PAST)
    assert services.full_run_scatter(run_id=run.pk)["attempt"] == plan["attempt"] + 1

    stale = {"run_id": run.pk, "attempt": plan["attempt"], "parameters": plan["parameters"]}
    assert services.full_run_chunk_statistics(**stale, first_id=first, last_id=last) is None
    assert services.full_run_fit(run_id=run.pk, plan=plan, parts=[part]) is None
    assert services.full_run_gather(run_id=run.pk, plan=plan, stats={}) == []
    assert not RecalcChunk.objects.filter(run=run).exists()
    assert not PopulationStats.objects.filter(run=run).exists()


AS_OF_PAST = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


@pytest.mark.worker
@pytest.mark.xdist_group("worker")
def test_a_scaled_out_run_through_a_real_worker_matches_the_one_process_run(worker_process):
    with quietly():
        _varied_population(size=110, seed=9)
    services.full_run_sync(as_of=AS_OF)
    expected = scores()

    worker_process.start(
        env={"METRICS_SCALE_OUT": "true", "CHUNK_SIZE": str(CHUNK)},
        include="tests.metrics.scale_out_worker",
    )
    with override_settings(METRICS_SCALE_OUT=True):
        run = RecalcRun.objects.create(as_of=AS_OF)
        tasks.full_run_prepare.delay(run.pk)
    wait_for(
        lambda: RecalcRun.objects.get(pk=run.pk).status == RecalcRun.Status.DONE,
        "finish the scaled-out run",
    )
    run.refresh_from_db()
    assert run.chunks_done == run.chunks_total == 5
    assert scores() == expected
