import numpy as np
import pytest

from valuemodels import bgnbd, predictive

CDNOW = bgnbd.BgNbdParams(r=0.2426, alpha=4.4135, a=0.7929, b=2.4258)
# Customer 1 and customer 1516 of the CDNOW cohort (weeks).
X, T_X, T = [2, 26], [30.43, 30.86], [38.86, 31.0]


def test_monthly_discount_rate_compounds_to_the_annual_rate():
    monthly = predictive.monthly_discount_rate(0.1)
    assert monthly == pytest.approx(0.00797414, abs=1e-8)
    assert (1 + monthly) ** 12 == pytest.approx(1.1)


def test_without_discounting_the_months_add_up_to_the_whole_horizon():
    # Nine "months" of 39/9 weeks are the 39 weeks of the paper's holdout period.
    purchases = predictive.discounted_expected_purchases(
        CDNOW, X, T_X, T, horizon_months=9, annual_discount=0, month_length=39 / 9
    )
    assert purchases == pytest.approx(bgnbd.expected_purchases(CDNOW, 39, X, T_X, T))
    assert purchases[0] == pytest.approx(1.2259, abs=1e-3)


def test_each_month_is_discounted_at_its_end():
    month = 52 / 12
    purchases = predictive.discounted_expected_purchases(
        CDNOW, X, T_X, T, horizon_months=3, annual_discount=0.1, month_length=month
    )
    d = 1.1 ** (1 / 12) - 1
    cumulative = [bgnbd.expected_purchases(CDNOW, k * month, X, T_X, T) for k in range(4)]
    expected = sum((cumulative[k] - cumulative[k - 1]) / (1 + d) ** k for k in (1, 2, 3))
    assert purchases == pytest.approx(expected, rel=1e-12)


def test_predicted_clv_is_margin_times_order_value_times_discounted_purchases():
    purchases = predictive.discounted_expected_purchases(
        CDNOW, X, T_X, T, horizon_months=12, annual_discount=0.1, month_length=52 / 12
    )
    clv = predictive.predicted_clv(
        CDNOW,
        X,
        T_X,
        T,
        expected_order_value=np.array([24.66, 39.92]),
        margin=0.3,
        horizon_months=12,
        annual_discount=0.1,
        month_length=52 / 12,
    )
    assert clv == pytest.approx(0.3 * np.array([24.66, 39.92]) * purchases)
    per_customer_margin = predictive.predicted_clv(
        CDNOW,
        X,
        T_X,
        T,
        expected_order_value=np.array([24.66, 39.92]),
        margin=np.array([0.3, 0.5]),
        horizon_months=12,
        annual_discount=0.1,
        month_length=52 / 12,
    )
    assert per_customer_margin[1] == pytest.approx(0.5 * 39.92 * purchases[1])


def test_identical_histories_are_computed_once_and_returned_in_order():
    x, t_x, T = [26, 2, 26, 0], [30.86, 30.43, 30.86, 0], [31.0, 38.86, 31.0, 20]
    together = predictive.discounted_expected_purchases(
        CDNOW, x, t_x, T, horizon_months=12, annual_discount=0.1
    )
    one_by_one = [
        predictive.discounted_expected_purchases(
            CDNOW, [x[i]], [t_x[i]], [T[i]], horizon_months=12, annual_discount=0.1
        )[0]
        for i in range(4)
    ]
    assert together.tolist() == one_by_one


def test_default_month_is_a_twelfth_of_a_365_day_year():
    assert round(predictive.DAYS_PER_MONTH, 4) == 30.4167


def test_a_zero_horizon_predicts_nothing():
    purchases = predictive.discounted_expected_purchases(
        CDNOW, X, T_X, T, horizon_months=0, annual_discount=0.1
    )
    assert purchases.tolist() == [0, 0]
