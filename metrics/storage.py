"""Turning the engine's arrays into stored score rows, in bulk.

Every figure is first *encoded* column by column into numbers only: money as whole cents,
dates as day numbers, text as codes, and a sentinel (-1, NaN, the smallest bigint) for "no
value". A full run writes those columns into the staging table with one binary COPY on
PostgreSQL (executemany on SQLite), and each chunk publishes its id range with one
INSERT … SELECT that decodes them: on PostgreSQL into the next scores table, swapped in
when the run ends (metrics.swap), on SQLite as an upsert. An incremental update sends the
same encoded rows through the same decoding SQL, so every path stores identical rows. The
history rows go into their week's partition (metrics.history).
"""

from dataclasses import dataclass

import numpy as np
from django.db import connection
from django.utils import timezone

from customers.models import Customer
from valuemodels import rfm
from valuemodels.score import COMPONENTS, FUTURE, HISTORICAL, INFLUENCE, LOYALTY

from . import history, pgcopy, swap, totals
from .engine import model_version
from .models import CustomerScore, ScoreSnapshot, StagedScore

NO_INT = -1
NO_CENTS = np.iinfo(np.int64).min
NO_DAY = np.iinfo(np.int32).min


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # int, day, money, float, code
    places: int = 0  # decimals kept of a float
    labels: tuple = ()  # a code's texts, code 0 first


_SEGMENT_LABELS = ("", *(slug for slug, _name in rfm.SEGMENTS))
# Columns of ScoreFields in a fixed order, shared by staging, publishing and upserts; the
# run's date, model version and time are the same for every row and are not staged.
STAGED_COLUMNS = (
    Column("orders_count", "int"),
    Column("purchase_days", "int"),
    Column("first_order_on", "day"),
    Column("last_order_on", "day"),
    Column("revenue", "money"),
    Column("cost_of_goods", "money"),
    Column("acquisition_cost", "money"),
    Column("other_costs", "money"),
    Column("profit_contribution", "money"),
    Column("aov", "money"),
    Column("frequency", "float", 4),
    Column("recency_days", "int"),
    Column("r_score", "int"),
    Column("f_score", "int"),
    Column("m_score", "int"),
    Column("segment", "code", labels=_SEGMENT_LABELS),
    Column("simple_clv", "money"),
    Column("retention_clv", "money"),
    Column("predicted_clv", "money"),
    Column("clv_method", "code", labels=("", "predictive", "simple")),
    Column("p_alive", "float", 6),
    Column("expected_purchases_90d", "float", 4),
    Column("expected_order_value", "money"),
    Column("relationship_value", "money"),
    Column("continuing_value", "money"),
    Column("loss_value", "money"),
    Column("information_value", "money"),
    Column("nps_category", "code", labels=("", "promoter", "passive", "detractor")),
    Column("avg_csat", "float", 4),
    Column("repeat_rate", "float", 4),
    Column("tenure_days", "int"),
    Column("loyalty", "float", 4),
    Column("referrals_count", "int"),
    Column("referral_revenue", "money"),
    Column("churn_risk", "float", 4),
    Column("pct_historical", "float", 2),
    Column("pct_future", "float", 2),
    Column("pct_loyalty", "float", 2),
    Column("pct_influence", "float", 2),
    Column("value_score", "float", 2),
    Column("tier", "code", labels=("", "A", "B", "C")),
)
RUN_COLUMNS = ("as_of", "model_version", "computed_at")
SCORE_COLUMNS = [*RUN_COLUMNS, *(c.name for c in STAGED_COLUMNS)]
_PERCENTILE_COLUMNS = {
    HISTORICAL: "pct_historical",
    FUTURE: "pct_future",
    LOYALTY: "pct_loyalty",
    INFLUENCE: "pct_influence",
}
_BINARY_TYPES = {"int": ">i4", "day": ">i4", "money": ">i8", "float": ">f8", "code": ">i2"}


@dataclass
class Encoded:
    """A batch of customers' rows: their ids and the columns encoded."""

    customer_id: np.ndarray
    columns: dict

    def __len__(self):
        return len(self.customer_id)


def _with_sentinel(values, sentinel, scale=1):
    """Floats (NaN for no value) as integers, ``sentinel`` where there is no value."""
    values = np.asarray(values, dtype=float)
    missing = np.isnan(values)
    out = np.rint(np.where(missing, 0.0, values) * scale).astype(np.int64)
    out[missing] = sentinel
    return out


def _codes(texts, labels):
    index = {label: code for code, label in enumerate(labels)}
    return np.array([index[t or ""] for t in texts], dtype=np.int64)


