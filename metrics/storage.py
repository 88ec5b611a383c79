"""Turning the engine's arrays into score rows, and writing them in bulk.

Rows are written set-based: COPY into the staging table on PostgreSQL (executemany on
SQLite), then one INSERT … SELECT … ON CONFLICT per chunk publishes them. Incremental
updates use the same ON CONFLICT clause, so both paths store identical rows.
"""

from datetime import date
from decimal import Decimal
from itertools import repeat

import numpy as np
from django.db import connection
from django.utils import timezone

from customers.models import Customer

from .calc.score import COMPONENTS, FUTURE, HISTORICAL, INFLUENCE, LOYALTY
from .engine import model_version
from .models import CustomerScore, ScoreSnapshot, StagedScore

# Columns of ScoreFields in a fixed order, shared by staging, publishing and upserts.
SCORE_COLUMNS = [
    "as_of",
    "model_version",
    "computed_at",
    "orders_count",
    "purchase_days",
    "first_order_on",
    "last_order_on",
    "revenue",
    "cost_of_goods",
    "acquisition_cost",
    "other_costs",
    "profit_contribution",
    "aov",
    "frequency",
    "recency_days",
    "r_score",
    "f_score",
    "m_score",
    "segment",
    "simple_clv",
    "retention_clv",
    "predicted_clv",
    "clv_method",
    "p_alive",
    "expected_purchases_90d",
    "expected_order_value",
    "relationship_value",
    "continuing_value",
    "loss_value",
    "information_value",
    "nps_category",
    "avg_csat",
    "repeat_rate",
    "tenure_days",
    "loyalty",
    "referrals_count",
    "referral_revenue",
    "churn_risk",
    "pct_historical",
    "pct_future",
    "pct_loyalty",
    "pct_influence",
    "value_score",
    "tier",
]
_PERCENTILE_COLUMNS = {
    HISTORICAL: "pct_historical",
    FUTURE: "pct_future",
    LOYALTY: "pct_loyalty",
    INFLUENCE: "pct_influence",
}


_EPOCH = date(1970, 1, 1).toordinal()


def _money(values):
    """Cents as text ("12.30"; None for no value), the same on every path: COPY parses
    it and the incremental upsert passes it as a Decimal."""
    rounded = np.round(np.asarray(values, dtype=float), 2)
    return [None if v != v else f"{v:.2f}" for v in rounded.tolist()]


def _float(values, places=6):
    return [None if v != v else round(v, places) for v in np.asarray(values, float).tolist()]


def _int(values, zero_is_none=False):
    return [
        None if v != v or (zero_is_none and v == 0) else int(v)
        for v in np.asarray(values, dtype=float).tolist()
    ]


def _dates(day_numbers):
    cache = {}
    out = []
    for v in np.asarray(day_numbers, dtype=float).tolist():
        if v != v:
            out.append(None)
            continue
        if v not in cache:
            cache[v] = date.fromordinal(int(v) + _EPOCH)
        out.append(cache[v])
    return out


def score_rows(inputs, out, stats_id):
    """One tuple per customer: (customer_id, *SCORE_COLUMNS values), built column by
    column so a million customers take seconds."""
    n = len(inputs)
    buyers = out["buyers"]
    columns = {
        "as_of": repeat(inputs.as_of, n),
        "model_version": repeat(model_version(stats_id), n),
        "computed_at": repeat(timezone.now(), n),
        "orders_count": _int(inputs.orders),
        "purchase_days": _int(inputs.purchase_days),
        "first_order_on": _dates(inputs.first_order),
        "last_order_on": _dates(inputs.last_order),
        "revenue": _money(inputs.revenue),
        "cost_of_goods": _money(inputs.cost_of_goods),
        "acquisition_cost": _money(inputs.acquisition_cost),
        "other_costs": _money(inputs.other_costs),
        "profit_contribution": _money(out["profit"]),
        "aov": _money(out["aov"]),
        "frequency": _float(out["frequency"], 4),
        "recency_days": _int(out["recency"]),
        "r_score": _int(out["r_score"], zero_is_none=True),
        "f_score": _int(out["f_score"], zero_is_none=True),
        "m_score": _int(out["m_score"], zero_is_none=True),
        "segment": out["segment"].tolist(),
        "simple_clv": _money(out["simple_clv"]),
        "retention_clv": _money(out["retention_clv"]),
        "predicted_clv": _money(out["predicted"]),
        "clv_method": out["clv_method"].tolist(),
        "p_alive": _float(out["p_alive"]),
        "expected_purchases_90d": _float(out["expected_90"], 4),
        "expected_order_value": _money(out["eov"]),
        "relationship_value": _money(out["relationship"]),
        "continuing_value": _money(out["continuing"]),
        "loss_value": _money(out["loss"]),
        "information_value": _money(out["information"]),
        "nps_category": [c or "" for c in out["nps_category"]],
        "avg_csat": _float(inputs.csat_avg, 4),
        "repeat_rate": _float(out["repeat_rate"], 4),
        "tenure_days": _int(out["tenure"]),
        "loyalty": _float(np.where(buyers, out["loyalty"], np.nan), 4),
        "referrals_count": _int(inputs.referrals),
        "referral_revenue": _money(inputs.referral_revenue),
        "churn_risk": _float(out["churn_risk"], 4),
        "value_score": _float(out["value_score"], 2),
        "tier": out["tier"].tolist(),
    }
    for key in COMPONENTS:
        columns[_PERCENTILE_COLUMNS[key]] = _float(out["percentiles"][key], 2)
    return list(
        zip(inputs.customer_id.tolist(), *(columns[c] for c in SCORE_COLUMNS), strict=False)
    )


