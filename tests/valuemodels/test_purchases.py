"""Purchase histories from individual orders (valuemodels.purchases), spec 2.5."""

import numpy as np

from valuemodels.purchases import histories, referral_totals


def test_orders_on_one_day_are_one_purchase_and_the_first_day_is_split_off():
    # Customer 3: two orders on day 10 (1.00 + 2.00), one on day 12 (4.00).
    result = histories([3, 3, 3, 1], [10, 10, 12, 5], [100, 200, 400, 700], [50, 50, 100, 200])
    assert result.customer_id.tolist() == [1, 3]
    assert result.orders.tolist() == [1, 3]
    assert result.purchase_days.tolist() == [1, 2]
    assert result.revenue_cents.tolist() == [700, 700]
    assert result.cost_cents.tolist() == [200, 200]
    assert result.first_order.tolist() == [5, 10]
    assert result.last_order.tolist() == [5, 12]
    assert result.repeat_value_cents.tolist() == [0, 400]
    assert result.repeat_orders.tolist() == [0, 1]


def test_a_customer_with_every_order_on_one_day_has_no_repeat_purchase():
    result = histories([7, 7, 7], [20, 20, 20], [100, 100, 100], [0, 0, 0])
    assert result.purchase_days.tolist() == [1]
    assert result.repeat_value_cents.tolist() == [0]
    assert result.repeat_orders.tolist() == [0]
    assert result.orders.tolist() == [3]


def test_no_orders_gives_no_histories():
    result = histories([], [], [], [])
    assert result.customer_id.size == 0
    assert result.revenue_cents.size == 0


def test_a_customer_alone_gets_what_they_get_in_the_population():
    rng = np.random.default_rng(5)
    n = 5_000
    ids = rng.integers(1, 300, n)
    days = rng.integers(19_000, 19_400, n)
    cents = rng.integers(0, 1_000_000, n)
    everyone = histories(ids, days, cents, cents // 3)
    shuffled = rng.permutation(n)
    mine = ids == 42
    alone = histories(
        ids[shuffled][mine[shuffled]],
        days[shuffled][mine[shuffled]],
        cents[shuffled][mine[shuffled]],
        (cents // 3)[shuffled][mine[shuffled]],
    )
    at = everyone.customer_id.tolist().index(42)
    for field in (
        "orders",
        "revenue_cents",
        "cost_cents",
        "purchase_days",
        "repeat_value_cents",
        "repeat_orders",
        "first_order",
        "last_order",
    ):
        assert getattr(alone, field)[0] == getattr(everyone, field)[at], field


def test_referral_totals_count_referred_customers_and_add_up_their_revenue():
    referrers, counts, cents = referral_totals([5, 2, 5], [100, 300, 0])
    assert referrers.tolist() == [2, 5]
    assert counts.tolist() == [1, 2]
    assert cents.tolist() == [300, 100]
    referrers, counts, cents = referral_totals([], [])
    assert referrers.size == counts.size == cents.size == 0
