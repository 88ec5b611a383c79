"""Partial indexes that hand call next and the high-value detractors their first page in
order (issue 14: call next sorted about 458k tier A/B rows by loss value x churn risk on
every view at a million customers).

PostgreSQL only, like the search indexes: the expression must be the one the selectors
order by (``metrics.selectors_customer``) and keep its NULLS LAST, which SQLite cannot
declare in an index. A full run's swap copies them onto the new scores table with every
other index of the live table (``metrics/swap.py``), so they need nothing there. A change
to the call-next filter (``CALL_CHURN_RISK``, ``HIGH_VALUE_TIERS``) needs a new migration.
"""

from django.db import migrations

TABLE = "metrics_customerscore"
# ``tier IN ('A', 'B')`` as PostgreSQL prints it back (pg_get_indexdef): the swap re-creates
# the index from that text, and tests/metrics/test_publication.py compares the two.
HIGH_VALUE = "tier::text = ANY (ARRAY['A'::text, 'B'::text])"
INDEXES = {
    "score_call_next": (
        "((loss_value)::double precision * churn_risk) DESC NULLS LAST, "
        "value_score DESC NULLS LAST, customer_id",
        f"{HIGH_VALUE} AND churn_risk IS NOT NULL "
        "AND (churn_risk > previous_churn_risk OR churn_risk >= 0.5)",
    ),
    "score_detractors": (
        "value_score DESC NULLS LAST, customer_id",
        f"{HIGH_VALUE} AND nps_category = 'detractor'",
    ),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, (columns, condition) in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {TABLE} ({columns}) WHERE {condition}"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("metrics", "0009_score_sort_indexes")]

    operations = [migrations.RunPython(create, drop)]
