"""Autovacuum visits the purchase summary after 1 % of its rows changed, not PostgreSQL's
20 % (issue 14).

A rep's dashboard reads their summary rows from the covering index ``customer_day_owner``
(0009), an index-only scan only while the rows' pages are marked all-visible. Every order,
cost or change of owner rewrites a customer's rows and clears that mark on their pages; until
a vacuum sets it again, each row is a heap fetch too: 98 ms against 64 ms from a cold start
for a rep's 30,624 rows at a million customers (docs/benchmarks.md). At the defaults
autovacuum would wait for 1.9 million changed rows of the 9.4 million. Inserted rows count
as well (PostgreSQL 13 and later), since a customer's first purchases add rows, not change
them.

PostgreSQL only: SQLite has no vacuum of its own to tune. The full run refreshes the summary
in place, so the setting stays with the table."""

from django.db import migrations

TABLE = "orders_customerday"
SETTINGS = {
    "autovacuum_vacuum_scale_factor": "0.01",
    "autovacuum_vacuum_insert_scale_factor": "0.01",
    "autovacuum_analyze_scale_factor": "0.02",
}


def tune(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        values = ", ".join(f"{name} = {value}" for name, value in SETTINGS.items())
        schema_editor.execute(f"ALTER TABLE {TABLE} SET ({values})")


def untune(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} RESET ({', '.join(SETTINGS)})")


class Migration(migrations.Migration):
    dependencies = [("orders", "0010_list_order_indexes")]

    operations = [migrations.RunPython(tune, untune)]