def encode(inputs, out):
    """Every stored figure of each customer, encoded column by column."""
    buyers = out["buyers"]
    r, f, m = (np.where(out[k] == 0, np.nan, out[k]) for k in ("r_score", "f_score", "m_score"))
    values = {
        "orders_count": inputs.orders,
        "purchase_days": inputs.purchase_days,
        "first_order_on": inputs.first_order,
        "last_order_on": inputs.last_order,
        "revenue": inputs.revenue,
        "cost_of_goods": inputs.cost_of_goods,
        "acquisition_cost": inputs.acquisition_cost,
        "other_costs": inputs.other_costs,
        "profit_contribution": out["profit"],
        "aov": out["aov"],
        "frequency": out["frequency"],
        "recency_days": out["recency"],
        "r_score": r,
        "f_score": f,
        "m_score": m,
        "segment": out["segment"],
        "simple_clv": out["simple_clv"],
        "retention_clv": out["retention_clv"],
        "predicted_clv": out["predicted"],
        "clv_method": out["clv_method"],
        "p_alive": out["p_alive"],
        "expected_purchases_90d": out["expected_90"],
        "expected_order_value": out["eov"],
        "relationship_value": out["relationship"],
        "continuing_value": out["continuing"],
        "loss_value": out["loss"],
        "information_value": out["information"],
        "nps_category": out["nps_category"],
        "avg_csat": inputs.csat_avg,
        "repeat_rate": out["repeat_rate"],
        "tenure_days": out["tenure"],
        "loyalty": np.where(buyers, out["loyalty"], np.nan),
        "referrals_count": inputs.referrals,
        "referral_revenue": inputs.referral_revenue,
        "churn_risk": out["churn_risk"],
        "value_score": out["value_score"],
        "tier": out["tier"],
    }
    for key in COMPONENTS:
        values[_PERCENTILE_COLUMNS[key]] = out["percentiles"][key]
    columns = {}
    for column in STAGED_COLUMNS:
        value = values[column.name]
        if column.kind == "int":
            columns[column.name] = _with_sentinel(value, NO_INT)
        elif column.kind == "day":
            columns[column.name] = _with_sentinel(value, NO_DAY)
        elif column.kind == "money":
            # Whole cents the way np.round(value, 2) rounds: rint(value * 100).
            columns[column.name] = _with_sentinel(value, NO_CENTS, scale=100)
        elif column.kind == "float":
            columns[column.name] = np.round(np.asarray(value, dtype=float), column.places)
        else:
            columns[column.name] = _codes(value, column.labels)
    return Encoded(np.asarray(inputs.customer_id, dtype=np.int64), columns)


def run_values(*, as_of, population, computed_at=None):
    """What every row of one calculation shares: its date, the model version (the full
    run whose population it was scored against) and when it was computed."""
    return {
        "as_of": as_of,
        "model_version": model_version(population.pk),
        "computed_at": computed_at or timezone.now(),
    }


# --- Decoding, in SQL ------------------------------------------------------------------


def _decoded(column, source):
    """SQL turning an encoded column of ``source`` back into the stored value."""
    value = f"{source}.{column.name}"
    if column.kind == "int":
        return f"NULLIF({value}, {NO_INT})"
    if column.kind == "money":
        return f"NULLIF({value}, {NO_CENTS}) / 100.0"
    if column.kind == "day":
        day = f"NULLIF({value}, {NO_DAY})"
        if connection.vendor == "postgresql":
            return f"DATE '1970-01-01' + {day}"
        return f"date({day} * 86400, 'unixepoch')"
    if column.kind == "float":
        # SQLite stores NaN as NULL already.
        if connection.vendor == "postgresql":
            return f"NULLIF({value}, 'NaN'::float8)"
        return value
    cases = " ".join(f"WHEN {code} THEN '{label}'" for code, label in enumerate(column.labels))
    return f"CASE {value} {cases} END"


