"""Company-wide totals over the current scores, kept as the scores change (issue 14).

The dashboard's score figures (the value-score histogram, customers and revenue per tier,
the RFM grid, the average CLV per acquiring campaign) were aggregates over every score row:
seconds at a million customers. ``ScoreTotal`` keeps them instead, one row per
(kind, key), a few hundred rows in all:

- ``rows`` / ``scored`` (key ""): the score rows, and those with a value score;
- ``as_of`` (an ISO date): the score rows per as-of date (the latest with any is the
  overview's "as of": a date's count can go down, a maximum could not);
- ``bucket`` (0-9): the rows per 10-point bucket of the value score (the last one takes
  100), as ``HISTOGRAM_BUCKETS`` compares;
- ``tier`` (A, B, C): the rows of the tier and the sum of their revenue;
- ``rfm`` ("R,F,M"): the rows with an R score per (R, F, M);
- ``campaign`` (its id): over the customers the campaign acquired, those with a CLV
  (predicted, else simple) and the sum of it;
- ``first_day`` (an ISO date): the same over the customers whose score's first purchase
  (``first_order_on``) is that day: the dashboard's average CLV of a period's new
  customers (``first_purchase_clv``);
- ``clv_method`` (the method, "" for none): the rows per CLV method, for the model health
  page (``metrics.health.clv_method_counts``: 364 ms counting a million scores).

Sums are kept in whole cents (exact on SQLite too). Every writer keeps them right in the
transaction of its change, set-based: a full run rebuilds them when it swaps its scores in
(``rebuild``), an incremental write adds what its rows changed (``changing``: the aggregate
of those customers' rows before and after, subtracted and added with one upsert), a
deleted customer's row is subtracted (``customer_deleting``) and a change of acquiring
campaign moves the customer's CLV (``campaigns_changing``). ``manage.py
rebuild_score_totals`` rebuilds them from the scores.

Where a customer's acquiring campaign is seen to change, the customers each campaign
acquired (``campaigns.AcquiredCount``, the CAC denominators, scored or not) follow too:
a moved customer (``campaigns_changing``, ``campaigns_moved``), a deleted one
(``customer_deleting``) and new ones (``customers_created``).

On PostgreSQL the writers take the scores table (a lock a full run's swap conflicts with)
and then one transaction-level advisory lock, in that order, before reading what they
change: two writes of the same customer's totals cannot both read its old row.
"""

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper

from campaigns import services as campaign_services
from customers.models import Customer
from orders.models import CustomerDay

from .models import CustomerScore, DirtyCustomer, ScoreTotal

HISTOGRAM_BUCKETS = 10
TIERS = ("A", "B", "C")
Kind = ScoreTotal.Kind
# (kind, key) -> [customers, cents]
Totals = dict[tuple[str, str], list[int]]

_LOCK = "metrics.score_totals"
# Customers per aggregate over given ids (SQLite takes a limited number of parameters).
_IDS_BATCH = 500

# The columns each grouping set groups by, and the kind of total it makes.
_COLUMNS = (
    "as_of",
    "bucket",
    "tier",
    "r_score",
    "f_score",
    "m_score",
    "campaign",
    "first_day",
    "clv_method",
)
_SETS = (
    ((), None),  # rows and scored
    (("as_of",), Kind.AS_OF),
    (("bucket",), Kind.BUCKET),
    (("tier",), Kind.TIER),
    (("r_score", "f_score", "m_score"), Kind.RFM),
    (("campaign",), Kind.CAMPAIGN),
    (("first_day",), Kind.FIRST_DAY),
    (("clv_method",), Kind.CLV_METHOD),
)


def _bucket_sql(column: str) -> str:
    """The histogram bucket of a value score, by the comparisons the histogram makes
    (``value_score >= 10 i`` and ``< 10 i + 10``, the last bucket ``<= 100``)."""
    cases = []
    for i in range(HISTOGRAM_BUCKETS):
        upper = f"{column} <= 100" if i == HISTOGRAM_BUCKETS - 1 else f"{column} < {10 * i + 10}"
        cases.append(f"WHEN {column} >= {10 * i} AND {upper} THEN {i}")
    return f"CASE {' '.join(cases)} END"


def _cents(column: str) -> str:
    return f"CAST(ROUND({column} * 100) AS BIGINT)"


