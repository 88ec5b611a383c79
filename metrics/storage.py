"""Turning the engine's arrays into score rows, and writing them in bulk.

Rows are written set-based: COPY into the staging table on PostgreSQL (executemany on
SQLite), then one INSERT … SELECT … ON CONFLICT per chunk publishes them. Incremental
updates use the same ON CONFLICT clause, so both paths store identical rows.
"""

import math
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.utils import timezone

from customers.models import Customer

from .calc.score import COMPONENTS, FUTURE, HISTORICAL, INFLUENCE, LOYALTY
from .engine import model_version
from .models import CustomerScore, ScoreSnapshot, StagedScore

CENT = Decimal("0.01")
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


def _money(value):
    value = float(value)
    if math.isnan(value):
        return None
    return Decimal(repr(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _float(value, places=6):
    value = float(value)
    return None if math.isnan(value) else round(value, places)


def _int(value):
    value = float(value)
    return None if math.isnan(value) else int(value)


_EPOCH = date(1970, 1, 1).toordinal()


def _date(day_number):
    value = float(day_number)
    return None if math.isnan(value) else date.fromordinal(int(value) + _EPOCH)


def score_rows(inputs, out, stats_id):
    """One tuple per customer: (customer_id, *SCORE_COLUMNS values)."""
    version = model_version(stats_id)
    now = timezone.now()
    as_of = inputs.as_of
    rows = []
    for i, customer_id in enumerate(inputs.customer_id.tolist()):
        buyer = bool(out["buyers"][i])
        values = {
            "as_of": as_of,
            "model_version": version,
            "computed_at": now,
            "orders_count": int(inputs.orders[i]),
            "purchase_days": int(inputs.purchase_days[i]),
            "first_order_on": _date(inputs.first_order[i]),
            "last_order_on": _date(inputs.last_order[i]),
            "revenue": _money(inputs.revenue[i]),
            "cost_of_goods": _money(inputs.cost_of_goods[i]),
            "acquisition_cost": _money(inputs.acquisition_cost[i]),
            "other_costs": _money(inputs.other_costs[i]),
            "profit_contribution": _money(out["profit"][i]),
            "aov": _money(out["aov"][i]),
            "frequency": _float(out["frequency"][i], 4),
            "recency_days": _int(out["recency"][i]),
            "r_score": int(out["r_score"][i]) or None,
            "f_score": int(out["f_score"][i]) or None,
            "m_score": int(out["m_score"][i]) or None,
            "segment": out["segment"][i],
            "simple_clv": _money(out["simple_clv"][i]),
            "retention_clv": _money(out["retention_clv"][i]),
            "predicted_clv": _money(out["predicted"][i]),
            "clv_method": out["clv_method"][i],
            "p_alive": _float(out["p_alive"][i]),
            "expected_purchases_90d": _float(out["expected_90"][i], 4),
            "expected_order_value": _money(out["eov"][i]),
            "relationship_value": _money(out["relationship"][i]),
            "continuing_value": _money(out["continuing"][i]),
            "loss_value": _money(out["loss"][i]),
            "information_value": _money(out["information"][i]),
            "nps_category": out["nps_category"][i] or "",
            "avg_csat": _float(inputs.csat_avg[i], 4),
            "repeat_rate": _float(out["repeat_rate"][i], 4),
            "tenure_days": _int(out["tenure"][i]),
            "loyalty": _float(out["loyalty"][i], 4) if buyer else None,
            "referrals_count": int(inputs.referrals[i]),
            "referral_revenue": _money(inputs.referral_revenue[i]),
            "churn_risk": _float(out["churn_risk"][i], 4),
            "value_score": _float(out["value_score"][i], 2),
            "tier": out["tier"][i],
        }
        for key in COMPONENTS:
            values[_PERCENTILE_COLUMNS[key]] = _float(out["percentiles"][key][i], 2)
        rows.append((customer_id, *(values[c] for c in SCORE_COLUMNS)))
    return rows


def _adapt(value):
    """SQLite stores Decimals as text unless told otherwise; keep them numeric."""
    if isinstance(value, Decimal) and connection.vendor == "sqlite":
        return str(value)
    return value


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
                [(run_id, *(_adapt(v) for v in row)) for row in rows],
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
        cursor.execute(
            _snapshot_sql(
                f"SELECT customer_id, as_of, value_score, tier, profit_contribution, "
                f"{_FUTURE_SQL}, churn_risk FROM {staged} {where}"
            ),
            params,
        )


def upsert_rows(rows):
    """Write a few customers' rows directly (incremental recalculation)."""
    if not rows:
        return
    columns = ["customer_id", "previous_tier", *SCORE_COLUMNS]
    placeholders = ", ".join(["%s"] * len(columns))
    params = [(row[0], "", *(_adapt(v) for v in row[1:])) for row in rows]
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
