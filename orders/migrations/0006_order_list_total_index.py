"""The order list sorted by total in the base currency pages by (total_base, id) (issue 14)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("orders", "0005_number_prefix_index")]

    operations = [
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["total_base", "id"], name="order_total_base_id"),
        ),
    ]
