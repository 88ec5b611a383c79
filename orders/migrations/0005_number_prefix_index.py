"""A b-tree index on the upper-cased order number in the "C" collation, for the global
search (crm/search.py): a whole number is one lookup and a number's start ("SO-01234") one
range read in order, so the search never asks the trigram index for "SO-", which every
order's number holds. See customers/migrations/0006 for why "C". PostgreSQL only.
"""

from django.db import migrations

NAME = "order_number_prefix"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f'CREATE INDEX IF NOT EXISTS {NAME} ON orders_order ((UPPER(number) COLLATE "C"), id)'
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("orders", "0004_customer_month")]

    operations = [migrations.RunPython(create, drop)]