def _upsert_sql(source_sql, source):
    """INSERT … SELECT of decoded rows into the current scores. The first three
    placeholders are the run's date, model version and time."""
    table = CustomerScore._meta.db_table
    columns = ", ".join(SCORE_COLUMNS)
    decoded = ", ".join(_decoded(c, source) for c in STAGED_COLUMNS)
    updates = [f"{c} = excluded.{c}" for c in SCORE_COLUMNS]
    # Keep what the previous calculation said when this one is for a later date (a re-run
    # for the same date keeps the earlier "previous").
    for column, origin in (("previous_churn_risk", "churn_risk"), ("previous_tier", "tier")):
        updates.append(
            f"{column} = CASE WHEN {table}.as_of < excluded.as_of THEN {table}.{origin} "
            f"ELSE {table}.{column} END"
        )
    updates.append("customer_status = excluded.customer_status")
    updates.append("customer_owner_id = excluded.customer_owner_id")
    return (
        f"INSERT INTO {table} (customer_id, previous_tier, customer_status, customer_owner_id, "
        f"{columns}) "
        f"SELECT {source}.customer_id, '', {_status_of(source)}, {_owner_of(source)}, "
        f"%s, %s, %s, {decoded} "
        f"{source_sql} ON CONFLICT (customer_id) DO UPDATE SET {', '.join(updates)}"
    )


def _status_of(source):
    """The customer's status, copied onto the score row (``CustomerScore.customer_status``)."""
    return f"(SELECT status FROM {Customer._meta.db_table} WHERE id = {source}.customer_id)"


def _owner_of(source):
    """The customer's owner, copied onto the score row (``CustomerScore.customer_owner``)."""
    return f"(SELECT owner_id FROM {Customer._meta.db_table} WHERE id = {source}.customer_id)"


def _snapshot_sql(source_sql, source):
    """INSERT … SELECT of the history rows; the first placeholder is the run's date."""
    by_name = {c.name: c for c in STAGED_COLUMNS}
    figures = ", ".join(
        _decoded(by_name[name], source)
        for name in ("value_score", "tier", "profit_contribution", "churn_risk")
    )
    future = (
        f"COALESCE({_decoded(by_name['predicted_clv'], source)}, "
        f"{_decoded(by_name['simple_clv'], source)})"
    )
    return (
        f"INSERT INTO {ScoreSnapshot._meta.db_table} (customer_id, as_of, value_score, tier, "
        f"profit_contribution, churn_risk, future_value) "
        f"SELECT {source}.customer_id, %s, {figures}, {future} {source_sql} "
        "ON CONFLICT (customer_id, as_of) DO UPDATE SET value_score = excluded.value_score, "
        "tier = excluded.tier, profit_contribution = excluded.profit_contribution, "
        "future_value = excluded.future_value, churn_risk = excluded.churn_risk"
    )


# --- Full runs: staging and publishing ----------------------------------------------------


def stage(run_id, encoded):
    """Write a full run's encoded rows into the staging table (binary COPY on PostgreSQL)."""
    table = StagedScore._meta.db_table
    names = [c.name for c in STAGED_COLUMNS]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            columns = [
                ("run_id", ">i8", np.full(len(encoded), run_id, dtype=np.int64)),
                ("customer_id", ">i8", encoded.customer_id),
                *((c.name, _BINARY_TYPES[c.kind], encoded.columns[c.name]) for c in STAGED_COLUMNS),
            ]
            pgcopy.write_columns(cursor, table, columns)
            return
        placeholders = ", ".join(["%s"] * (len(names) + 2))
        cursor.executemany(
            f"INSERT INTO {table} (run_id, customer_id, {', '.join(names)}) "
            f"VALUES ({placeholders})",
            [(run_id, *row) for row in _python_rows(encoded)],
        )


def _python_rows(encoded):
    """The encoded rows as tuples of Python numbers: ``(customer_id, *columns)``."""
    columns = [encoded.columns[c.name].tolist() for c in STAGED_COLUMNS]
    return list(zip(encoded.customer_id.tolist(), *columns, strict=True))


def clear_staging():
    """Empty the staging table once a run is over. Only one run is active at a time, so
    nothing staged is still wanted; TRUNCATE frees a million rows at once."""
    table = StagedScore._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {table}")
        else:
            cursor.execute(f"DELETE FROM {table}")


def id_ranges(chunk_size):
    """The customers in consecutive id ranges of ``chunk_size``: ``[first, last, size]``
    each (the chunks a one-process run makes)."""
    table = Customer._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT MIN(id), MAX(id), COUNT(*) FROM (SELECT id, "
            f"(ROW_NUMBER() OVER (ORDER BY id) - 1) / %s AS chunk FROM {table}) numbered "
            "GROUP BY chunk ORDER BY chunk",
            [chunk_size],
        )
        return [[int(first), int(last), int(size)] for first, last, size in cursor.fetchall()]


class StagingLost(Exception):
    """The staged rows of a chunk are gone (a database crash empties the unlogged table)."""


def begin_publication(as_of):
    """Get ready for a run's chunks (PostgreSQL: an empty next scores table, and the
    history partition of the run's week)."""
    history.ensure_partition(as_of)
    if connection.vendor == "postgresql":
        swap.create_next()