def _rows_sql(where: str, table: str | None = None) -> str:
    """One row per score of ``table`` (the scores): what each total groups by and adds up."""
    scores, customers = table or CustomerScore._meta.db_table, Customer._meta.db_table
    clv = "COALESCE(s.predicted_clv, s.simple_clv)"
    return (
        f"SELECT s.as_of AS as_of, {_bucket_sql('s.value_score')} AS bucket, s.tier AS tier, "
        "s.r_score AS r_score, s.f_score AS f_score, s.m_score AS m_score, "
        "c.acquired_by_campaign_id AS campaign, s.first_order_on AS first_day, "
        "COALESCE(s.clv_method, '') AS clv_method, s.value_score AS value_score, "
        f"{_cents('s.revenue')} AS revenue, {_cents(clv)} AS clv "
        f"FROM {scores} s JOIN {customers} c ON c.id = s.customer_id {where}"
    )


_SUMS = "COUNT(*), COUNT(value_score), SUM(revenue), COUNT(clv), SUM(clv)"


def _aggregate(
    cursor: CursorWrapper, where: str = "", params: Iterable[Any] = (), table: str | None = None
) -> Totals:
    """The totals of the score rows ``where`` selects (of alias ``s``, the customers
    ``c``): one pass with GROUPING SETS on PostgreSQL, a UNION ALL of the same groupings
    on SQLite."""
    source = _rows_sql(where, table)
    if connection.vendor == "postgresql":
        columns = ", ".join(_COLUMNS)
        sets = ", ".join(f"({', '.join(grouped)})" for grouped, _kind in _SETS)
        # GROUPING(...) has a bit set for each column the row is not grouped by: it
        # tells the grouping sets apart.
        cursor.execute(
            f"SELECT GROUPING({columns}), {columns}, {_SUMS} FROM ({source}) t "
            f"GROUP BY GROUPING SETS ({sets})",
            list(params),
        )
        masks = {_mask(grouped): kind for grouped, kind in _SETS}
        rows = [(masks[mask], *rest) for mask, *rest in cursor.fetchall()]
    else:
        selects = []
        for index, (grouped, _kind) in enumerate(_SETS):
            shown = ", ".join(c if c in grouped else "NULL" for c in _COLUMNS)
            group_by = f" GROUP BY {', '.join(grouped)}" if grouped else ""
            selects.append(f"SELECT {index}, {shown}, {_SUMS} FROM ({source}) t{group_by}")
        params = list(params)
        cursor.execute(" UNION ALL ".join(selects), params * len(_SETS))
        rows = [(_SETS[index][1], *rest) for index, *rest in cursor.fetchall()]
    return _totals(rows)


def _mask(grouped: tuple[str, ...]) -> int:
    return sum(
        1 << (len(_COLUMNS) - 1 - i) for i, column in enumerate(_COLUMNS) if column not in grouped
    )


def _totals(rows: Iterable[tuple[Any, ...]]) -> Totals:
    totals: Totals = {}
    for (
        kind,
        as_of,
        bucket,
        tier,
        r,
        f,
        m,
        campaign,
        first,
        method,
        count,
        scored,
        revenue,
        clvs,
        clv,
    ) in rows:
        if kind is None:
            totals[(Kind.ROWS, "")] = [count, 0]
            totals[(Kind.SCORED, "")] = [scored, 0]
        elif kind == Kind.AS_OF and as_of is not None:
            totals[(kind, _day(as_of))] = [count, 0]
        elif kind == Kind.BUCKET and bucket is not None:
            totals[(kind, str(int(bucket)))] = [count, 0]
        elif kind == Kind.TIER and tier in TIERS:
            totals[(kind, tier)] = [count, int(revenue or 0)]
        elif kind == Kind.RFM and r is not None:
            key = ",".join("" if v is None else str(int(v)) for v in (r, f, m))
            totals[(kind, key)] = [count, 0]
        elif kind == Kind.CAMPAIGN and campaign is not None:
            totals[(kind, str(campaign))] = [clvs, int(clv or 0)]
        elif kind == Kind.FIRST_DAY and first is not None:
            totals[(kind, _day(first))] = [clvs, int(clv or 0)]
        elif kind == Kind.CLV_METHOD and method is not None:
            totals[(kind, method)] = [count, 0]
    return totals


