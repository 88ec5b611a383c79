"""Two indexes on orders that only cost writes (issue 14).

- ``customer_id`` alone: ``order_customer_date`` (customer_id, ordered_on) starts with the
  same column and serves every lookup by customer (a customer's orders, the cascade when a
  customer is deleted).
- ``number varchar_pattern_ops``, which Django adds on PostgreSQL beside the unique index of
  a CharField for case-sensitive ``LIKE 'abc%'``. Nothing filters orders that way: numbers
  are matched exactly (the unique index) or case-insensitively, ``UPPER(number) LIKE``,
  which the trigram index of crm/migrations/0002 serves. Django's schema editor adds that
  index again if a later migration changes the type of ``number``; drop it there too.
"""

import django.db.models.deletion
from django.db import migrations, models


def _indexes(apps, schema_editor):
    """(name, table, columns) of the indexes dropped. Named as Django named them
    (``_create_index_name``, which its own ``_alter_field`` uses to find them again). Dropped
    by name: an AlterField of the foreign key would also drop and re-add its constraint
    (checking every order) on PostgreSQL and copy the whole table on SQLite."""
    table = apps.get_model("orders", "Order")._meta.db_table
    quote = schema_editor.quote_name

    def name(column, suffix=""):
        return quote(schema_editor._create_index_name(table, [column], suffix=suffix))

    yield name("customer_id"), quote(table), '("customer_id")'
    if schema_editor.connection.vendor == "postgresql":
        yield name("number", "_like"), quote(table), '("number" varchar_pattern_ops)'


def drop(apps, schema_editor):
    for name, _table, _columns in _indexes(apps, schema_editor):
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def create(apps, schema_editor):
    for name, table, columns in _indexes(apps, schema_editor):
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} {columns}")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
        ("orders", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="order",
                    name="customer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="orders",
                        to="customers.customer",
                        verbose_name="customer",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop, create, elidable=False)],
        ),
    ]
