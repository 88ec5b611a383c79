"""The purchase summary the company figures read instead of the orders (issue 14).

- ``CustomerDay``: one row per customer and day with purchases, with the customer's
  neighbouring purchase days, first purchase month, churn date and owner;
- ``CustomerSpell``: the stretches of days on which each customer counted as a customer,
  for the inactivity window in ``SummaryWindow``;
- ``DayFlow``: everyone's revenue, cost, spell starts and spell ends per day;
- ``CohortDay``: everyone's first purchases of a month, revenue and cost per acquiring
  campaign, first-purchase month and day.

A change to some customers' orders rewrites all their rows in the same transaction
(``refresh_customers``: a fixed number of statements whatever the number of customers),
since a new first or last purchase changes the neighbouring days stored on their other
rows; what they add to ``DayFlow`` and ``CohortDay`` is compared before and after, and the
difference added, day by day in order. ``rebuild``
writes everything the same way, after bulk loads; ``rewindow`` derives the spells and the
daily flows again for a new inactivity window (the per-day rows do not depend on it).
Purchases are
``PURCHASE_STATUSES``; revenue is total - refunds in the base currency, cost the cost of
goods, as the dashboard counts them.
"""

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper

from core.db import analyze
from customers.models import Customer

from .models import (
    PURCHASE_STATUSES,
    CohortDay,
    CustomerDay,
    CustomerSpell,
    DayFlow,
    Order,
    SummaryWindow,
)

# The metrics settings' default: churn after 365 days without an order, so a customer
# counts on the 366 days after a purchase.
DEFAULT_WINDOW_DAYS = 366

# Refreshes share this lock, a new window takes it alone: a refresh never derives spells
# with a window that is being replaced (PostgreSQL; SQLite runs one writer at a time).
_WINDOW_LOCK = 0x5E11_0001

# A customer's purchase days with their sums, and the neighbouring days, in one pass of
# window functions (SQLite 3.25+ and PostgreSQL).
_DAYS = """
INSERT INTO {days} (customer_id, day, month, first_month, purchases, revenue, cost,
                    prev_day, next_day, counts_until, campaign, customer_owner_id)
SELECT d.customer_id, d.day, {month}, MIN({month}) OVER (PARTITION BY d.customer_id),
       d.purchases, d.revenue, d.cost,
       LAG(d.day) OVER (PARTITION BY d.customer_id ORDER BY d.day),
       COALESCE(LEAD(d.day) OVER (PARTITION BY d.customer_id ORDER BY d.day), %s),
       CASE WHEN c.status = %s THEN COALESCE(c.churned_on, %s) ELSE %s END,
       COALESCE(c.acquired_by_campaign_id, 0), c.owner_id
FROM (
    SELECT customer_id, ordered_on AS day, COUNT(*) AS purchases,
           SUM(total_base - refunded_base) AS revenue, SUM(cost_base) AS cost
    FROM {orders}
    WHERE status IN ({statuses}){only}
    GROUP BY customer_id, ordered_on
) d
JOIN {customers} c ON c.id = d.customer_id
"""

# Each purchase day makes the customer count from the next day until the window runs out,
# their next purchase day or their churn date, whichever is first; days that follow on
# (the next purchase came before the window ran out) join one spell: gaps and islands.
_SPELLS = """
INSERT INTO {spells} (customer_id, start, "end", prev_end)
SELECT customer_id, MIN(day), MAX(stop),
       LAG(MAX(stop)) OVER (PARTITION BY customer_id ORDER BY MIN(day))
FROM (
    SELECT customer_id, day, stop,
           SUM(opens) OVER (PARTITION BY customer_id ORDER BY day) AS island
    FROM (
        SELECT customer_id, day, {least}(next_day, {day_plus_window}, counts_until) AS stop,
               CASE WHEN prev_day IS NULL OR {prev_plus_window} < day THEN 1 ELSE 0 END
                   AS opens
        FROM {days}
        WHERE counts_until > day{only}
    ) r
) s
GROUP BY customer_id, island
"""

