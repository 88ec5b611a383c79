"""Set-based reads of what the value models need, one row per customer, as numpy arrays.

Each input is one GROUP BY over its table (orders, costs, referrals, campaigns, surveys),
never a query per customer. The same functions serve a full recalculation (every customer)
and an incremental one (a list of ids), which is what keeps both paths' results identical.
"""

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from customers.models import Activity, Customer
from orders.models import PURCHASE_STATUSES, Order
from valuemodels import purchases
from valuemodels.arrays import FloatArray, IntArray

from . import pgcopy
from .engine import CustomerInputs, day_number


def _day_number(value: date | str | None) -> float:
    """Days since 1970-01-01 for a date (or an ISO string, as SQLite returns)."""
    if value is None:
        return np.nan
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return day_number(value)


def _scope(column: str, customer_ids: Iterable[int] | None) -> tuple[str, list[int]]:
    """An SQL condition and its parameters limiting ``column`` to some customers (a
    ``range`` of ids: those between its ends, read along the index)."""
    if customer_ids is None:
        return "1=1", []
    if isinstance(customer_ids, range):
        return f"{column} BETWEEN %s AND %s", [customer_ids.start, customer_ids.stop - 1]
    ids = [int(i) for i in customer_ids]
    if not ids:
        return "1=0", []
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", ids


def _float(expression: str) -> str:
    """One money value read as a float, as the engine computes; never a sum (``_cents``)."""
    return f"CAST({expression} AS DOUBLE PRECISION)"


def _cents(expression: str) -> str:
    """A money expression in whole cents (an integer), so sums are exact and the same in any
    order or grouping, as ``valuemodels.purchases`` adds them; PostgreSQL's numeric sums
    are also about a third slower than integer ones."""
    if connection.vendor == "postgresql":
        # numeric to bigint rounds; a ROUND() first would cost a second on ten million rows.
        return f"CAST({expression} * 100 AS BIGINT)"
    # SQLite keeps money as floating point, and CAST truncates: round first.
    return f"CAST(ROUND({expression} * 100) AS INTEGER)"


def _fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _scatter(
    ids: IntArray, rows: Sequence[Sequence[Any]], width: int, fill: float = 0.0
) -> FloatArray:
    """Place rows ``(customer_id, v1, v2, ...)`` into arrays aligned with ``ids``."""
    out = np.full((width, len(ids)), fill, dtype=float)
    if rows:
        data = np.array(rows, dtype=object)
        positions = np.searchsorted(ids, data[:, 0].astype(np.int64))
        for column in range(width):
            out[column, positions] = data[:, column + 1].astype(float)
    return out


def last_purchase_on() -> date | None:
    """The day of the latest purchase of any customer (the "last order date" the scores may
    be computed as of); None before the first. One query, along the ``ordered_on`` index."""
    return Order.objects.purchases().aggregate(last=Max("ordered_on"))["last"]


def customer_inputs(*, as_of: date, customer_ids: Iterable[int] | None = None) -> CustomerInputs:
    """Inputs of every customer (``customer_ids=None``), of the given ones, or of those
    whose id lies in a ``range`` (a chunk of a full run split over workers)."""
    scope, params = _scope("id", customer_ids)
    facts = " + ".join(
        f"CASE WHEN {column} <> '' THEN 1 ELSE 0 END"
        for column in ("email", "phone", "website", "industry", "region", "address")
    )
    id_rows = _fetch(
        f"SELECT id, status, {facts} FROM {Customer._meta.db_table} WHERE {scope} ORDER BY id",
        params,
    )
    ids = np.array([row[0] for row in id_rows], dtype=np.int64)
    inputs = CustomerInputs(as_of=as_of, customer_id=ids)
    columns = inputs.columns
    columns["churned"] = np.array([row[1] == Customer.Status.CHURNED for row in id_rows], bool)
    # Six profile fields plus "has contacts" (counted with activities below).
    columns["profile_facts"] = np.array([row[2] for row in id_rows], dtype=float)
    # The helpers read the ids more than once: a list, of the customers that exist.
    existing: Iterable[int] | None = None
    if customer_ids is not None:
        existing = customer_ids if isinstance(customer_ids, range) else ids.tolist()
    _add_orders_and_referrals(inputs, as_of, existing)
    _add_costs(inputs, as_of, existing)
    _add_activity(inputs, as_of, existing)
    _add_surveys(inputs, as_of, existing)
    return inputs


