"""A rep's API customers in the list's default order (newest first) and a rep's sync by
change time, each read off an index led by the owner (issue 14)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0014_contact_customer_primary_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["owner", "id"], name="customer_owner_id"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                fields=["owner", "updated_at", "id"], name="customer_owner_updated_id"
            ),
        ),
    ]
