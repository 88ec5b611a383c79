"""B-tree indexes on the upper-cased name, email and phone of customers and contacts, in
the "C" collation, for the global search's exact and prefix matches (crm/search.py).

The trigram indexes of 0002 find "contains" matches but in no order, so "the first ten by
name" had PostgreSQL walk the name index until ten matched: through the whole table for a
name that matches few (1.55 s at a million customers, issue 14). These keep the matches of
``UPPER(col) COLLATE "C" LIKE 'Q%'`` in order, so the first ten of them are read from one
index range, whatever the table's size. The "C" collation is what lets a LIKE prefix use a
b-tree (the database's C.UTF-8 does not). PostgreSQL only; SQLite does without.
"""

from django.db import migrations

INDEXES = [
    (table, column, f"{short}_{column}_prefix")
    for table, short in (("customers_customer", "customer"), ("customers_contact", "contact"))
    for column in ("name", "email", "phone")
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column, name in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {name} ON {table} ((UPPER({column}) COLLATE "C"), id)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _table, _column, name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0005_list_keyset_indexes")]

    operations = [migrations.RunPython(create, drop)]