def _day(value: date | str) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


def _of_customers(cursor: CursorWrapper, customer_ids: list[int]) -> Totals:
    """The totals of these customers' score rows."""
    totals: Totals = {}
    for start in range(0, len(customer_ids), _IDS_BATCH):
        batch = customer_ids[start : start + _IDS_BATCH]
        where = f"WHERE s.customer_id IN ({', '.join(['%s'] * len(batch))})"
        _add_to(totals, _aggregate(cursor, where, batch))
    return totals


def _add_to(totals: Totals, more: Totals, sign: int = 1) -> None:
    for key, (count, cents) in more.items():
        current = totals.setdefault(key, [0, 0])
        current[0] += sign * count
        current[1] += sign * cents


def _apply(cursor: CursorWrapper, changes: Totals) -> None:
    """Add ``changes`` to the stored totals with one upsert, in key order (two writers
    adding to the same rows lock them in the same order)."""
    rows = sorted((key, value) for key, value in changes.items() if any(value))
    if not rows:
        return
    table = ScoreTotal._meta.db_table
    marks = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
    cursor.execute(
        f'INSERT INTO {table} (kind, "key", customers, amount) VALUES {marks} '
        f'ON CONFLICT (kind, "key") DO UPDATE SET '
        f"customers = {table}.customers + excluded.customers, "
        f"amount = {table}.amount + excluded.amount",
        [
            value
            for (kind, key), (count, cents) in rows
            for value in (kind, key, count, Decimal(cents) / 100)
        ],
    )


def _serialize(cursor: CursorWrapper) -> None:
    """On PostgreSQL, wait for any other writer of the totals (see the module's doc);
    the locks last until the transaction ends. SQLite writes one transaction at a time."""
    if connection.vendor != "postgresql":
        return
    # One round trip: two statements without parameters.
    cursor.execute(
        f"LOCK TABLE {CustomerScore._meta.db_table} IN ROW EXCLUSIVE MODE; "
        f"SELECT pg_advisory_xact_lock(hashtext('{_LOCK}'))"
    )


# --- Writers ------------------------------------------------------------------------------


