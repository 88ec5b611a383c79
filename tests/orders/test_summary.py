"""The purchase summary (orders.CustomerDay) the dashboard and cohorts read: kept equal to
what a rebuild from the orders gives, whatever path changed the orders."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext

from customers.models import Customer
from customers.services import customer_merge
from orders import services, summary
from orders.models import CohortDay, CustomerDay, CustomerSpell, DayFlow, Order
from tests.campaigns.factories import CampaignFactory
from tests.factories import CustomerFactory
from tests.orders.factories import CustomerCostFactory, OrderFactory, ProductFactory
from tests.threads import in_thread

JAN5, JAN20, FEB3, MAR9 = (
    dt.date(2026, 1, 5),
    dt.date(2026, 1, 20),
    dt.date(2026, 2, 3),
    dt.date(2026, 3, 9),
)
NONE = CustomerDay.NO_NEXT_DAY
WRITES = {"INSERT", "UPDATE", "DELETE", "TRUNCATE"}


def rows():
    return sorted(
        CustomerDay.objects.values_list(
            "customer_id",
            "day",
            "month",
            "first_month",
            "purchases",
            "revenue",
            "cost",
            "prev_day",
            "next_day",
        )
    )


def everything():
    """The summary's tables; of the daily sums, the days that do not add up to nothing."""
    spells = sorted(CustomerSpell.objects.values_list("customer_id", "start", "end", "prev_end"))
    # A day's sums are spread over shards: what a reader sees is their total.
    by_day = (
        DayFlow.objects.order_by()
        .values("day")
        .annotate(*(Sum(name) for name in ("revenue", "cost", "starts", "ends")))
        .values_list("day", "revenue__sum", "cost__sum", "starts__sum", "ends__sum")
    )
    flow = sorted(row for row in by_day if any(row[1:]))
    by_cohort_day = (
        CohortDay.objects.order_by()
        .values("campaign", "first_month", "day")
        .annotate(*(Sum(name) for name in ("buyers", "revenue", "cost")))
        .values_list("campaign", "first_month", "day", "buyers__sum", "revenue__sum", "cost__sum")
    )
    cohorts = sorted(row for row in by_cohort_day if any(row[3:]))
    return rows(), spells, flow, cohorts


def test_one_row_per_customer_and_purchase_day_with_its_neighbours(owner):
    customer = CustomerFactory(owner=owner)
    OrderFactory(customer=customer, ordered_on=JAN20, total="100.00", cost="30.00")
    OrderFactory(customer=customer, ordered_on=JAN20, total="50.00", cost="10.00", refunded="5")
    OrderFactory(customer=customer, ordered_on=FEB3, total="70.00", cost="20.00")
    OrderFactory(customer=customer, ordered_on=JAN5, total="90.00", status=Order.Status.DRAFT)
    OrderFactory(customer=customer, ordered_on=MAR9, total="90.00", status=Order.Status.REFUNDED)

    jan, feb = dt.date(2026, 1, 1), dt.date(2026, 2, 1)
    assert rows() == [
        (customer.pk, JAN20, jan, jan, 2, Decimal("145.00"), Decimal("40.00"), None, FEB3),
        (customer.pk, FEB3, feb, jan, 1, Decimal("70.00"), Decimal("20.00"), JAN20, NONE),
    ]


@pytest.mark.parametrize("window", [366, 20])
def test_the_summary_equals_a_rebuild_after_every_kind_of_change(owner, window):
    summary.rebuild(window=window)
    a, b, c = (CustomerFactory(owner=owner) for _ in range(3))
    product = ProductFactory(list_price=Decimal("80.00"), unit_cost=Decimal("30.00"))
    line = [(product, 1)]
    first = services.order_create(user=owner, customer=a, ordered_on=FEB3, lines=line)
    paid = services.order_create(
        user=owner, customer=a, ordered_on=MAR9, lines=[(product, 2)], status=Order.Status.PAID
    )
    moved = services.order_create(user=owner, customer=b, ordered_on=JAN20, lines=line)
    services.order_create(user=owner, customer=c, ordered_on=JAN5, lines=line)
    straight = OrderFactory(customer=c, ordered_on=FEB3, total="40.00")

    # A back-dated first purchase, a change of customer, a life cycle, a refund, a delete.
    services.order_update(
        user=owner,
        order=first,
        customer=a,
        number=first.number,
        ordered_on=JAN5,
        currency="USD",
        lines=[(product, 3)],
    )
    services.order_update(
        user=owner,
        order=moved,
        customer=c,
        number=moved.number,
        ordered_on=MAR9,
        currency="USD",
        lines=line,
    )
    services.order_refund(user=owner, order=paid, amount=Decimal("25.00"))
    services.order_set_status(user=owner, order=first, status=Order.Status.PAID)
    services.order_set_status(user=owner, order=first, status=Order.Status.REFUNDED)
    straight.delete()
    CustomerCostFactory(customer=a, incurred_on=FEB3)
    d = CustomerFactory(owner=owner)
    OrderFactory(customer=d, ordered_on=JAN20, total="10.00")
    customer_merge(user=owner, survivor=a, duplicate=d)
    # A churn date, and an acquiring campaign, set on the customer afterwards.
    c.status, c.churned_on = Customer.Status.CHURNED, dt.date(2026, 2, 20)
    c.save()
    a.refresh_from_db()
    a.acquired_by_campaign = CampaignFactory()
    a.save()

    kept = everything()
    summary.rebuild()
    assert summary.window_days() == window

    assert kept == everything()
    days = kept[0]
    assert {row[0] for row in days} == {a.pk, c.pk}  # b has no order left, d is merged
    assert [row[1] for row in days if row[0] == a.pk] == [JAN20, MAR9]


