import datetime as dt
import hashlib
from collections import Counter
from decimal import Decimal
from io import StringIO
from unittest import mock

import numpy as np
import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse

from campaigns.models import AcquiredCount, Campaign
from core.roles import ADMIN, SALES_MANAGER, SALES_REP
from crm.demo import generate, load
from customers.models import Activity, Contact, Customer, Tag
from orders.models import (
    CohortDay,
    CustomerCost,
    CustomerDay,
    CustomerSpell,
    DayFlow,
    ExchangeRate,
    Order,
    OrderLine,
    Product,
    base_currency,
)
from orders.totals import LineInput, convert, order_totals
from tests.campaigns.test_acquired_counts import assert_acquired_counted
from tests.factories import CustomerFactory, UserFactory
from tests.shared import shared_rows

AS_OF = dt.date(2026, 11, 1)
SIZE = 60


def seed(*args, as_of=AS_OF):
    """``seed_demo`` for SIZE customers, as of AS_OF unless said (None: the command's
    default, today): tests never depend on the clock."""
    out = StringIO()
    dated = ("--as-of", as_of.isoformat()) if as_of else ()
    call_command("seed_demo", "--customers", str(SIZE), *dated, *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(db):
    return seed()


def digest():
    """A fingerprint of the data by natural keys, so it does not depend on ids."""
    rows = [
        *Customer.objects.order_by("external_id").values_list(
            "external_id",
            "name",
            "kind",
            "email",
            "phone",
            "region",
            "status",
            "churned_on",
            "acquired_on",
            "owner__username",
            "acquired_by_campaign__name",
            "referred_by__external_id",
            "marketing_opt_out",
            "created_at",
        ),
        *Order.objects.order_by("number").values_list(
            "number",
            "customer__external_id",
            "status",
            "ordered_on",
            "currency",
            "exchange_rate",
            "total",
            "total_base",
            "cost_base",
            "refunded_total",
        ),
        *OrderLine.objects.order_by("order__number", "product__sku").values_list(
            "order__number", "product__sku", "quantity", "unit_price", "unit_cost", "discount"
        ),
        *Contact.objects.order_by("customer__external_id", "name", "email").values_list(
            "customer__external_id", "name", "email", "is_primary"
        ),
        *Activity.objects.order_by("customer__external_id", "occurred_at", "subject").values_list(
            "customer__external_id", "kind", "subject", "occurred_at", "due_on", "done"
        ),
        *CustomerCost.objects.order_by(
            "customer__external_id", "incurred_on", "amount"
        ).values_list("customer__external_id", "kind", "incurred_on", "amount"),
        *Customer.tags.through.objects.order_by("customer__external_id", "tag__name").values_list(
            "customer__external_id", "tag__name"
        ),
    ]
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def seeded_digest(*args):
    """The digest of what ``seed`` writes into the database as it is; undone afterwards."""
    with transaction.atomic():
        seed(*args)
        fingerprint = digest()
        transaction.set_rollback(True)
    return fingerprint


def test_same_seed_gives_the_same_data_and_another_seed_does_not(db):
    first = seeded_digest()
    assert seeded_digest() == first
    assert seeded_digest("--seed", "7") != first


def test_if_empty_adds_nothing_when_customers_exist(db):
    CustomerFactory()
    output = seed("--if-empty")
    assert "already has customers" in output
    assert Customer.objects.count() == 1
    assert not Order.objects.exists()
    # The demo logins still work after a restart.
    assert get_user_model().objects.filter(username="rep").exists()


def test_if_empty_seeds_an_empty_database(db):
    seed("--if-empty")
    assert Customer.objects.count() == SIZE


def test_the_load_analyzes_every_table_it_filled(db):
    with mock.patch("crm.demo.load.analyze") as analyze:
        seed()
    # After the commit, on PostgreSQL (core.db.analyze, tests/core/test_db.py).
    analyze.assert_called_once_with(
        *(apps.get_model(label) for label in load.BULK_MODELS),
        CustomerDay,
        CustomerSpell,
        DayFlow,
        CohortDay,
        vacuum=True,
    )


def test_without_if_empty_a_second_run_adds_more_customers(seeded):
    orders = Order.objects.count()
    seed()
    assert Customer.objects.count() == 2 * SIZE
    assert Order.objects.count() > orders
    # Reference data is reused, not duplicated.
    assert Product.objects.count() == 12
    assert Campaign.objects.count() == 10


@pytest.mark.xdist_group("seed-demo")  # one build of the shared rows
class TestTheDemoData:
    """Reads of one demo data set, seeded once for the class (tests/shared.py)."""

    @pytest.fixture(scope="class", autouse=True)
    def seed_output(self, django_db_setup, django_db_blocker):
        yield from shared_rows(django_db_blocker, seed)

    @pytest.fixture
    def seeded(self, db, seed_output):
        return seed_output

    @pytest.mark.parametrize(
        ("username", "role", "superuser"),
        [
            ("admin", ADMIN, True),
            ("manager", SALES_MANAGER, False),
            ("rep", SALES_REP, False),
            ("rep2", SALES_REP, False),
        ],
    )
    def test_demo_users_have_their_roles_and_can_log_in(
        self, seeded, client, username, role, superuser
    ):
        user = get_user_model().objects.get(username=username)
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert user.is_superuser == superuser
        assert user.is_staff == superuser
        assert user.check_password("demo")
        assert user.first_name == "Demo"
        assert user.email == f"{username}@example.com"
        response = client.post(reverse("login"), {"username": username, "password": "demo"})
        assert response.status_code == 302

    def test_owners_are_spread_over_the_demo_users(self, seeded):
        owners = Counter(Customer.objects.values_list("owner__username", flat=True))
        assert set(owners) <= {"manager", "rep", "rep2", None}
        assert owners["rep"] > 5
        assert owners["rep2"] > 5
        assert owners["manager"] > 3

    def test_order_totals_equal_orders_totals(self, seeded):
        assert_totals_match_orders_totals()

    def test_foreign_currency_orders_use_the_rate_of_their_month(self, seeded):
        foreign = Order.objects.exclude(currency=base_currency())
        assert foreign.exists()
        assert set(foreign.values_list("currency", flat=True)) <= {"EUR", "GBP", "CNY"}
        for order in foreign:
            rate = ExchangeRate.objects.get(
                currency=order.currency, valid_on=order.ordered_on.replace(day=1)
            )
            assert order.exchange_rate == rate.rate, order.number
        assert not Order.objects.filter(currency=base_currency()).exclude(exchange_rate=1).exists()

    def test_counts_are_roughly_as_specified(self, seeded):
        orders = Order.objects.count()
        assert 6 * SIZE <= orders <= 15 * SIZE
        assert 2 <= OrderLine.objects.count() / orders <= 3
        assert Tag.objects.count() == 10
        assert Product.objects.count() == 12
        # Monthly rates from November 2023 to November 2026 for three currencies.
        assert ExchangeRate.objects.count() == 3 * 37
        assert Campaign.objects.count() == 10
        assert Activity.objects.count() <= 3 * SIZE
        assert CustomerCost.objects.exists()
        foreign = Order.objects.exclude(currency=base_currency()).count()
        assert 0.03 <= foreign / orders <= 0.25

    def test_orders_fall_in_the_three_years_before_the_as_of_date(self, seeded):
        first = Order.objects.order_by("ordered_on").first().ordered_on
        last = Order.objects.order_by("ordered_on").last().ordered_on
        assert dt.date(2023, 11, 1) <= first
        assert last < AS_OF
        assert Order.objects.order_by("id").first().number == "SO-0000001"
        assert Customer.objects.order_by("id").first().external_id == "C000001"

    def test_buying_behaviour_varies(self, seeded):
        per_customer = Counter(Order.objects.values_list("customer_id", flat=True))
        assert any(n == 1 for n in per_customer.values())
        assert max(per_customer.values()) >= 20
        assert Customer.objects.filter(status=Customer.Status.LEAD, orders__isnull=True).exists()
        statuses = set(Order.objects.values_list("status", flat=True))
        assert statuses == {"paid", "placed", "cancelled", "refunded"}
        refunded = Order.objects.filter(status=Order.Status.REFUNDED)
        assert all(order.refunded_total == order.total for order in refunded)
        assert Order.objects.filter(status=Order.Status.PAID, refunded_total__gt=0).exists()

    def test_customers_look_real(self, seeded):
        assert set(Customer.objects.values_list("kind", flat=True)) == {"company", "person"}
        assert len(set(Customer.objects.values_list("region", flat=True))) >= 5
        churned = Customer.objects.filter(status=Customer.Status.CHURNED)
        assert churned.exists()
        assert not churned.filter(churned_on__isnull=True).exists()
        assert not churned.filter(churn_reason="").exists()
        assert (
            not Customer.objects.exclude(status=Customer.Status.CHURNED)
            .exclude(churned_on__isnull=True)
            .exists()
        )
        for customer in churned:
            assert customer.churned_on > customer.orders.order_by("ordered_on").last().ordered_on
        assert Customer.objects.filter(referred_by__isnull=False).exists()
        for customer in Customer.objects.filter(referred_by__isnull=False):
            assert customer.referred_by_id < customer.pk
        for customer in Customer.objects.filter(acquired_by_campaign__isnull=False).exclude(
            acquired_on__isnull=True
        ):
            campaign = customer.acquired_by_campaign
            assert campaign.starts_on <= customer.acquired_on <= (campaign.ends_on or AS_OF)
            assert customer.created_at.date() == customer.acquired_on
        assert Customer.objects.filter(acquired_by_campaign__isnull=True).exists()

    def test_companies_have_at_most_three_contacts_and_one_primary(self, seeded):
        assert not Contact.objects.filter(customer__kind=Customer.Kind.PERSON).exists()
        for customer in Customer.objects.filter(kind=Customer.Kind.COMPANY):
            contacts = list(customer.contacts.all())
            assert len(contacts) <= 3
            if contacts:
                assert sum(c.is_primary for c in contacts) == 1

    def test_tasks_have_due_dates_some_overdue_some_done(self, seeded):
        tasks = Activity.objects.filter(kind=Activity.Kind.TASK)
        assert not tasks.filter(due_on__isnull=True).exists()
        assert tasks.filter(done=True).exists()
        assert any(task.is_overdue(AS_OF) for task in tasks)
        assert not tasks.filter(done=True, done_at__isnull=True).exists()

    def test_the_task_list_is_a_live_one_on_the_as_of_day(self, seeded):
        """A handful of overdue tasks, all from the last two weeks (not 145 back to two
        years ago), and tasks due this week."""
        tasks = Activity.objects.filter(kind=Activity.Kind.TASK)
        open_tasks = tasks.filter(done=False)
        overdue = open_tasks.filter(due_on__lt=AS_OF)
        assert 1 <= overdue.count() <= max(3, open_tasks.count() // 2)
        assert not overdue.filter(due_on__lt=AS_OF - dt.timedelta(days=14)).exists()
        this_week = open_tasks.filter(due_on__gte=AS_OF, due_on__lt=AS_OF + dt.timedelta(days=7))
        assert this_week.exists()
        assert not tasks.filter(occurred_at__date__gte=AS_OF).exists()
        assert not tasks.filter(done_at__date__gt=AS_OF).exists()

    def test_product_margins_are_between_20_and_60_percent(self, seeded):
        for product in Product.objects.all():
            margin = (product.list_price - product.unit_cost) / product.list_price
            assert Decimal("0.19") <= margin <= Decimal("0.61"), product.sku

    def test_campaigns_have_budgets_and_spend(self, seeded):
        for campaign in Campaign.objects.all():
            spent = sum(entry.amount for entry in campaign.spend_entries.all())
            assert 0 < spent <= campaign.budget
            assert campaign.created_at.date() < campaign.starts_on

    def test_the_customers_each_campaign_acquired_are_counted(self, seeded):
        assert AcquiredCount.objects.exists()
        assert_acquired_counted()

    def test_summary_lists_counts_and_seconds(self, seeded):
        assert "orders.Order" in seeded
        assert " s:" in seeded


def test_without_as_of_the_data_is_as_of_the_day_it_is_loaded(db, monkeypatch):
    """``bin/run`` loads the demo as of today: orders up to yesterday, so the dashboard's
    default "last 30 days" has revenue on the day of loading. (Today is pinned here.)"""
    from crm.management.commands import seed_demo

    today = dt.date(2027, 3, 15)
    monkeypatch.setattr(seed_demo, "today", lambda: today)
    with transaction.atomic():
        output = seed(as_of=None)
        assert f"Demo data as of {today.isoformat()} (seed 42)" in output
        last = Order.objects.order_by("ordered_on").last().ordered_on
        assert today - dt.timedelta(days=7) <= last < today
        last_30_days = Order.objects.purchases().filter(
            ordered_on__gte=today - dt.timedelta(days=30)
        )
        assert last_30_days.count() >= SIZE // 5
        fingerprint = digest()
        transaction.set_rollback(True)
    # The same day given as --as-of gives the same rows: the default is only a date.
    assert seeded_digest("--as-of", today.isoformat()) == fingerprint


def test_an_existing_user_keeps_their_password(db):
    UserFactory(username="admin", password="my-own-secret")
    seed()
    assert get_user_model().objects.get(username="admin").check_password("my-own-secret")


def test_no_users_creates_no_users(db):
    seed("--no-users")
    assert not get_user_model().objects.exists()
    assert Customer.objects.count() == SIZE
    assert not Customer.objects.filter(owner__isnull=False).exists()


def assert_totals_match_orders_totals():
    lines = {}
    for line in OrderLine.objects.all():
        lines.setdefault(line.order_id, []).append(
            LineInput(line.quantity, line.unit_price, line.unit_cost, line.discount)
        )
    orders = list(Order.objects.all())
    assert orders
    for order in orders:
        expected = order_totals(lines[order.pk], order.exchange_rate)
        actual = (
            order.subtotal,
            order.discount_total,
            order.total,
            order.cost_total,
            order.total_base,
            order.cost_base,
        )
        assert actual == (
            expected.subtotal,
            expected.discount_total,
            expected.total,
            expected.cost_total,
            expected.total_base,
            expected.cost_base,
        ), order.number
        assert order.refunded_base == convert(order.refunded_total, order.exchange_rate)


def test_check_totals_fails_loudly_on_a_wrong_total():
    one_line = {
        "unit_price": np.array([1000]),
        "unit_cost": np.array([600]),
        "discount": np.array([0]),
    }
    money = {
        name: np.array([value])
        for name, value in {
            "subtotal": 2000,
            "discount_total": 0,
            "total": 2001,
            "cost_total": 1200,
            "total_base": 2001,
            "cost_base": 1200,
            "refunded_total": 0,
            "refunded_base": 0,
        }.items()
    }
    args = ([0], np.array([0]), np.array([1]), np.array([2]), one_line, np.array([10**8]))
    with pytest.raises(ArithmeticError):
        generate.check_totals(*args, money)
    money["total"] = money["total_base"] = np.array([2000])
    generate.check_totals(*args, money)


def _schema():
    tables = [apps.get_model(label)._meta.db_table for label in load.BULK_MODELS]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = ANY(%s::regclass[])",
            [tables],
        )
        indexes = sorted(row[0] for row in cursor.fetchall())
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated "
            "FROM pg_constraint WHERE conrelid = ANY(%s::regclass[])",
            [tables],
        )
        constraints = sorted(cursor.fetchall())
    return indexes, constraints


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL bulk path")
def test_postgres_big_load_rebuilds_every_index_and_constraint(db, monkeypatch):
    before = _schema()
    monkeypatch.setattr(load, "REBUILD_FROM", 0)
    output = seed()
    assert "indexes and" in output
    assert _schema() == before
    assert_totals_match_orders_totals()
    assert Customer.objects.count() == SIZE
