import datetime as dt

import numpy as np
import pytest

from metrics import health
from orders.models import Order
from tests.factories import CustomerFactory
from tests.metrics.population import AS_OF
from tests.orders.factories import OrderFactory
from valuemodels import bgnbd

# CDNOW-like parameters (weeks): most customers buy rarely, many drop out.
TRUE = bgnbd.BgNbdParams(r=0.25, alpha=4.0, a=0.8, b=2.5)


def simulate(params, T, holdout, seed):
    """A BG/NBD population: each customer buys at a Poisson rate lambda ~ Gamma(r, alpha) from
    their first purchase at time 0 and drops out after each repeat purchase with probability
    p ~ Beta(a, b). Returns x, t_x over (0, T] and the purchases in (T, T + holdout]."""
    rng = np.random.default_rng(seed)
    n = T.size
    rate = rng.gamma(params.r, 1 / params.alpha, n)
    dropout = rng.beta(params.a, params.b, n)
    x, t_x, after = np.zeros(n), np.zeros(n), np.zeros(n)
    for i in range(n):
        t = 0.0
        while True:
            t += rng.exponential(1 / rate[i])
            if t > T[i] + holdout:
                break
            if t <= T[i]:
                x[i], t_x[i] = x[i] + 1, t
            else:
                after[i] += 1
            if rng.random() < dropout[i]:
                break
    return x, t_x, after


@pytest.fixture(scope="module")
def simulated():
    T = np.random.default_rng(0).uniform(27, 39, 6000)
    x, t_x, after = simulate(TRUE, T, holdout=39, seed=1)
    return {"x": x, "t_x": t_x, "T": T, "holdout": after}


def test_holdout_check_predicts_a_simulated_population(simulated):
    check = health.holdout_check(**simulated, holdout_days=39)
    assert check.fit.converged
    assert check.customers == 6000
    assert check.fit.params.r == pytest.approx(TRUE.r, rel=0.15)
    assert check.fit.params.alpha == pytest.approx(TRUE.alpha, rel=0.2)
    # The model is the truth here: the prediction is within sampling noise of what happened.
    assert check.actual_total == simulated["holdout"].sum()
    assert abs(check.error_percent) < 8
    assert [b.repeat_purchases for b in check.buckets] == list(range(8))
    assert check.buckets[-1].is_top
    assert not check.buckets[0].is_top
    assert sum(b.customers for b in check.buckets) == 6000
    # Customers who bought more in the calibration period buy more later, and the
    # model tracks the actual means bucket by bucket.
    actual = [b.actual for b in check.buckets]
    assert actual == sorted(actual)
    for bucket in check.buckets:
        assert bucket.predicted == pytest.approx(bucket.actual, abs=0.25 + 0.15 * bucket.actual)


def test_collapsed_rows_give_the_same_check(simulated):
    # Whole weeks, so many customers share a history.
    x, t_x, T = simulated["x"], np.floor(simulated["t_x"]), np.floor(simulated["T"])
    direct = health.holdout_check(x=x, t_x=t_x, T=T, holdout=simulated["holdout"], holdout_days=39)
    rows = bgnbd.collapse(x, t_x, T)
    holdout = np.bincount(rows.inverse, weights=simulated["holdout"])
    collapsed = health.holdout_check(
        x=rows.x, t_x=rows.t_x, T=rows.T, weights=rows.weights, holdout=holdout, holdout_days=39
    )
    assert rows.x.size < x.size / 3
    assert collapsed.predicted_total == pytest.approx(direct.predicted_total, rel=1e-6)
    assert collapsed.actual_total == direct.actual_total
    for mine, theirs in zip(collapsed.buckets, direct.buckets, strict=True):
        assert (mine.customers, mine.actual) == (theirs.customers, pytest.approx(theirs.actual))
        assert mine.predicted == pytest.approx(theirs.predicted, rel=1e-6)


def test_holdout_check_without_enough_data_has_actuals_but_no_prediction():
    check = health.holdout_check(
        x=[0, 1, 3], t_x=[0, 5, 9], T=[10, 10, 12], holdout=[0, 2, 1], holdout_days=20
    )
    assert not check.fit.converged
    assert "Too little data" in check.fit.message
    assert check.predicted_total is None
    assert check.error_percent is None
    assert [(b.repeat_purchases, b.actual, b.predicted) for b in check.buckets] == [
        (0, 0.0, None),
        (1, 2.0, None),
        (3, 1.0, None),
    ]


def test_chart_geometry_labels_and_scales():
    buckets = [
        health.Bucket(0, False, 10, 0.2, 0.25),
        health.Bucket(1, False, 5, 1.0, 0.9),
        health.Bucket(7, True, 2, 3.3, None),
    ]
    chart = health.chart_geometry(buckets, width=500, height=300, margin=50)
    assert [p["label"] for p in chart["points"]] == ["0", "1", "7+"]
    assert [p["x"] for p in chart["points"]] == [50, 250, 450]
    # Ticks 0, 1, 2, 3, 4: the top tick is the first round value above the largest mean.
    assert [t["label"] for t in chart["ticks"]] == ["0", "1", "2", "3", "4"]
    assert chart["ticks"][0]["y"] == 250
    assert chart["ticks"][-1]["y"] == 50
    assert chart["points"][1]["actual_y"] == 200  # 1.0 of 4 on a 200-pixel plot
    assert chart["predicted_line"] == "50.0,237.5 250.0,205.0"