def test_a_new_window_derives_the_spells_and_flows_as_a_rebuild_with_it(owner):
    for i, days in enumerate(([JAN5, MAR9], [JAN20], [JAN5, JAN20, FEB3])):
        customer = CustomerFactory(owner=owner, name=f"W{i}")
        for day in days:
            OrderFactory(customer=customer, ordered_on=day, total="25.00")
    summary.rebuild(window=366)

    assert summary.rewindow(window=20) is True
    assert summary.window_days() == 20
    rewindowed = everything()
    summary.rebuild(window=20)
    assert rewindowed == everything()
    # Spells of 20 days break where 366 days joined them.
    assert len(rewindowed[1]) > CustomerSpell.objects.values("customer_id").distinct().count()

    with CaptureQueriesContext(connection) as queries:
        assert summary.rewindow(window=20) is False
    written = [q["sql"] for q in queries if q["sql"].split()[0].upper() in WRITES]
    assert written == []


def test_a_deleted_customer_takes_their_rows_and_sums(owner):
    customer = CustomerFactory(owner=owner)
    OrderFactory(customer=customer, ordered_on=JAN5, total="10.00")
    customer.delete()
    assert everything() == ([], [], [], [])


@pytest.mark.parametrize("size", [1, 20])
def test_refreshing_customers_takes_the_same_queries_whatever_their_number(
    owner, size, django_assert_num_queries
):
    ids = []
    for _ in range(size):
        customer = CustomerFactory(owner=owner)
        OrderFactory(customer=customer, ordered_on=JAN5, total="10.00")
        OrderFactory(customer=customer, ordered_on=FEB3, total="10.00")
        ids.append(customer.pk)
    CustomerDay.objects.all().delete()

    # A savepoint, on PostgreSQL the customers' locks and the window's shared lock, the
    # window, what the rows add to the two daily sums, two deletes, two inserts, what they
    # add now, the two changes, the release.
    with django_assert_num_queries(15 if connection.vendor == "postgresql" else 13):
        summary.refresh_customers(ids)

    assert CustomerDay.objects.count() == 2 * size


def test_an_order_write_refreshes_its_customer_in_its_own_transaction(owner):
    customer = CustomerFactory(owner=owner)
    with CaptureQueriesContext(connection) as queries:
        OrderFactory(customer=customer, ordered_on=JAN5, total="10.00")
    table = CustomerDay._meta.db_table
    assert sum(table in q["sql"] for q in queries.captured_queries) == 7
    assert CustomerDay.objects.get().revenue == Decimal("10.00")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks between connections")
@pytest.mark.django_db(transaction=True)
def test_orders_of_two_customers_on_the_same_day_do_not_wait_for_each_other(owner):
    # Two new customers, first purchase the same day on no campaign: the same day's sums
    # and the same cohort's, each in a shard of its own.
    first, second = CustomerFactory(owner=owner), CustomerFactory(owner=owner)
    assert first.pk % DayFlow.SHARDS != second.pk % DayFlow.SHARDS
    written, release = threading.Event(), threading.Event()

    def order_then_wait():
        with transaction.atomic():
            OrderFactory(customer=first, ordered_on=JAN5, total="10.00")
            written.set()
            release.wait(10)

    errors = []
    holder = in_thread(order_then_wait, errors)
    try:
        assert written.wait(10)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            OrderFactory(customer=second, ordered_on=JAN5, total="20.00")
    finally:
        release.set()
        holder.join(10)

    assert errors == []
    kept = everything()
    summary.rebuild()
    assert kept == everything()
    day = DayFlow.objects.filter(day=JAN5).aggregate(revenue=Sum("revenue"), starts=Sum("starts"))
    assert day == {"revenue": Decimal("30.00"), "starts": 2}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="autovacuum is PostgreSQL's")
@pytest.mark.django_db
def test_autovacuum_keeps_the_summary_readable_from_its_index_and_a_rebuild_keeps_that():
    # orders 0011: vacuumed after 1 % of the rows changed, so a rep's dashboard reads its
    # rows index-only (pages marked all-visible) soon after owners or orders change.
    summary.rebuild()  # TRUNCATE keeps a table's settings
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'orders_customerday'")
        (options,) = cursor.fetchone()
    assert {
        "autovacuum_vacuum_scale_factor=0.01",
        "autovacuum_vacuum_insert_scale_factor=0.01",
        "autovacuum_analyze_scale_factor=0.02",
    } <= set(options)
