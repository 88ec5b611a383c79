"""core.db.analyze: planner statistics after bulk loads, on PostgreSQL only."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from core.db import analyze
from orders.models import Order, OrderLine

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="ANALYZE is issued on PostgreSQL only"
)


def analyzed(queries):
    return [q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the no-op is for SQLite")
def test_analyze_is_a_no_op_on_sqlite(db, django_capture_on_commit_callbacks):
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        analyze(Order, OrderLine)
    assert callbacks == []
    assert queries.captured_queries == []


@postgres_only
def test_analyze_runs_once_the_load_commits(db, django_capture_on_commit_callbacks):
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True),
    ):
        analyze(Order, OrderLine, Order)
        assert analyzed(queries) == []  # not inside the load's transaction
    assert analyzed(queries) == ['ANALYZE "orders_order"', 'ANALYZE "orders_orderline"']


@postgres_only
def test_a_rolled_back_load_analyzes_nothing(db, django_capture_on_commit_callbacks):
    with (
        CaptureQueriesContext(connection) as queries,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        transaction.atomic(),
    ):
        analyze(Order)
        transaction.set_rollback(True)
    assert callbacks == []
    assert analyzed(queries) == []


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_few_rows_into_analyzed_tables_analyze_nothing_a_big_load_does():
    with connection.cursor() as cursor:
        cursor.execute('ANALYZE "orders_order"')  # committed: the statistics are fresh
    with CaptureQueriesContext(connection) as queries:
        analyze(Order, added=10)  # outside a transaction: at once
    assert analyzed(queries) == []

    with CaptureQueriesContext(connection) as queries:
        analyze(Order, added=1_000)  # more than 50 + 10 % of an empty table
    assert analyzed(queries) == ['ANALYZE "orders_order"']


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_load_that_wrote_most_rows_vacuums_them_once_committed():
    # VACUUM runs outside a transaction block only: after the commit, in autocommit.
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        analyze(Order, OrderLine, vacuum=True)
    assert [q["sql"] for q in queries.captured_queries if "VACUUM" in q["sql"]] == [
        'VACUUM (ANALYZE) "orders_order"',
        'VACUUM (ANALYZE) "orders_orderline"',
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT last_vacuum IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'orders_order'"
        )
        assert cursor.fetchone() == (True,)