def test_pearson_matches_numpy():
    rng = np.random.default_rng(3)
    x = rng.poisson(3, 500).astype(float)
    y = 40 + 8 * x + rng.normal(0, 30, 500)
    assert health.pearson(health.moments(x, y)) == pytest.approx(np.corrcoef(x, y)[0, 1])


@pytest.mark.parametrize(
    ("x", "y"),
    [([1, 2], [3, 4]), ([2, 2, 2], [1, 5, 9]), ([], [])],
)
def test_pearson_is_undefined_for_too_few_or_constant_values(x, y):
    assert health.pearson(health.moments(x, y)) is None


def test_frequency_monetary_check_warns_beyond_0_3():
    rng = np.random.default_rng(5)
    x = rng.poisson(4, 400).astype(float) + 1
    independent = health.frequency_monetary_check(health.moments(x, rng.gamma(5, 20, 400)))
    assert not independent.warning
    assert independent.customers == 400
    related = health.frequency_monetary_check(health.moments(x, 10 * x + rng.normal(0, 5, 400)))
    assert related.correlation > 0.9
    assert related.warning
    assert not health.frequency_monetary_check(health.moments([1], [2])).warning


# --- Reads -------------------------------------------------------------------------------------


def test_holdout_rows_count_purchase_days_on_each_side_of_the_split(db):
    split = dt.date(2026, 6, 30)
    a = CustomerFactory()
    OrderFactory(customer=a, ordered_on=dt.date(2026, 1, 1), total="10.00")
    # same day: one purchase
    OrderFactory(customer=a, ordered_on=dt.date(2026, 1, 1), total="15.00")
    OrderFactory(customer=a, ordered_on=dt.date(2026, 3, 1), total="20.00")
    OrderFactory(
        customer=a, ordered_on=dt.date(2026, 4, 1), total="99.00", status=Order.Status.CANCELLED
    )
    OrderFactory(customer=a, ordered_on=dt.date(2026, 7, 10), total="30.00")
    OrderFactory(customer=a, ordered_on=dt.date(2026, 8, 10), total="30.00")
    OrderFactory(customer=a, ordered_on=dt.date(2026, 8, 10), total="5.00")
    OrderFactory(customer=a, ordered_on=dt.date(2026, 12, 1), total="30.00")  # after the holdout
    b = CustomerFactory()
    # first purchase on the split day
    OrderFactory(customer=b, ordered_on=dt.date(2026, 6, 30), total="50.00")
    c = CustomerFactory()
    # first purchase after the split: left out
    OrderFactory(customer=c, ordered_on=dt.date(2026, 7, 1), total="50.00")

    rows = health.holdout_rows(calibration_end=split, holdout_end=dt.date(2026, 11, 1))
    got = sorted(
        zip(rows.x, rows.t_x, rows.T, rows.weights, rows.holdout, strict=True),
        key=lambda row: -row[0],
    )
    assert got == [
        (1, 59, 180, 1, 2),  # 2026-01-01 and 03-01; holdout days 07-10 and 08-10
        (0, 0, 0, 1, 0),
    ]


def test_holdout_rows_collapse_identical_histories(db):
    for _ in range(3):
        customer = CustomerFactory()
        OrderFactory(customer=customer, ordered_on=dt.date(2026, 2, 1), total="10.00")
        OrderFactory(customer=customer, ordered_on=dt.date(2026, 9, 1), total="10.00")
    rows = health.holdout_rows(calibration_end=dt.date(2026, 5, 1), holdout_end=AS_OF)
    assert rows.weights.tolist() == [3]
    assert rows.holdout.tolist() == [3]
    empty = health.holdout_rows(calibration_end=dt.date(2000, 1, 1), holdout_end=AS_OF)
    assert empty.x.size == 0


def test_frequency_monetary_moments_use_the_gamma_gamma_population(db):
    # Repeat purchase days only (the first day left out), same-day orders added up.
    a = CustomerFactory()
    OrderFactory(customer=a, ordered_on=dt.date(2026, 1, 1), total="500.00")
    OrderFactory(customer=a, ordered_on=dt.date(2026, 2, 1), total="10.00")
    OrderFactory(customer=a, ordered_on=dt.date(2026, 2, 1), total="20.00")
    # x 2, average (30 + 50) / 2 = 40
    OrderFactory(customer=a, ordered_on=dt.date(2026, 3, 1), total="50.00")
    b = CustomerFactory()
    OrderFactory(customer=b, ordered_on=dt.date(2026, 1, 5), total="80.00")
    OrderFactory(customer=b, ordered_on=dt.date(2026, 4, 5), total="100.00")  # x 1, average 100
    c = CustomerFactory()
    OrderFactory(customer=c, ordered_on=dt.date(2026, 1, 5), total="80.00")
    # average 0: not in the Gamma-Gamma fit
    OrderFactory(customer=c, ordered_on=dt.date(2026, 4, 5), total="0.00")
    d = CustomerFactory()
    OrderFactory(customer=d, ordered_on=dt.date(2026, 1, 5), total="80.00")  # no repeat purchase
    OrderFactory(customer=d, ordered_on=dt.date(2027, 1, 5), total="80.00")  # after the as-of date

    got = health.frequency_monetary_moments(as_of=AS_OF)
    assert got == pytest.approx(health.moments([2, 1], [40, 100]))