# What the rows of some customers add to DayFlow, per day.
_FLOW = """
SELECT day, SUM(revenue), SUM(cost), SUM(starts), SUM(ends)
FROM (
    SELECT day, revenue, cost, 0 AS starts, 0 AS ends FROM {days} WHERE 1 = 1{only}
    UNION ALL
    SELECT start, 0, 0, 1, 0 FROM {spells} WHERE 1 = 1{only}
    UNION ALL
    SELECT "end", 0, 0, 0, 1 FROM {spells} WHERE 1 = 1{only}
) rows
GROUP BY day
"""
# What they add to CohortDay: a customer's first row of a month makes them a buyer of it.
_COHORTS = """
SELECT campaign, first_month, day,
       SUM(CASE WHEN prev_day IS NULL OR prev_day < month THEN 1 ELSE 0 END),
       SUM(revenue), SUM(cost)
FROM {days} WHERE 1 = 1{only}
GROUP BY campaign, first_month, day
"""
_UPSERT = """
INSERT INTO {table} ({key}, {sums}) VALUES {values}
ON CONFLICT ({key}) DO UPDATE SET {additions}
"""
_FLOW_KEY, _FLOW_SUMS = ("day", "shard"), ("revenue", "cost", "starts", "ends")
_COHORT_KEY = ("first_month", "day", "campaign", "shard")
_COHORT_SUMS = ("buyers", "revenue", "cost")


def _tables() -> dict[str, str]:
    return {
        "days": CustomerDay._meta.db_table,
        "spells": CustomerSpell._meta.db_table,
        "flow": DayFlow._meta.db_table,
        "cohorts": CohortDay._meta.db_table,
        "orders": Order._meta.db_table,
        "customers": Customer._meta.db_table,
    }


def _plus(column: str, days: int) -> str:
    if connection.vendor == "postgresql":
        return f"({column} + {days:d})"
    return f"date({column}, '+{days:d} days')"


def _only(ids: list[int] | None, column: str = "customer_id") -> tuple[str, list[int]]:
    if ids is None:
        return "", []
    return f" AND {column} IN ({', '.join(['%s'] * len(ids))})", ids


def _write_days(cursor: CursorWrapper, ids: list[int] | None) -> None:
    only, params = _only(ids)
    month = (
        "CAST(date_trunc('month', d.day) AS date)"
        if connection.vendor == "postgresql"
        else "date(d.day, 'start of month')"
    )
    sql = _DAYS.format(
        month=month, statuses=", ".join(["%s"] * len(PURCHASE_STATUSES)), only=only, **_tables()
    )
    cursor.execute(
        sql,
        [
            CustomerDay.NO_NEXT_DAY,
            Customer.Status.CHURNED,
            CustomerDay.CHURNED_ALWAYS,
            CustomerDay.NO_NEXT_DAY,
            *PURCHASE_STATUSES,
            *params,
        ],
    )


def _write_spells(cursor: CursorWrapper, ids: list[int] | None, window: int) -> None:
    only, params = _only(ids)
    sql = _SPELLS.format(
        least="LEAST" if connection.vendor == "postgresql" else "MIN",
        day_plus_window=_plus("day", window),
        prev_plus_window=_plus("prev_day", window),
        only=only,
        **_tables(),
    )
    cursor.execute(sql, params)


Sums = dict[tuple, list[Decimal]]


def _sums(cursor: CursorWrapper, ids: list[int] | None) -> tuple[Sums, Sums]:
    """What the rows of these customers add to DayFlow and to CohortDay, by key."""
    only, params = _only(ids)
    cursor.execute(_FLOW.format(only=only, **_tables()), params * 3)
    flow = {(day,): [Decimal(str(v)) for v in sums] for day, *sums in cursor.fetchall()}
    cursor.execute(_COHORTS.format(only=only, **_tables()), params)
    cohorts = {
        # In the order of the unique constraint, which the upsert names.
        (first_month, day, campaign): [Decimal(str(v)) for v in sums]
        for campaign, first_month, day, *sums in cursor.fetchall()
    }
    return flow, cohorts


def _add(cursor: CursorWrapper, table: str, key: tuple, sums: tuple, rows: Sums) -> None:
    """Add ``rows`` to the sums of ``table``. Rows are written in key order, so two
    transactions adding to the same days lock them in the same order: no deadlock."""
    if not rows:
        return
    columns = len(key) + len(sums)
    mark = "(" + ", ".join(["%s"] * columns) + ")"
    sql = _UPSERT.format(
        table=table,
        key=", ".join(key),
        sums=", ".join(sums),
        values=", ".join([mark] * len(rows)),
        additions=", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in sums),
    )
    cursor.execute(sql, [v for k in sorted(rows) for v in (*k, *rows[k])])