def _purchases(
    as_of: date, scope: str, params: list[int]
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Every purchase up to ``as_of`` of the customers in ``scope``, one entry per order:
    ``(customer_id, day, value in cents, cost in cents)`` arrays. The population's ten
    million orders come through a binary COPY; grouping them by customer and purchase day
    is numpy's job (calc.purchases)."""
    statuses = ", ".join(f"'{s}'" for s in PURCHASE_STATUSES)
    where = f"status IN ({statuses}) AND ordered_on <= %s AND {scope}"
    table = Order._meta.db_table
    value, cost = _cents("(total_base - refunded_base)"), _cents("cost_base")
    if connection.vendor == "postgresql":
        query = (
            f"SELECT customer_id, ordered_on - DATE '1970-01-01', {value}, {cost} "
            f"FROM {table} WHERE {where}"
        )
        with connection.cursor() as cursor:
            columns = pgcopy.read_columns(
                cursor,
                query,
                [as_of, *params],
                [("customer_id", ">i8"), ("day", ">i4"), ("value", ">i8"), ("cost", ">i8")],
            )
        return columns["customer_id"], columns["day"], columns["value"], columns["cost"]
    rows = _fetch(
        f"SELECT customer_id, ordered_on, {value}, {cost} FROM {table} WHERE {where}",
        [as_of, *params],
    )
    return (
        np.array([r[0] for r in rows], dtype=np.int64),
        np.array([_day_number(r[1]) for r in rows], dtype=np.int64),
        np.array([r[2] for r in rows], dtype=np.int64),
        np.array([r[3] for r in rows], dtype=np.int64),
    )


def _add_orders_and_referrals(
    inputs: CustomerInputs, as_of: date, customer_ids: Iterable[int] | None
) -> None:
    """Purchase histories of the customers, and of the customers they referred (whose
    revenue is the referrers' influence), from one read of the orders."""
    scope, params = _scope("referred_by_id", customer_ids)
    referred = _fetch(
        f"SELECT id, referred_by_id FROM {Customer._meta.db_table} "
        f"WHERE referred_by_id IS NOT NULL AND {scope}",
        params,
    )
    referred_id = np.array([r[0] for r in referred], dtype=np.int64)
    referrer_id = np.array([r[1] for r in referred], dtype=np.int64)
    if isinstance(customer_ids, range):
        # The range's orders, and those of the customers they referred (few, anywhere).
        scope, params = _scope("customer_id", customer_ids)
        outside = [i for i in referred_id.tolist() if i not in customer_ids]
        if outside:
            extra, extra_params = _scope("customer_id", outside)
            scope, params = f"({scope} OR {extra})", [*params, *extra_params]
    else:
        wanted = None
        if customer_ids is not None:
            wanted = sorted(set(customer_ids) | set(referred_id.tolist()))
        scope, params = _scope("customer_id", wanted)
    bought = purchases.histories(*_purchases(as_of, scope, params))

    ids, columns = inputs.customer_id, inputs.columns
    columns["orders"] = _aligned(ids, bought.customer_id, bought.orders)
    columns["purchase_days"] = _aligned(ids, bought.customer_id, bought.purchase_days)
    columns["repeat_orders"] = _aligned(ids, bought.customer_id, bought.repeat_orders)
    for name, cents in (
        ("revenue", bought.revenue_cents),
        ("cost_of_goods", bought.cost_cents),
        ("repeat_value", bought.repeat_value_cents),
    ):
        columns[name] = _aligned(ids, bought.customer_id, cents) / 100
    for name, days in (("first_order", bought.first_order), ("last_order", bought.last_order)):
        columns[name] = _aligned(ids, bought.customer_id, days, fill=np.nan)

    referred_cents = _aligned(referred_id, bought.customer_id, bought.revenue_cents)
    referrers, counts, cents = purchases.referral_totals(referrer_id, referred_cents)
    columns["referrals"] = _aligned(ids, referrers, counts)
    columns["referral_revenue"] = _aligned(ids, referrers, cents) / 100


def _aligned(
    ids: IntArray, keys: IntArray, values: npt.NDArray[Any], fill: float = 0
) -> FloatArray:
    """``values`` (one per sorted ``keys``) placed at the positions of ``ids`` as floats,
    ``fill`` elsewhere."""
    out = np.full(len(ids), fill, dtype=float)
    if len(keys) and len(ids):
        positions = np.clip(np.searchsorted(keys, ids), 0, len(keys) - 1)
        found = keys[positions] == ids
        out[found] = values[positions[found]]
    return out


def _campaign_costs(as_of: date, campaign_ids: set[int]) -> dict[int, float]:
    """{campaign id: spend to ``as_of`` over the customers it acquired}, not rounded, for
    these campaigns only: one customer's recalculation counts its own campaign's customers,
    not every campaign's (0.22-0.25 s at a million customers before the tables' visibility
    map was set; an index-only count of a campaign's customers since)."""
    from campaigns.selectors import campaign_cac

    return {
        pk: float(share)
        for pk, cost in campaign_cac(as_of=as_of, campaign_ids=sorted(campaign_ids)).items()
        if (share := cost.cost_per_customer) is not None
    }


def _add_costs(inputs: CustomerInputs, as_of: date, customer_ids: Iterable[int] | None) -> None:
    from orders.models import CustomerCost

    # Summed in exact cents, like the orders' money.
    scope, params = _scope("customer_id", customer_ids)
    rows = _fetch(
        f"SELECT customer_id, SUM({_cents('amount_base')}) FROM {CustomerCost._meta.db_table} "
        f"WHERE incurred_on <= %s AND {scope} GROUP BY customer_id",
        [as_of, *params],
    )
    (cents,) = _scatter(inputs.customer_id, rows, 1)
    inputs.columns["other_costs"] = cents / 100

    # Acquisition cost: the customer's override, else their campaign's spend to date over
    # the customers it acquired (campaigns.selectors.campaign_cac, not rounded to the
    # cent), else nothing.
    scope, params = _scope("id", customer_ids)
    rows = _fetch(
        f"SELECT id, acquired_by_campaign_id, {_float('acquisition_cost_override')} "
        f"FROM {Customer._meta.db_table} WHERE {scope} AND "
        "(acquired_by_campaign_id IS NOT NULL OR acquisition_cost_override IS NOT NULL)",
        params,
    )
    campaigns = {campaign for _pk, campaign, override in rows if override is None and campaign}
    per_customer = _campaign_costs(as_of, campaigns) if campaigns else {}
    rows = [
        (pk, per_customer.get(campaign, 0.0) if override is None else override)
        for pk, campaign, override in rows
    ]
    (inputs.columns["acquisition_cost"],) = _scatter(inputs.customer_id, rows, 1)


def _add_activity(inputs: CustomerInputs, as_of: date, customer_ids: Iterable[int] | None) -> None:
    """Logged interactions (uses of what we know) and whether the customer has contacts."""
    from customers.models import Contact

    scope, params = _scope("customer_id", customer_ids)
    kinds = ", ".join(
        f"'{k}'" for k in (Activity.Kind.CALL, Activity.Kind.EMAIL, Activity.Kind.MEETING)
    )
    rows = _fetch(
        f"SELECT customer_id, COUNT(*) FROM {Activity._meta.db_table} "
        f"WHERE kind IN ({kinds}) AND occurred_at < %s AND {scope} GROUP BY customer_id",
        [_end_of(as_of), *params],
    )
    (inputs.columns["activities"],) = _scatter(inputs.customer_id, rows, 1)
    rows = _fetch(
        f"SELECT DISTINCT customer_id, 1 FROM {Contact._meta.db_table} WHERE {scope}",
        params,
    )
    (has_contacts,) = _scatter(inputs.customer_id, rows, 1)
    inputs.columns["profile_facts"] = inputs.profile_facts + has_contacts


def _end_of(day: date) -> datetime:
    """The first instant after ``day`` in the current time zone, to compare timestamps."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _add_surveys(inputs: CustomerInputs, as_of: date, customer_ids: Iterable[int] | None) -> None:
    """Latest NPS answer, average CSAT, and how many answers we collected."""
    from surveys.models import Invitation, Response, Survey

    scope, params = _scope("i.customer_id", customer_ids)
    tables = (
        f"{Response._meta.db_table} r "
        f"JOIN {Invitation._meta.db_table} i ON i.id = r.invitation_id "
        f"JOIN {Survey._meta.db_table} s ON s.id = i.survey_id"
    )
    end = _end_of(as_of)
    latest_nps = _fetch(
        f"""SELECT customer_id, score FROM (
                SELECT i.customer_id, r.score, ROW_NUMBER() OVER (
                    PARTITION BY i.customer_id ORDER BY r.updated_at DESC, r.id DESC) AS n
                FROM {tables}
                WHERE s.kind = %s AND r.responded_at < %s AND {scope}
            ) latest WHERE n = 1""",
        [Survey.Kind.NPS, end, *params],
    )
    (inputs.columns["nps_latest"],) = _scatter(inputs.customer_id, latest_nps, 1, fill=np.nan)
    csat = _fetch(
        f"SELECT i.customer_id, AVG(r.score * 1.0) FROM {tables} "
        f"WHERE s.kind = %s AND r.responded_at < %s AND {scope} GROUP BY i.customer_id",
        [Survey.Kind.CSAT, end, *params],
    )
    (inputs.columns["csat_avg"],) = _scatter(inputs.customer_id, csat, 1, fill=np.nan)
    answers = _fetch(
        f"SELECT i.customer_id, COUNT(*) FROM {tables} "
        f"WHERE r.responded_at < %s AND {scope} GROUP BY i.customer_id",
        [end, *params],
    )
    (inputs.columns["info_collections"],) = _scatter(inputs.customer_id, answers, 1)
