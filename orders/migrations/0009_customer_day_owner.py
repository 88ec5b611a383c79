"""The customer's owner copied onto the purchase summary's rows, with an index led by it
that holds every column a rep's dashboard and cohorts read, so that their figures come from
one range of it instead of the rows of each customer they own, which lie all over the
table (issue 14: a rep's first load of the dashboard read them from disk for 1-1.8 s at
1M). Kept by orders.summary, orders.receivers and orders.services.order_owners_follow.

Built in one transaction, as 0008 (the orders' copy): the backfill writes the rows of every
customer with an owner, then the index is built once. A database whose orders have no
summary yet (one migrated from before 0004) gets it written whole here instead, with the
owner; orders.summary writes today's columns, so it runs in the last migration of the
table, this one (a later migration of the table moves it there)."""

from django.conf import settings
from django.db import migrations, models

# Set-based, once over the table (customers without an owner keep NULL), as in 0008.
BACKFILL = """
    UPDATE orders_customerday SET customer_owner_id = customers_customer.owner_id
    FROM customers_customer
    WHERE customers_customer.id = orders_customerday.customer_id
      AND customers_customer.owner_id IS NOT NULL
"""


def summarize_orders_without_summary(apps, schema_editor):
    from orders.summary import rebuild

    customer_day, order = apps.get_model("orders", "CustomerDay"), apps.get_model("orders", "Order")
    if order.objects.exists() and not customer_day.objects.exists():
        rebuild()


class Migration(migrations.Migration):
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("customers", "0010_owner_region_status_index"),
        ("orders", "0008_order_owner_copy"),
    ]

    operations = [
        migrations.AddField(
            model_name="customerday",
            name="customer_owner",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                editable=False,
                null=True,
                on_delete=models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.RunPython(summarize_orders_without_summary, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="customerday",
            index=models.Index(
                condition=models.Q(customer_owner__isnull=False),
                fields=["customer_owner", "day"],
                include=[
                    "month",
                    "first_month",
                    "prev_day",
                    "next_day",
                    "counts_until",
                    "revenue",
                    "cost",
                    "campaign",
                    "customer",
                ],
                name="customer_day_owner",
            ),
        ),
    ]
