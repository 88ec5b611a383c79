"""The customer list's blank segments and the API's churn order at a million customers
(issue 14).

- Partial indexes of the score rows lacking each figure the list sorts by, in customer id
  order: the list reads a sort's blanks from them (``customers.selectors.
  customer_list_order``). Without them a "jump to" past the valued rows, under a tier or
  segment filter or on revenue (which no score lacks), walked every score or every customer
  to find none (0.8-4.5 s).
- The API scores list's ``ordering=-churn_risk`` (highest first, blanks last, ids
  ascending) gets its index, as the default order got ``score_value_api`` (0011).
- ``Customer.is_scored`` (customers 0007) is false for the customers without a score row.

The indexes are PostgreSQL only, like 0010 and 0011 (SQLite cannot declare NULLS LAST; its
small databases do without). A full run's swap copies them onto the new scores table with
the live table's other indexes (``metrics/swap.py``).
"""

from django.db import migrations

TABLE = "metrics_customerscore"
INDEXES = {
    "score_value_blank": "(customer_id) WHERE value_score IS NULL",
    "score_churn_risk_blank": "(customer_id) WHERE churn_risk IS NULL",
    "score_revenue_blank": "(customer_id) WHERE revenue IS NULL",
    "score_churn_risk_api": "(churn_risk DESC NULLS LAST, customer_id)",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {TABLE} {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def flag_unscored(apps, schema_editor):
    schema_editor.execute(
        "UPDATE customers_customer SET is_scored = false WHERE is_scored AND NOT EXISTS "
        f"(SELECT 1 FROM {TABLE} s WHERE s.customer_id = customers_customer.id)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0012_score_totals"),
        ("customers", "0007_score_sort_scope"),
    ]

    operations = [
        migrations.RunPython(create, drop),
        migrations.RunPython(flag_unscored, migrations.RunPython.noop),
    ]