@transaction.atomic
def rebuild(*, table: str | None = None) -> int:
    """Replace every total by a fresh aggregate of the scores (one query), or of ``table``,
    a full run's new scores about to be swapped in (metrics.swap); returns how many rows
    the totals have. A full run calls it in the transaction that swaps its scores in."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Scores written meanwhile wait: they would be counted, or not, by chance.
            cursor.execute(f"LOCK TABLE {CustomerScore._meta.db_table} IN SHARE MODE")
            cursor.execute(f"SELECT pg_advisory_xact_lock(hashtext('{_LOCK}'))")
            # The join of a million scores with their customers, in memory.
            cursor.execute("SET LOCAL work_mem = '64MB'")
        totals = _aggregate(cursor, table=table)
        ScoreTotal.objects.all().delete()
    ScoreTotal.objects.bulk_create(
        ScoreTotal(kind=kind, key=key, customers=count, amount=Decimal(cents) / 100)
        for (kind, key), (count, cents) in sorted(totals.items())
    )
    return len(totals)


@contextmanager
def changing(customer_ids: Iterable[int]) -> Iterator[None]:
    """Around a write of these customers' score rows (in its transaction): their totals
    before are subtracted and after added, in one upsert once the write is done."""
    ids = sorted(set(customer_ids))
    if not ids:
        yield
        return
    with connection.cursor() as cursor:
        _serialize(cursor)
        before = _of_customers(cursor, ids)
    yield
    with connection.cursor() as cursor:
        changes = _of_customers(cursor, ids)
        _add_to(changes, before, sign=-1)
        _apply(cursor, changes)


def customer_deleting(customer_id: int) -> None:
    """The customer is about to be deleted with its score row: subtract that row, and the
    customer from those its campaign acquired."""
    campaign = acquiring_campaigns([customer_id], lock=True).get(customer_id)
    with connection.cursor() as cursor:
        _serialize(cursor)
        changes: Totals = {}
        _add_to(changes, _of_customers(cursor, [customer_id]), sign=-1)
        _apply(cursor, changes)
    campaign_services.acquired_add(campaign_services.acquired_changes([(campaign, None)]))


def customers_created(customers: Iterable[Customer]) -> None:
    """These customers were just created (in this transaction): count them among the
    customers their campaigns acquired. They have no score row yet."""
    campaign_services.acquired_add(
        campaign_services.acquired_changes((None, c.acquired_by_campaign_id) for c in customers)
    )


def campaign_deleted(campaign_id: int) -> None:
    """A deleted campaign acquired nobody any more (its customers' campaign is emptied)."""
    with connection.cursor() as cursor:
        _serialize(cursor)
    ScoreTotal.objects.filter(kind=Kind.CAMPAIGN, key=str(campaign_id)).delete()


def acquiring_campaigns(
    customer_ids: Iterable[int], *, lock: bool = False
) -> dict[int, int | None]:
    """{customer id: the campaign that acquired them} from the database; ``lock`` locks the
    rows (PostgreSQL) until the transaction ends, so their campaign cannot change meanwhile."""
    ids = sorted(set(customer_ids))
    found: dict[int, int | None] = {}
    for start in range(0, len(ids), _IDS_BATCH):
        rows = Customer.objects.filter(pk__in=ids[start : start + _IDS_BATCH]).order_by("pk")
        if lock and not transaction.get_autocommit():  # (outside one, nothing to hold)
            rows = rows.select_for_update(no_key=True)
        found.update(rows.values_list("pk", "acquired_by_campaign_id"))
    return found


def campaigns_moved(changes: Mapping[int, tuple[int | None, int | None]]) -> None:
    """Customers' acquiring campaigns changed ({customer id: (before, after)}), in this
    transaction: move their CLV from the campaign before to the one after."""
    _campaigns_moved({pk: before for pk, (before, after) in changes.items() if before != after})


def _campaigns_moved(before: Mapping[int, int | None]) -> None:
    """Move these customers from their campaign ``before`` to the one they have now (read
    here, with the CLV: one query per batch): their CLV, and them among the customers
    each campaign acquired."""
    if not before:
        return
    scores, customers = CustomerScore._meta.db_table, Customer._meta.db_table
    clv = "COALESCE(s.predicted_clv, s.simple_clv)"
    ids = sorted(before)
    totals: Totals = {}
    moves: list[tuple[int | None, int | None]] = []
    with connection.cursor() as cursor:
        _serialize(cursor)
        for start in range(0, len(ids), _IDS_BATCH):
            batch = ids[start : start + _IDS_BATCH]
            cursor.execute(
                f"SELECT c.id, c.acquired_by_campaign_id, {_cents(clv)} "
                f"FROM {customers} c LEFT JOIN {scores} s ON s.customer_id = c.id "
                f"WHERE c.id IN ({', '.join(['%s'] * len(batch))})",
                batch,
            )
            for customer_id, now, cents in cursor.fetchall():
                if now == before[customer_id]:
                    continue
                moves.append((before[customer_id], now))
                if cents is None:  # no score row, or no CLV in it
                    continue
                for campaign, sign in ((before[customer_id], -1), (now, 1)):
                    if campaign is not None:
                        _add_to(totals, {(Kind.CAMPAIGN, str(campaign)): [1, int(cents)]}, sign)
        _apply(cursor, totals)
    campaign_services.acquired_add(campaign_services.acquired_changes(moves))


@contextmanager
def campaigns_changing(customer_ids: Iterable[int]) -> Iterator[None]:
    """Around a bulk write that may change these customers' acquiring campaigns (in its
    transaction): their rows are locked and their campaigns read before, and the CLV of
    those whose campaign changed moved once the write is done."""
    ids = sorted(set(customer_ids))
    before = acquiring_campaigns(ids, lock=True) if ids else {}
    yield
    _campaigns_moved(before)


# --- Readers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredTotals:
    """The stored totals: {(kind, key): (customers, amount)}, amounts in Decimal."""

    rows: Mapping[tuple[str, str], tuple[int, Decimal]]

    def customers(self, kind: str, key: str = "") -> int:
        return self.rows.get((kind, key), (0, Decimal(0)))[0]

    def amount(self, kind: str, key: str = "") -> Decimal:
        return self.rows.get((kind, key), (0, Decimal("0.00")))[1]

    def of_kind(self, kind: str) -> dict[str, tuple[int, Decimal]]:
        """{key: (customers, amount)} of ``kind``, without the keys left at zero."""
        return {k: v for (kd, k), v in self.rows.items() if kd == kind and (v[0] or v[1])}

    @property
    def as_of(self) -> date | None:
        days = [date.fromisoformat(key) for key in self.of_kind(Kind.AS_OF)]
        return max(days, default=None)


def stored(*kinds: str) -> StoredTotals:
    """The stored totals of ``kinds`` (every kind when none is given), in one query."""
    rows = ScoreTotal.objects.all()
    if kinds:
        rows = rows.filter(kind__in=kinds)
    return StoredTotals(
        {
            (kind, key): (count, amount)
            for kind, key, count, amount in rows.values_list("kind", "key", "customers", "amount")
        }
    )


@dataclass(frozen=True)
class NewCustomers:
    """A period's new customers (first purchase in it) and, over those whose current score
    has a CLV (predicted, else simple), how many and the sum of the CLVs."""

    count: int
    with_clv: int
    clv: Decimal

    @property
    def average_clv(self) -> Decimal | None:
        return self.clv / self.with_clv if self.with_clv else None


def new_customers(periods: Iterable[tuple[date, date]]) -> list[NewCustomers]:
    """Everyone's ``NewCustomers`` of each period [start, end), in one query: the count
    from the purchase summary's first days (``orders.CustomerDay``), the CLVs from the
    ``first_day`` totals.

    Those totals key each CLV by the score's own first purchase. It is the summary's first
    day for every customer without a ``DirtyCustomer`` mark: a score counts the purchases
    up to its as-of date, as the summary defines them, and has a CLV only when there is
    one, so its first purchase is the customer's first of all. A customer whose orders
    changed since their score was written keeps a mark until it is written again: their
    CLV is moved here from the score's first day to the summary's, so the figures are what
    looking up each new customer's score gives (``tests/metrics/test_score_totals.py``)."""
    bounds = [(start.isoformat(), end.isoformat()) for start, end in periods]
    if not bounds:
        return []
    days, clv = CustomerDay._meta.db_table, "COALESCE(s.predicted_clv, s.simple_clv)"
    # The marked customers with a CLV: the score's first day and the summary's.
    moved = (
        f"SELECT s.first_order_on AS scored, f.day AS summed, {clv} AS clv "
        f"FROM {DirtyCustomer._meta.db_table} d "
        f"JOIN {CustomerScore._meta.db_table} s ON s.customer_id = d.customer_id "
        f"LEFT JOIN {days} f ON f.customer_id = d.customer_id AND f.prev_day IS NULL "
        f"WHERE {clv} IS NOT NULL"
    )
    stored = f'FROM {ScoreTotal._meta.db_table} WHERE kind = %s AND "key" >= %s AND "key" < %s'
    columns: list[str] = []
    params: list[str] = []
    for start, end in bounds:
        columns.append(
            f"(SELECT COUNT(*) FROM {days} WHERE prev_day IS NULL AND day >= %s AND day < %s)"
        )
        params += [start, end]
        for total, of_moved in (("customers", "COUNT(*)"), ("amount", "SUM(clv)")):
            columns.append(
                f"(SELECT COALESCE(SUM({total}), 0) {stored})"
                f" - (SELECT COALESCE({of_moved}, 0) FROM moved WHERE scored >= %s AND scored < %s)"
                f" + (SELECT COALESCE({of_moved}, 0) FROM moved WHERE summed >= %s AND summed < %s)"
            )
            params += [Kind.FIRST_DAY, start, end, start, end, start, end]
    with connection.cursor() as cursor:
        cursor.execute(f"WITH moved AS ({moved}) SELECT {', '.join(columns)}", params)
        row = cursor.fetchone()
    return [
        NewCustomers(
            count=int(row[3 * i]),
            with_clv=int(row[3 * i + 1]),
            # SQLite adds decimals up as floats: the sum of whole cents, to the cent.
            clv=Decimal(str(row[3 * i + 2])).quantize(Decimal("0.01")),
        )
        for i in range(len(bounds))
    ]


def fresh() -> StoredTotals:
    """What ``rebuild`` would store now (a full aggregate: for checks and tests)."""
    with connection.cursor() as cursor:
        totals = _aggregate(cursor)
    return StoredTotals(
        {key: (count, Decimal(cents) / 100) for key, (count, cents) in totals.items()}
    )