def _apply(
    cursor: CursorWrapper, before: tuple[Sums, Sums], after: tuple[Sums, Sums], shard: int
) -> None:
    """Add to DayFlow and CohortDay (their rows of ``shard``) what changed from ``before``
    to ``after``."""
    tables = _tables()
    for name, key, sums, old, new in (
        ("flow", _FLOW_KEY, _FLOW_SUMS, before[0], after[0]),
        ("cohorts", _COHORT_KEY, _COHORT_SUMS, before[1], after[1]),
    ):
        changes: Sums = {}
        for k in old.keys() | new.keys():
            zero = [Decimal(0)] * len(sums)
            change = [a - b for a, b in zip(new.get(k, zero), old.get(k, zero), strict=True)]
            if any(change):
                changes[(*k, shard)] = change
        _add(cursor, tables[name], key, sums, changes)


def window_days() -> int:
    """The inactivity window the spells are derived with."""
    return SummaryWindow.objects.values_list("days", flat=True).first() or DEFAULT_WINDOW_DAYS


def counts_until(customer: Customer) -> date:
    """The customer's ``CustomerDay.counts_until``."""
    if customer.status != Customer.Status.CHURNED:
        return CustomerDay.NO_NEXT_DAY
    return customer.churned_on or CustomerDay.CHURNED_ALWAYS


def customer_saved(customer: Customer) -> None:
    """A customer was saved: if their status, churn date or acquiring campaign changed,
    their rows follow. Otherwise one query that finds nothing to do."""
    stale = CustomerDay.objects.filter(customer_id=customer.pk).exclude(
        counts_until=counts_until(customer), campaign=customer.acquired_by_campaign_id or 0
    )
    if stale.exists():
        refresh_customers([customer.pk])


@transaction.atomic
def refresh_customers(customer_ids: Iterable[int | None]) -> None:
    """Recompute the summary of these customers from their orders (ids of deleted
    customers and None are fine). Call it in the transaction that changed their orders:
    a bulk path once per batch, with every customer it touched."""
    ids = sorted({pk for pk in customer_ids if pk is not None})
    if not ids:
        return
    if connection.vendor == "postgresql":
        # Two transactions refreshing the same customer would each delete the rows the
        # other has not committed yet and then insert the same (customer, day): the second
        # waits here and recomputes once the first has committed.
        locked = Customer.objects.filter(pk__in=ids).order_by("pk").select_for_update(no_key=True)
        list(locked.values_list("pk", flat=True))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [_WINDOW_LOCK])
        window = window_days()
        before = _sums(cursor, ids)
        CustomerSpell.objects.filter(customer_id__in=ids).delete()
        CustomerDay.objects.filter(customer_id__in=ids).delete()
        _write_days(cursor, ids)
        _write_spells(cursor, ids, window)
        # Writers of other customers add to other rows of the day, mostly.
        _apply(cursor, before, _sums(cursor, ids), shard=ids[0] % DayFlow.SHARDS)


def _clear(cursor: CursorWrapper, names: tuple[str, ...]) -> None:
    tables = _tables()
    for name in names:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {tables[name]}")
        else:
            cursor.execute(f"DELETE FROM {tables[name]}")  # noqa: S608 (our own table)


def _write_flow(cursor: CursorWrapper) -> None:
    cursor.execute(
        f"INSERT INTO {_tables()['flow']} (day, {', '.join(_FLOW_SUMS)}) "
        + _FLOW.format(only="", **_tables())
    )


@transaction.atomic
def rebuild(*, window: int | None = None) -> None:
    """Rewrite the whole summary from the orders (after a bulk load, or to repair it);
    ``window`` (days a customer counts after a purchase) changes the spells' window."""
    window = window or window_days()
    tables = _tables()
    with connection.cursor() as cursor:
        _clear(cursor, ("cohorts", "flow", "spells", "days"))
        _write_days(cursor, None)
        _write_spells(cursor, None, window)
        _write_flow(cursor)
        cursor.execute(
            f"INSERT INTO {tables['cohorts']} (campaign, first_month, day, "
            f"{', '.join(_COHORT_SUMS)}) " + _COHORTS.format(only="", **tables)
        )
    SummaryWindow.objects.update_or_create(pk=1, defaults={"days": window})
    analyze(CustomerDay, CustomerSpell, DayFlow, CohortDay)


@transaction.atomic
def rewindow(*, window: int) -> bool:
    """Derive the spells and the daily flows again for a new inactivity window (days a
    customer counts after a purchase): after the churn setting changed. False, and nothing
    written, when the summary already has this window. Order writes wait for it
    (10-14 s at a million customers: docs/benchmarks.md)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_WINDOW_LOCK])
        if window_days() == window:
            return False
        _clear(cursor, ("flow", "spells"))
        _write_spells(cursor, None, window)
        _write_flow(cursor)
    SummaryWindow.objects.update_or_create(pk=1, defaults={"days": window})
    analyze(CustomerSpell, DayFlow)
    return True
