"""Trigram indexes for the global search (crm/search.py) on contacts and order numbers.

They live here because the search is crm's; customers have theirs in
customers/migrations/0002_search_indexes.py. PostgreSQL only: Django's icontains there is
UPPER(col::text) LIKE UPPER(...), so the indexes are on that expression. SQLite does without.
"""

from django.db import migrations

INDEXES = [
    ("contact_name_trgm", "customers_contact", "name"),
    ("contact_email_trgm", "customers_contact", "email"),
    ("contact_phone_trgm", "customers_contact", "phone"),
    ("order_number_trgm", "orders_order", "number"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f"USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0001_roles"),
        ("customers", "0002_search_indexes"),
        ("orders", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop)]