_MONEY_POSITIONS = {
    i
    for i, c in enumerate(SCORE_COLUMNS)
    if StagedScore._meta.get_field(c).get_internal_type() == "DecimalField"
}


def _adapt(row):
    """Parameters of one row for executemany: money text as Decimal on PostgreSQL (SQLite
    stores the text as a number either way)."""
    if connection.vendor != "postgresql":
        return row
    return tuple(
        Decimal(v) if i in _MONEY_POSITIONS and v is not None else v for i, v in enumerate(row)
    )


def stage_rows(run_id, rows):
    """Write a full run's rows into the staging table (COPY on PostgreSQL)."""
    table = StagedScore._meta.db_table
    columns = ["run_id", "customer_id", *SCORE_COLUMNS]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((run_id, *row))
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})",
                [(run_id, *row) for row in rows],
            )


def _conflict_clause():
    """Overwrite every figure; keep what the previous calculation said when this one is
    for a later date (a re-run for the same date keeps the earlier "previous")."""
    table = CustomerScore._meta.db_table
    updates = [f"{c} = excluded.{c}" for c in SCORE_COLUMNS]
    for column, source in (("previous_churn_risk", "churn_risk"), ("previous_tier", "tier")):
        updates.append(
            f"{column} = CASE WHEN {table}.as_of < excluded.as_of THEN {table}.{source} "
            f"ELSE {table}.{column} END"
        )
    return f"ON CONFLICT (customer_id) DO UPDATE SET {', '.join(updates)}"


def _snapshot_sql(source_sql):
    table = ScoreSnapshot._meta.db_table
    return (
        f"INSERT INTO {table} (customer_id, as_of, value_score, tier, profit_contribution, "
        f"future_value, churn_risk) {source_sql} "
        "ON CONFLICT (customer_id, as_of) DO UPDATE SET value_score = excluded.value_score, "
        "tier = excluded.tier, profit_contribution = excluded.profit_contribution, "
        "future_value = excluded.future_value, churn_risk = excluded.churn_risk"
    )


_FUTURE_SQL = "COALESCE(predicted_clv, simple_clv)"


class StagingLost(Exception):
    """The staged rows of a chunk are gone (a database crash empties the unlogged table)."""


def publish_staged(run_id, first_id, last_id):
    """Copy one chunk of a run's staged rows into the current scores and the history."""
    staged = StagedScore._meta.db_table
    columns = ", ".join(SCORE_COLUMNS)
    # Customers deleted since the run was staged are skipped. (A WHERE clause is also what
    # lets SQLite parse INSERT … SELECT … ON CONFLICT.)
    where = (
        "WHERE run_id = %s AND customer_id BETWEEN %s AND %s "
        f"AND customer_id IN (SELECT id FROM {Customer._meta.db_table})"
    )
    params = [run_id, first_id, last_id]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {CustomerScore._meta.db_table} (customer_id, previous_tier, "
            f"{columns}) SELECT customer_id, '', {columns} FROM {staged} {where} "
            f"{_conflict_clause()}",
            params,
        )
        if cursor.rowcount == 0 and _staged_missing(cursor, params):
            raise StagingLost(f"Staged scores of run {run_id} are missing; run it again.")
        cursor.execute(
            _snapshot_sql(
                f"SELECT customer_id, as_of, value_score, tier, profit_contribution, "
                f"{_FUTURE_SQL}, churn_risk FROM {staged} {where}"
            ),
            params,
        )


def _staged_missing(cursor, params):
    """No staged row at all for the chunk (as opposed to all its customers deleted)."""
    cursor.execute(
        f"SELECT 1 FROM {StagedScore._meta.db_table} "
        "WHERE run_id = %s AND customer_id BETWEEN %s AND %s LIMIT 1",
        params,
    )
    return cursor.fetchone() is None


def upsert_rows(rows):
    """Write a few customers' rows directly (incremental recalculation)."""
    if not rows:
        return
    columns = ["customer_id", "previous_tier", *SCORE_COLUMNS]
    placeholders = ", ".join(["%s"] * len(columns))
    params = [(row[0], "", *_adapt(row[1:])) for row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {CustomerScore._meta.db_table} ({', '.join(columns)}) "
            f"VALUES ({placeholders}) {_conflict_clause()}",
            params,
        )
        ids = [row[0] for row in rows]
        cursor.execute(
            _snapshot_sql(
                f"SELECT customer_id, as_of, value_score, tier, profit_contribution, "
                f"{_FUTURE_SQL}, churn_risk FROM {CustomerScore._meta.db_table} "
                f"WHERE customer_id IN ({', '.join(['%s'] * len(ids))})"
            ),
            ids,
        )
