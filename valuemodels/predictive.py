"""Predicted CLV from a fitted BG/NBD and Gamma-Gamma (spec §2.5).

    CLV = margin * E[order value] * Σ_{k=1..H} (E[Y(k·L)] - E[Y((k-1)·L)]) / (1 + d_m)^k

E[Y(t)] is the BG/NBD expected number of purchases in the next t time units, L the length
of a month in the model's time unit (365/12 days by default), H the horizon in months, and
d_m = (1 + d)^(1/12) - 1 the monthly rate equivalent to the annual discount rate d. Month
k's purchases are discounted as if they all fell at the end of month k.
"""

import numpy as np

from .arrays import ArrayLike, FloatArray
from .bgnbd import BgNbdParams, history_factor, purchase_curves
from .customer import DAYS_PER_YEAR
from .distinct import distinct

MONTHS_PER_YEAR = 12
DAYS_PER_MONTH = DAYS_PER_YEAR / MONTHS_PER_YEAR


def monthly_discount_rate(annual_rate: float) -> float:
    rate: float = (1 + annual_rate) ** (1 / MONTHS_PER_YEAR) - 1
    return rate


def discounted_expected_purchases(
    params: BgNbdParams,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    *,
    horizon_months: int,
    annual_discount: float,
    month_length: float = DAYS_PER_MONTH,
) -> FloatArray:
    """Σ_k (expected purchases in month k) / (1 + d_m)^k for each customer.

    Expected purchases are ``history_factor`` times a purchase curve that depends on x and
    T alone, so the discounted months are added up once per distinct (x, T): a large
    population costs what its distinct (x, T) pairs cost."""
    factor = history_factor(params, x, t_x, T)
    (xs, Ts), _counts, pair = distinct(np.asarray(x, dtype=float), np.asarray(T, dtype=float))
    months = np.arange(horizon_months + 1)
    # One row per month boundary (0…H), one column per distinct (x, T).
    curves = purchase_curves(params, months[:, None] * month_length, xs, Ts)
    discount = (1 + monthly_discount_rate(annual_discount)) ** -months[1:]
    # Added month by month on purpose: a matrix product or .sum(axis=0) may add in another
    # order when there are fewer columns, and a customer recomputed alone must get the
    # very same number as in the full run.
    total = np.zeros(xs.size)
    for month, month_discount in enumerate(discount, start=1):
        total += (curves[month] - curves[month - 1]) * month_discount
    discounted: FloatArray = factor * total[pair]
    return discounted


def predicted_clv(
    params: BgNbdParams,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    *,
    expected_order_value: ArrayLike,
    margin: ArrayLike,
    horizon_months: int,
    annual_discount: float,
    month_length: float = DAYS_PER_MONTH,
) -> FloatArray:
    """Predicted CLV per customer (floats in the base currency; round to cents to store).

    ``expected_order_value`` from the Gamma-Gamma model, ``margin`` the share of an order's
    value that is profit (a scalar or one per customer)."""
    purchases = discounted_expected_purchases(
        params,
        x,
        t_x,
        T,
        horizon_months=horizon_months,
        annual_discount=annual_discount,
        month_length=month_length,
    )
    value: FloatArray = (
        np.asarray(margin, dtype=float) * np.asarray(expected_order_value) * purchases
    )
    return value
