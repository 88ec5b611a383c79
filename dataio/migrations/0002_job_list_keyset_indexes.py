"""The imports page by keyset, newest first: everyone's jobs (created_at, id) for those who
see every customer, a rep's own (user, created_at, id). The latter replaces the
(user, -created_at) index and the user foreign key's own index, which it makes redundant."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dataio", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The new indexes first: the lookups are never without one.
        migrations.AddIndex(
            model_name="importjob",
            index=models.Index(fields=["created_at", "id"], name="importjob_created_id"),
        ),
        migrations.AddIndex(
            model_name="importjob",
            index=models.Index(
                fields=["user", "created_at", "id"], name="importjob_user_created_id"
            ),
        ),
        migrations.RemoveIndex(model_name="importjob", name="importjob_user_created"),
        migrations.AlterField(
            model_name="importjob",
            name="user",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="import_jobs",
                to=settings.AUTH_USER_MODEL,
                verbose_name="user",
            ),
        ),
    ]
