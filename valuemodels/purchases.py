"""Per-customer purchase history from individual orders (spec 2.5), vectorised.

Orders on one calendar day count as one purchase whose amounts add up: BG/NBD counts
purchase days, and Gamma-Gamma sees the value of repeat purchases only, so the first
day's value is split off.

Money is added up in whole cents (integers), so a customer's sums are exact and the same
whether they are computed with the whole population or alone, in any order.
"""

from dataclasses import dataclass

import numpy as np

from .arrays import ArrayLike, IntArray


@dataclass(frozen=True)
class Histories:
    """One entry per customer who bought, customers ascending; money in cents."""

    customer_id: IntArray
    orders: IntArray
    revenue_cents: IntArray
    cost_cents: IntArray
    first_order: IntArray
    last_order: IntArray
    purchase_days: IntArray
    repeat_value_cents: IntArray
    repeat_orders: IntArray


def histories(
    customer_id: ArrayLike, day: ArrayLike, value_cents: ArrayLike, cost_cents: ArrayLike
) -> Histories:
    """Aggregate orders (one entry per order in each array) into purchase histories."""
    customer_id = np.asarray(customer_id, dtype=np.int64)
    day = np.asarray(day, dtype=np.int64)
    value = np.asarray(value_cents, dtype=np.int64)
    cost = np.asarray(cost_cents, dtype=np.int64)
    n = customer_id.size
    if n:
        # One integer key sorts by customer, then day, far faster than a lexsort.
        first_day, span = day.min(), int(day.max() - day.min()) + 1
        order = np.argsort((customer_id - customer_id.min()) * span + (day - first_day))
        customer_id, day, value, cost = customer_id[order], day[order], value[order], cost[order]

    new_customer = np.ones(n, dtype=bool)
    new_customer[1:] = customer_id[1:] != customer_id[:-1]
    new_day = new_customer.copy()
    new_day[1:] |= day[1:] != day[:-1]
    starts = np.flatnonzero(new_customer)
    bounds = np.append(starts, n)
    sizes = np.diff(bounds)
    on_first_day = day == np.repeat(day[starts], sizes)
    return Histories(
        customer_id=customer_id[starts],
        orders=sizes,
        revenue_cents=_sums(value, starts),
        cost_cents=_sums(cost, starts),
        first_order=day[starts],
        last_order=day[bounds[1:] - 1],
        purchase_days=_sums(new_day.astype(np.int64), starts),
        repeat_value_cents=_sums(np.where(on_first_day, 0, value), starts),
        repeat_orders=sizes - _sums(on_first_day.astype(np.int64), starts),
    )


def _sums(values: IntArray, starts: IntArray) -> IntArray:
    if not starts.size:
        return np.zeros(0, dtype=np.int64)
    return np.add.reduceat(values, starts)


def referral_totals(
    referrer_id: ArrayLike, referred_revenue_cents: ArrayLike
) -> tuple[IntArray, IntArray, IntArray]:
    """Per referrer: how many customers they referred and those customers' revenue.

    Returns ``(referrers ascending, counts, revenue in cents)``."""
    referrer_id = np.asarray(referrer_id, dtype=np.int64)
    revenue = np.asarray(referred_revenue_cents, dtype=np.int64)
    order = np.argsort(referrer_id)
    referrer_id, revenue = referrer_id[order], revenue[order]
    new = np.ones(referrer_id.size, dtype=bool)
    new[1:] = referrer_id[1:] != referrer_id[:-1]
    starts = np.flatnonzero(new)
    counts = np.diff(np.append(starts, referrer_id.size))
    return referrer_id[starts], counts, _sums(revenue, starts)
