"""The customer list pages by (created_at, id), everyone's and a rep's (issue 14); the single
created_at index they make redundant goes."""

import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0001_initial"),
        ("customers", "0004_updated_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="customer",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="created"),
        ),
        migrations.AlterField(
            model_name="historicalcustomer",
            name="created_at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="created"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["created_at", "id"], name="customer_created_id"),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                fields=["owner", "created_at", "id"], name="customer_owner_created_id"
            ),
        ),
    ]
