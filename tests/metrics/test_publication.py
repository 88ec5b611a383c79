"""Publishing a full run: chunks, the finishing step, and on PostgreSQL the table swap
(metrics.swap)."""

import datetime as dt

import pytest
from django.db import OperationalError, connection

from metrics import services, storage, swap
from metrics.models import CustomerScore, DirtyCustomer, RecalcRun
from tests.metrics.population import AS_OF, population, scores
from tests.orders.factories import OrderFactory

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the table swap is PostgreSQL's"
)


def _prepared(size=20, chunk_size=10, seed=11):
    customers = population(size, seed=seed)
    services.full_run_sync(as_of=AS_OF)
    run = RecalcRun.objects.create(as_of=AS_OF + dt.timedelta(days=1))
    return customers, run, services.full_run_prepare(run_id=run.pk, chunk_size=chunk_size)


def _failing_once(monkeypatch):
    original = storage.end_publication
    calls = []

    def end_publication(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("canceling statement due to lock timeout")
        return original(**kwargs)

    monkeypatch.setattr(storage, "end_publication", end_publication)


def _finishing_failed(monkeypatch):
    """A two-chunk run whose last chunk is published but whose finish timed out."""
    _customers, run, indices = _prepared()
    services.full_run_publish_chunk(run_id=run.pk, index=indices[0])
    _failing_once(monkeypatch)
    with pytest.raises(OperationalError):
        services.full_run_publish_chunk(run_id=run.pk, index=indices[1])
    run.refresh_from_db()
    assert run.status == RecalcRun.Status.RUNNING
    return run, indices


def test_a_retried_chunk_task_finishes_the_run_when_finishing_failed(db, monkeypatch):
    run, indices = _finishing_failed(monkeypatch)

    # Celery retries the task: its chunk is published already, the finish is not.
    assert services.full_run_publish_chunk(run_id=run.pk, index=indices[1]) is False
    run.refresh_from_db()
    assert run.status == RecalcRun.Status.DONE
    assert set(CustomerScore.objects.values_list("as_of", flat=True)) == {run.as_of}


def test_the_stalled_run_sweep_finishes_a_run_whose_chunks_are_all_published(db, monkeypatch):
    run, _indices = _finishing_failed(monkeypatch)
    assert services.stalled_runs_resume(now=run.heartbeat_at + services.lease() * 2) == [run.pk]
    run.refresh_from_db()
    assert run.status == RecalcRun.Status.DONE
    assert CustomerScore.objects.filter(as_of=run.as_of).count() == 20


def _catalog():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, regexp_replace(indexdef, 'INDEX \\S+ ', 'INDEX ') FROM pg_indexes "
            "WHERE tablename = %s ORDER BY indexname",
            [CustomerScore._meta.db_table],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conname, contype, pg_get_constraintdef(oid), convalidated FROM pg_constraint "
            "WHERE conrelid = %s::regclass ORDER BY conname",
            [CustomerScore._meta.db_table],
        )
        return indexes, cursor.fetchall()


@postgresql_only
def test_the_swapped_in_table_has_the_live_tables_indexes_and_constraints(db):
    population(15, seed=12)
    before = _catalog()
    assert any(name == "score_value_desc" for name, _definition in before[0])
    services.full_run_sync(as_of=AS_OF)
    services.full_run_sync(as_of=AS_OF + dt.timedelta(days=1))
    assert _catalog() == before
    assert not swap.next_exists()


@postgresql_only
def test_a_score_written_during_a_run_is_kept_and_recalculated_after_it(db):
    customers, run, indices = _prepared(chunk_size=5)
    customer = customers[0]
    OrderFactory(customer=customer, ordered_on=AS_OF, total="999.00")
    services.customers_recalculate(customer_ids=[customer.pk], as_of=run.as_of)
    DirtyCustomer.objects.all().delete()
    fresh = CustomerScore.objects.get(customer=customer).revenue

    for index in indices:
        services.full_run_publish_chunk(run_id=run.pk, index=index)
    run.refresh_from_db()
    assert run.status == RecalcRun.Status.DONE
    # The run read the orders before this one came in; the incremental row is newer.
    assert CustomerScore.objects.get(customer=customer).revenue == fresh
    assert list(DirtyCustomer.objects.values_list("customer_id", flat=True)) == [customer.pk]


@postgresql_only
def test_a_customer_deleted_while_a_run_publishes_is_left_out(db):
    customers, run, indices = _prepared(chunk_size=5)
    for index in indices[:-1]:
        services.full_run_publish_chunk(run_id=run.pk, index=index)
    gone = customers[0]
    gone.delete()
    services.full_run_publish_chunk(run_id=run.pk, index=indices[-1])
    run.refresh_from_db()
    assert run.status == RecalcRun.Status.DONE
    assert not CustomerScore.objects.filter(customer_id=gone.pk).exists()
    assert CustomerScore.objects.count() == 19


@postgresql_only
def test_a_failed_run_drops_its_next_table_but_a_late_failure_of_an_old_one_does_not(db):
    _customers, run, _indices = _prepared()
    assert swap.next_exists()
    old = RecalcRun.objects.filter(status=RecalcRun.Status.DONE).first()
    services.full_run_fail(run_id=old.pk, error="a late task of a finished run")
    assert swap.next_exists()
    services.full_run_fail(run_id=run.pk, error="out of memory")
    assert not swap.next_exists()
    before = scores()
    assert services.full_run_sync(as_of=run.as_of).status == RecalcRun.Status.DONE
    assert scores().keys() == before.keys()