def end_publication(*, since):
    """Put a run's published rows in place (PostgreSQL: swap the next table in) and
    rebuild the score totals from them; call in the transaction that marks the run done.
    Returns the customers whose newer rows from incremental updates were kept, to be
    recalculated against the new population."""
    if connection.vendor == "postgresql":
        return swap.swap_in(since=since)  # which rebuilds the score totals too
    totals.rebuild()
    return []


def after_publication():
    if connection.vendor == "postgresql":
        swap.after_swap()


def abandon_publication():
    if connection.vendor == "postgresql":
        swap.drop_next()


def publish_staged(run_id, first_id, last_id, run_values):
    """Copy one chunk of a run's staged rows into the scores (on PostgreSQL the next
    table, swapped in when every chunk is done) and the history. Returns the chunk's tier
    changes (see ``_tier_change``), read with one query before the write."""
    staged = StagedScore._meta.db_table
    # Customers deleted since the run was staged are skipped. (A WHERE clause is also what
    # lets SQLite parse INSERT … SELECT … ON CONFLICT.)
    where = (
        f"WHERE {staged}.run_id = %s AND {staged}.customer_id BETWEEN %s AND %s "
        f"AND {staged}.customer_id IN (SELECT id FROM {Customer._meta.db_table})"
    )
    params = [run_id, first_id, last_id]
    run = [run_values[c] for c in RUN_COLUMNS]
    with connection.cursor() as cursor:
        changes = _staged_tier_changes(cursor, where, params, run_id, run_values["as_of"])
        if connection.vendor == "postgresql":
            as_of = run_values["as_of"]
            cursor.execute(_next_insert_sql(where, staged), [as_of, as_of, *run, *params])
        else:
            cursor.execute(_upsert_sql(f"FROM {staged} {where}", staged), [*run, *params])
        if cursor.rowcount == 0 and _staged_missing(cursor, params):
            raise StagingLost(f"Staged scores of run {run_id} are missing; run it again.")
        cursor.execute(
            _snapshot_sql(f"FROM {staged} {where}", staged), [run_values["as_of"], *params]
        )
    return changes


def _tier_change(*, customer_id, tier, previous_tier, value_score, as_of, run_id):
    return {
        "customer": customer_id,
        "tier": tier,
        "previous_tier": previous_tier,
        "value_score": value_score,
        "as_of": as_of,
        "run": run_id,
    }


def _staged_tier_changes(cursor, where, params, run_id, as_of):
    """The customers of a chunk whose stored (live) tier differs from the staged one,
    read before the chunk is written. Customers without a stored tier yet are no change."""
    staged = StagedScore._meta.db_table
    live = CustomerScore._meta.db_table
    by_name = {c.name: c for c in STAGED_COLUMNS}
    tier = _decoded(by_name["tier"], staged)
    cursor.execute(
        f"SELECT {staged}.customer_id, live.tier, {tier}, "
        f"{_decoded(by_name['value_score'], staged)} "
        f"FROM {staged} JOIN {live} live ON live.customer_id = {staged}.customer_id "
        f"{where} AND live.tier <> '' AND live.tier <> {tier} ORDER BY {staged}.customer_id",
        params,
    )
    return [
        _tier_change(
            customer_id=customer_id,
            tier=new,
            previous_tier=old,
            value_score=value_score,
            as_of=as_of,
            run_id=run_id,
        )
        for customer_id, old, new, value_score in cursor.fetchall()
    ]


def _next_insert_sql(where, source):
    """INSERT … SELECT of decoded rows into the next table, with what the live table says
    now as the "previous" figures, the way the upsert's conflict clause keeps them.
    Placeholders: the run's date twice, then its date, model version and time."""
    live = CustomerScore._meta.db_table
    decoded = ", ".join(_decoded(c, source) for c in STAGED_COLUMNS)
    return (
        f"INSERT INTO {swap.NEXT_TABLE} (customer_id, previous_tier, previous_churn_risk, "
        f"customer_status, customer_owner_id, {', '.join(SCORE_COLUMNS)}) "
        f"SELECT {source}.customer_id, "
        f"CASE WHEN live.as_of < %s THEN live.tier ELSE COALESCE(live.previous_tier, '') END, "
        f"CASE WHEN live.as_of < %s THEN live.churn_risk ELSE live.previous_churn_risk END, "
        f"{_status_of(source)}, {_owner_of(source)}, %s, %s, %s, {decoded} "
        f"FROM {source} LEFT JOIN {live} live ON live.customer_id = {source}.customer_id "
        f"{where}"
    )


