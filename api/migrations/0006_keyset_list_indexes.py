"""A webhook's delivery log and a user's API keys page by keyset, newest first: an index
per list in its order, led by its filter, (webhook, created_at, id) and (user, created_at,
id). They replace what they make redundant: the log's (webhook, -created_at) index and the
foreign keys' own single-column indexes (a cascade reads the new ones as well)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0005_bulk_jobs"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The new indexes first: the lookups are never without one.
        migrations.AddIndex(
            model_name="webhookdelivery",
            index=models.Index(
                fields=["webhook", "created_at", "id"], name="delivery_webhook_created_id"
            ),
        ),
        migrations.AddIndex(
            model_name="apikey",
            index=models.Index(fields=["user", "created_at", "id"], name="apikey_user_created_id"),
        ),
        migrations.RemoveIndex(model_name="webhookdelivery", name="delivery_webhook_time"),
        migrations.AlterField(
            model_name="webhookdelivery",
            name="webhook",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="deliveries",
                to="api.webhook",
                verbose_name="webhook",
            ),
        ),
        migrations.AlterField(
            model_name="apikey",
            name="user",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="api_keys",
                to=settings.AUTH_USER_MODEL,
                verbose_name="user",
            ),
        ),
    ]
