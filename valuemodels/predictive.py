"""Predicted CLV from a fitted BG/NBD and Gamma-Gamma (spec §2.5).

    CLV = margin * E[order value] * Σ_{k=1..H} (E[Y(k·L)] - E[Y((k-1)·L)]) / (1 + d_m)^k

E[Y(t)] is the BG/NBD expected number of purchases in the next t time units, L the length
of a month in the model's time unit (365/12 days by default), H the horizon in months, and
d_m = (1 + d)^(1/12) - 1 the monthly rate equivalent to the annual discount rate d. Month
k's purchases are discounted as if they all fell at the end of month k.
"""

import numpy as np

from .arrays import ArrayLike, FloatArray
from .bgnbd import BgNbdParams, collapse, expected_purchases
from .customer import DAYS_PER_YEAR
from .parallel import split_map

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

    Evaluated once per distinct (x, t_x, T) row, so a large population costs what its
    distinct histories cost."""
    rows = collapse(x, t_x, T)
    months = np.arange(horizon_months + 1)
    horizons = months[:, None] * month_length

    def cumulative_for(x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        # One row per month boundary (0…H), one column per distinct history.
        return expected_purchases(params, horizons, x, t_x, T)

    # Element-wise (the hypergeometric function of every history and month), so splitting
    # the histories between threads changes no result.
    cumulative = np.concatenate(split_map(cumulative_for, rows.x, rows.t_x, rows.T), axis=1)
    per_month = np.diff(cumulative, axis=0)
    discount = (1 + monthly_discount_rate(annual_discount)) ** -months[1:]
    # Added month by month on purpose: a matrix product or .sum(axis=0) may add in another
    # order when there are fewer columns, and a customer recomputed alone must get the
    # very same number as in the full run.
    total = np.zeros(rows.x.size)
    for month_purchases, month_discount in zip(per_month, discount, strict=True):
        total += month_purchases * month_discount
    return total[rows.inverse]


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