def _staged_missing(cursor, params):
    """No staged row at all for the chunk (as opposed to all its customers deleted)."""
    cursor.execute(
        f"SELECT 1 FROM {StagedScore._meta.db_table} "
        "WHERE run_id = %s AND customer_id BETWEEN %s AND %s LIMIT 1",
        params,
    )
    return cursor.fetchone() is None


# --- Incremental updates -----------------------------------------------------------------

# Rows per statement: 42 parameters each stays well under both databases' limits.
_UPSERT_BATCH = 200


def _lock_customers(cursor, customer_ids):
    """On PostgreSQL, the customers of ``customer_ids`` that still exist, each locked (FOR
    KEY SHARE, as a foreign-key check locks it) until the transaction ends: a delete of one
    of them (customers.services.customer_delete locks its row first) either finished
    before, and the customer is not written, or waits for this write and then deletes its
    rows too. Without the lock, a delete meeting a write under way deadlocked (the delete
    waiting for the score row the write updated, the write's foreign-key check at commit
    for the customer row the delete locked), and a write finishing after a delete failed
    on the foreign key. (SQLite runs one writing transaction at a time: the WHERE clause
    of the inserts suffices.)"""
    cursor.execute(
        f"SELECT id FROM {Customer._meta.db_table} WHERE id = ANY(%s) ORDER BY id FOR KEY SHARE",
        [list(customer_ids)],
    )
    return {row[0] for row in cursor.fetchall()}


def upsert(encoded, run_values):
    """Write a few customers' rows directly (incremental recalculation), through the same
    decoding SQL as a full run's publication. Customers deleted since their figures were
    read are skipped; call it in a transaction. The score totals follow in the same
    transaction (``totals.changing``). Returns the tier changes (see ``_tier_change``):
    each batch's stored tiers are read with one query before its write."""
    rows = _python_rows(encoded)
    names = ", ".join(["customer_id", *(c.name for c in STAGED_COLUMNS)])
    run = [run_values[c] for c in RUN_COLUMNS]
    history.ensure_partition(run_values["as_of"])
    placeholder = f"({', '.join(['%s'] * (len(STAGED_COLUMNS) + 1))})"
    changes = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and rows:
            alive = _lock_customers(cursor, [row[0] for row in rows])
            rows = [row for row in rows if row[0] in alive]
    # The dashboard's totals: what these rows were subtracted, what they are added.
    with totals.changing(row[0] for row in rows), connection.cursor() as cursor:
        for start in range(0, len(rows), _UPSERT_BATCH):
            batch = rows[start : start + _UPSERT_BATCH]
            values = f"WITH v ({names}) AS (VALUES {', '.join([placeholder] * len(batch))}) "
            params = [value for row in batch for value in row]
            # Only customers that still exist. (A WHERE clause is also what lets SQLite
            # parse INSERT … SELECT … ON CONFLICT.)
            source_sql = f"FROM v WHERE v.customer_id IN (SELECT id FROM {Customer._meta.db_table})"
            changes += _batch_tier_changes(cursor, batch, run_values["as_of"])
            cursor.execute(values + _upsert_sql(source_sql, "v"), [*params, *run])
            cursor.execute(values + _snapshot_sql(source_sql, "v"), [*params, run_values["as_of"]])
    return changes


_TIER_INDEX = 1 + [c.name for c in STAGED_COLUMNS].index("tier")
_VALUE_SCORE_INDEX = 1 + [c.name for c in STAGED_COLUMNS].index("value_score")
_TIER_LABELS = {c.name: c for c in STAGED_COLUMNS}["tier"].labels


def _batch_tier_changes(cursor, batch, as_of):
    """The customers of an upsert batch whose stored tier differs from the new one, read
    with one query before the batch is written."""
    ids = [row[0] for row in batch]
    cursor.execute(
        f"SELECT customer_id, tier FROM {CustomerScore._meta.db_table} "
        f"WHERE customer_id IN ({', '.join(['%s'] * len(ids))}) AND tier <> ''",
        ids,
    )
    stored = dict(cursor.fetchall())
    changes = []
    for row in batch:
        old, new = stored.get(row[0]), _TIER_LABELS[row[_TIER_INDEX]]
        if old and old != new:
            score = row[_VALUE_SCORE_INDEX]
            changes.append(
                _tier_change(
                    customer_id=row[0],
                    tier=new,
                    previous_tier=old,
                    value_score=None if score != score else score,  # NaN: no score
                    as_of=as_of,
                    run_id=None,
                )
            )
    return changes
