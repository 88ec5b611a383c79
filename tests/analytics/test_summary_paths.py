"""The company figures read the purchase summary, never the orders, and its two paths (a
manager's daily sums and spells, a rep's rows) give the figures the definition gives."""

import datetime as dt
import random
from decimal import Decimal
from itertools import pairwise

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics import views
from analytics.company import _customer_flow_by_rows, _customer_flow_by_spells
from analytics.periods import LAST_30_DAYS, preset_period
from customers.models import Customer
from customers.services import customer_update
from metrics.services import full_run_sync
from orders import summary
from orders.models import PURCHASE_STATUSES, Order
from tests.factories import CustomerFactory
from tests.orders.factories import OrderFactory

DAY0 = dt.date(2025, 1, 1)


@pytest.fixture
def population(owner):
    """Forty customers buying at random over two years; some churned, with or without a
    date, some orders cancelled or refunded."""
    rng = random.Random(7)
    for n in range(40):
        customer = CustomerFactory(owner=owner, name=f"P{n}")
        for _ in range(rng.randint(0, 6)):
            OrderFactory(
                customer=customer,
                ordered_on=DAY0 + dt.timedelta(days=rng.randint(0, 700)),
                total=str(rng.randint(1, 300)),
                status=rng.choice([Order.Status.PAID] * 6 + [Order.Status.CANCELLED]),
            )
        if n % 5 == 0:
            customer.status = Customer.Status.CHURNED
            customer.churned_on = None if n % 10 == 0 else DAY0 + dt.timedelta(days=400 + n)
            customer.save()


def expected_flow(boundaries, window):
    """The definition, customer by customer, from the orders."""
    days = {}
    money = {}
    for customer_id, day, net, cost in Order.objects.filter(
        status__in=PURCHASE_STATUSES
    ).values_list("customer_id", "ordered_on", "total_base", "cost_base"):
        days.setdefault(customer_id, []).append(day)
        money[day] = [a + b for a, b in zip(money.get(day, [0, 0]), (net, cost), strict=True)]
    churned = {
        c.pk: c.churned_on or dt.date.min
        for c in Customer.objects.filter(status=Customer.Status.CHURNED)
    }

    def at(boundary):
        return {
            c
            for c, bought in days.items()
            if any(boundary - window <= d < boundary for d in bought)
            and churned.get(c, dt.date.max) >= boundary
        }

    flow = []
    for start, end in pairwise(boundaries):
        first, last = at(start), at(end)
        flow.append(
            {
                "at_start": len(first),
                "at_end": len(last),
                "lost": len(first - last),
                "revenue": sum((v[0] for d, v in money.items() if start <= d < end), Decimal(0)),
                "cost": sum((v[1] for d, v in money.items() if start <= d < end), Decimal(0)),
            }
        )
    return flow


@pytest.mark.parametrize("inactivity", [365, 60, 20])
@pytest.mark.parametrize(
    "boundaries",
    [
        [dt.date(2025, 6, 1), dt.date(2025, 7, 1), dt.date(2025, 7, 31)],
        [dt.date(2025, 9, 3), dt.date(2025, 9, 20), dt.date(2025, 10, 7)],
        [dt.date(2025, 1, 1), dt.date(2026, 1, 1)],
    ],
)
def test_both_paths_give_the_definitions_figures(manager, population, boundaries, inactivity):
    window = dt.timedelta(days=inactivity + 1)
    expected = expected_flow(boundaries, window)
    summary.rebuild(window=inactivity + 1)

    rows = _customer_flow_by_rows(manager, boundaries=boundaries, inactivity_days=inactivity)
    assert rows == expected
    if all(end - start <= window for start, end in pairwise(boundaries)):
        assert _customer_flow_by_spells(boundaries) == expected


def test_a_reps_rows_are_their_own_customers_after_a_change_of_owner(
    manager, owner, teammate, population
):
    """A rep's figures come from the owner copied onto the summary rows: the definition's
    over the customers they own, whoever owned them when the orders were written."""
    boundaries = [dt.date(2025, 6, 1), dt.date(2025, 7, 1), dt.date(2025, 7, 31)]
    theirs = CustomerFactory(owner=teammate, name="Theirs")
    OrderFactory(customer=theirs, ordered_on=dt.date(2025, 6, 10), total="999")
    moved = Customer.objects.filter(owner=owner, name__in=["P1", "P2", "P3"])
    for customer in moved:
        customer_update(user=manager, customer=customer, owner=teammate)
    moved_ids = {customer.pk for customer in moved}
    flows = {}
    for user in (owner, teammate):
        flows[user] = _customer_flow_by_rows(user, boundaries=boundaries, inactivity_days=365)
    window = dt.timedelta(days=366)
    # The definition over each rep's customers: the orders of the others left out.
    for user in (owner, teammate):
        others = Order.objects.exclude(customer__owner=user)
        kept = list(others.values_list("pk", "status"))
        others.update(status=Order.Status.CANCELLED)
        assert flows[user] == expected_flow(boundaries, window), user
        for pk, status in kept:
            Order.objects.filter(pk=pk).update(status=status)
    assert len(moved_ids) == 3
    assert flows[teammate][0]["revenue"] >= Decimal("999")


def test_a_reps_dashboard_reads_their_scores_once(owner, population):
    summary.rebuild()
    full_run_sync(as_of=dt.date(2026, 11, 30))
    period = preset_period(LAST_30_DAYS, dt.date(2026, 11, 30))
    views._figures(owner, period)  # the user's permissions, cached on the user
    with CaptureQueriesContext(connection) as queries:
        figures = views._figures(owner, period)
    statements = [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "SET LOCAL"))
    ]
    assert figures["overview"].scored > 0
    assert figures["cohort_chart"] is not None
    # Their periods, then their months (monthly revenue and cohorts), from the summary rows
    # found by the owner copied onto them: no semi-join.
    summaries = [sql for sql in statements if "orders_customerday" in sql]
    assert len(summaries) == 2
    assert not any("customers_customer" in sql for sql in summaries)
    # Their score figures, from the owner copied onto the score rows: no semi-join.
    (scores,) = [sql for sql in statements if sql.startswith('SELECT "metrics_customerscore"')]
    assert "customers_customer" not in scores
    assert len(statements) == 9, statements


def test_no_company_figure_reads_the_orders(client_for, manager, owner, population):
    summary.rebuild()
    for user in (manager, owner):
        client = client_for(user)
        with CaptureQueriesContext(connection) as queries:
            for url in ("/", "/metrics/cohorts/"):
                assert client.get(url, {"as_of": "2026-03-31"}).status_code == 200
        tables = " ".join(q["sql"] for q in queries.captured_queries)
        assert Order._meta.db_table + '"' not in tables
        assert "orders_orderline" not in tables
