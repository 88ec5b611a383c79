"""The customer's owner copied onto the order row, with an index led by it per sort of the
order list and per ordering of the API's, so that a rep's list reads their own orders in
order instead of walking everyone's by date and probing each order's customer (issue 14:
110-120 ms at 1M). Kept by orders.services, orders.receivers and the bulk writers.

Built in one transaction, as every index of this app so far: the backfill writes each of
the table's rows anyway, so the table is busy for the migration either way, and a failure
leaves nothing half done."""

from django.conf import settings
from django.db import migrations, models

# Set-based, once over the table (customers without an owner keep NULL): UPDATE ... FROM
# joins the customers once, where a subquery per row would look each one up.
BACKFILL = """
    UPDATE orders_order SET customer_owner_id = customers_customer.owner_id
    FROM customers_customer
    WHERE customers_customer.id = orders_order.customer_id
      AND customers_customer.owner_id IS NOT NULL
"""


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("customers", "0007_score_sort_scope"),
        ("orders", "0007_summary_shards"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="customer_owner",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                editable=False,
                null=True,
                on_delete=models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="customer's owner",
            ),
        ),
        # Before the indexes: one pass over the rows, then each index built once.
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                fields=["customer_owner", "ordered_on", "id"], name="order_owner_date_id"
            ),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                fields=["customer_owner", "number", "id"], name="order_owner_number_id"
            ),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                fields=["customer_owner", "total_base", "id"], name="order_owner_total_id"
            ),
        ),
        # The API's orderings by id and by updated_at (a sync) in one owner's orders.
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["customer_owner", "id"], name="order_owner_id"),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                fields=["customer_owner", "updated_at", "id"], name="order_owner_updated_id"
            ),
        ),
    ]
