"""The score history, partitioned by week on PostgreSQL (metrics.history)."""

import datetime as dt

import pytest
from django.db import connection

from metrics import history, services
from metrics.models import ScoreSnapshot
from tests.factories import CustomerFactory
from tests.metrics.population import AS_OF, population

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the history is partitioned on PostgreSQL"
)


def _partitions_of(customer_ids):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text, as_of FROM metrics_scoresnapshot "
            "WHERE customer_id = ANY(%s) ORDER BY as_of",
            [list(customer_ids)],
        )
        return cursor.fetchall()


def test_a_week_starts_on_monday():
    assert history.week_of(dt.date(2026, 11, 1)) == (dt.date(2026, 10, 26), dt.date(2026, 11, 2))
    assert history.partition_name(dt.date(2026, 11, 2)) == "metrics_scoresnapshot_w20261102"


def test_each_run_writes_into_its_weeks_partition(db):
    customers = population(8, seed=21)
    services.full_run_sync(as_of=AS_OF)
    services.full_run_sync(as_of=AS_OF + dt.timedelta(days=1))
    rows = _partitions_of([c.pk for c in customers[:1]])
    assert rows == [
        ("metrics_scoresnapshot_w20261026", AS_OF),
        ("metrics_scoresnapshot_w20261102", AS_OF + dt.timedelta(days=1)),
    ]
    # The history chart reads across partitions as from one table.
    assert ScoreSnapshot.objects.filter(customer=customers[0]).count() == 2


def test_rows_written_before_their_week_had_a_partition_move_into_it(db):
    customer = CustomerFactory()
    ScoreSnapshot.objects.create(customer=customer, as_of=dt.date(2026, 6, 3), tier="B")
    assert _partitions_of([customer.pk]) == [("metrics_scoresnapshot_default", dt.date(2026, 6, 3))]
    history.ensure_partition(dt.date(2026, 6, 7))
    history.ensure_partition(dt.date(2026, 6, 7))  # a second call finds it made
    assert _partitions_of([customer.pk]) == [
        ("metrics_scoresnapshot_w20260601", dt.date(2026, 6, 3))
    ]
    assert ScoreSnapshot.objects.get(customer=customer).tier == "B"


def test_an_incremental_update_creates_its_weeks_partition(db):
    customers = population(8, seed=22)
    services.full_run_sync(as_of=AS_OF)
    later = dt.date(2026, 11, 20)
    services.customers_recalculate(customer_ids=[customers[0].pk], as_of=later)
    assert _partitions_of([customers[0].pk])[-1] == ("metrics_scoresnapshot_w20261116", later)


def test_deleting_a_customer_deletes_their_history_in_every_week(db):
    customers = population(6, seed=23)
    services.full_run_sync(as_of=AS_OF)
    services.full_run_sync(as_of=AS_OF + dt.timedelta(days=8))
    gone = customers[0]
    assert len(_partitions_of([gone.pk])) == 2
    gone.delete()
    assert _partitions_of([gone.pk]) == []
