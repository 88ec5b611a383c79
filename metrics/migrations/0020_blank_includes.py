"""The score rows lacking a figure, with the tier and segment in their indexes (issue 14).

A "jump to" past the valued rows under a tier or segment filter reads that filter's blanks
from ``score_value_blank`` (or the churn or revenue one, by the sort). With only the customer
id in the index, PostgreSQL read the table row of each of the 122,663 scores lacking a value
score to find none in tier A: 53,000 pages, 160-260 ms at a million customers. With the
columns the list filters by and shows, it answers from the index alone.

PostgreSQL only, like 0013 which made these indexes; a full run's swap copies the live
definitions onto the new table (``metrics/swap.py``).
"""

from django.db import migrations

TABLE = "metrics_customerscore"
# What the list reads of a score row (customers.selectors.LIST_ROW_FIELDS) and filters it
# by (the status copy too: PostgreSQL walks these for a status's blanks as well, 95 → 11 ms
# for the churned ones): all of it in the index, so a blank's row is answered from the
# index alone.
INCLUDED = "INCLUDE (tier, segment, customer_status, value_score, churn_risk, revenue)"
BLANKS = {
    "score_value_blank": "value_score",
    "score_churn_risk_blank": "churn_risk",
    "score_revenue_blank": "revenue",
}


def _rebuild(schema_editor, *, with_includes):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, figure in BLANKS.items():
        columns = f"(customer_id) {INCLUDED}" if with_includes else "(customer_id)"
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
        schema_editor.execute(f"CREATE INDEX {name} ON {TABLE} {columns} WHERE {figure} IS NULL")


def forwards(apps, schema_editor):
    _rebuild(schema_editor, with_includes=True)


def backwards(apps, schema_editor):
    _rebuild(schema_editor, with_includes=False)


class Migration(migrations.Migration):
    dependencies = [("metrics", "0019_score_owner_sorts")]

    operations = [migrations.RunPython(forwards, backwards)]
